"""The `/object_info` catalogue matches ComfyUI's JSON and is served from a cache."""

from __future__ import annotations

import json
import logging
import time

import pytest

from comfyd.engine import nodeinfo
from comfyd.engine.nodeinfo import invalidate, node_info, object_info, object_info_json
from comfyd.engine.registry import NodeRegistry


class Sample:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "steps": ("INT", {"default": 20, "min": 1, "max": 100, "step": 1}),
                "mode": (["a", "b"], {"default": "a"}),
            },
            "optional": {"mask": ("MASK", {"tooltip": "Where to apply."})},
            "hidden": {"unique_id": "UNIQUE_ID", "prompt": "PROMPT"},
        }

    RETURN_TYPES = ("IMAGE", "INT")
    RETURN_NAMES = ("image", "count")
    OUTPUT_IS_LIST = (False, True)
    OUTPUT_TOOLTIPS = ("The result.", "How many.")
    FUNCTION = "run"
    CATEGORY = "testing/sample"
    DESCRIPTION = "A sample node."
    OUTPUT_NODE = True
    EXPERIMENTAL = True
    DEPRECATED = False
    SEARCH_ALIASES = ["example"]


class Minimal:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 0})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "run"


class SaveImage:
    """ComfyUI's `SaveImage` declarations, whose object_info the reference quotes."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "images": ("IMAGE", {"tooltip": "The images to save."}),
                "filename_prefix": ("STRING", {"default": "ComfyUI", "tooltip": "The prefix."}),
            },
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
        }

    RETURN_TYPES = ()
    FUNCTION = "save_images"
    OUTPUT_NODE = True
    CATEGORY = "image"
    DESCRIPTION = "Saves the input images to your ComfyUI output directory."


class Broken:
    @classmethod
    def INPUT_TYPES(cls):
        raise RuntimeError("model folder missing")

    RETURN_TYPES = ()


def as_json(value):
    return json.loads(json.dumps(value))


def registry_with(mappings, **kwargs) -> NodeRegistry:
    registry = NodeRegistry()
    registry.register(mappings, **kwargs)
    return registry


def test_node_info_renders_every_declared_field():
    registry = registry_with(
        {"Sample": Sample}, display_names={"Sample": "Sample Node"}, python_module="custom_nodes.pack"
    )
    info = node_info(registry, "Sample")
    assert as_json(info) == {
        "input": {
            "required": {
                "image": ["IMAGE"],
                "steps": ["INT", {"default": 20, "min": 1, "max": 100, "step": 1}],
                "mode": [["a", "b"], {"default": "a"}],
            },
            "optional": {"mask": ["MASK", {"tooltip": "Where to apply."}]},
            "hidden": {"unique_id": "UNIQUE_ID", "prompt": "PROMPT"},
        },
        "input_order": {
            "required": ["image", "steps", "mode"],
            "optional": ["mask"],
            "hidden": ["unique_id", "prompt"],
        },
        "output": ["IMAGE", "INT"],
        "output_is_list": [False, True],
        "output_name": ["image", "count"],
        "name": "Sample",
        "display_name": "Sample Node",
        "description": "A sample node.",
        "python_module": "custom_nodes.pack",
        "category": "testing/sample",
        "output_node": True,
        "output_tooltips": ["The result.", "How many."],
        "experimental": True,
        "search_aliases": ["example"],
    }
    assert list(info) == list(as_json(info))


def test_node_info_defaults_match_comfyui():
    info = node_info(registry_with({"Minimal": Minimal}), "Minimal")
    assert as_json(info) == {
        "input": {"required": {"value": ["INT", {"default": 0}]}},
        "input_order": {"required": ["value"]},
        "output": ["INT"],
        "output_is_list": [False],
        "output_name": ["INT"],
        "name": "Minimal",
        "display_name": "Minimal",
        "description": "",
        "python_module": "nodes",
        "category": "sd",
        "output_node": False,
        "search_aliases": [],
    }


def test_node_info_matches_the_reference_save_image_entry():
    registry = registry_with({"SaveImage": SaveImage}, display_names={"SaveImage": "Save Image"})
    assert list(node_info(registry, "SaveImage")) == [
        "input",
        "input_order",
        "output",
        "output_is_list",
        "output_name",
        "name",
        "display_name",
        "description",
        "python_module",
        "category",
        "output_node",
        "search_aliases",
    ]
    assert as_json(node_info(registry, "SaveImage"))["input_order"] == {
        "required": ["images", "filename_prefix"],
        "hidden": ["prompt", "extra_pnginfo"],
    }
    assert as_json(node_info(registry, "SaveImage"))["output"] == []


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({"API_NODE": False}, {"api_node": False}, id="api-node-present-when-defined"),
        pytest.param({"DEPRECATED": True}, {"deprecated": True}, id="deprecated-when-true"),
        pytest.param({"DEPRECATED": False, "EXPERIMENTAL": False}, {}, id="flags-absent-when-false"),
        pytest.param({"OUTPUT_NODE": 1}, {"output_node": True}, id="output-node-compares-equal-true"),
        pytest.param({"OUTPUT_NODE": "yes"}, {"output_node": False}, id="output-node-string-is-false"),
    ],
)
def test_node_info_optional_flags(attributes, expected):
    cls = type("Flagged", (Minimal,), attributes)
    info = node_info(registry_with({"Flagged": cls}), "Flagged")
    optional = {"api_node", "deprecated", "experimental", "output_node"}
    assert {key: value for key, value in info.items() if key in optional} == {"output_node": False} | expected


def test_node_info_sends_a_string_return_types_as_comfyui_does():
    # `("IMAGE")` is a common pack mistake: a string, not a tuple.
    cls = type("Stringy", (Minimal,), {"RETURN_TYPES": "IMAGE"})
    info = node_info(registry_with({"Stringy": cls}), "Stringy")
    assert (info["output"], info["output_name"]) == ("IMAGE", "IMAGE")
    assert info["output_is_list"] == [False] * 5


def test_node_info_of_unknown_class_raises_key_error():
    with pytest.raises(KeyError):
        node_info(NodeRegistry(), "Nope")


def test_object_info_leaves_out_classes_whose_inputs_raise(caplog):
    registry = registry_with({"Minimal": Minimal, "Broken": Broken})
    with caplog.at_level(logging.ERROR, logger="comfyd.engine.nodeinfo"):
        catalogue = object_info(registry)
    assert list(catalogue) == ["Minimal"]
    assert "Broken" in caplog.text and "model folder missing" in caplog.text


def test_object_info_json_is_the_catalogue_as_json():
    registry = registry_with({"Sample": Sample, "Minimal": Minimal, "Broken": Broken})
    assert json.loads(object_info_json(registry)) == as_json(object_info(registry))


def test_object_info_json_leaves_out_nodes_json_cannot_encode():
    unencodable = type("Odd", (Minimal,), {"DESCRIPTION": object()})
    registry = registry_with({"Odd": unencodable, "Minimal": Minimal})
    assert list(json.loads(object_info_json(registry))) == ["Minimal"]


def test_object_info_json_is_cached_until_the_registry_changes():
    registry = registry_with({"Minimal": Minimal})
    first = object_info_json(registry)
    assert object_info_json(registry) is first
    registry.register({"Sample": Sample})
    second = object_info_json(registry)
    assert second is not first and set(json.loads(second)) == {"Minimal", "Sample"}
    assert object_info_json(registry) is second


def test_invalidate_rebuilds_with_current_input_types():
    files = ["a.safetensors"]

    class Loader(Minimal):
        @classmethod
        def INPUT_TYPES(cls):
            return {"required": {"ckpt_name": (list(files),)}}

    registry = registry_with({"Loader": Loader})
    first = object_info_json(registry)
    files.append("b.safetensors")
    assert object_info_json(registry) is first
    invalidate()
    assert json.loads(object_info_json(registry))["Loader"]["input"]["required"]["ckpt_name"] == [
        ["a.safetensors", "b.safetensors"]
    ]


def test_registries_have_separate_caches():
    one, two = registry_with({"Minimal": Minimal}), registry_with({"Sample": Sample})
    assert set(json.loads(object_info_json(one))) == {"Minimal"}
    assert set(json.loads(object_info_json(two))) == {"Sample"}


def test_cache_entry_goes_with_its_registry():
    registry = registry_with({"Minimal": Minimal})
    object_info_json(registry)
    key = id(registry)
    del registry
    assert key not in nodeinfo._cache


def test_cached_catalogue_of_a_thousand_classes_is_a_lookup():
    registry = registry_with({f"Node{i}": type(f"Node{i}", (Sample,), {}) for i in range(1000)})
    object_info_json(registry)
    started = time.perf_counter()
    for _ in range(100):
        object_info_json(registry)
    assert (time.perf_counter() - started) / 100 < 0.005
