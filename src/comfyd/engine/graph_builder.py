"""Building graphs for node expansion: `GraphBuilder`, `Node` and the link predicate.

A node that expands returns `{"result": ..., "expand": builder.finalize()}`. Ids made by a
`GraphBuilder()` without an explicit prefix are deterministic: the engine sets a default prefix of
`"{node_id}.{call_index}.{graph_index}."` before each call, so re-running the same node yields the
same ids and cached sub-results can be reused. The default prefix lives in a context variable, so
async nodes that run concurrently do not see each other's prefixes.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any


def is_link(value: Any) -> bool:
    """True when `value` is `[node_id: str, output_index: int | float]`, ComfyUI's link form."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int | float)
        and not isinstance(value[1], bool)
    )


@dataclass
class _PrefixState:
    root: str = ""
    call_index: int = 0
    graph_index: int = 0


_default_prefix: contextvars.ContextVar[_PrefixState] = contextvars.ContextVar("graph_builder_prefix")


def _prefix_state() -> _PrefixState:
    state = _default_prefix.get(None)
    if state is None:
        state = _PrefixState()
        _default_prefix.set(state)
    return state


class Node:
    """One node under construction; `out(i)` is a link to its i-th output."""

    def __init__(self, id: str, class_type: str, inputs: dict[str, Any]) -> None:
        self.id = id
        self.class_type = class_type
        self.inputs = inputs
        self.override_display_id: str | None = None

    def out(self, index: int) -> list:
        return [self.id, index]

    def set_input(self, key: str, value: Any) -> None:
        """Set an input; `None` removes it, as ComfyUI's builder does."""
        if value is None:
            self.inputs.pop(key, None)
        else:
            self.inputs[key] = value

    def get_input(self, key: str) -> Any:
        return self.inputs.get(key)

    def set_override_display_id(self, override_display_id: str) -> None:
        """Show this node's progress on another (visible) node in the UI."""
        self.override_display_id = override_display_id

    def serialize(self) -> dict[str, Any]:
        data: dict[str, Any] = {"class_type": self.class_type, "inputs": self.inputs}
        if self.override_display_id is not None:
            data["override_display_id"] = self.override_display_id
        return data


class GraphBuilder:
    """Collects nodes with prefixed ids and turns them into an API-format graph."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = GraphBuilder.alloc_prefix() if prefix is None else prefix
        self.nodes: dict[str, Node] = {}
        self.id_gen = 1

    @classmethod
    def set_default_prefix(cls, prefix_root: str, call_index: int, graph_index: int = 0) -> None:
        _default_prefix.set(_PrefixState(prefix_root, call_index, graph_index))

    @classmethod
    def alloc_prefix(
        cls, root: str | None = None, call_index: int | None = None, graph_index: int | None = None
    ) -> str:
        state = _prefix_state()
        root = state.root if root is None else root
        call_index = state.call_index if call_index is None else call_index
        graph_index = state.graph_index if graph_index is None else graph_index
        state.graph_index += 1
        return f"{root}.{call_index}.{graph_index}."

    def node(self, class_type: str, id: str | None = None, **kwargs: Any) -> Node:
        """Add a node (or return the one already added under `id`)."""
        if id is None:
            id = str(self.id_gen)
            self.id_gen += 1
        full_id = self.prefix + id
        existing = self.nodes.get(full_id)
        if existing is not None:
            return existing
        node = Node(full_id, class_type, kwargs)
        self.nodes[full_id] = node
        return node

    def lookup_node(self, id: str) -> Node | None:
        return self.nodes.get(self.prefix + id)

    def finalize(self) -> dict[str, dict[str, Any]]:
        return {node_id: node.serialize() for node_id, node in self.nodes.items()}

    def replace_node_output(self, node_id: str, index: int, new_value: Any) -> None:
        """Point every input linked to `node_id`'s output `index` at `new_value` instead."""
        full_id = self.prefix + node_id
        for node in self.nodes.values():
            for key, value in list(node.inputs.items()):
                if is_link(value) and value[0] == full_id and value[1] == index:
                    node.set_input(key, new_value)

    def remove_node(self, id: str) -> None:
        self.nodes.pop(self.prefix + id, None)


def add_graph_prefix(graph: dict, outputs: tuple, prefix: str) -> tuple[dict, tuple]:
    """Return `graph` and `outputs` with every node id (and every link to one) prefixed."""

    def relink(value: Any) -> Any:
        return [prefix + value[0], value[1]] if is_link(value) else value

    new_graph = {
        prefix + node_id: {
            **node,
            "inputs": {name: relink(value) for name, value in node["inputs"].items()},
        }
        for node_id, node in graph.items()
    }
    return new_graph, tuple(relink(value) for value in outputs)
