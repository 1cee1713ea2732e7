"""Image geometry and batching nodes, checked against results computed here with numpy and Pillow."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from comfyd.nodes.image_ops import (
    EmptyImage,
    ImageBatch,
    ImageCompositeMasked,
    ImageCrop,
    ImageInvert,
    ImagePadForOutpaint,
    ImageScale,
    ImageScaleBy,
    RebatchImages,
)


def random_images(
    batch: int = 1, height: int = 6, width: int = 8, channels: int = 3, seed: int = 0
) -> torch.Tensor:
    return torch.rand((batch, height, width, channels), generator=torch.Generator().manual_seed(seed))


def byte_images(batch: int = 1, height: int = 6, width: int = 8, seed: int = 0) -> torch.Tensor:
    """Images whose values are exact 8-bit levels, so a round trip through Pillow is lossless."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.integers(0, 256, (batch, height, width, 3)).astype(np.float32) / 255.0)


def pil_resize(image: torch.Tensor, width: int, height: int, resample: Image.Resampling) -> np.ndarray:
    picture = Image.fromarray(np.clip(255.0 * image.numpy(), 0, 255).astype(np.uint8))
    return np.asarray(picture.resize((width, height), resample=resample)).astype(np.float32) / 255.0


# -- EmptyImage, ImageInvert --------------------------------------------------------------------------


def test_empty_image_fills_batch_with_rgb_of_color_integer():
    (image,) = EmptyImage().generate(width=5, height=4, batch_size=2, color=0x336699)

    assert image.shape == (2, 4, 5, 3)
    expected = np.array([0x33, 0x66, 0x99], dtype=np.float32) / 255.0
    np.testing.assert_allclose(image.numpy(), np.broadcast_to(expected, (2, 4, 5, 3)), rtol=0, atol=1e-7)


def test_empty_image_defaults_to_black():
    (image,) = EmptyImage().generate(width=2, height=2)

    assert torch.equal(image, torch.zeros((1, 2, 2, 3)))


def test_image_invert_is_one_minus_pixels():
    images = random_images(batch=2)

    (inverted,) = ImageInvert().invert(images)

    np.testing.assert_allclose(inverted.numpy(), 1.0 - images.numpy(), atol=1e-7)


# -- ImageScale, ImageScaleBy -------------------------------------------------------------------------


def test_image_scale_lanczos_matches_pillow_lanczos():
    images = byte_images(batch=2)

    (scaled,) = ImageScale().upscale(images, "lanczos", width=13, height=9, crop="disabled")

    assert scaled.shape == (2, 9, 13, 3)
    for index in range(2):
        expected = pil_resize(images[index], 13, 9, Image.Resampling.LANCZOS)
        np.testing.assert_allclose(scaled[index].numpy(), expected, atol=1e-6)


def test_image_scale_bilinear_upscale_is_close_to_pillow_bilinear():
    images = byte_images()

    (scaled,) = ImageScale().upscale(images, "bilinear", width=16, height=12, crop="disabled")

    expected = pil_resize(images[0], 16, 12, Image.Resampling.BILINEAR)
    np.testing.assert_allclose(scaled[0].numpy(), expected, atol=2.5 / 255)


def test_image_scale_nearest_exact_doubling_repeats_each_pixel():
    images = random_images()

    (scaled,) = ImageScale().upscale(images, "nearest-exact", width=16, height=12, crop="disabled")

    expected = np.repeat(np.repeat(images.numpy(), 2, axis=1), 2, axis=2)
    np.testing.assert_array_equal(scaled.numpy(), expected)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        pytest.param(0, 3, (3, 4), id="height-only"),
        pytest.param(4, 0, (3, 4), id="width-only"),
    ],
)
def test_image_scale_zero_side_keeps_aspect_ratio(width, height, expected):
    (scaled,) = ImageScale().upscale(random_images(), "bilinear", width=width, height=height, crop="disabled")

    assert scaled.shape[1:3] == expected


def test_image_scale_with_both_sides_zero_returns_input_unchanged():
    images = random_images()

    (scaled,) = ImageScale().upscale(images, "bicubic", width=0, height=0, crop="center")

    assert scaled is images


def test_image_scale_center_crop_cuts_sides_to_target_aspect():
    images = random_images(height=4, width=8)

    (scaled,) = ImageScale().upscale(images, "nearest-exact", width=4, height=4, crop="center")

    np.testing.assert_array_equal(scaled.numpy(), images[:, :, 2:6, :].numpy())


def test_image_scale_by_half_with_area_averages_2x2_blocks():
    images = random_images(height=6, width=8)

    (scaled,) = ImageScaleBy().upscale(images, "area", scale_by=0.5)

    blocks = images.numpy().reshape(1, 3, 2, 4, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(scaled.numpy(), blocks, atol=1e-6)


def test_image_scale_offers_comfyui_methods_and_sizes():
    required = ImageScale.INPUT_TYPES()["required"]

    assert required["upscale_method"] == (["nearest-exact", "bilinear", "area", "bicubic", "lanczos"],)
    assert required["crop"] == (["disabled", "center"],)
    assert required["width"] == ("INT", {"default": 512, "min": 0, "max": 16384, "step": 1})


# -- ImageBatch ---------------------------------------------------------------------------------------


def test_image_batch_concatenates_images_of_equal_size():
    first, second = random_images(batch=2, seed=1), random_images(batch=1, seed=2)

    (batch,) = ImageBatch().batch(first, second)

    assert torch.equal(batch, torch.cat((first, second)))


def test_image_batch_resizes_second_image_to_first_size():
    first, second = random_images(height=6, width=8), random_images(height=3, width=4)

    (batch,) = ImageBatch().batch(first, second)

    expected = torch.nn.functional.interpolate(second.movedim(-1, 1), size=(6, 8), mode="bilinear")
    assert batch.shape == (2, 6, 8, 3)
    np.testing.assert_allclose(batch[1].numpy(), expected.movedim(1, -1)[0].numpy(), atol=1e-6)


# -- ImageCrop ----------------------------------------------------------------------------------------


def test_image_crop_takes_window_at_offset():
    images = random_images(height=6, width=8)

    (cropped,) = ImageCrop().crop(images, width=3, height=2, x=4, y=1)

    np.testing.assert_array_equal(cropped.numpy(), images.numpy()[:, 1:3, 4:7, :])


def test_image_crop_clips_window_at_image_edge():
    images = random_images(height=6, width=8)

    (cropped,) = ImageCrop().crop(images, width=512, height=512, x=6, y=5)

    np.testing.assert_array_equal(cropped.numpy(), images.numpy()[:, 5:, 6:, :])


def test_image_crop_origin_past_edge_moves_to_last_pixel():
    images = random_images(height=6, width=8)

    (cropped,) = ImageCrop().crop(images, width=2, height=2, x=100, y=100)

    np.testing.assert_array_equal(cropped.numpy(), images.numpy()[:, 5:, 7:, :])


# -- ImagePadForOutpaint ------------------------------------------------------------------------------


def reference_feather(height, width, left, top, right, bottom, feathering) -> np.ndarray:
    inner = np.zeros((height, width), dtype=np.float32)
    if not (feathering > 0 and feathering * 2 < height and feathering * 2 < width):
        return inner
    for i in range(height):
        for j in range(width):
            d = min(
                i if top else height,
                height - i if bottom else height,
                j if left else width,
                width - j if right else width,
            )
            if d < feathering:
                inner[i, j] = ((feathering - d) / feathering) ** 2
    return inner


def test_image_pad_for_outpaint_pads_with_grey_and_masks_the_padding():
    images = random_images(height=4, width=5)

    padded, mask = ImagePadForOutpaint().expand_image(images, left=2, top=1, right=3, bottom=0, feathering=0)

    assert padded.shape == (1, 5, 10, 3) and mask.shape == (1, 5, 10)
    expected = np.full((1, 5, 10, 3), 0.5, dtype=np.float32)
    expected[:, 1:5, 2:7, :] = images.numpy()
    np.testing.assert_array_equal(padded.numpy(), expected)
    expected_mask = np.ones((5, 10), dtype=np.float32)
    expected_mask[1:5, 2:7] = 0
    np.testing.assert_array_equal(mask[0].numpy(), expected_mask)


@pytest.mark.parametrize(
    "pads",
    [
        pytest.param((8, 8, 8, 8), id="all-sides"),
        pytest.param((0, 8, 0, 0), id="top-only"),
        pytest.param((8, 0, 0, 16), id="left-bottom"),
    ],
)
def test_image_pad_for_outpaint_feathers_mask_inside_padded_edges(pads):
    left, top, right, bottom = pads
    images = random_images(height=20, width=24)

    _, mask = ImagePadForOutpaint().expand_image(images, left, top, right, bottom, feathering=6)

    inner = mask[0, top : top + 20, left : left + 24].numpy()
    np.testing.assert_allclose(inner, reference_feather(20, 24, left, top, right, bottom, 6), atol=1e-7)


def test_image_pad_for_outpaint_skips_feathering_wider_than_half_the_image():
    _, mask = ImagePadForOutpaint().expand_image(random_images(height=6, width=8), 8, 8, 8, 8, feathering=4)

    assert torch.count_nonzero(mask[0, 8:14, 8:16]) == 0


# -- ImageCompositeMasked -----------------------------------------------------------------------------


def test_image_composite_masked_pastes_source_at_offset():
    destination, source = random_images(height=6, width=8, seed=1), random_images(height=2, width=3, seed=2)

    (out,) = ImageCompositeMasked().composite(destination, source, x=4, y=3, resize_source=False)

    expected = destination.numpy().copy()
    expected[:, 3:5, 4:7, :] = source.numpy()
    np.testing.assert_array_equal(out.numpy(), expected)
    assert not torch.equal(out, destination), "the destination input must not be modified"


def test_image_composite_masked_clips_source_past_the_edge():
    destination, source = random_images(height=6, width=8, seed=1), random_images(height=4, width=4, seed=2)

    (out,) = ImageCompositeMasked().composite(destination, source, x=6, y=4, resize_source=False)

    expected = destination.numpy().copy()
    expected[:, 4:6, 6:8, :] = source.numpy()[:, :2, :2, :]
    np.testing.assert_array_equal(out.numpy(), expected)


def test_image_composite_masked_blends_through_mask():
    destination, source = random_images(height=4, width=4, seed=1), random_images(height=4, width=4, seed=2)
    mask = torch.rand((1, 4, 4), generator=torch.Generator().manual_seed(3))

    (out,) = ImageCompositeMasked().composite(destination, source, x=0, y=0, resize_source=False, mask=mask)

    weight = mask.numpy()[..., None]
    expected = weight * source.numpy() + (1 - weight) * destination.numpy()
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)


def test_image_composite_masked_resize_source_covers_destination():
    destination, source = random_images(height=6, width=8, seed=1), random_images(height=3, width=4, seed=2)

    (out,) = ImageCompositeMasked().composite(destination, source, x=0, y=0, resize_source=True)

    resized = torch.nn.functional.interpolate(source.movedim(-1, 1), size=(6, 8), mode="bilinear")
    np.testing.assert_allclose(out.numpy(), resized.movedim(1, -1).numpy(), atol=1e-6)


def test_image_composite_masked_gives_rgb_source_opaque_alpha_on_rgba_destination():
    destination = random_images(height=4, width=4, channels=4, seed=1)
    source = random_images(height=2, width=2, seed=2)

    (out,) = ImageCompositeMasked().composite(destination, source, x=1, y=1, resize_source=False)

    assert out.shape == (1, 4, 4, 4)
    np.testing.assert_array_equal(out[0, 1:3, 1:3, :3].numpy(), source[0].numpy())
    assert torch.all(out[0, 1:3, 1:3, 3] == 1.0)


# -- RebatchImages ------------------------------------------------------------------------------------


def test_rebatch_images_regroups_list_of_batches_in_order():
    images = [random_images(batch=3, seed=1), random_images(batch=2, seed=2)]

    (batches,) = RebatchImages().rebatch(images, batch_size=[2])

    assert [b.shape[0] for b in batches] == [2, 2, 1]
    assert torch.equal(torch.cat(batches), torch.cat(images))


def test_rebatch_images_takes_lists_and_returns_a_list():
    assert RebatchImages.INPUT_IS_LIST is True
    assert RebatchImages.OUTPUT_IS_LIST == (True,)
    assert RebatchImages.INPUT_TYPES() == {
        "required": {
            "images": ("IMAGE", {}),
            "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096}),
        }
    }
