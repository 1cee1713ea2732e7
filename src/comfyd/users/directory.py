"""`UserDirectory`: who the users are and where each one's files live.

Without `--multi-user` there is one user, "default", as in ComfyUI. With it, the users are the ids
in `<user_dir>/users.json` (`{id: name}`), added through `POST /users`. Each user's files live in
`<user_dir>/<id>/`, and every path a client names is resolved (symlinks included) and kept there.

When the server requires sign-in, users are comfyd's accounts, not `users.json`: each signed-in
user has a directory per workspace, `<user_dir>/<user id>@<workspace id>/`, so a user's settings
and workflows in one workspace are never read in another (`signed_in_key`).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from comfyd.engine.paths import resolve_inside
from comfyd.users import atomic
from comfyd.users.errors import (
    DuplicateUsername,
    InvalidUsername,
    PathKind,
    PathOutsideUserRoot,
    UnknownUser,
    UsersFileCorrupt,
    UsersManagedByAccounts,
)

DEFAULT_USER = "default"
USERS_FILE = "users.json"

# The part of an id taken from the name is cut short so that "<slug>_<uuid4>" stays a legal file
# name (255 bytes) however long the name is; ComfyUI does not cut it, and fails later instead.
MAX_SLUG_LENGTH = 200
_ACCOUNT_PART = r"[A-Za-z0-9_-]{1,128}"
SIGNED_IN_KEY = re.compile(rf"^{_ACCOUNT_PART}@{_ACCOUNT_PART}$")


def signed_in_key(user_id: str, workspace_id: str) -> str:
    """The user-directory id of a signed-in user in a workspace; raises `UnknownUser` for ids
    that cannot name a directory."""
    key = f"{user_id}@{workspace_id}"
    if not SIGNED_IN_KEY.match(key):
        raise UnknownUser(key)
    return key


class UserDirectory:
    """The users of one server and the directory that holds their files.

        users = UserDirectory(Path("user"), multi_user=True)
        user_id = users.add("Ada")            # "Ada_5f0c…", saved in user/users.json
        users.path_of(user_id, "workflows")   # user/Ada_5f0c…/workflows, resolved
    """

    def __init__(self, root: Path, *, multi_user: bool, signed_in: bool = False) -> None:
        self.root = Path(root)
        self.is_multi_user = multi_user or signed_in
        self.is_signed_in = signed_in
        if signed_in:
            self._users = {}
        else:
            self._users = _load_users(self.users_file) if multi_user else {DEFAULT_USER: DEFAULT_USER}

    @property
    def users_file(self) -> Path:
        return self.root / USERS_FILE

    @property
    def users(self) -> dict[str, str]:
        """Every user, as `{id: name}`."""
        return dict(self._users)

    @property
    def is_migrated(self) -> bool:
        """Whether the default user's directory exists: ComfyUI's `migrated`, meaning settings live here."""
        return (self.root / DEFAULT_USER).exists()

    def add(self, username: object) -> str:
        """Add a user and save `users.json`; returns the new id, `<name with [^a-zA-Z0-9-_]+ as ->_<uuid4>`.

        Raises `InvalidUsername` for a name that is not a non-empty string, and `DuplicateUsername`
        when another user has the same name.
        """
        if self.is_signed_in:
            raise UsersManagedByAccounts()
        if not isinstance(username, str) or not username.strip():
            raise InvalidUsername(username)
        name = username.strip()
        if name in self._users.values():
            raise DuplicateUsername(name)
        slug = re.sub("[^a-zA-Z0-9-_]+", "-", name)[:MAX_SLUG_LENGTH]
        user_id = f"{slug}_{uuid.uuid4()}"
        users = {**self._users, user_id: name}
        atomic.write_json(self.users_file, users)
        self._users = users
        return user_id

    def root_of(self, user_id: str) -> Path:
        """The resolved directory of `user_id`'s files (it may not exist yet).

        Raises `UnknownUser` for an id that is not listed, or that is not a single safe path segment
        (an edited `users.json` could hold `..`; such an id would reach outside the user directory).
        """
        known = SIGNED_IN_KEY.match(user_id) if self.is_signed_in else user_id in self._users
        if not known or not _is_single_segment(user_id):
            raise UnknownUser(user_id)
        return (self.root / user_id).resolve()

    def path_of(self, user_id: str, name: str, *, kind: PathKind = "file") -> Path:
        """`name` inside `user_id`'s directory, symlinks resolved; the directory itself counts as inside.

        Raises `UnknownUser` as `root_of` does, and `PathOutsideUserRoot` when the resolved path
        leaves the user's directory: `..`, an absolute path, or a symlink pointing elsewhere.
        """
        path = resolve_inside(self.root_of(user_id), name)
        if path is None:
            raise PathOutsideUserRoot(name, kind)
        return path


def _is_single_segment(user_id: str) -> bool:
    return user_id not in ("", ".", "..") and not any(c in user_id for c in "/\\\0")


def _load_users(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        users = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsersFileCorrupt(path, str(exc)) from exc
    if not isinstance(users, dict) or not all(isinstance(v, str) for v in users.values()):
        raise UsersFileCorrupt(path, "it is not a JSON object of user ids to names")
    return users
