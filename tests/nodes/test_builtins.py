"""Registration of the built-in nodes: names, titles and the ComfyUI module each one reports."""

from __future__ import annotations

import inspect

import pytest

from comfyd.engine.registry import NodeRegistry
from comfyd.nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS, register_builtins


def test_register_builtins_adds_every_node_with_its_comfyui_module():
    registry = NodeRegistry()

    added = register_builtins(registry)

    assert sorted(added) == sorted(NODE_CLASS_MAPPINGS)
    assert registry.python_modules["SaveImage"] == "nodes"
    assert registry.python_modules["ImageCrop"] == "comfy_extras.nodes_images"
    assert registry.python_modules["ImageCompositeMasked"] == "comfy_extras.nodes_mask"
    assert registry.python_modules["RebatchImages"] == "comfy_extras.nodes_rebatch"
    assert registry.python_modules["ImageBlend"] == "comfy_extras.nodes_post_processing"
    assert registry.python_modules["PrimitiveInt"] == "comfy_extras.nodes_primitive"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("SaveImage", "Save Image"),
        ("LoadImage", "Load Image"),
        ("LoadImageMask", "Load Image (as Mask)"),
        ("ImageInvert", "Invert Image"),
        ("ImageScale", "Upscale Image"),
        ("RebatchImages", "Rebatch Images"),
        ("PrimitiveStringMultiline", "String (Multiline)"),
    ],
)
def test_register_builtins_uses_comfyui_display_names(name, title):
    registry = NodeRegistry()

    register_builtins(registry)

    assert registry.display_names[name] == title


def test_every_display_name_belongs_to_a_registered_node():
    assert set(NODE_DISPLAY_NAME_MAPPINGS) <= set(NODE_CLASS_MAPPINGS)


@pytest.mark.parametrize("name", sorted(NODE_CLASS_MAPPINGS))
def test_builtin_node_follows_the_v1_interface(layout, name):
    cls = NODE_CLASS_MAPPINGS[name]

    inputs = cls.INPUT_TYPES()

    assert set(inputs) <= {"required", "optional", "hidden"}
    assert isinstance(cls.RETURN_TYPES, tuple)
    assert callable(getattr(cls(), cls.FUNCTION))
    assert isinstance(cls.CATEGORY, str)
    for section in ("required", "optional"):
        for spec in inputs.get(section, {}).values():
            assert isinstance(spec, tuple) and isinstance(spec[0], (str, list))
    assert not inspect.isabstract(cls)
