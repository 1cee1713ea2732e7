"""ComfyUI's `folder_paths` module, for node packs that `import folder_paths`.

Every function delegates to the layout made current with `comfyd.engine.folders.activate`, and
answers with strings where ComfyUI does (packs concatenate and `.endswith` them). The module-level
attributes ComfyUI keeps as globals (`models_dir`, `output_directory`, `folder_names_and_paths`,
...) are read through `__getattr__`, so they follow the active layout instead of freezing at import.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from comfyd.engine import folders
from comfyd.engine.folders import filter_files_content_types, filter_files_extensions, map_legacy

__all__ = [
    "add_model_folder_path",
    "annotated_filepath",
    "exists_annotated_filepath",
    "filter_files_content_types",
    "filter_files_extensions",
    "get_annotated_filepath",
    "get_directory_by_type",
    "get_filename_list",
    "get_folder_paths",
    "get_full_path",
    "get_full_path_or_raise",
    "get_input_directory",
    "get_input_subfolders",
    "get_output_directory",
    "get_save_image_path",
    "get_temp_directory",
    "get_user_directory",
    "map_legacy",
    "recursive_search",
    "set_input_directory",
    "set_output_directory",
    "set_temp_directory",
    "set_user_directory",
]


def _str(path: os.PathLike[str] | str | None) -> str | None:
    return None if path is None else os.fspath(path)


def get_input_directory() -> str:
    return os.fspath(folders.current().get_input_directory())


def get_output_directory() -> str:
    return os.fspath(folders.current().get_output_directory())


def get_temp_directory() -> str:
    return os.fspath(folders.current().get_temp_directory())


def get_user_directory() -> str:
    return os.fspath(folders.current().get_user_directory())


def set_input_directory(input_dir: str) -> None:
    folders.current().input_dir = Path(input_dir).absolute()


def set_output_directory(output_dir: str) -> None:
    folders.current().output_dir = Path(output_dir).absolute()


def set_temp_directory(temp_dir: str) -> None:
    folders.current().temp_dir = Path(temp_dir).absolute()


def set_user_directory(user_dir: str) -> None:
    folders.current().user_dir = Path(user_dir).absolute()


def get_directory_by_type(type_name: str) -> str | None:
    return _str(folders.current().get_directory_by_type(type_name))


def add_model_folder_path(folder_name: str, full_folder_path: str, is_default: bool = False) -> None:
    folders.current().add_model_folder_path(folder_name, full_folder_path, is_default)


def get_folder_paths(folder_name: str) -> list[str]:
    return [os.fspath(p) for p in folders.current().get_folder_paths(folder_name)]


def get_filename_list(folder_name: str) -> list[str]:
    return folders.current().get_filename_list(folder_name)


def get_full_path(folder_name: str, filename: str) -> str | None:
    return _str(folders.current().get_full_path(folder_name, filename))


def get_full_path_or_raise(folder_name: str, filename: str) -> str:
    return os.fspath(folders.current().get_full_path_or_raise(folder_name, filename))


def annotated_filepath(name: str) -> tuple[str, str | None]:
    name, base_dir = folders.current().annotated_filepath(name)
    return name, _str(base_dir)


def get_annotated_filepath(name: str, default_dir: str | None = None) -> str:
    return os.fspath(folders.current().get_annotated_filepath(name, default_dir))


def exists_annotated_filepath(name: str) -> bool:
    return folders.current().exists_annotated_filepath(name)


def get_save_image_path(
    filename_prefix: str, output_dir: str, image_width: int = 0, image_height: int = 0
) -> tuple[str, str, int, str, str]:
    full_output_folder, filename, counter, subfolder, prefix = folders.current().get_save_image_path(
        filename_prefix, output_dir, image_width, image_height
    )
    return os.fspath(full_output_folder), filename, counter, subfolder, prefix


def recursive_search(
    directory: str, excluded_dir_names: Collection[str] | None = None
) -> tuple[list[str], dict[str, float]]:
    """ComfyUI's walker: files below `directory` and the mtime (seconds) of each directory walked.

    Hidden directories (which include `.git`) are always skipped; `excluded_dir_names` is accepted
    for compatibility and those names are skipped too.
    """
    excluded = set(excluded_dir_names or ())
    files, mtimes = folders.scan_files(directory)
    kept = [f for f in files if not excluded.intersection(f.split(os.sep)[:-1])]
    return kept, {path: ns / 1e9 for path, ns in mtimes.items()}


def get_input_subfolders() -> list[str]:
    """Every directory below the input directory, relative to it with "/" separators, sorted."""
    root = folders.current().get_input_directory()
    if not root.is_dir():
        return []
    return sorted(
        os.path.relpath(dirpath, root).replace(os.sep, "/")
        for dirpath, _dirs, _files in os.walk(root)
        if os.path.normpath(dirpath) != os.path.normpath(root)
    )


_ATTRIBUTES = {
    "base_path": lambda f: os.fspath(f.base_dir),
    "models_dir": lambda f: os.fspath(f.models_dir),
    "input_directory": lambda f: os.fspath(f.input_dir),
    "output_directory": lambda f: os.fspath(f.output_dir),
    "temp_directory": lambda f: os.fspath(f.temp_dir),
    "user_directory": lambda f: os.fspath(f.user_dir),
    "folder_names_and_paths": lambda f: f.folder_names_and_paths,
    "supported_pt_extensions": lambda f: f.supported_pt_extensions,
}


def __getattr__(name: str) -> Any:
    if name in _ATTRIBUTES:
        return _ATTRIBUTES[name](folders.current())
    raise AttributeError(f"module 'folder_paths' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, *_ATTRIBUTES])
