"""Geometry and batching nodes on IMAGE tensors: create, scale, invert, batch, crop, pad, composite.

Each node computes what its ComfyUI namesake computes, on `[B, H, W, C]` float tensors in 0..1.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from comfyd.nodes.imaging import (
    CROP_METHODS,
    MAX_RESOLUTION,
    UPSCALE_METHODS,
    match_channels,
    repeat_to_batch_size,
    resize,
)


def _int(default: int, minimum: int, maximum: int = MAX_RESOLUTION, step: int = 1) -> tuple[str, dict]:
    return ("INT", {"default": default, "min": minimum, "max": maximum, "step": step})


class EmptyImage:
    """A batch of images filled with one colour (`0xRRGGBB`)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "width": _int(512, 1),
                "height": _int(512, 1),
                "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096}),
                "color": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFF, "step": 1, "display": "color"}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "generate"
    CATEGORY = "image"

    def generate(self, width: int, height: int, batch_size: int = 1, color: int = 0) -> tuple[torch.Tensor]:
        channels = [(color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF]
        rgb = (torch.tensor(channels, dtype=torch.float64) / 0xFF).to(torch.float32)
        return (rgb.expand(batch_size, height, width, 3).clone(),)


class ImageScale:
    """Resize to a width and height; a zero side keeps the aspect ratio, both zero is a no-op."""

    upscale_methods = UPSCALE_METHODS
    crop_methods = CROP_METHODS

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "upscale_method": (cls.upscale_methods,),
                "width": _int(512, 0),
                "height": _int(512, 0),
                "crop": (cls.crop_methods,),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "upscale"
    CATEGORY = "image/upscaling"

    def upscale(
        self, image: torch.Tensor, upscale_method: str, width: int, height: int, crop: str
    ) -> tuple[torch.Tensor]:
        if width == 0 and height == 0:
            return (image,)
        old_height, old_width = image.shape[1], image.shape[2]
        if width == 0:
            width = max(1, round(old_width * height / old_height))
        elif height == 0:
            height = max(1, round(old_height * width / old_width))
        return (resize(image.movedim(-1, 1), width, height, upscale_method, crop).movedim(1, -1),)


class ImageScaleBy:
    """Resize by a factor, rounding each side to the nearest pixel."""

    upscale_methods = UPSCALE_METHODS

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "upscale_method": (cls.upscale_methods,),
                "scale_by": ("FLOAT", {"default": 1.0, "min": 0.01, "max": 8.0, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "upscale"
    CATEGORY = "image/upscaling"

    def upscale(self, image: torch.Tensor, upscale_method: str, scale_by: float) -> tuple[torch.Tensor]:
        width, height = round(image.shape[2] * scale_by), round(image.shape[1] * scale_by)
        return (resize(image.movedim(-1, 1), width, height, upscale_method).movedim(1, -1),)


class ImageInvert:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"image": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "invert"
    CATEGORY = "image"

    def invert(self, image: torch.Tensor) -> tuple[torch.Tensor]:
        return (1.0 - image,)


class ImageBatch:
    """Concatenate two batches; the second is resized (bilinear, centre-cropped) to the first's size."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {"required": {"image1": ("IMAGE",), "image2": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "batch"
    CATEGORY = "image"

    def batch(self, image1: torch.Tensor, image2: torch.Tensor) -> tuple[torch.Tensor]:
        if image1.shape[1:] != image2.shape[1:]:
            samples = resize(image2.movedim(-1, 1), image1.shape[2], image1.shape[1], "bilinear", "center")
            image2 = samples.movedim(1, -1)
        return (torch.cat((image1, image2), dim=0),)


class ImageCrop:
    """A `width` x `height` window at (`x`, `y`), clipped to the image."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "width": _int(512, 1),
                "height": _int(512, 1),
                "x": _int(0, 0),
                "y": _int(0, 0),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "crop"
    CATEGORY = "image/transform"

    def crop(self, image: torch.Tensor, width: int, height: int, x: int, y: int) -> tuple[torch.Tensor]:
        # An origin past the edge moves to the last row/column, so the result is never empty.
        x, y = min(x, image.shape[2] - 1), min(y, image.shape[1] - 1)
        return (image[:, y : y + height, x : x + width, :],)


class ImagePadForOutpaint:
    """Pad with grey (0.5) and return a mask: 1 on the padding, a feathered ramp inside the edges."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE",),
                "left": _int(0, 0, step=8),
                "top": _int(0, 0, step=8),
                "right": _int(0, 0, step=8),
                "bottom": _int(0, 0, step=8),
                "feathering": _int(40, 0),
            }
        }

    RETURN_TYPES = ("IMAGE", "MASK")
    FUNCTION = "expand_image"
    CATEGORY = "image"

    def expand_image(
        self, image: torch.Tensor, left: int, top: int, right: int, bottom: int, feathering: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch, height, width, channels = image.shape
        padded = torch.full((batch, height + top + bottom, width + left + right, channels), 0.5)
        padded[:, top : top + height, left : left + width, :] = image
        mask = torch.ones((height + top + bottom, width + left + right), dtype=torch.float32)
        mask[top : top + height, left : left + width] = feather(
            height, width, (left, top, right, bottom), feathering
        )
        return padded, mask.unsqueeze(0)


def feather(height: int, width: int, pads: tuple[int, int, int, int], feathering: int) -> torch.Tensor:
    """The inner mask: ((f - d) / f)^2 within `f` pixels of a padded side, else 0.

    `d` is the distance to the nearest padded side; unpadded sides do not count. No ramp at all
    when the image is not more than twice the feathering in both directions, as in ComfyUI.
    """
    if feathering <= 0 or feathering * 2 >= height or feathering * 2 >= width:
        return torch.zeros((height, width), dtype=torch.float32)
    left, top, right, bottom = pads
    rows = torch.arange(height, dtype=torch.float64).unsqueeze(1).expand(height, width)
    cols = torch.arange(width, dtype=torch.float64).unsqueeze(0).expand(height, width)
    distances = [
        rows if top else torch.full_like(rows, height),
        height - rows if bottom else torch.full_like(rows, height),
        cols if left else torch.full_like(cols, width),
        width - cols if right else torch.full_like(cols, width),
    ]
    d = torch.stack(distances).amin(dim=0)
    ramp = ((feathering - d) / feathering) ** 2
    return torch.where(d < feathering, ramp, torch.zeros_like(ramp)).to(torch.float32)


class ImageCompositeMasked:
    """Paste `source` onto `destination` at (`x`, `y`), blended through an optional mask."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "destination": ("IMAGE",),
                "source": ("IMAGE",),
                "x": _int(0, 0),
                "y": _int(0, 0),
                "resize_source": ("BOOLEAN", {"default": False}),
            },
            "optional": {"mask": ("MASK",)},
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "composite"
    CATEGORY = "image"

    def composite(
        self,
        destination: torch.Tensor,
        source: torch.Tensor,
        x: int,
        y: int,
        resize_source: bool,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor]:
        destination, source = match_channels(destination, source)
        output = paste(destination.clone().movedim(-1, 1), source.movedim(-1, 1), x, y, mask, resize_source)
        return (output.movedim(1, -1),)


def paste(
    destination: torch.Tensor,
    source: torch.Tensor,
    x: int,
    y: int,
    mask: torch.Tensor | None,
    resize_source: bool,
) -> torch.Tensor:
    """Blend `source` into `destination` (both `[B, C, H, W]`) in place, with its corner at (x, y).

    The source is tiled to the destination's batch; the mask is resized to the source. Parts of
    the source that fall past the right or bottom edge are dropped.
    """
    source = source.to(destination.device)
    if resize_source:
        source = F.interpolate(source, size=destination.shape[-2:], mode="bilinear")
    source = repeat_to_batch_size(source, destination.shape[0])
    left, top = max(0, min(x, destination.shape[-1])), max(0, min(y, destination.shape[-2]))
    visible_h = min(source.shape[-2], destination.shape[-2] - top)
    visible_w = min(source.shape[-1], destination.shape[-1] - left)
    if mask is None:
        weights = torch.ones_like(source)
    else:
        flat = mask.to(destination.device).reshape(-1, 1, mask.shape[-2], mask.shape[-1])
        weights = F.interpolate(flat, size=source.shape[-2:], mode="bilinear")
        weights = repeat_to_batch_size(weights, source.shape[0])
    weights = weights[:, :, :visible_h, :visible_w]
    region = destination[:, :, top : top + visible_h, left : left + visible_w]
    blended = weights * source[:, :, :visible_h, :visible_w] + (1.0 - weights) * region
    destination[:, :, top : top + visible_h, left : left + visible_w] = blended
    return destination


class RebatchImages:
    """Regroup a list of image batches into batches of `batch_size` (the last may be smaller)."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE", {}),
                "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096}),
            }
        }

    INPUT_IS_LIST = True
    RETURN_TYPES = ("IMAGE",)
    OUTPUT_IS_LIST = (True,)
    FUNCTION = "rebatch"
    CATEGORY = "image/batch"

    def rebatch(self, images: list[torch.Tensor], batch_size: list[int]) -> tuple[list[torch.Tensor]]:
        size = batch_size[0]
        singles = [image[i : i + 1] for image in images for i in range(image.shape[0])]
        return ([torch.cat(singles[i : i + size], dim=0) for i in range(0, len(singles), size)],)
