"""comfyd's built-in nodes: ComfyUI's image I/O, image operations and primitives.

`register_builtins` adds them to a `NodeRegistry`, each under the `python_module` ComfyUI reports
for it (`nodes` or `comfy_extras.nodes_*`), so `/object_info` reads as it does on ComfyUI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comfyd.nodes.image_filters import ImageBlend, ImageBlur, ImageQuantize, ImageSharpen
from comfyd.nodes.image_io import LoadImage, LoadImageMask, PreviewImage, SaveImage
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
from comfyd.nodes.primitives import (
    PrimitiveBoolean,
    PrimitiveFloat,
    PrimitiveInt,
    PrimitiveString,
    PrimitiveStringMultiline,
)

if TYPE_CHECKING:
    from comfyd.engine.registry import NodeRegistry

# Which ComfyUI module defines each node; the class names are the node ids.
NODES_BY_MODULE: dict[str, list[type]] = {
    "nodes": [
        SaveImage,
        PreviewImage,
        LoadImage,
        LoadImageMask,
        ImageScale,
        ImageScaleBy,
        ImageInvert,
        ImageBatch,
        ImagePadForOutpaint,
        EmptyImage,
    ],
    "comfy_extras.nodes_images": [ImageCrop],
    "comfy_extras.nodes_mask": [ImageCompositeMasked],
    "comfy_extras.nodes_rebatch": [RebatchImages],
    "comfy_extras.nodes_post_processing": [ImageBlend, ImageBlur, ImageQuantize, ImageSharpen],
    "comfy_extras.nodes_primitive": [
        PrimitiveString,
        PrimitiveStringMultiline,
        PrimitiveInt,
        PrimitiveFloat,
        PrimitiveBoolean,
    ],
}

NODE_CLASS_MAPPINGS: dict[str, type] = {
    cls.__name__: cls for classes in NODES_BY_MODULE.values() for cls in classes
}

# ComfyUI's titles; nodes it gives none (EmptyImage, ImageCompositeMasked) show their class name.
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {
    "SaveImage": "Save Image",
    "PreviewImage": "Preview Image",
    "LoadImage": "Load Image",
    "LoadImageMask": "Load Image (as Mask)",
    "ImageScale": "Upscale Image",
    "ImageScaleBy": "Upscale Image By",
    "ImageInvert": "Invert Image",
    "ImagePadForOutpaint": "Pad Image for Outpainting",
    "ImageBatch": "Batch Images",
    "ImageCrop": "Image Crop",
    "ImageBlend": "Image Blend",
    "ImageBlur": "Image Blur",
    "ImageQuantize": "Image Quantize",
    "ImageSharpen": "Image Sharpen",
    "RebatchImages": "Rebatch Images",
    "PrimitiveString": "String",
    "PrimitiveStringMultiline": "String (Multiline)",
    "PrimitiveInt": "Int",
    "PrimitiveFloat": "Float",
    "PrimitiveBoolean": "Boolean",
}


def register_builtins(registry: NodeRegistry) -> list[str]:
    """Add every built-in node to `registry`; returns the names added."""
    added: list[str] = []
    for python_module, classes in NODES_BY_MODULE.items():
        mappings = {cls.__name__: cls for cls in classes}
        added += registry.register(
            mappings, display_names=NODE_DISPLAY_NAME_MAPPINGS, python_module=python_module
        )
    return added
