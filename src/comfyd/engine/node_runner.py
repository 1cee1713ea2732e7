"""`NodeRunner`: executes one scheduled node of a run, as ComfyUI's `execution.execute`.

A node's execution ends in SUCCESS (outputs cached), PENDING (it waits for lazy inputs, async
tasks or the nodes its expansion added, and will be staged again) or FAILURE (the run stops).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import traceback
from dataclasses import dataclass, field
from typing import Any

from comfyd.engine.blocker import ExecutionBlocker
from comfyd.engine.caches import CacheEntry, OutputCache
from comfyd.engine.calls import (
    InputData,
    gather_inputs,
    has_pending_tasks,
    map_node_over_list,
    merge_results,
    outputs_from_returns,
    resolve_results,
)
from comfyd.engine.classinfo import ClassInfo
from comfyd.engine.errors import DuplicateNodeError, InterruptProcessingException
from comfyd.engine.events import Executed, Executing, ExecutionError
from comfyd.engine.graph_builder import GraphBuilder, is_link
from comfyd.engine.run import Run
from comfyd.engine.scheduler import ExecutionList
from comfyd.engine.signatures import Signer
from comfyd.engine.validation import full_type_name

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SUCCESS = "success"
    PENDING = "pending"
    FAILURE = "failure"


@dataclass
class Failure:
    """Why a run stopped: the (real) node to blame and the exception, formatted for the error event."""

    node_id: str
    exception: BaseException
    cycle: bool = False
    current_inputs: dict[str, list[Any]] | list[Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        # ComfyUI appends a (usually empty) tip after a newline; clients see the same text.
        return str(self.exception) if self.cycle else f"{self.exception}\n"

    @property
    def exception_type(self) -> str:
        return "graph.DependencyCycleError" if self.cycle else full_type_name(type(self.exception))

    @property
    def traceback(self) -> list[str]:
        return [] if self.cycle else traceback.format_tb(self.exception.__traceback__)


def format_value(value: Any) -> Any:
    """How `current_inputs` shows a value: JSON scalars as they are, anything else as `str()`."""
    if value is None or isinstance(value, int | float | bool | str):
        return value
    return str(value)


class NodeRunner:
    """Runs nodes of one prompt, tracking what ran, pending work and ui outputs."""

    def __init__(
        self,
        run: Run,
        info: ClassInfo,
        signer: Signer,
        cache: OutputCache,
        execution_list: ExecutionList,
        objects: dict[tuple[str, str], Any],
    ) -> None:
        self.run = run
        self.info = info
        self.signer = signer
        self.cache = cache
        self.execution_list = execution_list
        self.objects = objects
        self.executed: dict[str, None] = {}
        self.ui_outputs: dict[str, dict[str, Any]] = {}
        self.pending_async: dict[str, list[Any]] = {}
        self.pending_expansions: dict[str, list[tuple[bool, Any]]] = {}
        self._waiters: set[asyncio.Task] = set()
        self._inputs: InputData | None = None

    async def execute(self, unique_id: str) -> tuple[Outcome, Failure | None]:
        dynprompt = self.run.dynprompt
        node = dynprompt.get_node(unique_id)
        class_def = self.info.class_def(node["class_type"])
        cached = self.cache.get(unique_id)
        if cached is not None:
            self._replay_cached(unique_id, cached)
            return Outcome.SUCCESS, None
        self._inputs = None
        try:
            if unique_id in self.pending_async:
                returns = [r.result() if isinstance(r, asyncio.Task) else r for r in self.pending_async.pop(unique_id)]
                outputs, ui, has_expansion = outputs_from_returns(returns, class_def)
            elif unique_id in self.pending_expansions:
                outputs, ui, has_expansion = self._resolve_expansion(unique_id, class_def), {}, False
            else:
                called = await self._call(unique_id, node, class_def)
                if called is None:
                    return Outcome.PENDING, None
                outputs, ui, has_expansion = outputs_from_returns(called, class_def)
            if ui:
                self._record_ui(unique_id, ui)
            if has_expansion:
                await self._expand(unique_id, outputs)
                return Outcome.PENDING, None
            entry = CacheEntry(outputs=outputs, ui=self.ui_outputs.get(unique_id))
            self.execution_list.cache_update(unique_id, entry)
            self.cache.set(unique_id, entry)
        except InterruptProcessingException as exc:
            return Outcome.FAILURE, Failure(dynprompt.get_real_node_id(unique_id), exc)
        except Exception as exc:
            logger.error("Exception during processing of node %s: %s", unique_id, exc, exc_info=exc)
            inputs = {k: [format_value(x) for x in v] for k, v in (self._inputs or {}).items()}
            return Outcome.FAILURE, Failure(dynprompt.get_real_node_id(unique_id), exc, current_inputs=inputs)
        self.run.progress.finish(unique_id)
        self.executed[unique_id] = None
        return Outcome.SUCCESS, None

    async def cancel_pending(self) -> None:
        """Cancel async work a failed run left behind; ComfyUI gets this from `asyncio.run`."""
        tasks = [r for returns in self.pending_async.values() for r in returns if isinstance(r, asyncio.Task)]
        tasks += list(self._waiters)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.pending_async.clear()

    def _replay_cached(self, unique_id: str, cached: CacheEntry) -> None:
        """An output node served from cache re-sends its ui, as ComfyUI does."""
        ui = cached.ui or {}
        self.run.emit(
            Executed.model_construct(
                node=unique_id,
                display_node=self.run.dynprompt.get_display_node_id(unique_id),
                output=ui.get("output"),
                prompt_id=self.run.prompt_id,
            )
        )
        if cached.ui is not None:
            self.ui_outputs[unique_id] = cached.ui
        self.run.progress.finish(unique_id)
        self.execution_list.cache_update(unique_id, cached)

    async def _call(self, unique_id: str, node: dict, class_def: type) -> list[Any] | None:
        """Run the node's function; returns its per-call results, or None when it went pending.

        The gathered inputs stay in `self._inputs` for the error report if the node raises.
        """
        run = self.run
        class_type = node["class_type"]
        run.progress.start(unique_id)
        input_data, missing = gather_inputs(
            node["inputs"],
            class_def,
            self.info.input_types(class_type),
            unique_id,
            self.execution_list,
            run.dynprompt,
            run.extra_data,
        )
        self._inputs = input_data
        display_id = run.dynprompt.get_display_node_id(unique_id)
        run.last_node_id = display_id
        run.emit(Executing.model_construct(node=unique_id, display_node=display_id, prompt_id=run.prompt_id))
        obj = self._instance(unique_id, class_type, class_def)
        if await self._needs_lazy_inputs(unique_id, obj, input_data, missing):
            return None
        returns = await map_node_over_list(
            run.prompt_id,
            unique_id,
            obj,
            input_data,
            class_def.FUNCTION,
            allow_interrupt=True,
            on_block=lambda block: self._on_block(unique_id, class_type, block),
            before_call=lambda index: GraphBuilder.set_default_prefix(unique_id, index, 0),
        )
        if has_pending_tasks(returns):
            self._wait_for_tasks(unique_id, returns)
            return None
        return returns

    def _instance(self, unique_id: str, class_type: str, class_def: type) -> Any:
        obj = self.objects.get((unique_id, class_type))
        if obj is None:
            obj = self.objects[(unique_id, class_type)] = class_def()
        return obj

    async def _needs_lazy_inputs(self, unique_id: str, obj: Any, input_data: InputData, missing: set[str]) -> bool:
        """Ask `check_lazy_status` which unevaluated inputs it needs and schedule them."""
        if getattr(obj, "check_lazy_status", None) is None:
            return False
        answers = await resolve_results(
            await map_node_over_list(
                self.run.prompt_id, unique_id, obj, input_data, "check_lazy_status", allow_interrupt=True
            )
        )
        wanted = {name for answer in answers if isinstance(answer, list) for name in answer}
        needed = [n for n in wanted if isinstance(n, str) and (n not in input_data or n in missing)]
        for name in needed:
            self.execution_list.make_input_strong_link(unique_id, name)
        return bool(needed)

    def _on_block(self, unique_id: str, class_type: str, block: ExecutionBlocker) -> ExecutionBlocker:
        """A blocker with a message reports once, then blocks silently further downstream."""
        if block.message is None:
            return block
        run = self.run
        run.emit(
            ExecutionError.model_construct(
                prompt_id=run.prompt_id,
                node_id=unique_id,
                node_type=class_type,
                executed=list(self.executed),
                exception_message=f"Execution Blocked: {block.message}",
                exception_type="ExecutionBlocked",
                traceback=[],
                current_inputs=[],
                current_outputs=[],
                timestamp=None,
            )
        )
        return ExecutionBlocker(None)

    def _wait_for_tasks(self, unique_id: str, returns: list[Any]) -> None:
        """Park the node until its async calls finish; other ready nodes run meanwhile."""
        self.pending_async[unique_id] = returns
        unblock = self.execution_list.add_external_block(unique_id)
        tasks = [r for r in returns if isinstance(r, asyncio.Task)]

        async def wait() -> None:
            await asyncio.gather(*tasks, return_exceptions=True)
            unblock()

        waiter = asyncio.create_task(wait())
        self._waiters.add(waiter)
        waiter.add_done_callback(self._waiters.discard)

    def _record_ui(self, unique_id: str, ui: dict[str, list]) -> None:
        dynprompt = self.run.dynprompt
        display_id = dynprompt.get_display_node_id(unique_id)
        self.ui_outputs[unique_id] = {
            "meta": {
                "node_id": unique_id,
                "display_node": display_id,
                "parent_node": dynprompt.get_parent_node_id(unique_id),
                "real_node_id": dynprompt.get_real_node_id(unique_id),
            },
            "output": ui,
        }
        self.run.emit(
            Executed.model_construct(node=unique_id, display_node=display_id, output=ui, prompt_id=self.run.prompt_id)
        )

    async def _expand(self, unique_id: str, per_call: list[tuple[Any, Any]]) -> None:
        """Add the nodes an expansion returned; the node completes once their results exist."""
        dynprompt = self.run.dynprompt
        results: list[tuple[bool, Any]] = []
        new_ids: list[str] = []
        new_outputs: list[str] = []
        result_links: list[tuple[str, Any]] = []
        for graph, values in per_call:
            if graph is None:
                results.append((False, values))
                continue
            for node_id in graph:
                if dynprompt.has_node(node_id):
                    raise DuplicateNodeError(node_id)
            for node_id, node_info in graph.items():
                new_ids.append(node_id)
                dynprompt.add_ephemeral_node(node_id, node_info, unique_id, node_info.get("override_display_id", unique_id))
                if self.info.is_output(node_info["class_type"]):
                    new_outputs.append(node_id)
            result_links += [(v[0], v[1]) for v in values if is_link(v)]
            results.append((True, values))
        await self.signer.sign_all(new_ids)
        for node_id in new_outputs:
            self.execution_list.add_node(node_id)
            self.execution_list.cache_link(node_id, unique_id)
        for from_id, socket in result_links:
            self.execution_list.add_strong_link(from_id, socket, unique_id)
        self.pending_expansions[unique_id] = results

    def _resolve_expansion(self, unique_id: str, class_def: type) -> list[list[Any]]:
        """Replace the links in an expansion's result with the values their nodes produced."""
        resolved = []
        for from_expansion, values in self.pending_expansions.pop(unique_id):
            if not from_expansion:
                resolved.append(values)
                continue
            row: list[Any] = []
            for value in values:
                if is_link(value):
                    entry = self.execution_list.get_cache(value[0], unique_id) or self.cache.get(value[0])
                    # Each linked output contributes its per-call values, as in ComfyUI.
                    row.extend(entry.outputs[int(value[1])])
                else:
                    row.append(value)
            resolved.append(tuple(row))
        return merge_results(resolved, class_def)
