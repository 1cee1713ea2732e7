"""Loading custom node packs from `custom_nodes`-style folders into a `NodeRegistry`.

A pack is a `*.py` file or a folder with an `__init__.py`. Each one is imported as the package
`custom_nodes.<name>`, so relative imports inside it work and two packs can both have a
`utils.py`. A pack that fails to import, or declares its nodes wrongly, is logged and recorded in
`registry.failures`; start-up goes on without it.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from comfyd.engine import compat
from comfyd.engine.registry import NodeRegistry, PackFailure

logger = logging.getLogger(__name__)

PARENT_PACKAGE = "custom_nodes"
"""The package every pack is imported under; `python_module` in object_info starts with it."""


@dataclass(frozen=True)
class LoadedPack:
    """A pack whose node classes were registered (possibly none, for a web-only pack)."""

    name: str
    path: Path
    python_module: str
    node_names: tuple[str, ...]
    seconds: float
    web_directory: Path | None


@dataclass(frozen=True)
class _Attempt:
    path: Path
    seconds: float
    succeeded: bool


def load_packs(
    registry: NodeRegistry,
    directories: Iterable[Path],
    *,
    disabled: bool = False,
    whitelist: Iterable[str] = (),
) -> list[LoadedPack]:
    """Import every pack in `directories` and register its nodes; returns the packs loaded.

    Packs never replace a name already registered (built-in nodes are registered first, so
    packs cannot override them; between packs the first one wins). With `disabled=True` only
    the packs named in `whitelist` (by folder or file name) are loaded, like ComfyUI's
    `--disable-all-custom-nodes --whitelist-custom-nodes`. Every attempted pack's import time
    goes to `registry.import_seconds`, failed ones included.
    """
    compat.install()
    _ensure_parent_package()
    loaded: list[LoadedPack] = []
    attempts: list[_Attempt] = []
    for path in _selected_paths(_pack_paths(directories), disabled, set(whitelist)):
        name = _pack_name(path)
        started = time.perf_counter()
        node_names = _load_pack(registry, name, path)
        seconds = registry.import_seconds[name] = time.perf_counter() - started
        attempts.append(_Attempt(path, seconds, node_names is not None))
        if node_names is not None:
            web_directory = registry.web_directories.get(name)
            loaded.append(LoadedPack(name, path, _python_module(name), node_names, seconds, web_directory))
    _log_import_times(attempts)
    return loaded


def _selected_paths(paths: list[Path], disabled: bool, whitelist: set[str]) -> Iterator[Path]:
    """The packs to load: whitelisted ones when packs are disabled, and one pack per name."""
    seen: set[str] = set()
    for path in paths:
        name = _pack_name(path)
        if disabled and not whitelist & {name, path.name}:
            logger.info("Skipping %s: custom nodes are disabled and it is not whitelisted.", path.name)
        elif name in seen:
            logger.warning("Skipping %s: a pack named '%s' was already loaded.", path, name)
        else:
            seen.add(name)
            yield path


def _pack_paths(directories: Iterable[Path]) -> list[Path]:
    """The entries of each folder that can be packs, in name order for a stable load order."""
    paths = []
    for directory in map(Path, directories):
        if not directory.is_dir():
            logger.warning("Custom node folder %s does not exist; skipped.", directory)
            continue
        paths.extend(entry for entry in sorted(directory.iterdir()) if _is_pack_entry(entry))
    return paths


def _is_pack_entry(entry: Path) -> bool:
    if entry.name.startswith(".") or entry.name == "__pycache__" or entry.name.endswith(".disabled"):
        return False
    if entry.is_dir():
        if (entry / "__init__.py").is_file():
            return True
        logger.warning("Custom node folder %s has no __init__.py; skipped.", entry)
        return False
    return entry.suffix == ".py"


def _pack_name(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def _load_pack(registry: NodeRegistry, name: str, path: Path) -> tuple[str, ...] | None:
    """Import one pack and register its nodes; their names, or `None` if it was skipped or failed."""
    try:
        module = _import_pack(name, path)
        mappings = _node_mappings(module)
        _register_web_directory(registry, name, path, module)
    except (Exception, SystemExit) as exc:
        # A pack is third-party code run at start-up: whatever it raises (some call sys.exit
        # when a dependency is missing) is that pack's failure, never the server's.
        _record_failure(registry, name, path, exc)
        return None
    setattr(sys.modules[PARENT_PACKAGE], module.__name__.rpartition(".")[2], module)
    if mappings is None:
        logger.warning("Skipping %s: it defines no NODE_CLASS_MAPPINGS.", path)
        return None
    return _register_nodes(registry, name, module, mappings)


def _import_pack(name: str, path: Path) -> ModuleType:
    """Import the pack at `path` as `custom_nodes.<name>`, forgetting any earlier copy first."""
    module_name = _module_name(name)
    _forget_modules(module_name)
    if path.is_dir():
        spec = importlib.util.spec_from_file_location(
            module_name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"Cannot make an import spec for {path}.")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as importlib does, so the pack's relative imports find it.
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _python_module(name: str) -> str:
    return f"{PARENT_PACKAGE}.{name}"


def _module_name(name: str) -> str:
    # A dot in a folder name would read as a package boundary; ComfyUI swaps it the same way.
    return f"{PARENT_PACKAGE}.{name.replace('.', '_x_')}"


def _forget_modules(module_name: str) -> None:
    for key in [key for key in sys.modules if key == module_name or key.startswith(f"{module_name}.")]:
        del sys.modules[key]


def _ensure_parent_package() -> None:
    """Give packs a `custom_nodes` parent package, so `custom_nodes.<pack>.x` imports resolve.

    Its `__path__` is empty on purpose: only packs the loader imported are reachable through
    it, never a disabled one that happens to sit in the same folder.
    """
    if PARENT_PACKAGE not in sys.modules:
        parent = ModuleType(PARENT_PACKAGE, "Custom node packs loaded by comfyd.")
        parent.__path__ = []
        sys.modules[PARENT_PACKAGE] = parent


def _node_mappings(module: ModuleType) -> dict[str, type] | None:
    """The pack's `NODE_CLASS_MAPPINGS`, checked; `None` when it declares no nodes at all."""
    mappings = getattr(module, "NODE_CLASS_MAPPINGS", None)
    if mappings is None and hasattr(module, "comfy_entrypoint"):
        # TODO: load V3 packs (comfy_entrypoint -> ComfyExtension.get_node_list) once the V3
        # schema exists in comfy_api.latest; until then they are reported, not silently lost.
        raise NotImplementedError("V3 node packs (comfy_entrypoint) are not supported yet.")
    if mappings is None:
        return None
    if not isinstance(mappings, dict):
        raise TypeError(f"NODE_CLASS_MAPPINGS is a {type(mappings).__name__}, not a dict.")
    wrong = [
        repr(key) for key, cls in mappings.items() if not isinstance(key, str) or not isinstance(cls, type)
    ]
    if wrong:
        raise TypeError(f"NODE_CLASS_MAPPINGS entries must map names to classes: {', '.join(wrong)}.")
    return mappings


def _display_names(module: ModuleType) -> dict[str, str]:
    names = getattr(module, "NODE_DISPLAY_NAME_MAPPINGS", None)
    if names is None:
        return {}
    if not isinstance(names, dict):
        logger.warning("Ignoring NODE_DISPLAY_NAME_MAPPINGS of %s: it is not a dict.", module.__name__)
        return {}
    return names


def _register_nodes(
    registry: NodeRegistry, name: str, module: ModuleType, mappings: dict[str, type]
) -> tuple[str, ...]:
    added = registry.register(
        mappings, display_names=_display_names(module), python_module=_python_module(name), overwrite=False
    )
    ignored = [node for node in mappings if node not in added]
    if ignored:
        logger.warning(
            "Pack %s: ignored node(s) %s, whose names are already registered.", name, ", ".join(ignored)
        )
    return tuple(added)


def _record_failure(registry: NodeRegistry, name: str, path: Path, exc: BaseException) -> None:
    _forget_modules(_module_name(name))
    error = f"{type(exc).__name__}: {exc}"
    registry.failures.append(PackFailure(name, path, error))
    logger.warning("Cannot import %s module for custom nodes: %s", path, error, exc_info=exc)


def _register_web_directory(registry: NodeRegistry, name: str, path: Path, module: ModuleType) -> None:
    """Register the pack's front-end folder: `WEB_DIRECTORY`, else pyproject's `[tool.comfy] web`."""
    base = path if path.is_dir() else path.parent
    declared = getattr(module, "WEB_DIRECTORY", None) or (_pyproject_web(path) if path.is_dir() else None)
    if not declared:
        return
    web_directory = (base / str(declared)).resolve()
    if web_directory.is_dir():
        registry.web_directories[name] = web_directory
    else:
        logger.warning("Pack %s declares web folder %s, which does not exist.", name, web_directory)


def _pyproject_web(pack_dir: Path) -> str | None:
    pyproject = pack_dir / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        logger.warning("Cannot read %s: %s", pyproject, exc)
        return None
    tool = config.get("tool")
    comfy = tool.get("comfy") if isinstance(tool, dict) else None
    web = comfy.get("web") if isinstance(comfy, dict) else None
    return web if isinstance(web, str) else None


def _log_import_times(attempts: list[_Attempt]) -> None:
    """Log ComfyUI's "Import times for custom nodes" summary, slowest last."""
    if not attempts:
        return
    lines = [
        f"{attempt.seconds:6.1f} seconds{'' if attempt.succeeded else ' (IMPORT FAILED)'}: {attempt.path}"
        for attempt in sorted(attempts, key=lambda attempt: attempt.seconds)
    ]
    logger.info("Import times for custom nodes:\n%s", "\n".join(lines))
