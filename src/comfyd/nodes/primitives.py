"""Primitive value nodes (`PrimitiveInt`, `PrimitiveString`, ...): a widget whose value is the output.

ComfyUI defines them as V3 nodes in `comfy_extras.nodes_primitive`; the input options below are
what its V3 layer renders for `/object_info`, so the frontend draws the same widgets.
"""

from __future__ import annotations

import sys
from typing import Any


class _Primitive:
    """Shared shape: one input called `value`, returned unchanged as the only output."""

    FUNCTION = "execute"
    CATEGORY = "utils/primitive"

    def execute(self, value: Any) -> tuple[Any]:
        return (value,)


class PrimitiveString(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("STRING", {"multiline": False})}}

    RETURN_TYPES = ("STRING",)


class PrimitiveStringMultiline(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("STRING", {"multiline": True})}}

    RETURN_TYPES = ("STRING",)


class PrimitiveInt(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "value": ("INT", {"min": -sys.maxsize, "max": sys.maxsize, "control_after_generate": True})
            }
        }

    RETURN_TYPES = ("INT",)


class PrimitiveFloat(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("FLOAT", {"min": -sys.maxsize, "max": sys.maxsize})}}

    RETURN_TYPES = ("FLOAT",)


class PrimitiveBoolean(_Primitive):
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"value": ("BOOLEAN", {})}}

    RETURN_TYPES = ("BOOLEAN",)
