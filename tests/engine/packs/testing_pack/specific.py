"""Nodes that each exercise one engine behaviour: lazy inputs, variadic inputs, IS_CHANGED,
VALIDATE_INPUTS variants, expansion results and cycles, and output nodes with sockets."""

import torch
from comfy.comfy_types import IO
from comfy_execution.graph_utils import GraphBuilder

from .variants import variant_types


def _broadcast_mask(mask, image):
    """A [B,H,W] or [H,W] mask shaped to multiply a [B,H,W,C] image."""
    if mask.dim() == 2:
        mask = mask.unsqueeze(0)
    return mask.unsqueeze(-1).expand(-1, -1, -1, image.shape[-1])


class TestLazyMixImages:
    """Mixes two images by a mask, asking only for the images the mask actually uses."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image1": ("IMAGE", {"lazy": True}),
                "image2": ("IMAGE", {"lazy": True}),
                "mask": ("MASK",),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "mix"
    CATEGORY = "Testing/Nodes"

    def check_lazy_status(self, mask, image1, image2):
        low, high = mask.min().item(), mask.max().item()
        needed = []
        if image1 is None and not (low == 1.0 and high == 1.0):
            needed.append("image1")
        if image2 is None and not (low == 0.0 and high == 0.0):
            needed.append("image2")
        return needed

    def mix(self, mask, image1, image2):
        low, high = mask.min().item(), mask.max().item()
        if low == 0.0 and high == 0.0:
            return (image1,)
        if low == 1.0 and high == 1.0:
            return (image2,)
        weight = _broadcast_mask(mask, image1)
        return (image1 * (1.0 - weight) + image2 * weight,)


class TestVariadicAverage:
    """Averages `input1` with any undeclared `input2`, `input3`, ... that are linked to it."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"input1": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "average"
    CATEGORY = "Testing/Nodes"

    def average(self, input1, **kwargs):
        images = [input1]
        while f"input{len(images) + 1}" in kwargs:
            images.append(kwargs[f"input{len(images) + 1}"])
        return (torch.stack(images).mean(dim=0),)


class TestCustomIsChanged:
    """Passes its image through; `should_change` makes IS_CHANGED return NaN (always re-run)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"image": ("IMAGE",)},
            "optional": {"should_change": ("BOOL", {"default": False})},
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "passthrough"
    CATEGORY = "Testing/Nodes"

    def passthrough(self, image, should_change=False):
        return (image,)

    @classmethod
    def IS_CHANGED(cls, should_change=False, **kwargs):
        return float("nan") if should_change else False


class TestIsChangedWithConstants:
    """Scales an image; IS_CHANGED records what it was called with, so tests can check that only
    constant inputs reach it (a linked `image` must arrive as None)."""

    is_changed_calls = []

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "value": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 10.0}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "scale"
    CATEGORY = "Testing/Nodes"

    def scale(self, image, value):
        return (image * value,)

    @classmethod
    def IS_CHANGED(cls, image, value):
        cls.is_changed_calls.append({"image": image, "value": value})
        if image is None:
            return value
        return image.mean().item() * value


def _product_image(input1, input2):
    if isinstance(input1, float) and isinstance(input2, float):
        return torch.ones(1, 64, 64, 3) * input1 * input2
    return input1 * input2


def _not_image_or_float(name, value):
    if value is not None and not isinstance(value, torch.Tensor | float):
        return f"Invalid type of {name}: {type(value)}"
    return None


class TestCustomValidation1:
    """VALIDATE_INPUTS names both inputs: the engine skips its own checks for them and passes
    constants (links arrive as None)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"input1": ("IMAGE,FLOAT",), "input2": ("IMAGE,FLOAT",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "multiply"
    CATEGORY = "Testing/Nodes"

    def multiply(self, input1, input2):
        return (_product_image(input1, input2),)

    @classmethod
    def VALIDATE_INPUTS(cls, input1=None, input2=None):
        return _not_image_or_float("input1", input1) or _not_image_or_float("input2", input2) or True


class TestCustomValidation2:
    """VALIDATE_INPUTS takes `input_types`: the engine skips its link-type check and reports the
    received types instead."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"input1": ("IMAGE,FLOAT",), "input2": ("IMAGE,FLOAT",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "multiply"
    CATEGORY = "Testing/Nodes"

    def multiply(self, input1, input2):
        return (_product_image(input1, input2),)

    @classmethod
    def VALIDATE_INPUTS(cls, input_types, input1=None, input2=None):
        problem = _not_image_or_float("input1", input1) or _not_image_or_float("input2", input2)
        if problem:
            return problem
        for name in ("input1", "input2"):
            if name in input_types and input_types[name] not in ("IMAGE", "FLOAT"):
                return f"Invalid type of {name}: {input_types[name]}"
        return True


@variant_types
class TestCustomValidation3:
    """Variant types with the generated `VALIDATE_INPUTS(input_types)`."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"input1": ("IMAGE,FLOAT",), "input2": ("IMAGE,FLOAT",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "multiply"
    CATEGORY = "Testing/Nodes"

    def multiply(self, input1, input2):
        return (_product_image(input1, input2),)


class TestCustomValidation4:
    """VALIDATE_INPUTS names its inputs positionally (no defaults)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"input1": ("FLOAT",), "input2": ("FLOAT",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "multiply"
    CATEGORY = "Testing/Nodes"

    def multiply(self, input1, input2):
        return (torch.ones(1, 64, 64, 3) * input1 * input2,)

    @classmethod
    def VALIDATE_INPUTS(cls, input1, input2):
        for name, value in (("input1", input1), ("input2", input2)):
            if value is not None and not isinstance(value, float):
                return f"Invalid type of {name}: {type(value)}"
        return True


class TestCustomValidation5:
    """VALIDATE_INPUTS takes **kwargs: the engine skips min/max and lets the node decide."""

    SEVENS_MESSAGE = "7s are not allowed. I've never liked 7s."

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "input1": ("FLOAT", {"min": 0.0, "max": 1.0}),
                "input2": ("FLOAT", {"min": 0.0, "max": 1.0}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "multiply"
    CATEGORY = "Testing/Nodes"

    def multiply(self, input1, input2):
        return (torch.ones(1, 64, 64, 3) * input1 * input2,)

    @classmethod
    def VALIDATE_INPUTS(cls, **kwargs):
        if kwargs["input2"] == 7.0:
            return cls.SEVENS_MESSAGE
        return True


class TestNamedRangeValidation:
    """VALIDATE_INPUTS names `value` (and the linked `image`) but not `limit`: the engine skips
    min/max for `value` only. It records what it receives, so tests can see links arrive as None."""

    HALVES_MESSAGE = "halves are not allowed"
    validate_calls = []

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": ("FLOAT", {"default": 0.0, "min": 0.0, "max": 1.0}),
                "limit": ("INT", {"default": 0, "min": 0, "max": 10}),
            },
            "optional": {"image": ("IMAGE",)},
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "make"
    CATEGORY = "Testing/Nodes"

    def make(self, value, limit, image=None):
        return (torch.full((1, 8, 8, 3), float(limit)),)

    @classmethod
    def VALIDATE_INPUTS(cls, value, image=None):
        cls.validate_calls.append({"value": value, "image": image})
        return cls.HALVES_MESSAGE if value == 0.5 else True


class TestLimits:
    """Plain min/max, combo and typed widgets with no custom validation at all."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "count": ("INT", {"default": 1, "min": 1, "max": 10}),
                "ratio": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0}),
                "mode": (["first", "second", "third"],),
                "label": ("STRING", {"default": ""}),
                "flag": ("BOOLEAN", {"default": False}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "make"
    CATEGORY = "Testing/Nodes"

    def make(self, count, ratio, mode, label, flag):
        return (torch.full((count, 8, 8, 3), ratio),)


class TestDynamicDependencyCycle:
    """Expands into two mixes that feed each other: a cycle that only exists at run time."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"input1": ("IMAGE",), "input2": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "expand"
    CATEGORY = "Testing/Nodes"

    def expand(self, input1, input2):
        graph = GraphBuilder()
        mask = graph.node("StubMask", value=0.5, height=64, width=64, batch_size=1)
        first = graph.node("TestLazyMixImages", image1=input1, mask=mask.out(0))
        second = graph.node("TestLazyMixImages", image1=first.out(0), image2=input2, mask=mask.out(0))
        first.set_input("image2", second.out(0))
        return {"result": (second.out(0),), "expand": graph.finalize()}


class TestMixedExpansionReturns:
    """Per list element, returns a plain tuple, a {"result"} dict, or an expansion."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"input1": ("FLOAT",)}}

    RETURN_TYPES = ("IMAGE", "IMAGE")
    FUNCTION = "choose"
    CATEGORY = "Testing/Nodes"

    def choose(self, input1):
        white = torch.ones(1, 64, 64, 3)
        if input1 <= 0.1:
            return (torch.full((1, 64, 64, 3), 0.1), white)
        if input1 <= 0.2:
            return {"result": (torch.full((1, 64, 64, 3), 0.2), white)}
        graph = GraphBuilder()
        mask = graph.node("StubMask", value=0.3, height=64, width=64, batch_size=1)
        black_image = graph.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
        white_image = graph.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
        mix = graph.node(
            "TestLazyMixImages", image1=black_image.out(0), image2=white_image.out(0), mask=mask.out(0)
        )
        return {"result": (mix.out(0), white), "expand": graph.finalize()}


class TestOutputNodeWithSocketOutput:
    """An output node whose output other nodes also consume."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "value": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 10.0}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "scale"
    CATEGORY = "_for_testing"
    OUTPUT_NODE = True

    def scale(self, image, value):
        return (image * value,)


class TestValueOutput:
    """An output node that shows the values it receives in its ui dict, one entry per call."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": (IO.ANY,)}}

    RETURN_TYPES = ()
    FUNCTION = "show"
    CATEGORY = "_for_testing"
    OUTPUT_NODE = True

    def show(self, value):
        if isinstance(value, torch.Tensor):
            value = value.flatten()[0].item()
        return {"ui": {"values": [value]}}


NODE_CLASS_MAPPINGS = {
    "TestLazyMixImages": TestLazyMixImages,
    "TestVariadicAverage": TestVariadicAverage,
    "TestCustomIsChanged": TestCustomIsChanged,
    "TestIsChangedWithConstants": TestIsChangedWithConstants,
    "TestCustomValidation1": TestCustomValidation1,
    "TestCustomValidation2": TestCustomValidation2,
    "TestCustomValidation3": TestCustomValidation3,
    "TestCustomValidation4": TestCustomValidation4,
    "TestCustomValidation5": TestCustomValidation5,
    "TestNamedRangeValidation": TestNamedRangeValidation,
    "TestLimits": TestLimits,
    "TestDynamicDependencyCycle": TestDynamicDependencyCycle,
    "TestMixedExpansionReturns": TestMixedExpansionReturns,
    "TestOutputNodeWithSocketOutput": TestOutputNodeWithSocketOutput,
    "TestValueOutput": TestValueOutput,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TestLazyMixImages": "Lazy Mix Images",
    "TestVariadicAverage": "Variadic Average",
    "TestCustomIsChanged": "Custom IsChanged",
    "TestIsChangedWithConstants": "IsChanged With Constants",
    "TestCustomValidation1": "Custom Validation 1",
    "TestCustomValidation2": "Custom Validation 2",
    "TestCustomValidation3": "Custom Validation 3",
    "TestCustomValidation4": "Custom Validation 4",
    "TestCustomValidation5": "Custom Validation 5",
    "TestNamedRangeValidation": "Named Range Validation",
    "TestLimits": "Limits",
    "TestDynamicDependencyCycle": "Dynamic Dependency Cycle",
    "TestMixedExpansionReturns": "Mixed Expansion Returns",
    "TestOutputNodeWithSocketOutput": "Output Node With Socket Output",
    "TestValueOutput": "Value Output",
}
