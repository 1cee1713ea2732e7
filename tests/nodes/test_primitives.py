"""Primitive value nodes: each passes its `value` widget through unchanged."""

from __future__ import annotations

import sys

import pytest

from comfyd.nodes.primitives import (
    PrimitiveBoolean,
    PrimitiveFloat,
    PrimitiveInt,
    PrimitiveString,
    PrimitiveStringMultiline,
)


@pytest.mark.parametrize(
    ("node", "value"),
    [
        pytest.param(PrimitiveInt, -(2**62), id="int"),
        pytest.param(PrimitiveFloat, 2.5, id="float"),
        pytest.param(PrimitiveString, "a cat", id="string"),
        pytest.param(PrimitiveStringMultiline, "line one\nline two", id="multiline"),
        pytest.param(PrimitiveBoolean, False, id="boolean"),
    ],
)
def test_primitive_returns_its_value_unchanged(node, value):
    instance = node()

    assert getattr(instance, node.FUNCTION)(value=value) == (value,)


@pytest.mark.parametrize(
    ("node", "spec", "output"),
    [
        pytest.param(
            PrimitiveInt,
            ("INT", {"min": -sys.maxsize, "max": sys.maxsize, "control_after_generate": True}),
            "INT",
            id="int",
        ),
        pytest.param(
            PrimitiveFloat, ("FLOAT", {"min": -sys.maxsize, "max": sys.maxsize}), "FLOAT", id="float"
        ),
        pytest.param(PrimitiveString, ("STRING", {"multiline": False}), "STRING", id="string"),
        pytest.param(PrimitiveStringMultiline, ("STRING", {"multiline": True}), "STRING", id="multiline"),
        pytest.param(PrimitiveBoolean, ("BOOLEAN", {}), "BOOLEAN", id="boolean"),
    ],
)
def test_primitive_declares_one_value_widget_as_comfyui_renders_it(node, spec, output):
    assert node.INPUT_TYPES() == {"required": {"value": spec}}
    assert node.RETURN_TYPES == (output,)
    assert node.CATEGORY == "utils/primitive"
