"""List nodes: building lists (OUTPUT_IS_LIST), consuming them whole (INPUT_IS_LIST), and an
`ACCUMULATION` value that carries a Python list through ordinary (non-list) sockets."""

import operator

from .variants import variant_types

NUM_LIST_SOCKETS = 10
HUGE_INT = 0xFFFFFFFFFFFFFFFF


def _accumulation(items):
    return {"accum": list(items)}


@variant_types
class TestAccumulateNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"to_add": ("*",)},
            "optional": {"accumulation": ("ACCUMULATION",)},
        }

    RETURN_TYPES = ("ACCUMULATION",)
    FUNCTION = "accumulate"
    CATEGORY = "Testing/Lists"

    def accumulate(self, to_add, accumulation=None):
        items = [] if accumulation is None else accumulation["accum"]
        return (_accumulation([*items, to_add]),)


@variant_types
class TestAccumulationHeadNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"accumulation": ("ACCUMULATION",)}}

    RETURN_TYPES = ("ACCUMULATION", "*")
    FUNCTION = "head"
    CATEGORY = "Testing/Lists"

    def head(self, accumulation):
        items = accumulation["accum"]
        if not items:
            return (accumulation, None)
        return (_accumulation(items[1:]), items[0])


@variant_types
class TestAccumulationTailNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"accumulation": ("ACCUMULATION",)}}

    RETURN_TYPES = ("ACCUMULATION", "*")
    FUNCTION = "tail"
    CATEGORY = "Testing/Lists"

    def tail(self, accumulation):
        items = accumulation["accum"]
        if not items:
            return (None, accumulation)
        return (_accumulation(items[:-1]), items[-1])


@variant_types
class TestAccumulationToListNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"accumulation": ("ACCUMULATION",)}}

    RETURN_TYPES = ("*",)
    OUTPUT_IS_LIST = (True,)
    FUNCTION = "to_list"
    CATEGORY = "Testing/Lists"

    def to_list(self, accumulation):
        return (list(accumulation["accum"]),)


@variant_types
class TestListToAccumulationNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"list": ("*",)}}

    RETURN_TYPES = ("ACCUMULATION",)
    INPUT_IS_LIST = True
    FUNCTION = "to_accumulation"
    CATEGORY = "Testing/Lists"

    def to_accumulation(self, list):
        return (_accumulation(list),)


@variant_types
class TestAccumulationGetLengthNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"accumulation": ("ACCUMULATION",)}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "length"
    CATEGORY = "Testing/Lists"

    def length(self, accumulation):
        return (len(accumulation["accum"]),)


@variant_types
class TestAccumulationGetItemNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"accumulation": ("ACCUMULATION",), "index": ("INT", {"default": 0})}}

    RETURN_TYPES = ("*",)
    FUNCTION = "get_item"
    CATEGORY = "Testing/Lists"

    def get_item(self, accumulation, index):
        return (accumulation["accum"][index],)


@variant_types
class TestAccumulationSetItemNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "accumulation": ("ACCUMULATION",),
                "index": ("INT", {"default": 0}),
                "value": ("*",),
            },
        }

    RETURN_TYPES = ("ACCUMULATION",)
    FUNCTION = "set_item"
    CATEGORY = "Testing/Lists"

    def set_item(self, accumulation, index, value):
        items = list(accumulation["accum"])
        items[index] = value
        return (_accumulation(items),)


INT_OPERATIONS = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.floordiv,
    "modulo": operator.mod,
    "power": operator.pow,
}


class TestIntMathOperation:
    @classmethod
    def INPUT_TYPES(cls):
        number = ("INT", {"default": 0, "min": -HUGE_INT, "max": HUGE_INT, "step": 1})
        return {"required": {"a": number, "b": number, "operation": (list(INT_OPERATIONS),)}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "calculate"
    CATEGORY = "Testing/Logic"

    def calculate(self, a, b, operation):
        return (INT_OPERATIONS[operation](a, b),)


@variant_types
class TestMakeListNode:
    """Collects `value1` ... `value9` (whichever are connected) into one list output."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"value1": ("*",)},
            "optional": {f"value{i}": ("*",) for i in range(2, NUM_LIST_SOCKETS)},
        }

    RETURN_TYPES = ("*",)
    OUTPUT_IS_LIST = (True,)
    FUNCTION = "make_list"
    CATEGORY = "Testing/Lists"

    def make_list(self, **kwargs):
        return ([kwargs[f"value{i}"] for i in range(1, NUM_LIST_SOCKETS) if f"value{i}" in kwargs],)


NODE_CLASS_MAPPINGS = {
    "TestAccumulateNode": TestAccumulateNode,
    "TestAccumulationHeadNode": TestAccumulationHeadNode,
    "TestAccumulationTailNode": TestAccumulationTailNode,
    "TestAccumulationToListNode": TestAccumulationToListNode,
    "TestListToAccumulationNode": TestListToAccumulationNode,
    "TestAccumulationGetLengthNode": TestAccumulationGetLengthNode,
    "TestAccumulationGetItemNode": TestAccumulationGetItemNode,
    "TestAccumulationSetItemNode": TestAccumulationSetItemNode,
    "TestIntMathOperation": TestIntMathOperation,
    "TestMakeListNode": TestMakeListNode,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TestAccumulateNode": "Accumulate",
    "TestAccumulationHeadNode": "Accumulation Head",
    "TestAccumulationTailNode": "Accumulation Tail",
    "TestAccumulationToListNode": "Accumulation to List",
    "TestListToAccumulationNode": "List to Accumulation",
    "TestAccumulationGetLengthNode": "Accumulation Get Length",
    "TestAccumulationGetItemNode": "Accumulation Get Item",
    "TestAccumulationSetItemNode": "Accumulation Set Item",
    "TestIntMathOperation": "Int Math Operation",
    "TestMakeListNode": "Make List",
}
