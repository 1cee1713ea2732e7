"""Where published pack archives are kept: the `ArchiveStorage` role and its local-disk implementation.

Keys are relative, `/`-separated names such as `publisher/pack/1.0.0.zip` (`archive_key` builds
them). An object-store implementation (`S3ArchiveStorage` in `storage_s3.py`, say) would satisfy
the same protocol: `save` as a multipart upload that hashes while it streams, `open` as the
streaming body of a GET, and `path_for` returning `None`, which tells the routes to answer
downloads with a presigned URL instead of serving a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = [
    "ArchiveNotFound",
    "ArchiveStorage",
    "InvalidArchiveKey",
    "LocalArchiveStorage",
    "StorageError",
    "StoredArchive",
    "archive_key",
    "check_key",
]

_CHUNK = 1024 * 1024
_MAX_KEY_LENGTH = 1024
# A segment starts with a letter, digit or underscore, so "." and ".." (and hidden temp files,
# which this module names ".<name>.*.part") can never be keys or parts of one.
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}")


class StorageError(Exception):
    """Base class of the archive storage's exceptions."""


class InvalidArchiveKey(StorageError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"The archive key {key!r} {problem}.")
        self.key = key


class ArchiveNotFound(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"No archive is stored under {key!r}.")
        self.key = key


@dataclass(frozen=True)
class StoredArchive:
    """An archive as saved: its key, its size in bytes and the hex SHA-256 of its content."""

    key: str
    size: int
    sha256: str


class ArchiveStorage(Protocol):
    """Keeps pack archives by key. Every method raises `InvalidArchiveKey` for a malformed key."""

    def save(self, key: str, source: str | os.PathLike[str] | BinaryIO) -> StoredArchive:
        """Store the file at `source` (a path) or the rest of `source` (a binary stream) under `key`.

        Replaces whatever `key` held, atomically: readers see the old archive or the new one,
        never part of one. Returns the size and SHA-256 of what was stored.
        """
        ...

    def open(self, key: str) -> BinaryIO:
        """The archive's content, to be closed by the caller; raises `ArchiveNotFound`."""
        ...

    def path_for(self, key: str) -> Path | None:
        """A local file holding the archive, for serving it directly; `None` when the archive is
        missing or the storage has no local files."""
        ...

    def delete(self, key: str) -> None:
        """Remove the archive; deleting a key that holds nothing is not an error."""
        ...

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    """Return `key` if it is a valid archive key; raise `InvalidArchiveKey` saying why if not."""
    if len(key) > _MAX_KEY_LENGTH:
        raise InvalidArchiveKey(key[:64] + "...", f"is longer than {_MAX_KEY_LENGTH} characters")
    if not key or key.startswith("/"):
        raise InvalidArchiveKey(key, "must be a relative path such as 'publisher/pack/1.0.0.zip'")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise InvalidArchiveKey(
                key,
                f"has the part {segment!r}; parts use letters, digits and '_.+-' and cannot start with '.'",
            )
    return key


def archive_key(*, publisher_id: str, node_id: str, version: str) -> str:
    """The key of a version's archive, `<publisher>/<node>/<version>.zip`; raises `InvalidArchiveKey`."""
    return check_key(f"{publisher_id}/{node_id}/{version}.zip")


class LocalArchiveStorage:
    """Archives as files under `root`, one per key (`root/publisher/pack/1.0.0.zip`).

    Writes go to a hidden temporary file in the destination folder and are renamed into place,
    so a crash or a failed upload never leaves a truncated archive under a real key.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def save(self, key: str, source: str | os.PathLike[str] | BinaryIO) -> StoredArchive:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with open(fd, "wb") as out:
                size, sha256 = _copy(source, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return StoredArchive(key, size, sha256)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")  # the caller closes it
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ArchiveNotFound(key) from exc

    def path_for(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*check_key(key).split("/"))
        # The key cannot climb out; resolving as well keeps a link inside the root from
        # sending an archive somewhere else.
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise InvalidArchiveKey(key, "leads outside the archive folder")
        return path


def _copy(source: str | os.PathLike[str] | BinaryIO, out: BinaryIO) -> tuple[int, str]:
    """Copy `source` to `out` in chunks; the number of bytes and their SHA-256."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            return _copy(stream, out)
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        out.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
