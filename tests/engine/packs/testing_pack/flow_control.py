"""Loops and blocking built from node expansion.

A while loop is an open node and a close node. While the condition holds, the close node expands
into a fresh copy of every node between the open and itself (found through `DYNPROMPT`), with the
copy's open node fed the values of this iteration; the copy's close node does the same again. The
copies show their progress on the original nodes through `set_override_display_id`. A for loop is
a while loop whose condition counts down.
"""

from comfy.comfy_types import IO
from comfy_execution.graph import ExecutionBlocker
from comfy_execution.graph_utils import GraphBuilder, is_link

from .variants import variant_types

NUM_FLOW_SOCKETS = 5


def _loop_values(kwargs, first=0):
    return [kwargs.get(f"initial_value{i}") for i in range(first, NUM_FLOW_SOCKETS)]


@variant_types
class TestWhileLoopOpen:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"condition": ("BOOLEAN", {"default": True})},
            "optional": {f"initial_value{i}": ("*",) for i in range(NUM_FLOW_SOCKETS)},
        }

    RETURN_TYPES = ("FLOW_CONTROL",) + ("*",) * NUM_FLOW_SOCKETS
    RETURN_NAMES = ("FLOW_CONTROL",) + tuple(f"value{i}" for i in range(NUM_FLOW_SOCKETS))
    FUNCTION = "open_loop"
    CATEGORY = "Testing/Flow"

    def open_loop(self, condition, **kwargs):
        return ("stub", *_loop_values(kwargs))


def _upstream_edges(node_id, dynprompt, children):
    """Fill `children` with parent -> [child] for every link above `node_id`."""
    for value in dynprompt.get_node(node_id).get("inputs", {}).values():
        if not is_link(value):
            continue
        parent = value[0]
        if parent not in children:
            children[parent] = []
            _upstream_edges(parent, dynprompt, children)
        children[parent].append(node_id)


def _downstream_of(node_id, children, found):
    for child in children.get(node_id, []):
        if child not in found:
            found.append(child)
            _downstream_of(child, children, found)


def _loop_body(open_id, close_id, dynprompt):
    """Every node on a path from the open node to the close node, both included."""
    children = {}
    _upstream_edges(close_id, dynprompt, children)
    body = [open_id]
    _downstream_of(open_id, children, body)
    if close_id not in body:
        body.append(close_id)
    return body


@variant_types
class TestWhileLoopClose:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "flow_control": ("FLOW_CONTROL", {"rawLink": True}),
                "condition": ("BOOLEAN", {"forceInput": True}),
            },
            "optional": {f"initial_value{i}": ("*",) for i in range(NUM_FLOW_SOCKETS)},
            "hidden": {"dynprompt": "DYNPROMPT", "unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = ("*",) * NUM_FLOW_SOCKETS
    RETURN_NAMES = tuple(f"value{i}" for i in range(NUM_FLOW_SOCKETS))
    FUNCTION = "close_loop"
    CATEGORY = "Testing/Flow"

    def close_loop(self, flow_control, condition, dynprompt=None, unique_id=None, **kwargs):
        if not condition:
            return tuple(_loop_values(kwargs))
        open_id = flow_control[0]
        body = _loop_body(open_id, unique_id, dynprompt)
        # The copy of this node gets a fixed local name so ids do not grow with every iteration.
        local_id = {node_id: ("Recurse" if node_id == unique_id else node_id) for node_id in body}
        graph = GraphBuilder()
        for node_id in body:
            copy = graph.node(dynprompt.get_node(node_id)["class_type"], local_id[node_id])
            copy.set_override_display_id(node_id)
        for node_id in body:
            copy = graph.lookup_node(local_id[node_id])
            for name, value in dynprompt.get_node(node_id)["inputs"].items():
                if is_link(value) and value[0] in local_id:
                    value = graph.lookup_node(local_id[value[0]]).out(value[1])
                copy.set_input(name, value)
        new_open = graph.lookup_node(local_id[open_id])
        for i, value in enumerate(_loop_values(kwargs)):
            new_open.set_input(f"initial_value{i}", value)
        recursion = graph.lookup_node("Recurse")
        return {
            "result": tuple(recursion.out(i) for i in range(NUM_FLOW_SOCKETS)),
            "expand": graph.finalize(),
        }


@variant_types
class TestForLoopOpen:
    """Counts `remaining` down to zero. The hidden `initial_value0` carries the count from one
    iteration to the next: it is only ever set by the loop's own expansion."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"remaining": ("INT", {"default": 1, "min": 0, "max": 100000})},
            "optional": {f"initial_value{i}": ("*",) for i in range(1, NUM_FLOW_SOCKETS)},
            "hidden": {"initial_value0": ("*",)},
        }

    RETURN_TYPES = ("FLOW_CONTROL", "INT") + ("*",) * (NUM_FLOW_SOCKETS - 1)
    RETURN_NAMES = ("flow_control", "remaining") + tuple(f"value{i}" for i in range(1, NUM_FLOW_SOCKETS))
    FUNCTION = "open_loop"
    CATEGORY = "Testing/Flow"

    def open_loop(self, remaining, **kwargs):
        if "initial_value0" in kwargs:
            remaining = kwargs["initial_value0"]
        values = _loop_values(kwargs, first=1)
        graph = GraphBuilder()
        graph.node(
            "TestWhileLoopOpen",
            condition=remaining,
            initial_value0=remaining,
            **{f"initial_value{i}": value for i, value in enumerate(values, start=1)},
        )
        return {"result": ("stub", remaining, *values), "expand": graph.finalize()}


@variant_types
class TestForLoopClose:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"flow_control": ("FLOW_CONTROL", {"rawLink": True})},
            "optional": {f"initial_value{i}": ("*", {"rawLink": True}) for i in range(1, NUM_FLOW_SOCKETS)},
        }

    RETURN_TYPES = ("*",) * (NUM_FLOW_SOCKETS - 1)
    RETURN_NAMES = tuple(f"value{i}" for i in range(1, NUM_FLOW_SOCKETS))
    FUNCTION = "close_loop"
    CATEGORY = "Testing/Flow"

    def close_loop(self, flow_control, **kwargs):
        graph = GraphBuilder()
        open_id = flow_control[0]
        decrement = graph.node("TestIntMathOperation", operation="subtract", a=[open_id, 1], b=1)
        keep_going = graph.node("TestToBoolNode", value=decrement.out(0))
        values = {f"initial_value{i}": kwargs.get(f"initial_value{i}") for i in range(1, NUM_FLOW_SOCKETS)}
        close = graph.node(
            "TestWhileLoopClose",
            flow_control=flow_control,
            condition=keep_going.out(0),
            initial_value0=decrement.out(0),
            **values,
        )
        return {
            "result": tuple(close.out(i) for i in range(1, NUM_FLOW_SOCKETS)),
            "expand": graph.finalize(),
        }


@variant_types
class TestExecutionBlocker:
    """Blocks its output when `block` is true; `verbose` attaches a message to the block."""

    MESSAGE = "Blocked Execution"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "input": ("*",),
                "block": ("BOOLEAN",),
                "verbose": ("BOOLEAN", {"default": False}),
            },
        }

    RETURN_TYPES = ("*",)
    RETURN_NAMES = ("output",)
    FUNCTION = "maybe_block"
    CATEGORY = "Testing/Flow"

    def maybe_block(self, input, block, verbose):
        if block:
            return (ExecutionBlocker(self.MESSAGE if verbose else None),)
        return (input,)


class TestBlockOutputs:
    """Returns a bare ExecutionBlocker, which stands for every one of its outputs."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": (IO.ANY,), "message": ("STRING", {"default": ""})}}

    RETURN_TYPES = (IO.ANY, IO.ANY)
    FUNCTION = "block"
    CATEGORY = "Testing/Flow"

    def block(self, value, message):
        return ExecutionBlocker(message or None)


NODE_CLASS_MAPPINGS = {
    "TestWhileLoopOpen": TestWhileLoopOpen,
    "TestWhileLoopClose": TestWhileLoopClose,
    "TestForLoopOpen": TestForLoopOpen,
    "TestForLoopClose": TestForLoopClose,
    "TestExecutionBlocker": TestExecutionBlocker,
    "TestBlockOutputs": TestBlockOutputs,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TestWhileLoopOpen": "While Loop Open",
    "TestWhileLoopClose": "While Loop Close",
    "TestForLoopOpen": "For Loop Open",
    "TestForLoopClose": "For Loop Close",
    "TestExecutionBlocker": "Execution Blocker",
    "TestBlockOutputs": "Block Outputs",
}
