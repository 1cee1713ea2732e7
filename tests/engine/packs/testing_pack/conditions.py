"""Comparisons and boolean logic, used for loop conditions and for choosing what to block."""

import operator
import re

import torch
from comfy.comfy_types import IO

COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
HUGE_INT = 0xFFFFFFFFFFFFFFFF


class TestIntConditions:
    @classmethod
    def INPUT_TYPES(cls):
        number = ("INT", {"default": 0, "min": -HUGE_INT, "max": HUGE_INT, "step": 1})
        return {"required": {"a": number, "b": number, "operation": (list(COMPARISONS),)}}

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "compare"
    CATEGORY = "Testing/Logic"

    def compare(self, a, b, operation):
        return (COMPARISONS[operation](a, b),)


class TestFloatConditions:
    @classmethod
    def INPUT_TYPES(cls):
        number = ("FLOAT", {"default": 0, "min": -999999999999.0, "max": 999999999999.0, "step": 1})
        return {"required": {"a": number, "b": number, "operation": (list(COMPARISONS),)}}

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "compare"
    CATEGORY = "Testing/Logic"

    def compare(self, a, b, operation):
        return (COMPARISONS[operation](a, b),)


def _regex_match(a, b):
    try:
        return re.match(b, a) is not None
    except re.error:
        return False


STRING_TESTS = {
    "a == b": operator.eq,
    "a != b": operator.ne,
    "a IN b": lambda a, b: a in b,
    "a MATCH REGEX(b)": _regex_match,
    "a BEGINSWITH b": str.startswith,
    "a ENDSWITH b": str.endswith,
}


class TestStringConditions:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "a": ("STRING", {"multiline": False}),
                "b": ("STRING", {"multiline": False}),
                "operation": (list(STRING_TESTS),),
                "case_sensitive": ("BOOLEAN", {"default": True}),
            },
        }

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "compare"
    CATEGORY = "Testing/Logic"

    def compare(self, a, b, operation, case_sensitive):
        if not case_sensitive:
            a, b = a.lower(), b.lower()
        return (STRING_TESTS[operation](a, b),)


class TestToBoolNode:
    """Truthiness of anything; an image is true unless it is all zeros."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"value": (IO.ANY,)},
            "optional": {"invert": ("BOOLEAN", {"default": False})},
        }

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "to_bool"
    CATEGORY = "Testing/Logic"

    def to_bool(self, value, invert=False):
        if isinstance(value, torch.Tensor):
            result = bool(value.abs().max().item() != 0)
        else:
            try:
                result = bool(value)
            except Exception:
                result = True
        return (result != invert,)


BOOL_OPERATIONS = {
    "a AND b": lambda a, b: a and b,
    "a OR b": lambda a, b: a or b,
    "a XOR b": lambda a, b: a != b,
    "NOT a": lambda a, b: not a,
}


class TestBoolOperationNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"a": ("BOOLEAN",), "b": ("BOOLEAN",), "op": (list(BOOL_OPERATIONS),)}}

    RETURN_TYPES = ("BOOLEAN",)
    FUNCTION = "apply"
    CATEGORY = "Testing/Logic"

    def apply(self, a, b, op):
        return (BOOL_OPERATIONS[op](a, b),)


NODE_CLASS_MAPPINGS = {
    "TestIntConditions": TestIntConditions,
    "TestFloatConditions": TestFloatConditions,
    "TestStringConditions": TestStringConditions,
    "TestToBoolNode": TestToBoolNode,
    "TestBoolOperationNode": TestBoolOperationNode,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TestIntConditions": "Int Condition",
    "TestFloatConditions": "Float Condition",
    "TestStringConditions": "String Condition",
    "TestToBoolNode": "To Bool",
    "TestBoolOperationNode": "Bool Operation",
}
