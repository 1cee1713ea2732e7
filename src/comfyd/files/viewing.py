"""`FileViewer`: finding, re-encoding and listing the files the client views, and model metadata."""

from __future__ import annotations

import os
from typing import Any

from comfyd.engine.folders import FolderPaths
from comfyd.files import images, locations
from comfyd.files.errors import FileNotFound
from comfyd.files.images import Rendition
from comfyd.files.locations import LocatedFile
from comfyd.files.metadata import safetensors_metadata


class FileViewer:
    """Read-only access to input/output/temp and to model headers, for `/view` and its neighbours.

    Methods do blocking file and image work; async callers run them in a worker thread.
    """

    def __init__(self, folders: FolderPaths) -> None:
        self.folders = folders

    def locate(self, filename: str | None, *, type_name: str | None, subfolder: str | None) -> LocatedFile:
        """The file `/view` names; see `locations.locate` for the rules and exceptions."""
        return locations.locate(self.folders, filename, type_name=type_name, subfolder=subfolder)

    def render(self, file: LocatedFile, *, preview: str | None, channel: str | None) -> Rendition | None:
        """The re-encoded image `preview`/`channel` ask for, or `None` to send the file unchanged."""
        return images.render(file.path, preview=preview, channel=channel)

    def list_directory(self, type_name: str) -> list[str]:
        """Names of the files (not directories) directly in input, output or temp, newest first.

        A directory that does not exist lists as empty; raises `UnknownDirectoryType` for any other
        type.
        """
        root = locations.directory_for(self.folders, type_name)
        try:
            with os.scandir(root) as entries:
                files = [(mtime, entry.name) for entry in entries if (mtime := _file_mtime(entry)) is not None]
        except FileNotFoundError:  # the directory was removed while the server runs
            return []
        files.sort(key=lambda item: -item[0])
        return [name for _, name in files]

    def model_metadata(self, folder_name: str, filename: str) -> Any:
        """The `__metadata__` of a `.safetensors` model; `FileNotFound` if there is none to show."""
        if not filename.endswith(".safetensors"):
            raise FileNotFound(filename, "only .safetensors files carry metadata")
        path = self.folders.get_full_path(folder_name, filename)
        if path is None:
            raise FileNotFound(filename, f"there is no such model in {folder_name!r}")
        metadata = safetensors_metadata(path)
        if metadata is None:
            raise FileNotFound(filename, "its header has no __metadata__")
        return metadata


def _file_mtime(entry: os.DirEntry) -> float | None:
    """The entry's mtime if it is a file (links followed); `None` for anything else or a vanished one."""
    try:
        return entry.stat().st_mtime if entry.is_file() else None
    except FileNotFoundError:
        return None
