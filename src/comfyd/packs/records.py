"""What an installed pack's folder says about where it came from.

comfyd writes two files into every pack it installs:

* `.comfyd-pack.json`, its own record (`InstallRecord`): the pack id, version, version id and the
  registry it came from. `comfyd nodes uninstall` removes only folders that have one.
* `.tracking`, ComfyUI-Manager's marker for a pack installed from the registry: the extracted
  files, one a line. With the pack's `pyproject.toml` it makes Manager treat the folder as a
  registry ("cnr") install of `project.version`, so both tools see the same packs.

`installed_packs` lists a `custom_nodes` folder, recognising either marker.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

RECORD_FILE = ".comfyd-pack.json"
TRACKING_FILE = ".tracking"


@dataclass(frozen=True)
class InstallRecord:
    """One install by comfyd. `installed_at` is UTC, RFC 3339."""

    id: str
    version: str
    version_id: str
    registry: str
    installed_at: str

    @classmethod
    def now(cls, *, pack_id: str, version: str, version_id: str, registry: str) -> InstallRecord:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(id=pack_id, version=version, version_id=version_id, registry=registry, installed_at=stamp)


@dataclass(frozen=True)
class InstalledPack:
    """A folder in `custom_nodes`, and who installed it: `comfyd`, `ComfyUI-Manager` (its
    `.tracking` marker) or `other` (cloned or copied by hand). `version` is from the record,
    else from `pyproject.toml`, else "" when unknown."""

    name: str
    path: Path
    version: str
    installed_by: str
    registry: str = ""

    @property
    def is_comfyd_install(self) -> bool:
        return self.installed_by == "comfyd"


def write_markers(folder: Path, record: InstallRecord, files: Iterable[str]) -> None:
    """Write both markers into a freshly extracted pack folder."""
    _write_new(folder / RECORD_FILE, json.dumps(asdict(record), indent=2) + "\n")
    _write_new(folder / TRACKING_FILE, "\n".join(files))


def read_record(folder: Path) -> InstallRecord | None:
    """The folder's comfyd record, or None when it has none (or one that cannot be read)."""
    path = folder / RECORD_FILE
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return InstallRecord(**{key: str(data[key]) for key in InstallRecord.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def describe(folder: Path) -> InstalledPack:
    record = read_record(folder)
    if record is not None:
        return InstalledPack(folder.name, folder, record.version, "comfyd", record.registry)
    manager = (folder / TRACKING_FILE).is_file()
    return InstalledPack(
        folder.name, folder, _project_version(folder), "ComfyUI-Manager" if manager else "other"
    )


def installed_packs(custom_nodes: Path) -> list[InstalledPack]:
    """Every pack folder in `custom_nodes`, by name; hidden and `.disabled` ones are skipped, as
    the loader skips them."""
    if not custom_nodes.is_dir():
        return []
    folders = [
        entry
        for entry in sorted(custom_nodes.iterdir(), key=lambda entry: entry.name.lower())
        if entry.is_dir()
        and not entry.name.startswith(".")
        and entry.name != "__pycache__"
        and not entry.name.endswith(".disabled")
    ]
    return [describe(folder) for folder in folders]


def _project_version(folder: Path) -> str:
    try:
        with open(folder / "pyproject.toml", "rb") as source:
            project = tomllib.load(source).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    version = project.get("version") if isinstance(project, dict) else None
    return str(version) if version else ""


def _write_new(path: Path, text: str) -> None:
    # The pack's own archive may hold a file of the same name; ours replaces it, never through a link.
    if path.is_symlink() or path.exists():
        path.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with open(os.open(path, flags, 0o644), "w", encoding="utf-8") as out:
        out.write(text)
