"""Nodes that move images between tensors and files: SaveImage, PreviewImage, LoadImage, LoadImageMask.

They read their directories from the active `FolderPaths` when they run, and never read or write
outside them: save prefixes and image names that would leave their folder are refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch
from PIL import Image, ImageFile, ImageOps, ImageSequence, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from comfyd.engine import folders
from comfyd.nodes.imaging import from_pil, to_pil

T = TypeVar("T")

# Multi-picture JPEGs store a preview beside the main picture; ComfyUI keeps only the first frame.
SINGLE_FRAME_FORMATS = {"MPO"}


class SaveImage:
    """Writes each image of a batch as a PNG, with the prompt and workflow as text chunks."""

    image_type = "output"
    prefix_append = ""
    compress_level = 4

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE", {"tooltip": "The images to save."}),
                "filename_prefix": (
                    "STRING",
                    {
                        "default": "ComfyUI",
                        "tooltip": "The prefix for the file to save. This may include formatting information "
                        "such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes.",
                    },
                ),
            },
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
        }

    RETURN_TYPES = ()
    FUNCTION = "save_images"
    OUTPUT_NODE = True
    CATEGORY = "image"
    DESCRIPTION = "Saves the input images to your ComfyUI output directory."

    def target_directory(self) -> Path:
        return folders.current().get_output_directory()

    def save_images(
        self,
        images: torch.Tensor,
        filename_prefix: str = "ComfyUI",
        prompt: dict | None = None,
        extra_pnginfo: dict | None = None,
    ) -> dict[str, Any]:
        """Save the batch as `{prefix}_{counter:05}_.png`, counting on from the files already there."""
        layout = folders.current()
        height, width = images[0].shape[0], images[0].shape[1]
        folder, filename, counter, subfolder, _ = layout.get_save_image_path(
            filename_prefix + self.prefix_append, self.target_directory(), width, height
        )
        metadata = png_metadata(prompt, extra_pnginfo)
        results = []
        for batch_number, image in enumerate(images):
            file = f"{filename.replace('%batch_num%', str(batch_number))}_{counter:05}_.png"
            to_pil(image).save(folder / file, pnginfo=metadata, compress_level=self.compress_level)
            results.append({"filename": file, "subfolder": subfolder, "type": self.image_type})
            counter += 1
        return {"ui": {"images": results}}


def png_metadata(prompt: dict | None, extra_pnginfo: dict | None) -> PngInfo:
    """PNG text chunks: `prompt`, then each `extra_pnginfo` key (usually `workflow`), as JSON."""
    metadata = PngInfo()
    if prompt is not None:
        metadata.add_text("prompt", json.dumps(prompt))
    for key, value in (extra_pnginfo or {}).items():
        metadata.add_text(key, json.dumps(value))
    return metadata


class PreviewImage(SaveImage):
    """SaveImage into the temp folder, fast-compressed, under a random per-node prefix."""

    image_type = "temp"
    compress_level = 1

    def __init__(self) -> None:
        self.prefix_append = "_temp_" + "".join(random.choice(string.ascii_lowercase) for _ in range(5))

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {"images": ("IMAGE",)},
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
        }

    def target_directory(self) -> Path:
        return folders.current().get_temp_directory()


class LoadImage:
    """Loads an image from the input folder as IMAGE, with its alpha channel as MASK."""

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        files = folders.filter_files_content_types(input_files(), ["image"])
        return {"required": {"image": (sorted(files), {"image_upload": True})}}

    CATEGORY = "image"
    RETURN_TYPES = ("IMAGE", "MASK")
    FUNCTION = "load_image"

    def load_image(self, image: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Every frame the size of the first becomes one batch entry; mask = 1 - alpha."""
        with open_image(checked_input_path(image)) as img:
            frames = [_frame_with_mask(frame) for frame in _frames_of_first_size(img)]
            fmt = img.format
        if len(frames) > 1 and fmt not in SINGLE_FRAME_FORMATS:
            return torch.cat([f[0] for f in frames]), torch.cat([f[1] for f in frames])
        return frames[0]

    @classmethod
    def IS_CHANGED(cls, image: str) -> str:
        return file_digest(checked_input_path(image))

    @classmethod
    def VALIDATE_INPUTS(cls, image: str) -> bool | str:
        if not folders.current().exists_annotated_filepath(image):
            return f"Invalid image file: {image}"
        return True


class LoadImageMask:
    """Loads one channel of an input image as a MASK (alpha is inverted, as in LoadImage)."""

    _color_channels = ["alpha", "red", "green", "blue"]

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "image": (sorted(input_files()), {"image_upload": True}),
                "channel": (cls._color_channels,),
            }
        }

    CATEGORY = "mask"
    RETURN_TYPES = ("MASK",)
    FUNCTION = "load_image"

    def load_image(self, image: str, channel: str) -> tuple[torch.Tensor]:
        with open_image(checked_input_path(image)) as img:
            picture = _normalise_mode(tolerant(ImageOps.exif_transpose, img))
            if picture.getbands() != ("R", "G", "B", "A"):
                picture = picture.convert("RGBA")
            band = channel[0].upper()
            if band not in picture.getbands():
                return (torch.zeros((1, 64, 64), dtype=torch.float32),)
            mask = from_pil(picture.getchannel(band))
        return ((1.0 - mask if band == "A" else mask).unsqueeze(0),)

    @classmethod
    def IS_CHANGED(cls, image: str, channel: str) -> str:
        return file_digest(checked_input_path(image))

    @classmethod
    def VALIDATE_INPUTS(cls, image: str) -> bool | str:
        return LoadImage.VALIDATE_INPUTS(image)


def input_files() -> list[str]:
    """The plain files directly in the input folder (the LoadImage combo lists these)."""
    root = folders.current().get_input_directory()
    if not root.is_dir():
        return []
    return [entry.name for entry in os.scandir(root) if entry.is_file()]


def checked_input_path(name: str) -> Path:
    """The file an (annotated) image name points at; refuses names that leave their folder."""
    path = folders.current().resolve_annotated(name)
    if path is None:
        raise FileNotFoundError(f"Invalid image file: {name}")
    return path


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes, in hex: a changed file re-runs the node."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tolerant(fn: Callable[[Any], T], arg: Any) -> T:
    """Call a Pillow function, retrying with truncated images allowed if the file is damaged.

    Phone cameras and some editors write files with a few missing bytes that Pillow rejects by
    default but decodes well enough; ComfyUI retries the same way.
    """
    try:
        return fn(arg)
    except (OSError, UnidentifiedImageError, ValueError):
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = True
        try:
            return fn(arg)
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def open_image(path: Path) -> Image.Image:
    return tolerant(Image.open, path)


def _normalise_mode(image: Image.Image) -> Image.Image:
    # 32-bit integer images (some 16-bit PNGs open this way) hold 0..65535; bring them to 0..255.
    if image.mode == "I":
        return image.point(lambda value: value * (1 / 255))
    return image


def _frames_of_first_size(img: Image.Image) -> list[Image.Image]:
    frames: list[Image.Image] = []
    for frame in ImageSequence.Iterator(img):
        frame = _normalise_mode(tolerant(ImageOps.exif_transpose, frame))
        if frames and frame.size != frames[0].size:
            continue
        frames.append(frame)
    return frames


def _frame_with_mask(frame: Image.Image) -> tuple[torch.Tensor, torch.Tensor]:
    pixels = from_pil(frame.convert("RGB")).unsqueeze(0)
    if "A" in frame.getbands():
        alpha = from_pil(frame.getchannel("A"))
    elif frame.mode == "P" and "transparency" in frame.info:
        alpha = from_pil(frame.convert("RGBA").getchannel("A"))
    else:
        return pixels, torch.zeros((1, 64, 64), dtype=torch.float32)
    return pixels, (1.0 - alpha).unsqueeze(0)
