"""Exceptions of the users layer.

    UsersError
    ├── UsersFileCorrupt           users.json is not a readable {id: name} object
    ├── InvalidUsername            POST /users without a usable name
    ├── DuplicateUsername          another user already has that name
    ├── UsersManagedByAccounts     POST /users on a server whose users are its accounts (sign-in required)
    ├── UnknownUser                the request names a user that the directory does not list
    │   └── UnknownSettingsUser    the same, met while reading or writing settings
    └── UserDataError
        ├── PathNotProvided        a user-data operation was given an empty path
        ├── PathOutsideUserRoot    the path, symlinks resolved, leaves the user's own directory
        ├── InvalidBrowsePath      a tree listing was asked of a path it cannot list
        ├── UserDataNotFound       nothing exists at the path
        ├── UserFileExists         the target exists and overwriting was not allowed
        └── InvalidFilename        the operating system refused the name
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

# What a user-data path names; the wire messages name it too ("Directory not found").
PathKind = Literal["directory", "file", "path"]


class UsersError(Exception):
    """Base class of the users layer's exceptions."""


class UsersFileCorrupt(UsersError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"The users file {path} cannot be read ({reason}); fix or remove it before starting.")
        self.path = path
        self.reason = reason


class UsersManagedByAccounts(UsersError):
    def __init__(self) -> None:
        super().__init__("This server requires sign-in: users are its accounts (comfyd admin create-user).")


class InvalidUsername(UsersError):
    def __init__(self, username: object) -> None:
        super().__init__(f"A username must be a non-empty string, not {username!r}.")
        self.username = username


class DuplicateUsername(UsersError):
    def __init__(self, username: str) -> None:
        super().__init__(f"The username {username!r} is already taken.")
        self.username = username


class UnknownUser(UsersError):
    def __init__(self, user_id: str) -> None:
        super().__init__(f"The user {user_id!r} is not known to this server.")
        self.user_id = user_id


class UnknownSettingsUser(UnknownUser):
    """An unknown user met by the settings store; ComfyUI answers these with 401, not 403."""


class UserDataError(UsersError):
    """Base class of the errors about one path inside a user's directory."""

    def __init__(self, message: str, path: str, kind: PathKind) -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind


class PathNotProvided(UserDataError):
    def __init__(self, kind: PathKind) -> None:
        super().__init__(f"No {kind} was given.", "", kind)


class PathOutsideUserRoot(UserDataError):
    def __init__(self, path: str, kind: PathKind = "file") -> None:
        super().__init__(f"The {kind} {path!r} is outside the user's directory.", path, kind)


class InvalidBrowsePath(UserDataError):
    def __init__(self, path: str, *, is_outside: bool) -> None:
        reason = "is outside the user's directory" if is_outside else "is not a directory"
        super().__init__(f"The path {path!r} {reason}.", path, "path")
        self.is_outside = is_outside


class UserDataNotFound(UserDataError):
    def __init__(self, path: str, kind: PathKind = "file") -> None:
        super().__init__(f"The {kind} {path!r} does not exist.", path, kind)


class UserFileExists(UserDataError):
    def __init__(self, path: str) -> None:
        super().__init__(f"The file {path!r} already exists and overwriting was not allowed.", path, "file")


class InvalidFilename(UserDataError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"The file {path!r} cannot be written: {reason}.", path, "file")
        self.reason = reason
