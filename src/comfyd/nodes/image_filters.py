"""Pixel filters from ComfyUI's post-processing nodes: blur, sharpen, blend modes, palette quantizing.

These are V3 nodes in ComfyUI (`comfy_extras.nodes_post_processing`); here they use the V1
interface, with input options as ComfyUI's V3 layer renders them for `/object_info`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from comfyd.nodes.imaging import match_channels, resize

BLEND_MODES = ["normal", "multiply", "screen", "overlay", "soft_light", "difference"]
DITHER_METHODS = ["none", "floyd-steinberg", "bayer-2", "bayer-4", "bayer-8", "bayer-16"]


def gaussian_kernel(kernel_size: int, sigma: float) -> torch.Tensor:
    """A normalised 2-D Gaussian sampled on [-1, 1] (so `sigma` is relative to the radius, as in ComfyUI)."""
    axis = torch.linspace(-1, 1, kernel_size)
    x, y = torch.meshgrid(axis, axis, indexing="ij")
    weights = torch.exp(-(x * x + y * y) / (2.0 * sigma * sigma))
    return weights / weights.sum()


def convolve(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Apply one 2-D kernel to every channel of `[B, H, W, C]`, reflecting at the borders."""
    radius = kernel.shape[-1] // 2
    channels = image.shape[-1]
    weights = kernel.to(image.dtype).repeat(channels, 1, 1).unsqueeze(1)
    padded = F.pad(image.movedim(-1, 1), (radius, radius, radius, radius), mode="reflect")
    return F.conv2d(padded, weights, groups=channels).movedim(1, -1)


class ImageBlur:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE", {}),
                "blur_radius": ("INT", {"default": 1, "min": 1, "max": 31, "step": 1}),
                "sigma": ("FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "blur"
    CATEGORY = "image/postprocessing"

    def blur(self, image: torch.Tensor, blur_radius: int, sigma: float) -> tuple[torch.Tensor]:
        if blur_radius == 0:
            return (image,)
        return (convolve(image, gaussian_kernel(blur_radius * 2 + 1, sigma)),)


class ImageSharpen:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE", {}),
                "sharpen_radius": ("INT", {"default": 1, "min": 1, "max": 31, "step": 1}),
                "sigma": ("FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.01}),
                "alpha": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 5.0, "step": 0.01}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "sharpen"
    CATEGORY = "image/postprocessing"

    def sharpen(
        self, image: torch.Tensor, sharpen_radius: int, sigma: float, alpha: float
    ) -> tuple[torch.Tensor]:
        if sharpen_radius == 0:
            return (image,)
        return (torch.clamp(convolve(image, sharpen_kernel(sharpen_radius * 2 + 1, sigma, alpha)), 0, 1),)


def sharpen_kernel(kernel_size: int, sigma: float, alpha: float) -> torch.Tensor:
    """An unsharp kernel: a negative Gaussian scaled by 10 * alpha, with the centre making it sum to 1."""
    kernel = gaussian_kernel(kernel_size, sigma) * -(alpha * 10)
    center = kernel_size // 2
    kernel[center, center] = kernel[center, center] - kernel.sum() + 1.0
    return kernel


class ImageBlend:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image1": ("IMAGE", {}),
                "image2": ("IMAGE", {}),
                "blend_factor": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}),
                "blend_mode": (BLEND_MODES,),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "blend_images"
    CATEGORY = "image/postprocessing"

    def blend_images(
        self, image1: torch.Tensor, image2: torch.Tensor, blend_factor: float, blend_mode: str
    ) -> tuple[torch.Tensor]:
        """Mix `image1` with the blend-mode result by `blend_factor`; image2 is fitted to image1 first."""
        image1, image2 = match_channels(image1, image2.to(image1.device))
        if image1.shape != image2.shape:
            fitted = resize(image2.movedim(-1, 1), image1.shape[2], image1.shape[1], "bicubic", "center")
            image2 = fitted.movedim(1, -1)
        blended = blend(image1, image2, blend_mode)
        return (torch.clamp(image1 * (1 - blend_factor) + blended * blend_factor, 0, 1),)


def blend(base: torch.Tensor, layer: torch.Tensor, mode: str) -> torch.Tensor:
    """The blend of `layer` over `base` in one of `BLEND_MODES`, before mixing and clamping."""
    if mode == "normal":
        return layer
    if mode == "multiply":
        return base * layer
    if mode == "screen":
        return 1 - (1 - base) * (1 - layer)
    if mode == "overlay":
        return torch.where(base <= 0.5, 2 * base * layer, 1 - 2 * (1 - base) * (1 - layer))
    if mode == "soft_light":
        lighten = base + (2 * layer - 1) * (_soft_light_curve(base) - base)
        return torch.where(layer <= 0.5, base - (1 - 2 * layer) * base * (1 - base), lighten)
    if mode == "difference":
        return base - layer
    raise ValueError(f"Unsupported blend mode: {mode}")


def _soft_light_curve(x: torch.Tensor) -> torch.Tensor:
    # The W3C soft-light D(x): a cubic below 0.25, the square root above.
    return torch.where(x <= 0.25, ((16 * x - 12) * x + 4) * x, torch.sqrt(x))


class ImageQuantize:
    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": ("IMAGE", {}),
                "colors": ("INT", {"default": 256, "min": 1, "max": 256, "step": 1}),
                "dither": (DITHER_METHODS,),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "quantize"
    CATEGORY = "image/postprocessing"

    def quantize(self, image: torch.Tensor, colors: int, dither: str) -> tuple[torch.Tensor]:
        """Reduce each image to a palette of at most `colors` colours chosen from that image."""
        frames = [quantize_frame(frame[..., :3], colors, dither) for frame in image]
        return (torch.stack(frames),)


def quantize_frame(image: torch.Tensor, colors: int, dither: str) -> torch.Tensor:
    # Values are truncated to 8 bits, not rounded, as ComfyUI does.
    picture = Image.fromarray((image * 255).to(torch.uint8).cpu().numpy())
    # Quantizing once to get a palette, then again with it, works around Pillow issue 5836.
    palette = picture.quantize(colors=colors)
    if dither == "none":
        quantized = picture.quantize(palette=palette, dither=Image.Dither.NONE)
    elif dither == "floyd-steinberg":
        quantized = picture.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)
    elif dither.startswith("bayer-"):
        quantized = bayer_dither(picture, palette, int(dither.split("-")[-1]))
    else:
        raise ValueError(f"Unsupported dither method: {dither}")
    return torch.from_numpy(np.array(quantized.convert("RGB"))).float() / 255


def bayer_matrix(order: int) -> np.ndarray:
    """The `order` x `order` ordered-dither threshold matrix, centred on zero."""
    matrix = np.zeros((1, 1), dtype=np.float64)
    for level in range(1, int(math.log2(order)) + 1):
        q = 4**level
        m = q * matrix
        matrix = np.block([[m - 1.5, m + 0.5], [m + 1.5, m - 0.5]]) / q
    return matrix


def bayer_dither(picture: Image.Image, palette: Image.Image, order: int) -> Image.Image:
    """Ordered dithering: add a tiled threshold pattern scaled to the palette's spacing, then map."""
    spread = 2 * 256 / (len(palette.getpalette()) // 3)
    thresholds = torch.from_numpy(spread * bayer_matrix(order) + 0.5)
    pixels = torch.from_numpy(np.array(picture).astype(np.float32))
    height, width = pixels.shape[0], pixels.shape[1]
    tiled = thresholds.tile(math.ceil(height / order), math.ceil(width / order))[:height, :width]
    # Summed in float64, stored as float32 and then truncated: the order ComfyUI's in-place add gives.
    pixels = (pixels + tiled.unsqueeze(-1)).to(torch.float32).clamp(0, 255).to(torch.uint8)
    return Image.fromarray(pixels.numpy()).quantize(palette=palette, dither=Image.Dither.NONE)
