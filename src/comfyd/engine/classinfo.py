"""`ClassInfo`: per-run memo of what the engine asks node classes over and over.

`INPUT_TYPES()` may scan folders (LoadImage lists the input folder), so it is called once per
class per run rather than once per node visit.
"""

from __future__ import annotations

import inspect
from typing import Any

from comfyd.engine.registry import NodeRegistry


class ClassInfo:
    def __init__(self, registry: NodeRegistry) -> None:
        self.registry = registry
        self._input_types: dict[str, dict[str, dict[str, Any]]] = {}
        self._is_async: dict[str, bool] = {}

    def class_def(self, class_type: str) -> type:
        return self.registry.classes[class_type]

    def input_types(self, class_type: str) -> dict[str, dict[str, Any]]:
        found = self._input_types.get(class_type)
        if found is None:
            found = self._input_types[class_type] = self.class_def(class_type).INPUT_TYPES()
        return found

    def is_output(self, class_type: str) -> bool:
        return getattr(self.class_def(class_type), "OUTPUT_NODE", False) is True

    def is_async(self, class_type: str) -> bool:
        found = self._is_async.get(class_type)
        if found is None:
            class_def = self.class_def(class_type)
            func = getattr(class_def, class_def.FUNCTION, None)
            found = self._is_async[class_type] = inspect.iscoroutinefunction(func)
        return found
