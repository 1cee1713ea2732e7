"""SaveImage, PreviewImage, LoadImage and LoadImageMask against real files in a temporary layout."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from comfyd.engine.paths import PathEscapesRoot
from comfyd.nodes.image_io import LoadImage, LoadImageMask, PreviewImage, SaveImage


def make_images(batch: int = 1, height: int = 3, width: int = 4) -> torch.Tensor:
    return torch.rand((batch, height, width, 3), generator=torch.Generator().manual_seed(7))


def write_rgba(path, rgba: np.ndarray) -> None:
    Image.fromarray(rgba.astype(np.uint8)).save(path)


def sample_rgba(height: int = 5, width: int = 6) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, size=(height, width, 4), dtype=np.uint8)


# -- SaveImage --------------------------------------------------------------------------------------


def test_save_image_writes_numbered_pngs_and_reports_them_in_ui(layout):
    result = SaveImage().save_images(make_images(batch=2), "ComfyUI")

    assert result == {
        "ui": {
            "images": [
                {"filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output"},
                {"filename": "ComfyUI_00002_.png", "subfolder": "", "type": "output"},
            ]
        }
    }
    assert sorted(p.name for p in layout.output_dir.iterdir()) == ["ComfyUI_00001_.png", "ComfyUI_00002_.png"]


def test_save_image_counts_on_from_files_already_saved(layout):
    node = SaveImage()
    node.save_images(make_images(), "ComfyUI")
    second = node.save_images(make_images(), "ComfyUI")

    assert second["ui"]["images"][0]["filename"] == "ComfyUI_00002_.png"


def test_save_image_counter_follows_highest_existing_number_of_same_prefix(layout):
    (layout.output_dir / "ComfyUI_00007_.png").write_bytes(b"")
    (layout.output_dir / "Other_00042_.png").write_bytes(b"")

    result = SaveImage().save_images(make_images(), "ComfyUI")

    assert result["ui"]["images"][0]["filename"] == "ComfyUI_00008_.png"


def test_save_image_prefix_with_directory_saves_into_that_subfolder(layout):
    result = SaveImage().save_images(make_images(), "sub/x")

    assert result["ui"]["images"] == [{"filename": "x_00001_.png", "subfolder": "sub", "type": "output"}]
    assert (layout.output_dir / "sub" / "x_00001_.png").is_file()


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("../evil", id="parent"),
        pytest.param("sub/../../evil", id="parent-through-subfolder"),
        pytest.param("/tmp/evil", id="absolute"),
    ],
)
def test_save_image_refuses_prefix_that_leaves_output_folder(layout, prefix):
    before = set(layout.base_dir.rglob("*"))

    with pytest.raises(PathEscapesRoot):
        SaveImage().save_images(make_images(), prefix)

    assert set(layout.base_dir.rglob("*")) == before
    assert not list(layout.base_dir.parent.glob("evil*"))


def test_save_image_refuses_subfolder_symlinked_outside_output(layout, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (layout.output_dir / "link").symlink_to(outside)

    with pytest.raises(PathEscapesRoot):
        SaveImage().save_images(make_images(), "link/x")

    assert list(outside.iterdir()) == []


def test_save_image_embeds_prompt_and_each_extra_pnginfo_key_as_json_text(layout):
    prompt = {"1": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI"}}}
    workflow = {"nodes": [{"id": 1}], "links": []}

    SaveImage().save_images(
        make_images(), "ComfyUI", prompt=prompt, extra_pnginfo={"workflow": workflow, "n": 3}
    )

    with Image.open(layout.output_dir / "ComfyUI_00001_.png") as saved:
        info = dict(saved.info)
    assert json.loads(info["prompt"]) == prompt
    assert json.loads(info["workflow"]) == workflow
    assert json.loads(info["n"]) == 3


def test_save_image_without_prompt_writes_no_text_chunks(layout):
    SaveImage().save_images(make_images(), "ComfyUI")

    with Image.open(layout.output_dir / "ComfyUI_00001_.png") as saved:
        assert "prompt" not in saved.info and "workflow" not in saved.info


def test_save_image_stores_pixels_scaled_to_8_bits(layout):
    images = make_images(height=3, width=4)

    SaveImage().save_images(images, "px")

    with Image.open(layout.output_dir / "px_00001_.png") as saved:
        pixels = np.array(saved)
    expected = np.clip(255.0 * images[0].numpy(), 0, 255).astype(np.uint8)
    assert saved.size == (4, 3)
    np.testing.assert_array_equal(pixels, expected)


def test_save_image_substitutes_width_and_height_in_prefix(layout):
    result = SaveImage().save_images(make_images(height=3, width=4), "img_%width%x%height%")

    assert result["ui"]["images"][0]["filename"] == "img_4x3_00001_.png"


def test_save_image_declares_comfyui_interface():
    types = SaveImage.INPUT_TYPES()

    assert types["required"]["filename_prefix"][1]["default"] == "ComfyUI"
    assert types["hidden"] == {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}
    assert (SaveImage.RETURN_TYPES, SaveImage.OUTPUT_NODE, SaveImage.CATEGORY) == ((), True, "image")
    assert SaveImage.FUNCTION == "save_images"


# -- PreviewImage -----------------------------------------------------------------------------------


def test_preview_image_writes_to_temp_under_random_temp_prefix(layout):
    result = PreviewImage().save_images(make_images())

    (entry,) = result["ui"]["images"]
    assert re.fullmatch(r"ComfyUI_temp_[a-z]{5}_00001_\.png", entry["filename"])
    assert entry["subfolder"] == "" and entry["type"] == "temp"
    assert (layout.temp_dir / entry["filename"]).is_file()
    assert list(layout.output_dir.iterdir()) == []


def test_preview_image_keeps_its_prefix_across_runs_and_counts_on(layout):
    node = PreviewImage()
    first = node.save_images(make_images())["ui"]["images"][0]["filename"]
    second = node.save_images(make_images())["ui"]["images"][0]["filename"]

    assert second == first.replace("_00001_", "_00002_")


def test_preview_image_takes_only_images_and_hidden_inputs():
    assert PreviewImage.INPUT_TYPES() == {
        "required": {"images": ("IMAGE",)},
        "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
    }


# -- LoadImage --------------------------------------------------------------------------------------


def test_load_image_returns_rgb_and_mask_of_inverted_alpha(layout):
    rgba = sample_rgba()
    write_rgba(layout.input_dir / "a.png", rgba)

    image, mask = LoadImage().load_image("a.png")

    assert image.shape == (1, 5, 6, 3) and image.dtype == torch.float32
    assert mask.shape == (1, 5, 6)
    np.testing.assert_allclose(image[0].numpy(), rgba[..., :3] / 255.0, atol=1e-6)
    np.testing.assert_allclose(mask[0].numpy(), 1.0 - rgba[..., 3] / 255.0, atol=1e-6)


def test_load_image_without_alpha_gives_64x64_zero_mask(layout):
    Image.fromarray(sample_rgba()[..., :3]).save(layout.input_dir / "rgb.png")

    _, mask = LoadImage().load_image("rgb.png")

    assert torch.equal(mask, torch.zeros((1, 64, 64)))


def test_load_image_turns_frames_of_an_animation_into_a_batch(layout):
    frames = [Image.new("RGB", (4, 3), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(layout.input_dir / "anim.gif", save_all=True, append_images=frames[1:], duration=50)

    image, mask = LoadImage().load_image("anim.gif")

    assert image.shape == (3, 3, 4, 3)
    assert mask.shape[0] == 3
    assert image[1, 0, 0].argmax().item() == 1 and image[2, 0, 0].argmax().item() == 2


def test_load_image_applies_exif_orientation(layout):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.new("RGB", (4, 2), (10, 20, 30)).save(layout.input_dir / "turned.jpg", exif=exif)

    image, _ = LoadImage().load_image("turned.jpg")

    assert image.shape == (1, 4, 2, 3)


def test_load_image_reads_annotated_name_from_output_folder(layout):
    write_rgba(layout.output_dir / "made.png", sample_rgba())

    image, _ = LoadImage().load_image("made.png [output]")

    assert image.shape == (1, 5, 6, 3)


def test_load_image_refuses_to_read_outside_input_folder(layout):
    write_rgba(layout.base_dir / "secret.png", sample_rgba())

    with pytest.raises(FileNotFoundError):
        LoadImage().load_image("../secret.png")


def test_load_image_lists_image_files_of_input_folder_with_upload_widget(layout):
    for name in ("b.jpg", "a.png", "notes.txt"):
        (layout.input_dir / name).write_bytes(b"x")
    (layout.input_dir / "folder.png").mkdir()

    assert LoadImage.INPUT_TYPES() == {"required": {"image": (["a.png", "b.jpg"], {"image_upload": True})}}


def test_load_image_validate_inputs_accepts_existing_file(layout):
    write_rgba(layout.input_dir / "a.png", sample_rgba())

    assert LoadImage.VALIDATE_INPUTS("a.png") is True


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("missing.png", id="missing"),
        pytest.param("../secret.png", id="parent"),
        pytest.param("link.png", id="symlink-out"),
    ],
)
def test_load_image_validate_inputs_rejects_missing_or_escaping_file(layout, name):
    write_rgba(layout.base_dir / "secret.png", sample_rgba())
    (layout.input_dir / "link.png").symlink_to(layout.base_dir / "secret.png")

    assert LoadImage.VALIDATE_INPUTS(name) == f"Invalid image file: {name}"


def test_load_image_is_changed_is_sha256_of_file_and_follows_its_content(layout):
    path = layout.input_dir / "a.png"
    write_rgba(path, sample_rgba())
    before = LoadImage.IS_CHANGED("a.png")

    write_rgba(path, 255 - sample_rgba())
    after = LoadImage.IS_CHANGED("a.png")

    assert before != after
    assert after == hashlib.sha256(path.read_bytes()).hexdigest()


# -- LoadImageMask ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "index", "inverted"),
    [("alpha", 3, True), ("red", 0, False), ("green", 1, False), ("blue", 2, False)],
)
def test_load_image_mask_reads_the_chosen_channel(layout, channel, index, inverted):
    rgba = sample_rgba()
    write_rgba(layout.input_dir / "a.png", rgba)

    (mask,) = LoadImageMask().load_image("a.png", channel)

    expected = rgba[..., index] / 255.0
    assert mask.shape == (1, 5, 6)
    np.testing.assert_allclose(mask[0].numpy(), 1.0 - expected if inverted else expected, atol=1e-6)


def test_load_image_mask_alpha_of_opaque_image_is_all_zero(layout):
    Image.fromarray(sample_rgba()[..., :3]).save(layout.input_dir / "rgb.png")

    (mask,) = LoadImageMask().load_image("rgb.png", "alpha")

    assert torch.equal(mask, torch.zeros((1, 5, 6)))


def test_load_image_mask_offers_every_input_file_and_the_four_channels(layout):
    (layout.input_dir / "notes.txt").write_bytes(b"x")

    required = LoadImageMask.INPUT_TYPES()["required"]

    assert required["image"] == (["notes.txt"], {"image_upload": True})
    assert required["channel"] == (["alpha", "red", "green", "blue"],)
    assert LoadImageMask.VALIDATE_INPUTS("../notes.txt") == "Invalid image file: ../notes.txt"
