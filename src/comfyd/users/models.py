"""What the user-data routes answer with, in ComfyUI's field names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FileInfo:
    """A file (or, after a move, a directory) in a user's directory: ComfyUI's `FileInfo`."""

    path: str  # relative, with "/" between parts
    size: int
    modified: float
    created: float

    @classmethod
    def of(cls, path: Path, relative_to: Path) -> FileInfo:
        stat = path.stat()
        return cls(path.relative_to(relative_to).as_posix(), stat.st_size, stat.st_mtime, stat.st_ctime)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "modified": self.modified, "created": self.created}


@dataclass(frozen=True)
class Entry:
    """One row of `GET /v2/userdata`: a directory, or a file with its size and mtime when known."""

    name: str
    path: str  # relative to the user's directory, with "/" between parts
    is_directory: bool
    size: int | None = None
    modified: float | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.is_directory:
            return {"name": self.name, "path": self.path, "type": "directory"}
        row: dict[str, Any] = {"name": self.name, "path": self.path, "type": "file"}
        if self.size is not None:
            row["size"] = self.size
            row["modified"] = self.modified
        return row
