"""Blur, sharpen, blend and quantize nodes, checked against formulas evaluated here with numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from comfyd.nodes.image_filters import (
    ImageBlend,
    ImageBlur,
    ImageQuantize,
    ImageSharpen,
    bayer_matrix,
)


def random_images(batch: int = 1, height: int = 9, width: int = 11, seed: int = 0) -> torch.Tensor:
    return torch.rand((batch, height, width, 3), generator=torch.Generator().manual_seed(seed))


def numpy_gaussian(size: int, sigma: float) -> np.ndarray:
    axis = np.linspace(-1, 1, size)
    x, y = np.meshgrid(axis, axis, indexing="ij")
    weights = np.exp(-(x**2 + y**2) / (2 * sigma**2))
    return weights / weights.sum()


def numpy_filter(images: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Correlate every channel with `kernel` over a reflect-padded copy (the result keeps its size)."""
    radius = kernel.shape[0] // 2
    padded = np.pad(images, ((0, 0), (radius, radius), (radius, radius), (0, 0)), mode="reflect")
    height, width = images.shape[1:3]
    out = np.zeros_like(images, dtype=np.float64)
    for dy in range(kernel.shape[0]):
        for dx in range(kernel.shape[1]):
            out += kernel[dy, dx] * padded[:, dy : dy + height, dx : dx + width, :]
    return out


# -- ImageBlur, ImageSharpen --------------------------------------------------------------------------


@pytest.mark.parametrize(("radius", "sigma"), [(1, 1.0), (3, 0.5), (2, 4.0)])
def test_image_blur_is_gaussian_filter_with_reflected_borders(radius, sigma):
    images = random_images(batch=2)

    (blurred,) = ImageBlur().blur(images, blur_radius=radius, sigma=sigma)

    expected = numpy_filter(images.numpy().astype(np.float64), numpy_gaussian(2 * radius + 1, sigma))
    assert blurred.shape == images.shape
    np.testing.assert_allclose(blurred.numpy(), expected, atol=1e-5)


def test_image_blur_leaves_flat_image_flat():
    flat = torch.full((1, 8, 8, 3), 0.25)

    (blurred,) = ImageBlur().blur(flat, blur_radius=2, sigma=1.0)

    np.testing.assert_allclose(blurred.numpy(), 0.25, atol=1e-6)


def test_image_sharpen_applies_unsharp_kernel_and_clamps():
    images = random_images()
    alpha, sigma = 0.7, 1.5

    (sharpened,) = ImageSharpen().sharpen(images, sharpen_radius=2, sigma=sigma, alpha=alpha)

    kernel = numpy_gaussian(5, sigma) * -(alpha * 10)
    kernel[2, 2] += 1.0 - kernel.sum()
    expected = np.clip(numpy_filter(images.numpy().astype(np.float64), kernel), 0, 1)
    np.testing.assert_allclose(sharpened.numpy(), expected, atol=1e-4)


def test_image_sharpen_with_zero_alpha_changes_nothing():
    images = random_images()

    (sharpened,) = ImageSharpen().sharpen(images, sharpen_radius=1, sigma=1.0, alpha=0.0)

    np.testing.assert_allclose(sharpened.numpy(), images.numpy(), atol=1e-6)


# -- ImageBlend ---------------------------------------------------------------------------------------


def soft_light(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.where(a <= 0.25, ((16 * a - 12) * a + 4) * a, np.sqrt(a))
    return np.where(b <= 0.5, a - (1 - 2 * b) * a * (1 - a), a + (2 * b - 1) * (d - a))


BLEND_FORMULAS = {
    "normal": lambda a, b: b,
    "multiply": lambda a, b: a * b,
    "screen": lambda a, b: 1 - (1 - a) * (1 - b),
    "overlay": lambda a, b: np.where(a <= 0.5, 2 * a * b, 1 - 2 * (1 - a) * (1 - b)),
    "soft_light": soft_light,
    "difference": lambda a, b: a - b,
}


@pytest.mark.parametrize("mode", list(BLEND_FORMULAS))
@pytest.mark.parametrize("factor", [0.5, 1.0])
def test_image_blend_mixes_blend_mode_result_by_factor(mode, factor):
    first, second = random_images(seed=1), random_images(seed=2)

    (blended,) = ImageBlend().blend_images(first, second, blend_factor=factor, blend_mode=mode)

    a, b = first.numpy(), second.numpy()
    expected = np.clip(a * (1 - factor) + BLEND_FORMULAS[mode](a, b) * factor, 0, 1)
    np.testing.assert_allclose(blended.numpy(), expected, atol=1e-6)


def test_image_blend_fits_second_image_to_first_size():
    (blended,) = ImageBlend().blend_images(
        random_images(height=8, width=8), random_images(height=4, width=6), 0.5, "normal"
    )

    assert blended.shape == (1, 8, 8, 3)


def test_image_blend_rejects_unknown_mode():
    with pytest.raises(ValueError, match="Unsupported blend mode"):
        ImageBlend().blend_images(random_images(), random_images(), 0.5, "dodge")


def test_image_blend_offers_comfyui_modes():
    assert ImageBlend.INPUT_TYPES()["required"]["blend_mode"] == (
        ["normal", "multiply", "screen", "overlay", "soft_light", "difference"],
    )


# -- ImageQuantize ------------------------------------------------------------------------------------


def colour_count(image: torch.Tensor) -> int:
    return len(np.unique(image.reshape(-1, 3).numpy(), axis=0))


@pytest.mark.parametrize("dither", ["none", "floyd-steinberg", "bayer-2", "bayer-4", "bayer-8", "bayer-16"])
@pytest.mark.parametrize("colors", [2, 5, 16])
def test_image_quantize_uses_at_most_requested_colours(dither, colors):
    images = random_images(batch=2, height=20, width=24)

    (quantized,) = ImageQuantize().quantize(images, colors=colors, dither=dither)

    assert quantized.shape == images.shape
    assert all(colour_count(frame) <= colors for frame in quantized)


def test_image_quantize_keeps_image_that_already_fits_the_palette():
    image = torch.zeros((1, 4, 4, 3))
    image[0, :2] = torch.tensor([1.0, 0.0, 0.0])

    (quantized,) = ImageQuantize().quantize(image, colors=4, dither="none")

    np.testing.assert_array_equal(quantized.numpy(), image.numpy())


@pytest.mark.parametrize("order", [2, 4, 8])
def test_bayer_matrix_orders_thresholds_like_the_classic_bayer_pattern(order):
    classic = np.zeros((1, 1))
    while classic.shape[0] < order:
        classic = np.block([[4 * classic, 4 * classic + 2], [4 * classic + 3, 4 * classic + 1]])

    np.testing.assert_allclose(bayer_matrix(order), (classic + 0.5) / order**2 - 0.5)
