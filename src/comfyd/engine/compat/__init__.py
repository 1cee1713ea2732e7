"""ComfyUI's importable names (`comfy`, `comfy_execution`, `comfy_api`, `folder_paths`) for node packs.

Each top-level module or package in this folder stands in for the ComfyUI module of the same
name. `install()` registers them in `sys.modules` under those names, so a pack's
`from comfy_execution.graph import ExecutionBlocker` gets the very class the engine checks for.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sys
from collections.abc import Iterator
from types import ModuleType

logger = logging.getLogger(__name__)

__all__ = ["install"]


def install() -> list[str]:
    """Make ComfyUI's module names import comfyd's compatibility modules; returns the names served.

    A top-level name that Python can import from somewhere else (a real ComfyUI on `sys.path`,
    say) is left alone: packs then get that module, as they would under ComfyUI. Every module
    here is imported now and aliased under its ComfyUI name (`comfy.utils` is
    `comfyd.engine.compat.comfy.utils`), so there is never a second copy of a class. Calling it
    again is harmless.
    """
    served = []
    for root in _top_level_names():
        if _is_ours(sys.modules.get(root)) or not _importable_elsewhere(root):
            if _alias_tree(root):
                served.append(root)
        else:
            logger.info("Not providing '%s': it is importable from %s.", root, _origin(root))
    return served


def _top_level_names() -> Iterator[str]:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            yield info.name


def _is_ours(module: ModuleType | None) -> bool:
    return module is not None and module.__name__.startswith(f"{__name__}.")


def _importable_elsewhere(root: str) -> bool:
    if root in sys.modules:
        return True
    try:
        return importlib.util.find_spec(root) is not None
    except (ImportError, ValueError):
        # A broken module of that name still belongs to someone else; do not shadow it.
        return True


def _origin(root: str) -> str:
    module = sys.modules.get(root)
    if module is not None:
        return str(getattr(module, "__file__", None) or module)
    try:
        return str(getattr(importlib.util.find_spec(root), "origin", "?"))
    except (ImportError, ValueError):
        return "?"


def _alias_tree(root: str) -> bool:
    """Import `root` and everything under it, and alias each module under its ComfyUI name."""
    ours = f"{__name__}.{root}"
    module = _import_or_warn(ours)
    if module is None:
        return False
    sys.modules[root] = module
    for submodule_name in _submodule_names(module):
        submodule = _import_or_warn(submodule_name)
        if submodule is not None:
            sys.modules[root + submodule_name.removeprefix(ours)] = submodule
    return True


def _submodule_names(package: ModuleType) -> list[str]:
    if not hasattr(package, "__path__"):
        return []
    prefix = f"{package.__name__}."
    return [info.name for info in pkgutil.walk_packages(package.__path__, prefix, onerror=_ignore)]


def _ignore(name: str) -> None:
    """Subpackages that fail to import are reported by `_import_or_warn`, not by the walk."""


def _import_or_warn(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        # A stand-in that cannot load yet must not stop the server; packs that need it fail
        # with their own ImportError and are reported by the loader.
        logger.warning("Compatibility module %s is unavailable: %s", name, exc)
        return None
