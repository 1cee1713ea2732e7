"""`UserData`: the files a user keeps on the server (workflows, templates, subgraphs, ...).

Paths come from clients, so every one is resolved with symlinks and must stay inside the user's own
directory (`UserDirectory.path_of`). Listings skip links that point outside it rather than
following them, so they cannot show another user's files or anything else on the machine either.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

from comfyd.engine.paths import is_inside
from comfyd.users import atomic
from comfyd.users.directory import UserDirectory
from comfyd.users.errors import (
    InvalidBrowsePath,
    InvalidFilename,
    PathKind,
    PathNotProvided,
    PathOutsideUserRoot,
    UserDataNotFound,
    UserFileExists,
)
from comfyd.users.models import Entry, FileInfo


class UserData:
    """Listing, reading, writing, deleting and moving files in a user's directory.

    Every method raises `UnknownUser` for a user the directory does not list, `PathNotProvided` for
    an empty path and `PathOutsideUserRoot` for a path that resolves outside the user's directory.
    A name that still holds `%` after the URL was decoded is decoded once more, as ComfyUI does
    (clients that encode `/` as `%2F` sometimes encode twice).
    """

    def __init__(self, directory: UserDirectory) -> None:
        self._directory = directory

    def list_files(self, user_id: str, directory: str, *, recurse: bool = False) -> list[FileInfo]:
        """The files (never directories) in `directory`, with paths relative to it.

        The order is stable: the directory's own files by name, then each subdirectory's in turn.
        Names starting with a dot are left out, as ComfyUI's glob leaves them out. Raises
        `UserDataNotFound` when the directory does not exist; a file in its place lists as empty.
        """
        top = self._locate(user_id, directory, "directory")
        if not top.exists():
            raise UserDataNotFound(directory, "directory")
        root = self._directory.root_of(user_id)
        return [info for path in _files_in(top, root, recurse=recurse) if (info := _info(path, top))]

    def browse(self, user_id: str, path: str = "") -> list[Entry]:
        """Everything below `path` (default: the user's directory), directories first, then by name.

        Paths in the entries are relative to the user's directory. A user with no directory yet
        has an empty one. Raises `InvalidBrowsePath` for a path outside the user's directory or one
        that is not a directory, and `UserDataNotFound` for one that does not exist.
        """
        root = self._directory.root_of(user_id)
        try:
            target = self._locate(user_id, path, "path") if path else root
        except PathOutsideUserRoot as exc:
            raise InvalidBrowsePath(path, is_outside=True) from exc
        if not target.exists():
            if target == root:
                return []
            raise UserDataNotFound(path, "path")
        if not target.is_dir():
            raise InvalidBrowsePath(path, is_outside=False)
        entries = list(_entries_in(target, root))
        entries.sort(key=lambda e: (not e.is_directory, e.name.lower()))
        return entries

    def read(self, user_id: str, name: str) -> Path:
        """The resolved path of an existing file; raises `UserDataNotFound` otherwise."""
        path = self._file(user_id, name)
        if not path.is_file():
            raise UserDataNotFound(name)
        return path

    def write(self, user_id: str, name: str, content: bytes, *, overwrite: bool = True) -> FileInfo:
        """Store `content` as the file `name`, creating parent directories; returns what was stored.

        Raises `UserFileExists` when the file exists and `overwrite` is false, and
        `InvalidFilename` when the operating system refuses the name or the parents.
        """
        path = self._file(user_id, name)
        self._make_parent(path, name)
        try:
            if overwrite:
                atomic.write_bytes(path, content)
            else:
                _write_new(path, content)
        except FileExistsError as exc:
            raise UserFileExists(name) from exc
        except OSError as exc:
            raise InvalidFilename(name, exc.strerror or str(exc)) from exc
        return FileInfo.of(path, self._directory.root_of(user_id))

    def delete(self, user_id: str, name: str) -> None:
        """Remove a file; raises `UserDataNotFound` when there is no file by that name."""
        self.read(user_id, name).unlink()

    def move(self, user_id: str, source: str, destination: str, *, overwrite: bool = True) -> FileInfo:
        """Rename a file or directory within the user's directory; returns where it went.

        Raises `UserDataNotFound` for a missing source, `UserFileExists` when the destination
        exists and `overwrite` is false, and `InvalidFilename` when the rename fails (a file onto a
        directory, a directory into itself).
        """
        origin = self._file(user_id, source)
        if not origin.exists():
            raise UserDataNotFound(source)
        target = self._file(user_id, destination)
        if not overwrite and target.exists():
            raise UserFileExists(destination)
        self._make_parent(target, destination)
        try:
            os.replace(origin, target)
        except OSError as exc:
            raise InvalidFilename(destination, exc.strerror or str(exc)) from exc
        return FileInfo.of(target, self._directory.root_of(user_id))

    def _locate(self, user_id: str, name: str, kind: PathKind) -> Path:
        if "%" in name:
            name = unquote(name)
        if not name:
            raise PathNotProvided(kind)
        return self._directory.path_of(user_id, name, kind=kind)

    def _file(self, user_id: str, name: str) -> Path:
        path = self._locate(user_id, name, "file")
        if path == self._directory.root_of(user_id):
            # "." names the user's directory itself, which no file operation may replace or remove.
            raise PathOutsideUserRoot(name)
        return path

    @staticmethod
    def _make_parent(path: Path, name: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidFilename(name, exc.strerror or str(exc)) from exc


def _write_new(path: Path, content: bytes) -> None:
    # "x" makes "only if it does not exist" one step, so two writers cannot both create the file.
    with open(path, "xb") as file:
        file.write(content)


def _files_in(top: Path, root: Path, *, recurse: bool) -> Iterator[Path]:
    # os.walk does not follow symlinked directories, so a link cannot lead a listing out of `root`
    # (or round in a loop); a symlinked file is listed only when it points inside `root`.
    for folder, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recurse else []
        for name in sorted(filenames):
            path = Path(folder, name)
            if not name.startswith(".") and path.is_file() and is_inside(root, path):
                yield path


def _entries_in(top: Path, root: Path) -> Iterator[Entry]:
    for folder, dirnames, filenames in os.walk(top):
        for name in dirnames:
            path = Path(folder, name)
            if is_inside(root, path):
                yield Entry(name, path.relative_to(root).as_posix(), is_directory=True)
        for name in filenames:
            path = Path(folder, name)
            if is_inside(root, path):
                yield _file_entry(path, root)


def _file_entry(path: Path, root: Path) -> Entry:
    relative = path.relative_to(root).as_posix()
    try:
        stat = path.stat()
    except OSError:
        return Entry(path.name, relative, is_directory=False)
    return Entry(path.name, relative, is_directory=False, size=stat.st_size, modified=stat.st_mtime)


def _info(path: Path, top: Path) -> FileInfo | None:
    try:
        return FileInfo.of(path, top)
    except OSError:
        return None  # removed while the listing ran
