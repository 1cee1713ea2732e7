"""Where a download may write: a model folder's first path, and a file name that stays inside it.

`resolve_target` is the one check between a request and the disk. It refuses unknown folders,
`custom_nodes` (code, not models), absolute names, `..`, hidden parts, separators other than `/`,
names the folder would never list (wrong extension), and anything that resolves (symlinks
included) outside the folder's directory.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from comfyd.assets.errors import DownloadConflict, UnsafeTarget
from comfyd.engine.folders import FolderPaths, map_legacy
from comfyd.engine.paths import resolve_inside

# Folder keys that hold no models: downloading into them would install code or configuration.
REFUSED_FOLDERS = frozenset({"custom_nodes"})
MAX_NAME_LENGTH = 1024
MAX_PART_LENGTH = 255
# Characters no model name needs and some file systems or shells treat specially.
_UNSAFE_CHARACTERS = re.compile(r'[\x00-\x1f\x7f\\:*?"<>|]')


@dataclass(frozen=True)
class DownloadTarget:
    """A file inside a model folder: `directory / filename`, with its `.part` beside it."""

    folder: str
    filename: str
    directory: Path

    @property
    def path(self) -> Path:
        return self.directory / self.filename

    def part_path(self, download_id: str) -> Path:
        """The hidden file the bytes go to until they are checked; listings skip hidden files."""
        return self.path.parent / f".download-{download_id}.part"


def resolve_target(folders: FolderPaths, folder: str, filename: str) -> DownloadTarget:
    """The target for `filename` in the first path of model folder `folder`; raises `UnsafeTarget`."""
    key = _folder_key(folders, folder, filename)
    name = clean_filename(filename, folder=folder)
    _check_extension(folders, key, name)
    paths = folders.get_folder_paths(key)
    if not paths:
        raise UnsafeTarget(
            f"The model folder {key!r} has no directory to download into.", folder=folder, filename=filename
        )
    return checked_target(DownloadTarget(key, name, paths[0]))


def checked_target(target: DownloadTarget) -> DownloadTarget:
    """`target` again, once its file is known to resolve inside its directory (symlinks followed)."""
    if resolve_inside(target.directory, target.filename) is None:
        raise UnsafeTarget(
            f"{target.filename!r} would be written outside the {target.folder} folder {target.directory}.",
            folder=target.folder,
            filename=target.filename,
        )
    return target


def refuse_existing(target: DownloadTarget) -> None:
    """Raise `DownloadConflict` when something already sits where the file would go."""
    if target.path.exists() or target.path.is_symlink():
        raise DownloadConflict(
            f"{target.folder}/{target.filename} already exists; remove it first or choose another filename.",
            path=str(target.path),
        )


def default_filename(url_path: str) -> str:
    """The last segment of a URL's (decoded) path: what the file is called when no name is given."""
    return PurePosixPath(url_path).name


def clean_filename(filename: str, *, folder: str) -> str:
    """The name as a relative POSIX path, or `UnsafeTarget` naming what is wrong with it."""

    def refuse(reason: str) -> UnsafeTarget:
        return UnsafeTarget(
            f"The filename {filename!r} is not allowed: {reason}.", folder=folder, filename=filename
        )

    if not filename or len(filename) > MAX_NAME_LENGTH:
        raise refuse(f"it must have 1 to {MAX_NAME_LENGTH} characters")
    if _UNSAFE_CHARACTERS.search(filename):
        raise refuse('it holds a control character or one of \\ : * ? " < > |')
    if filename.startswith("/"):
        raise refuse("it must be relative to the model folder")
    parts = filename.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise refuse("'..', '.' and empty path parts are not allowed")
        if part.startswith("."):
            raise refuse("hidden names (starting with '.') are not allowed")
        if len(part.encode()) > MAX_PART_LENGTH:
            raise refuse(f"each part must fit in {MAX_PART_LENGTH} bytes")
    return "/".join(parts)


def _folder_key(folders: FolderPaths, folder: str, filename: str) -> str:
    key = map_legacy(folder)
    if key in REFUSED_FOLDERS:
        raise UnsafeTarget(
            f"Downloads cannot go into {key!r}: it holds node packs (code), not models.",
            folder=folder,
            filename=filename,
        )
    if key not in folders.folder_names_and_paths:
        known = ", ".join(k for k in folders.folder_names_and_paths if k not in REFUSED_FOLDERS)
        raise UnsafeTarget(
            f"{folder!r} is not a model folder; use one of: {known}.", folder=folder, filename=filename
        )
    return key


def _check_extension(folders: FolderPaths, key: str, name: str) -> None:
    extensions = folders.folder_names_and_paths[key][1]
    if extensions and os.path.splitext(name)[1].lower() not in extensions:
        listed = ", ".join(sorted(e or "(none)" for e in extensions))
        raise UnsafeTarget(
            f"{key} only lists files ending in {listed}, so {name!r} would never show up there.",
            folder=key,
            filename=name,
        )
