"""`PackFiles`: what custom node packs publish to the frontend besides nodes.

That is their web extensions (`WEB_DIRECTORY`), translations (`locales/`), example workflows
(`example_workflows/` and older folder names) and subgraph blueprints (`subgraphs/`). Web
extensions come from the packs the loader registered; the other three are found by scanning every
`custom_nodes` folder, as ComfyUI does. Every file a request names is kept inside its folder.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import urllib.parse
from pathlib import Path
from typing import Any

from comfyd.engine.folders import FolderPaths
from comfyd.engine.paths import resolve_inside
from comfyd.engine.registry import NodeRegistry

logger = logging.getLogger(__name__)

# The folder names ComfyUI accepts for a pack's example workflows, in the order it prefers them.
WORKFLOW_FOLDERS = ("example_workflows", "example", "examples", "workflow", "workflows")
# Besides `main.json`, each of these becomes a top-level key of its language's translations.
EXTRA_LOCALE_FILES = ("nodeDefs", "commands", "settings")
SUBGRAPH_FOLDER = "subgraphs"
SUBGRAPH_SOURCE = "custom_node"


class PackFiles:
    """The frontend-facing files of the custom node packs of one server."""

    def __init__(self, *, folders: FolderPaths, registry: NodeRegistry) -> None:
        self.folders = folders
        self.registry = registry

    def custom_node_folders(self) -> list[Path]:
        return self.folders.get_folder_paths("custom_nodes")

    # -- web extensions -----------------------------------------------------------------------

    def extension_urls(self) -> list[str]:
        """`/extensions/<quoted pack>/<relpath>` for every `.js` file below a pack's web folder."""
        urls = []
        for pack, directory in self.registry.web_directories.items():
            prefix = "/extensions/" + urllib.parse.quote(pack)
            urls.extend(f"{prefix}/{relative}" for relative in _files_below(directory, "*.js"))
        return urls

    def web_file(self, pack: str, path: str) -> Path | None:
        """A file inside a registered pack's web folder; `None` if the pack or file is not there."""
        directory = self.registry.web_directories.get(pack)
        return None if directory is None else _file_inside(directory, path)

    def has_web_directory(self, pack: str) -> bool:
        return pack in self.registry.web_directories

    # -- translations -------------------------------------------------------------------------

    def translations(self) -> dict[str, Any]:
        """Every pack's `locales/<lang>/` merged into `{lang: {...main.json, nodeDefs, commands, settings}}`.

        Packs merge in folder-name order: objects merge key by key, lists are concatenated, and
        any other value from a later pack replaces the earlier one.
        """
        translations: dict[str, Any] = {}
        for pack_dir in self._pack_dirs():
            locales = pack_dir / "locales"
            if not locales.is_dir():
                continue
            for lang_dir in sorted(p for p in locales.iterdir() if p.is_dir() and not p.name.startswith(".")):
                merged = merge_json(translations.get(lang_dir.name, {}), _language_file_set(lang_dir))
                translations[lang_dir.name] = merged
        return translations

    # -- example workflows --------------------------------------------------------------------

    def workflow_templates(self) -> dict[str, list[str]]:
        """`{pack folder name: [workflow names without .json]}`; packs without examples are left out."""
        templates: dict[str, list[str]] = {}
        for folder in self.custom_node_folders():
            for folder_name in WORKFLOW_FOLDERS:
                pattern = os.path.join(glob.escape(str(folder)), "*", folder_name, "*.json")
                for path in sorted(glob.glob(pattern)):
                    pack = Path(path).parent.parent.name
                    templates.setdefault(pack, []).append(Path(path).stem)
        return templates

    def workflow_template_file(self, pack: str, path: str) -> Path | None:
        """A file of a pack's example-workflow folders (first folder that has it); else `None`."""
        if not _is_plain_name(pack):
            return None
        for folder in self.custom_node_folders():
            for folder_name in WORKFLOW_FOLDERS:
                found = _file_inside(folder / pack / folder_name, path)
                if found is not None:
                    return found
        return None

    # -- subgraph blueprints ------------------------------------------------------------------

    def subgraphs(self) -> dict[str, dict[str, Any]]:
        """`{id: {source, name, info: {node_pack}}}` for every `custom_nodes/*/subgraphs/*.json`.

        The id is a hash of the source and the file's path, so it stays the same across restarts,
        as ComfyUI's does.
        """
        return {blueprint_id: _public(entry) for blueprint_id, entry in self._subgraph_entries().items()}

    def subgraph(self, blueprint_id: str) -> dict[str, Any] | None:
        """One blueprint with its file's text under `data`; `None` for an unknown id."""
        entry = self._subgraph_entries().get(blueprint_id)
        if entry is None:
            return None
        return {**_public(entry), "data": Path(entry["path"]).read_text(encoding="utf-8")}

    def _subgraph_entries(self) -> dict[str, dict[str, Any]]:
        entries = {}
        for folder in self.custom_node_folders():
            pattern = os.path.join(glob.escape(str(folder)), "*", SUBGRAPH_FOLDER, "*.json")
            for path in sorted(glob.glob(pattern)):
                posix = path.replace("\\", "/")
                blueprint_id = hashlib.sha256(f"{SUBGRAPH_SOURCE}{posix}".encode()).hexdigest()
                entries[blueprint_id] = {
                    "source": SUBGRAPH_SOURCE,
                    "name": Path(path).stem,
                    "path": path,
                    "info": {"node_pack": "custom_nodes." + Path(path).parent.parent.name},
                }
        return entries

    def _pack_dirs(self) -> list[Path]:
        """Every non-hidden folder in every custom_nodes folder, in name order per folder."""
        dirs = []
        for folder in self.custom_node_folders():
            if folder.is_dir():
                dirs.extend(sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")))
        return dirs


def merge_json(base: Any, update: Any) -> Any:
    """Merge two JSON values: objects key by key, lists concatenated, anything else replaced."""
    if isinstance(base, dict) and isinstance(update, dict):
        merged = dict(base)
        for key, value in update.items():
            merged[key] = merge_json(merged[key], value) if key in merged else value
        return merged
    if isinstance(base, list) and isinstance(update, list):
        return base + update
    return update


def _language_file_set(lang_dir: Path) -> dict[str, Any]:
    """One pack's translations for one language: `main.json`, plus one key per extra file."""
    translations = _read_json_object(lang_dir / "main.json")
    for name in EXTRA_LOCALE_FILES:
        extra = _read_json_object(lang_dir / f"{name}.json")
        if extra:
            translations[name] = extra
    return translations


def _read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from a file; `{}` when it is missing, unreadable or not an object."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        logger.error("Cannot load translations from %s: %s", path, exc)
        return {}
    if not isinstance(data, dict):
        logger.error("Ignoring %s: it holds a JSON %s, not an object.", path, type(data).__name__)
        return {}
    return data


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    """A blueprint entry without its server-side path."""
    return {key: value for key, value in entry.items() if key != "path"}


def _files_below(directory: Path, pattern: str) -> list[str]:
    """Relative POSIX paths of the non-hidden files matching `pattern` anywhere below `directory`."""
    matches = glob.glob(os.path.join(glob.escape(str(directory)), "**", pattern), recursive=True)
    return sorted(Path(os.path.relpath(match, directory)).as_posix() for match in matches if os.path.isfile(match))


def _is_plain_name(name: str) -> bool:
    """Whether `name` is one visible path component (a pack folder name, never `..`)."""
    return bool(name) and name == os.path.basename(name) and not name.startswith(".") and "\\" not in name


def _file_inside(directory: Path, path: str) -> Path | None:
    """`directory/path` if it is a file that stays inside `directory` (symlinks resolved)."""
    candidate = resolve_inside(directory, path)
    return candidate if candidate is not None and candidate.is_file() else None
