"""Exceptions of the accounts feature.

AccountsError
├── Unauthenticated        no usable credentials: none sent where one is needed, or a key or
│                          token that is unknown, revoked, expired, wrongly signed or a banned
│                          user's
├── NoWorkspaceAccess      the credentials are good, but name a workspace the user is not a
│                          member of (code `no_workspace_access`, which the frontend acts on)
├── InvalidRequest         a platform request whose parameters or body do not validate
├── UserNotFound           no user has that id or email
├── UserExists             another user already has that email
└── ApiKeyNotFound         the user has no API key with that id
"""

from __future__ import annotations


class AccountsError(Exception):
    """Base class of the accounts feature's exceptions; `code` is a machine-readable reason."""

    code: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(AccountsError):
    def __init__(self, message: str = "This request needs a valid API key.") -> None:
        super().__init__(message)


class NoWorkspaceAccess(AccountsError):
    code = "no_workspace_access"

    def __init__(self, workspace_id: str | None) -> None:
        if workspace_id is None:
            message = "This request acts in no workspace."
        else:
            message = f"You are not a member of workspace {workspace_id}."
        super().__init__(message)
        self.workspace_id = workspace_id


class InvalidRequest(AccountsError):
    code = "invalid_request"

    def __init__(self, problems: str) -> None:
        super().__init__(f"Invalid request: {problems}")
        self.problems = problems


class UserNotFound(AccountsError):
    def __init__(self, user: str) -> None:
        super().__init__(f"User {user} was not found.")
        self.user = user


class UserExists(AccountsError):
    def __init__(self, email: str) -> None:
        super().__init__(f"A user with email {email} already exists.")
        self.email = email


class ApiKeyNotFound(AccountsError):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"API key {key_id} was not found.")
        self.key_id = key_id
