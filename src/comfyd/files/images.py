"""The Pillow work behind the file routes: `/view` previews and channels, `/upload/mask` compositing.

Each function reads from a path or an open file and returns encoded bytes; decoding failures come
back as `UnreadableImage`, so a request that points at a non-image gets a 400 and not a 500.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from comfyd.files.errors import InvalidFileRequest, UnreadableImage

PREVIEW_FORMATS = ("webp", "jpeg")
DEFAULT_QUALITY = 90


@dataclass(frozen=True)
class Rendition:
    """An image re-encoded for the client, with the type to send it as."""

    data: bytes
    media_type: str


def render(path: Path, *, preview: str | None, channel: str | None) -> Rendition | None:
    """What `/view` sends for `preview`/`channel`; `None` when the file itself is served as is.

    `preview="webp;90"` or `"jpeg;80"` re-encodes (webp when the format is unknown or the channel
    asks for alpha); `channel="rgb"` drops the alpha and `"a"` keeps only the alpha, both as PNG.
    Any other channel, `rgba` included, means the raw file.
    """
    if preview is not None:
        return _preview(path, preview, channel or "")
    if channel == "rgb":
        return _png(path, lambda image: image.convert("RGB"))
    if channel == "a":
        return _png(path, _alpha_only)
    return None


def apply_mask_alpha(original: Path, mask: BinaryIO) -> bytes:
    """`original` as a PNG whose alpha is the mask's alpha, keeping the original's PNG text chunks.

    The mask must have the original's size (`InvalidFileRequest` otherwise); mask images without
    alpha count as fully opaque.
    """
    with _opened(original, original.name) as image:
        text = dict(getattr(image, "text", {}))
        composite = image.convert("RGBA")
    with _opened(mask, "mask") as mask_image:
        alpha = mask_image.convert("RGBA").getchannel("A")
    if alpha.size != composite.size:
        raise InvalidFileRequest(
            f"The mask is {alpha.width}x{alpha.height} but {original.name!r} is "
            f"{composite.width}x{composite.height}; they must match."
        )
    composite.putalpha(alpha)
    info = PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    buffer = BytesIO()
    composite.save(buffer, format="PNG", compress_level=4, pnginfo=info)
    return buffer.getvalue()


def _preview(path: Path, preview: str, channel: str) -> Rendition:
    parts = preview.split(";")
    image_format = parts[0] if parts[0] in PREVIEW_FORMATS and "a" not in channel else "webp"
    quality = min(int(parts[-1]), 100) if parts[-1].isdigit() else DEFAULT_QUALITY
    with _opened(path, path.name) as image:
        if image_format == "jpeg" or channel == "rgb":
            image = image.convert("RGB")
        buffer = BytesIO()
        image.save(buffer, format=image_format, quality=quality)
    return Rendition(buffer.getvalue(), f"image/{image_format}")


def _png(path: Path, transform) -> Rendition:
    with _opened(path, path.name) as image:
        buffer = BytesIO()
        transform(image).save(buffer, format="PNG")
    return Rendition(buffer.getvalue(), "image/png")


def _alpha_only(image: Image.Image) -> Image.Image:
    """A black RGBA image carrying `image`'s alpha (opaque when it has none), as ComfyUI sends it."""
    if "A" in image.getbands():
        alpha = image.getchannel("A")
    elif image.has_transparency_data:
        alpha = image.convert("RGBA").getchannel("A")
    else:
        alpha = Image.new("L", image.size, 255)
    result = Image.new("RGBA", image.size)
    result.putalpha(alpha)
    return result


@contextlib.contextmanager
def _opened(source: Path | BinaryIO, name: str) -> Iterator[Image.Image]:
    """`Image.open`, with Pillow's decoding errors (raised on open or on first load) made ours."""
    try:
        with Image.open(source) as image:
            yield image
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableImage(name, str(exc) or type(exc).__name__) from exc
