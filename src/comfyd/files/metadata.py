"""Reading the `__metadata__` a safetensors file carries in its JSON header, without loading tensors."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

# ComfyUI reads at most 1 MiB of header for `/view_metadata`; a larger one is treated as absent.
MAX_HEADER_BYTES = 1024 * 1024


def safetensors_metadata(path: Path, *, max_header_bytes: int = MAX_HEADER_BYTES) -> Any | None:
    """The header's `__metadata__` value, or `None` when there is none or the header is unusable.

    A header longer than `max_header_bytes`, cut short, or not a JSON object counts as unusable:
    the file is someone's model, and a broken one should read as "no metadata", not as an error.
    """
    with open(path, "rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            return None
        (length,) = struct.unpack("<Q", prefix)
        if length > max_header_bytes:
            return None
        header = file.read(length)
    if len(header) < length:
        return None
    try:
        parsed = json.loads(header)
    except ValueError:
        return None
    return parsed.get("__metadata__") if isinstance(parsed, dict) else None
