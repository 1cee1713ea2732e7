"""`ModelCatalog`: the model folders and files that `/models`, `/embeddings` and `/experiment/models` list.

It reads the server's `FolderPaths`; it never opens a model file, only lists and stats them.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from comfyd.engine.folders import FolderPaths, filter_files_extensions, scan_files

logger = logging.getLogger(__name__)

# `/experiment/models` leaves out the folder keys that hold no models (ComfyUI's black list).
NOT_MODEL_FOLDERS = ("configs", "custom_nodes")


class ModelCatalog:
    """Model listings in ComfyUI's shapes, over one server's folder layout."""

    def __init__(self, folders: FolderPaths) -> None:
        self.folders = folders

    def embeddings(self) -> list[str]:
        """Embedding names without their extension, as prompts refer to them."""
        return [os.path.splitext(name)[0] for name in self.folders.get_filename_list("embeddings")]

    def folder_names(self) -> list[str]:
        """Every folder key, `configs` and `custom_nodes` included, in registration order."""
        return list(self.folders.folder_names_and_paths)

    def filenames(self, folder: str) -> list[str] | None:
        """The sorted model files of one folder key; `None` when there is no such key.

        Legacy names (`unet`, `clip`) are not keys, so they answer `None`, as in ComfyUI.
        """
        if folder not in self.folders.folder_names_and_paths:
            return None
        return self.folders.get_filename_list(folder)

    def model_folders(self) -> list[dict[str, Any]]:
        """`[{name, folders: [absolute paths]}]` for every folder that holds models."""
        return [
            {"name": key, "folders": [str(path) for path in self.folders.get_folder_paths(key)]}
            for key in self.folders.folder_names_and_paths
            if key not in NOT_MODEL_FOLDERS
        ]

    def model_files(self, folder: str) -> list[dict[str, Any]] | None:
        """`[{name, pathIndex, modified, created, size}]` for one folder key; `None` if unknown.

        Like ComfyUI this lists files with any PyTorch model extension (not the folder's own
        extension set), skips hidden entries (`.git` among them), and numbers each search path.
        Symlinked directories are followed once each, so a link cycle cannot loop.
        """
        if folder not in self.folders.folder_names_and_paths:
            return None
        paths = self.folders.folder_names_and_paths[folder][0]
        files: list[dict[str, Any]] = []
        for index, directory in enumerate(paths):
            files.extend(self._describe_files(directory, index))
        return files

    def _describe_files(self, directory: str, path_index: int) -> list[dict[str, Any]]:
        names, _ = scan_files(directory)
        described = []
        for name in filter_files_extensions(names, self.folders.supported_pt_extensions):
            full_path = os.path.join(directory, name)
            try:
                stat = os.stat(full_path)
            except OSError as exc:
                logger.warning("Cannot read %s; leaving it out of the model list: %s", full_path, exc)
                continue
            described.append(
                {
                    "name": name,
                    "pathIndex": path_index,
                    "modified": stat.st_mtime,
                    "created": stat.st_ctime,
                    "size": stat.st_size,
                }
            )
        return described
