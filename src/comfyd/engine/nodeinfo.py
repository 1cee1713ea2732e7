"""The `/object_info` catalogue: each node class described in ComfyUI's JSON shape.

`node_info` renders one V1 class exactly as ComfyUI's server does; `object_info_json` serialises
the whole catalogue once and then serves the same bytes until the registry changes or
`invalidate()` is called (say, after model files appear that COMBO inputs list).
"""

from __future__ import annotations

import json
import logging
import weakref
from dataclasses import dataclass
from typing import Any

from comfyd.engine.registry import NodeRegistry

logger = logging.getLogger(__name__)

__all__ = ["invalidate", "node_info", "object_info", "object_info_json"]


def node_info(registry: NodeRegistry, class_type: str) -> dict[str, Any]:
    """The object_info entry of one class; raises `KeyError` for an unknown `class_type`.

    `input` is what `INPUT_TYPES()` returns, untouched (its tuples become lists when encoded);
    the output fields are lists. Keys appear in ComfyUI's order, and the optional ones
    (`output_tooltips`, `deprecated`, `experimental`, `api_node`) only when ComfyUI sends them.
    """
    # TODO: V3 classes (comfy_api.latest.io.ComfyNode) describe themselves with their own fixed
    # shape (`GET_NODE_INFO_V1`); route them there once the loader registers V3 packs.
    cls = registry.classes[class_type]
    inputs = cls.INPUT_TYPES()
    outputs = _as_list(cls.RETURN_TYPES)
    info: dict[str, Any] = {
        "input": inputs,
        "input_order": {section: list(declared) for section, declared in inputs.items()},
        "output": outputs,
        "output_is_list": _as_list(getattr(cls, "OUTPUT_IS_LIST", [False] * len(outputs))),
        "output_name": _as_list(getattr(cls, "RETURN_NAMES", outputs)),
        "name": class_type,
        "display_name": registry.display_names.get(class_type, class_type),
        "description": getattr(cls, "DESCRIPTION", ""),
        "python_module": registry.python_modules.get(class_type, "nodes"),
        "category": getattr(cls, "CATEGORY", "sd"),
        "output_node": _is_true(getattr(cls, "OUTPUT_NODE", False)),
    }
    info.update(_optional_fields(cls))
    return info


def _as_list(value: Any) -> Any:
    # Only sequences become lists: a pack's `RETURN_TYPES = ("IMAGE")` is a plain string, and
    # ComfyUI sends it as one, so the frontend sees the same mistake it always has.
    return list(value) if isinstance(value, tuple | list) else value


def _is_true(value: Any) -> bool:
    # ComfyUI tests `OUTPUT_NODE == True`, so `1` counts and a truthy string does not.
    return bool(value == True)  # noqa: E712


def _optional_fields(cls: type) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if hasattr(cls, "OUTPUT_TOOLTIPS"):
        fields["output_tooltips"] = cls.OUTPUT_TOOLTIPS
    if getattr(cls, "DEPRECATED", False):
        fields["deprecated"] = True
    if getattr(cls, "EXPERIMENTAL", False):
        fields["experimental"] = True
    if hasattr(cls, "API_NODE"):
        fields["api_node"] = cls.API_NODE
    # Later ComfyUI always sends search_aliases; the frontend's node search indexes it.
    fields["search_aliases"] = getattr(cls, "SEARCH_ALIASES", [])
    return fields


def object_info(registry: NodeRegistry) -> dict[str, dict[str, Any]]:
    """Every class's entry; a class whose description raises is logged and left out."""
    catalogue = {}
    for class_type in list(registry.classes):
        info = _node_info_or_none(registry, class_type)
        if info is not None:
            catalogue[class_type] = info
    return catalogue


def _node_info_or_none(registry: NodeRegistry, class_type: str) -> dict[str, Any] | None:
    try:
        return node_info(registry, class_type)
    except Exception:
        # INPUT_TYPES is pack code (it often lists files); one broken node must not empty the
        # catalogue, which is what ComfyUI guards against too.
        logger.exception("Cannot describe node '%s' for object_info; it is left out.", class_type)
        return None


@dataclass(frozen=True)
class _Cached:
    registry: weakref.ref[NodeRegistry]
    revision: int
    generation: int
    stamp: Any
    body: bytes


_cache: dict[int, _Cached] = {}
_generation = 0


def object_info_json(registry: NodeRegistry, stamp: Any = None) -> bytes:
    """The whole catalogue as JSON bytes, built once per registry revision (and `stamp`).

    `stamp` is whatever identifies the file lists the catalogue embeds (the server passes
    `FolderPaths.listing_stamp()`); a different stamp rebuilds.

    The revision and generation are read before building, so a registry that changes (or an
    `invalidate()` that lands) while the JSON is being built leaves a stale entry that the
    next call rebuilds, never a stale entry that looks fresh.
    """
    key, revision, generation = id(registry), registry.revision, _generation
    cached = _cache.get(key)
    if cached is not None and cached.stamp == stamp and _is_fresh(cached, registry):
        return cached.body
    body = _serialise(registry)
    # The weakref callback drops the entry when the registry goes, so a new registry that
    # reuses the id never finds it (the identity check in `_is_fresh` also guards against that).
    ref = weakref.ref(registry, lambda _ref, key=key: _cache.pop(key, None))
    _cache[key] = _Cached(ref, revision, generation, stamp, body)
    return body


def _is_fresh(cached: _Cached, registry: NodeRegistry) -> bool:
    return (
        cached.registry() is registry
        and cached.revision == registry.revision
        and cached.generation == _generation
    )


def invalidate() -> None:
    """Make the next `object_info_json` call rebuild, e.g. after the model folders change."""
    global _generation
    _generation += 1
    _cache.clear()


def _serialise(registry: NodeRegistry) -> bytes:
    """Encode node by node, so one node with a value JSON cannot encode is left out alone."""
    parts = []
    for class_type, info in object_info(registry).items():
        encoded = _encode_or_none(class_type, info)
        if encoded is not None:
            parts.append(f"{json.dumps(class_type)}: {encoded}")
    return ("{" + ", ".join(parts) + "}").encode()


def _encode_or_none(class_type: str, info: dict[str, Any]) -> str | None:
    try:
        return json.dumps(info)
    except (TypeError, ValueError):
        logger.exception("Cannot encode node '%s' as JSON for object_info; it is left out.", class_type)
        return None
