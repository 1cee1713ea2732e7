"""`/ws` message encoding: JSON text messages and ComfyUI's binary frames.

Binary frames start with a big-endian uint32 event type:
1 = preview image (`uint32 format` 1 JPEG / 2 PNG, then the bytes), 3 = progress text
(`uint32 len` + node id, or with metadata `uint32 len` + prompt id first, then the text),
4 = preview with metadata (`uint32 json_len`, the JSON, then the image bytes).
"""

from __future__ import annotations

import io
import json
import struct
from typing import Any

from PIL import Image, ImageOps

PREVIEW_IMAGE = 1
TEXT = 3
PREVIEW_IMAGE_WITH_METADATA = 4

_FORMATS = {"JPEG": (1, "image/jpeg"), "PNG": (2, "image/png")}


def text_message(kind: str, data: Any) -> str:
    return json.dumps({"type": kind, "data": data}, separators=(",", ":"), default=str)


def encode_image(image: Any, image_type: str, max_size: int | None) -> bytes:
    """A preview as JPEG (quality 95) or PNG (fast compression), fitted into `max_size`."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"A preview must be a PIL image, not {type(image).__name__}")
    if max_size:
        image = ImageOps.contain(image, (max_size, max_size))
    buffer = io.BytesIO()
    if image_type == "PNG":
        image.save(buffer, format="PNG", compress_level=1)
    else:
        image.convert("RGB").save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def preview_frame(image_bytes: bytes, image_type: str) -> bytes:
    code = _FORMATS.get(image_type, _FORMATS["JPEG"])[0]
    return struct.pack(">II", PREVIEW_IMAGE, code) + image_bytes


def preview_with_metadata_frame(image_bytes: bytes, image_type: str, metadata: dict[str, Any]) -> bytes:
    meta = dict(metadata, image_type=_FORMATS.get(image_type, _FORMATS["JPEG"])[1])
    encoded = json.dumps(meta, separators=(",", ":")).encode()
    return struct.pack(">II", PREVIEW_IMAGE_WITH_METADATA, len(encoded)) + encoded + image_bytes


def progress_text_frame(node_id: str, text: str, prompt_id: str | None = None) -> bytes:
    """A TEXT frame; with `prompt_id` in the layout clients that asked for metadata expect."""
    node = node_id.encode()
    head = struct.pack(">I", TEXT)
    if prompt_id is not None:
        prompt = prompt_id.encode()
        head += struct.pack(">I", len(prompt)) + prompt
    return head + struct.pack(">I", len(node)) + node + text.encode()
