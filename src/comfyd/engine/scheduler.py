"""`ExecutionList`: which node runs next, as ComfyUI's "topological dissolve".

Nodes are added from the outputs backwards; a node is ready when nothing it waits for is still
pending. Lazy inputs are not followed until `check_lazy_status` asks for them, and cached
upstream nodes are not scheduled at all. Async nodes put an external block on themselves while
their task runs, so the loop can start other ready nodes meanwhile.

Unlike ComfyUI, the set of ready nodes is kept up to date as block counts change, so choosing the
next node does not rescan every pending node.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from comfyd.engine.caches import CacheEntry, OutputCache
from comfyd.engine.errors import DependencyCycleError, NodeInputError
from comfyd.engine.graph_builder import is_link
from comfyd.engine.prompt import DynamicPrompt
from comfyd.engine.registry import input_info


class ExecutionList:
    """The pending nodes of one run, their blocking links, and the outputs each consumer reads."""

    def __init__(self, dynprompt: DynamicPrompt, output_cache: OutputCache, class_info: Any) -> None:
        self.dynprompt = dynprompt
        self.output_cache = output_cache
        self.class_info = class_info
        self.pending: dict[str, None] = {}
        self.block_count: dict[str, int] = {}
        self.blocking: dict[str, dict[str, dict[Any, bool]]] = {}
        self.ready: dict[str, None] = {}
        self.external_blocks = 0
        self.unblocked = asyncio.Event()
        self.staged_node_id: str | None = None
        # consumer -> producer -> entry: outputs kept for consumers even if the cache drops them.
        self.execution_cache: dict[str, dict[str, CacheEntry | None]] = {}
        self.execution_cache_listeners: dict[str, set[str]] = {}

    # -- building -------------------------------------------------------------------------

    def is_cached(self, node_id: str) -> bool:
        return self.output_cache.get(node_id) is not None

    def add_node(self, node_id: str, include_lazy: bool = False, subgraph_nodes: set[str] | None = None) -> None:
        """Schedule `node_id` and, depth first, whatever uncached nodes it needs."""
        stack = [node_id]
        links = []
        while stack:
            unique_id = stack.pop()
            if unique_id in self.pending:
                continue
            self.pending[unique_id] = None
            self.block_count[unique_id] = 0
            self.blocking[unique_id] = {}
            self.ready[unique_id] = None
            node = self.dynprompt.get_node(unique_id)
            valid_inputs = self.class_info.input_types(node["class_type"])
            class_def = self.class_info.class_def(node["class_type"])
            for input_name, value in node["inputs"].items():
                if not is_link(value):
                    continue
                from_id, from_socket = value
                if subgraph_nodes is not None and from_id not in subgraph_nodes:
                    continue
                _, _, options = input_info(class_def, input_name, valid_inputs)
                if include_lazy or not (options and options.get("lazy", False)):
                    if not self.is_cached(from_id):
                        stack.append(from_id)
                    links.append((from_id, from_socket, unique_id))
        for link in links:
            self.add_strong_link(*link)

    def add_strong_link(self, from_node_id: str, from_socket: Any, to_node_id: str) -> None:
        """Make `to_node_id` wait for `from_node_id` (unless that one is cached)."""
        if not self.is_cached(from_node_id):
            self.add_node(from_node_id)
            blocked = self.blocking[from_node_id]
            if to_node_id not in blocked:
                blocked[to_node_id] = {}
                self._block(to_node_id)
            blocked[to_node_id][from_socket] = True
        self.cache_link(from_node_id, to_node_id)

    def make_input_strong_link(self, to_node_id: str, to_input: str) -> None:
        inputs = self.dynprompt.get_node(to_node_id)["inputs"]
        if to_input not in inputs:
            raise NodeInputError(
                f"Node {to_node_id} says it needs input {to_input}, but there is no input to that node at all"
            )
        value = inputs[to_input]
        if not is_link(value):
            raise NodeInputError(
                f"Node {to_node_id} says it needs input {to_input}, but that value is a constant"
            )
        self.add_strong_link(value[0], value[1], to_node_id)

    def add_external_block(self, node_id: str) -> Callable[[], None]:
        """Block `node_id` until the returned function is called (from the same event loop)."""
        self.external_blocks += 1
        self._block(node_id)

        def unblock() -> None:
            self.external_blocks -= 1
            self._unblock(node_id)
            self.unblocked.set()

        return unblock

    def _block(self, node_id: str) -> None:
        self.block_count[node_id] += 1
        self.ready.pop(node_id, None)

    def _unblock(self, node_id: str) -> None:
        count = self.block_count[node_id] - 1
        self.block_count[node_id] = count
        if count == 0:
            self.ready[node_id] = None

    # -- outputs seen by consumers --------------------------------------------------------

    def cache_link(self, from_node_id: str, to_node_id: str) -> None:
        self.execution_cache.setdefault(to_node_id, {})[from_node_id] = self.output_cache.get(from_node_id)
        self.execution_cache_listeners.setdefault(from_node_id, set()).add(to_node_id)

    def get_cache(self, from_node_id: str, to_node_id: str) -> CacheEntry | None:
        """The outputs of `from_node_id` as `to_node_id` sees them."""
        consumers = self.execution_cache.get(to_node_id)
        return None if consumers is None else consumers.get(from_node_id)

    def cache_update(self, node_id: str, entry: CacheEntry) -> None:
        for to_node_id in self.execution_cache_listeners.get(node_id, ()):
            consumers = self.execution_cache.get(to_node_id)
            if consumers is not None:
                consumers[node_id] = entry

    # -- running --------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return not self.pending

    async def stage_node_execution(self) -> str:
        """Pick the next node to run, waiting for async nodes if nothing else is ready.

        Raises `DependencyCycleError` when nothing can ever become ready.
        """
        assert self.staged_node_id is None
        while not self.ready and self.external_blocks > 0:
            await self.unblocked.wait()
            self.unblocked.clear()
        if not self.ready:
            raise DependencyCycleError(self.nodes_in_cycle())
        self.staged_node_id = self._pick()
        return self.staged_node_id

    def unstage_node_execution(self) -> None:
        self.staged_node_id = None

    def complete_node_execution(self) -> None:
        node_id = self.staged_node_id
        del self.pending[node_id]
        self.ready.pop(node_id, None)
        for blocked in self.blocking.pop(node_id):
            self._unblock(blocked)
        self.execution_cache.pop(node_id, None)
        self.execution_cache_listeners.pop(node_id, None)
        self.staged_node_id = None

    def _pick(self) -> str:
        """ComfyUI's UX-friendly order: outputs and async nodes first, then what feeds outputs."""
        is_eager = self._is_eager
        for node_id in self.ready:
            if is_eager(node_id):
                return node_id
        for node_id in self.ready:
            if any(is_eager(b) for b in self.blocking[node_id]):
                return node_id
        for node_id in self.ready:
            for blocked in self.blocking[node_id]:
                if any(is_eager(b) for b in self.blocking.get(blocked, ())):
                    return node_id
        return next(iter(self.ready))

    def _is_eager(self, node_id: str) -> bool:
        info = self.class_info
        class_type = self.dynprompt.get_node(node_id)["class_type"]
        return info.is_output(class_type) or info.is_async(class_type)

    def nodes_in_cycle(self) -> list[str]:
        """The pending nodes left once everything not blocked by another pending node dissolves."""
        blocked_by: dict[str, set[str]] = {node_id: set() for node_id in self.pending}
        for from_id, targets in self.blocking.items():
            for to_id, sockets in targets.items():
                if True in sockets.values() and to_id in blocked_by:
                    blocked_by[to_id].add(from_id)
        changed = True
        while changed:
            free = [node_id for node_id, deps in blocked_by.items() if not deps]
            changed = bool(free)
            for node_id in free:
                del blocked_by[node_id]
            for deps in blocked_by.values():
                deps.difference_update(free)
        return list(blocked_by)
