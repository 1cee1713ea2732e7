"""Input signatures: the cache keys of node outputs.

A node's signature covers its class, its `IS_CHANGED` result, its constant inputs and, through
links, the signatures of everything upstream, so identical sub-graphs share cache entries whatever
their node ids. The node id joins the signature only for `NOT_IDEMPOTENT` nodes and nodes that
declare a hidden `UNIQUE_ID`. Ephemeral (expanded) nodes also include their parent's signature.

Signatures are digests built bottom-up, so each node costs work proportional to its own inputs,
not to the size of its ancestry (ComfyUI re-walks every ancestor for every node). A value that
cannot be compared (NaN from `IS_CHANGED`, an arbitrary object) makes the node and everything
downstream uncacheable: its signature is a fresh random token that never matches.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from typing import Any

from comfyd.engine.blocker import ExecutionBlocker
from comfyd.engine.calls import gather_inputs, map_node_over_list, resolve_results
from comfyd.engine.graph_builder import is_link
from comfyd.engine.prompt import DynamicPrompt
from comfyd.engine.registry import NodeRegistry

logger = logging.getLogger(__name__)

Signature = bytes


class _Uncomparable(Exception):
    pass


def _canonical(value: Any) -> Any:
    """A repr-stable, comparable form of a constant, or `_Uncomparable`."""
    if value is None or isinstance(value, bool | int | str | bytes):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise _Uncomparable
        return value
    if isinstance(value, list | tuple):
        return ("[", *(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("{", *sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, frozenset | set):
        return ("set", *sorted(repr(_canonical(v)) for v in value))
    raise _Uncomparable


def _digest(parts: tuple) -> Signature:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


class Signer:
    """Computes and memoises the signature of every node of one run."""

    def __init__(self, registry: NodeRegistry, dynprompt: DynamicPrompt, prompt_id: str) -> None:
        self.registry = registry
        self.dynprompt = dynprompt
        self.prompt_id = prompt_id
        self.signatures: dict[str, Signature] = {}
        self.is_changed: dict[str, Any] = {}
        self._keyed_by_id: dict[type, bool] = {}

    async def sign_all(self, node_ids) -> None:
        """Sign `node_ids` and their ancestors, bottom-up, without recursion."""
        for node_id in node_ids:
            if node_id not in self.signatures:
                await self._sign_tree(node_id)

    def get(self, node_id: str) -> Signature | None:
        return self.signatures.get(node_id)

    async def sign(self, node_id: str) -> Signature:
        if node_id not in self.signatures:
            await self._sign_tree(node_id)
        return self.signatures[node_id]

    async def _sign_tree(self, root: str) -> None:
        # A cycle (only expansions can make one) leaves a link to a node still being signed;
        # `_sign_node` then finds no signature for it and makes the node uncacheable.
        stack = [(root, False)]
        visiting: set[str] = set()
        while stack:
            node_id, expanded = stack.pop()
            if node_id in self.signatures:
                continue
            if not self.dynprompt.has_node(node_id):
                self.signatures[node_id] = os.urandom(16)
                continue
            if expanded:
                self.signatures[node_id] = await self._sign_node(node_id)
                visiting.discard(node_id)
                continue
            if node_id in visiting:
                continue
            visiting.add(node_id)
            stack.append((node_id, True))
            for value in self.dynprompt.get_node(node_id)["inputs"].values():
                if is_link(value) and value[0] not in self.signatures and value[0] not in visiting:
                    stack.append((value[0], False))
            parent = self.dynprompt.get_parent_node_id(node_id)
            if parent is not None and parent not in self.signatures and parent not in visiting:
                stack.append((parent, False))

    async def _sign_node(self, node_id: str) -> Signature:
        node = self.dynprompt.get_node(node_id)
        class_type = node["class_type"]
        class_def = self.registry.get(class_type)
        if class_def is None:
            return os.urandom(16)
        try:
            changed = _canonical(await self._is_changed(node_id, node, class_def))
            inputs = []
            for name in sorted(node["inputs"]):
                value = node["inputs"][name]
                if is_link(value):
                    upstream = self.signatures.get(value[0])
                    if upstream is None:
                        raise _Uncomparable
                    inputs.append((name, "\x00link", upstream, value[1]))
                else:
                    inputs.append((name, _canonical(value)))
        except _Uncomparable:
            return os.urandom(16)
        parts: tuple = (class_type, changed, tuple(inputs))
        if self._is_keyed_by_id(class_def):
            parts += ("\x00id", node_id)
        parent = self.dynprompt.get_parent_node_id(node_id)
        if parent is not None:
            parts += ("\x00parent", self.signatures.get(parent) or os.urandom(16))
        return _digest(parts)

    async def _is_changed(self, node_id: str, node: dict, class_def: type) -> Any:
        """`IS_CHANGED` called with constant inputs only; an exception counts as NaN."""
        if not hasattr(class_def, "IS_CHANGED"):
            return False
        if node_id in self.is_changed:
            return self.is_changed[node_id]
        try:
            data, _ = gather_inputs(node["inputs"], class_def, class_def.INPUT_TYPES(), node_id)
            results = await map_node_over_list(self.prompt_id, node_id, class_def, data, "IS_CHANGED")
            results = await resolve_results(results)
            value: Any = [None if isinstance(r, ExecutionBlocker) else r for r in results]
        except Exception as exc:
            logger.warning("IS_CHANGED of node %s (%s) failed: %s", node_id, node["class_type"], exc)
            value = float("nan")
        self.is_changed[node_id] = value
        return value


    def _is_keyed_by_id(self, class_def: type) -> bool:
        """Whether the node id belongs in the signature: NOT_IDEMPOTENT, or a hidden UNIQUE_ID."""
        keyed = self._keyed_by_id.get(class_def)
        if keyed is None:
            hidden = class_def.INPUT_TYPES().get("hidden") or {}
            keyed = bool(getattr(class_def, "NOT_IDEMPOTENT", False)) or "UNIQUE_ID" in hidden.values()
            self._keyed_by_id[class_def] = keyed
        return keyed
