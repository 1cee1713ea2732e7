"""Turning a request's `type`, `subfolder` and `filename` into a file inside input, output or temp.

ComfyUI's rules are kept (annotated names pick their directory, `type` defaults differ per route,
a name may not start with "/" or contain ".."), and every path is also resolved with symlinks
followed and checked against its root, which ComfyUI leaves to `os.path.commonpath`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from comfyd.engine.folders import FolderPaths
from comfyd.engine.paths import resolve_inside
from comfyd.files.errors import FileAccessDenied, FileNotFound, UnknownDirectoryType, UnsafeFileName

DIRECTORY_TYPES = ("input", "output", "temp")

# Longest file name (in bytes) the common Linux and macOS file systems store.
MAX_NAME_BYTES = 255


@dataclass(frozen=True)
class LocatedFile:
    """An existing regular file inside its directory.

    `path` is resolved (symlinks followed); `name` is the name the client asked for, which is what
    ComfyUI puts in Content-Disposition even when the file is a link to another name.
    """

    path: Path
    name: str
    stat: os.stat_result


def directory_for(folders: FolderPaths, type_name: str) -> Path:
    """The directory a `type` names; `UnknownDirectoryType` for anything but input/output/temp."""
    root = folders.get_directory_by_type(type_name)
    if root is None:
        raise UnknownDirectoryType(type_name)
    return root


def locate(
    folders: FolderPaths, filename: str | None, *, type_name: str | None, subfolder: str | None
) -> LocatedFile:
    """The file `/view` serves for these query values (`type` defaults to output).

    Raises `FileNotFound` without a filename or file, `UnsafeFileName` for an empty name or one
    starting with "/" or holding "..", `UnknownDirectoryType`, and `FileAccessDenied` when the
    subfolder, or a symlink on the way, leads outside the directory. As in ComfyUI, only the last
    component of the name is used; directories go in `subfolder`.
    """
    if filename is None:
        raise FileNotFound("", "no filename was given")
    name, root = folders.annotated_filepath(filename)
    if not name or name.startswith("/") or ".." in name or "\x00" in name:
        raise UnsafeFileName(name)
    if root is None:
        root = directory_for(folders, "output" if type_name is None else type_name)
    subfolder = subfolder or ""
    if resolve_inside(root, subfolder) is None:
        raise FileAccessDenied(subfolder)
    name = os.path.basename(name)
    path = resolve_inside(root, subfolder, name)
    if path is None:
        raise FileAccessDenied(os.path.join(subfolder, name))
    return LocatedFile(path, name, _regular_file_stat(path, name))


def check_plain_name(name: str) -> str:
    """`name` if it is one path component a file may have; `UnsafeFileName` otherwise.

    Both separators are refused, so a Windows path cannot become a directory on another system.
    """
    if name in (".", "..") or any(c in name for c in "/\\\x00") or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise UnsafeFileName(name)
    return name


def _regular_file_stat(path: Path, name: str) -> os.stat_result:
    try:
        result = path.stat()
    except OSError as exc:
        raise FileNotFound(name) from exc
    if not stat.S_ISREG(result.st_mode):
        raise FileNotFound(name, "it is not a regular file")
    return result
