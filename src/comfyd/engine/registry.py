"""The node registry: which node classes exist, under which names, from which pack.

A registry is built once (built-in nodes, then packs from the loader) and read by validation,
execution and the `object_info` catalogue. Built-in class names cannot be overridden by a pack,
as in ComfyUI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INPUT_CATEGORIES = ("required", "optional", "hidden")


@dataclass(frozen=True)
class PackFailure:
    """A node pack that could not be loaded, and why."""

    name: str
    path: Path
    error: str


@dataclass
class NodeRegistry:
    """Node classes by class name, with the facts `object_info` needs about each one.

    `revision` grows whenever the node set changes, so catalogue caches know when to rebuild.
    """

    classes: dict[str, type] = field(default_factory=dict)
    display_names: dict[str, str] = field(default_factory=dict)
    python_modules: dict[str, str] = field(default_factory=dict)
    web_directories: dict[str, Path] = field(default_factory=dict)
    failures: list[PackFailure] = field(default_factory=list)
    import_seconds: dict[str, float] = field(default_factory=dict)
    revision: int = 0

    def __contains__(self, class_type: object) -> bool:
        return class_type in self.classes

    def get(self, class_type: str) -> type | None:
        return self.classes.get(class_type)

    def register(
        self,
        mappings: dict[str, type],
        *,
        display_names: dict[str, str] | None = None,
        python_module: str = "nodes",
        overwrite: bool = True,
    ) -> list[str]:
        """Add node classes; returns the names added. With `overwrite=False` existing names win."""
        added = []
        for name, cls in mappings.items():
            if not overwrite and name in self.classes:
                continue
            self.classes[name] = cls
            self.python_modules[name] = python_module
            added.append(name)
        for name, title in (display_names or {}).items():
            if name in added:
                self.display_names[name] = title
        if added:
            self.revision += 1
        return added


def input_types(class_def: type) -> dict[str, dict[str, Any]]:
    """The class's `INPUT_TYPES()` result."""
    return class_def.INPUT_TYPES()


def input_info(
    class_def: type, input_name: str, valid_inputs: dict[str, dict[str, Any]] | None = None
) -> tuple[Any, str | None, dict[str, Any] | None]:
    """Return `(input_type, category, options)` for one declared input, or `(None, None, None)`.

    `category` is "required", "optional" or "hidden". For hidden inputs the type is the hidden
    kind ("PROMPT", "UNIQUE_ID", ...) and there are no options.
    """
    valid_inputs = input_types(class_def) if valid_inputs is None else valid_inputs
    for category in INPUT_CATEGORIES:
        section = valid_inputs.get(category)
        if section and input_name in section:
            spec = section[input_name]
            if category == "hidden":
                return spec, category, None
            options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
            return spec[0], category, options
    return None, None, None
