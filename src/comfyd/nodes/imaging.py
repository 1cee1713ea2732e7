"""Helpers the image nodes share: tensor/Pillow conversion, resizing, batch and channel matching.

IMAGE tensors are float32 `[B, H, W, C]` in 0..1 and MASK tensors `[B, H, W]`, as ComfyUI passes
them; `resize` works on `[B, C, H, W]`, like `comfy.utils.common_upscale`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

MAX_RESOLUTION = 16384
UPSCALE_METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]
CROP_METHODS = ["disabled", "center"]


def to_pil(image: torch.Tensor) -> Image.Image:
    """One `[H, W, C]` image as an 8-bit Pillow image (values clipped, then truncated)."""
    array = np.clip(255.0 * image.detach().cpu().float().numpy(), 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return Image.fromarray(array)


def from_pil(image: Image.Image) -> torch.Tensor:
    """A Pillow image as one float `[H, W, C]` (or `[H, W]` for single-band) tensor in 0..1."""
    return torch.from_numpy(np.array(image).astype(np.float32) / 255.0)


def resize(
    samples: torch.Tensor, width: int, height: int, method: str, crop: str = "disabled"
) -> torch.Tensor:
    """Resize `[B, C, H, W]` to `height` x `width`, first cropping to the target aspect if `crop` is "center".

    "lanczos" goes through Pillow (8-bit, as ComfyUI does); the others are `F.interpolate` modes.
    """
    if crop == "center":
        samples = center_crop_to_aspect(samples, width / height)
    if method == "lanczos":
        return _lanczos(samples, width, height)
    return F.interpolate(samples, size=(height, width), mode=method)


def center_crop_to_aspect(samples: torch.Tensor, aspect: float) -> torch.Tensor:
    """The centred part of `[..., H, W]` with width/height `aspect` (rounded as ComfyUI rounds)."""
    old_height, old_width = samples.shape[-2], samples.shape[-1]
    old_aspect = old_width / old_height
    x = y = 0
    if old_aspect > aspect:
        x = round((old_width - old_width * (aspect / old_aspect)) / 2)
    elif old_aspect < aspect:
        y = round((old_height - old_height * (old_aspect / aspect)) / 2)
    return samples.narrow(-2, y, old_height - 2 * y).narrow(-1, x, old_width - 2 * x)


def _lanczos(samples: torch.Tensor, width: int, height: int) -> torch.Tensor:
    frames = []
    for frame in samples:
        resized = to_pil(frame.movedim(0, -1)).resize((width, height), resample=Image.Resampling.LANCZOS)
        pixels = from_pil(resized)
        frames.append(pixels.unsqueeze(0) if pixels.ndim == 2 else pixels.movedim(-1, 0))
    return torch.stack(frames).to(samples.device, samples.dtype)


def repeat_to_batch_size(tensor: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Trim or tile `tensor` along dim 0 to exactly `batch_size` entries."""
    if tensor.shape[0] > batch_size:
        return tensor[:batch_size]
    if tensor.shape[0] < batch_size:
        repeats = [math.ceil(batch_size / tensor.shape[0])] + [1] * (tensor.ndim - 1)
        return tensor.repeat(repeats)[:batch_size]
    return tensor


def match_channels(first: torch.Tensor, second: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Give two `[..., C]` images the channel count of `first` (RGB vs RGBA).

    A wider `second` loses its extra channels; a narrower one gains an opaque alpha channel.
    ComfyUI's `image_alpha_fix` pads `first` in that second case, which leaves the two shapes
    still unequal and fails later; padding `second` is what that helper evidently means.
    """
    if second.shape[-1] > first.shape[-1]:
        return first, second[..., : first.shape[-1]]
    if second.shape[-1] < first.shape[-1]:
        second = F.pad(second, (0, first.shape[-1] - second.shape[-1]), value=1.0)
    return first, second
