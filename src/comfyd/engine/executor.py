"""`PromptExecutor`: runs validated prompts with ComfyUI's semantics, across prompts' caches.

One executor serves one worker: it keeps the output cache and the node instances between prompts
and runs one prompt at a time. Each run reports through an event sink and returns what history
needs (outputs, meta, status messages).

    executor = PromptExecutor(registry, cache=LRUCache(100))
    result = await executor.execute(prompt, prompt_id=pid, execute_outputs=valid.outputs, on_event=send)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from comfyd.engine.caches import ClassicCache, OutputCache
from comfyd.engine.classinfo import ClassInfo
from comfyd.engine.context import running
from comfyd.engine.errors import DependencyCycleError, InterruptProcessingException
from comfyd.engine.events import (
    EngineEvent,
    EventSink,
    ExecutionCached,
    ExecutionError,
    ExecutionInterrupted,
    ExecutionStart,
    ExecutionSuccess,
    discard,
)
from comfyd.engine.node_runner import Failure, NodeRunner, Outcome
from comfyd.engine.prompt import DynamicPrompt, Prompt
from comfyd.engine.registry import NodeRegistry
from comfyd.engine.run import Run
from comfyd.engine.scheduler import ExecutionList
from comfyd.engine.signatures import Signer

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a finished run leaves for history: ui outputs, their meta, and status messages."""

    status_str: str
    completed: bool
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    error: ExecutionError | ExecutionInterrupted | None = None

    @property
    def is_success(self) -> bool:
        return self.status_str == "success"


class PromptExecutor:
    """Executes prompts one at a time, keeping caches and node instances between them."""

    def __init__(self, registry: NodeRegistry, *, cache: OutputCache | None = None) -> None:
        self.registry = registry
        self.cache = cache if cache is not None else ClassicCache()
        self.objects: dict[tuple[str, str], Any] = {}
        self._run: Run | None = None

    @property
    def current_prompt_id(self) -> str | None:
        run = self._run
        return None if run is None else run.prompt_id

    def interrupt(self, prompt_id: str | None = None) -> bool:
        """Interrupt the run in progress (only if it is `prompt_id`, when given). Thread-safe."""
        run = self._run
        if run is None or (prompt_id is not None and run.prompt_id != prompt_id):
            return False
        run.interrupted = True
        return True

    def reset(self) -> None:
        """Forget every cached output and node instance."""
        self.cache.clear()
        self.objects.clear()

    def run(self, prompt: Prompt, **kwargs: Any) -> RunResult:
        """Synchronous `execute`, on a fresh event loop (as ComfyUI's worker thread does)."""
        return asyncio.run(self.execute(prompt, **kwargs))

    async def execute(
        self,
        prompt: Prompt,
        *,
        prompt_id: str,
        execute_outputs: list[str],
        extra_data: dict[str, Any] | None = None,
        on_event: EventSink = discard,
    ) -> RunResult:
        """Run the `execute_outputs` of a validated prompt; never raises for a node's failure."""
        dynprompt = DynamicPrompt(prompt)
        result = RunResult(status_str="error", completed=False)

        def record(event: EngineEvent) -> None:
            result.messages.append((event.type, event.data()))
            on_event(event)

        run = Run(prompt_id, dynprompt, on_event, extra_data or {})
        self._run = run
        try:
            with running(run):
                await self._execute(run, record, prompt, execute_outputs, result)
        finally:
            self._run = None
            self.cache.end()
        return result

    async def _execute(self, run: Run, record: EventSink, prompt: Prompt, outputs: list[str], result: RunResult):
        prompt_id = run.prompt_id
        record(ExecutionStart(prompt_id=prompt_id))
        info = ClassInfo(self.registry)
        signer = Signer(self.registry, run.dynprompt, prompt_id)
        await signer.sign_all(prompt)
        self.cache.begin(signer, prompt)
        self._forget_objects_outside(prompt)
        result.cached = self.cache.cached_node_ids(prompt)
        record(ExecutionCached(nodes=result.cached, prompt_id=prompt_id))
        execution_list = ExecutionList(run.dynprompt, self.cache, info)
        runner = NodeRunner(run, info, signer, self.cache, execution_list, self.objects)
        for node_id in outputs:
            execution_list.add_node(node_id)
        try:
            failure = await self._loop(execution_list, runner)
        finally:
            await runner.cancel_pending()
        if failure is None:
            record(ExecutionSuccess(prompt_id=prompt_id))
            result.status_str, result.completed = "success", True
        else:
            result.error = self._report_failure(run, record, failure, runner.executed, result.cached)
        result.executed = list(runner.executed)
        for node_id, ui in runner.ui_outputs.items():
            result.outputs[node_id] = ui["output"]
            result.meta[node_id] = ui["meta"]

    async def _loop(self, execution_list: ExecutionList, runner: NodeRunner) -> Failure | None:
        while not execution_list.is_empty():
            try:
                node_id = await execution_list.stage_node_execution()
            except DependencyCycleError as exc:
                return Failure(self._blame_cycle(runner.run.dynprompt, exc.nodes), exc, cycle=True)
            outcome, failure = await runner.execute(node_id)
            if outcome is Outcome.FAILURE:
                return failure
            if outcome is Outcome.PENDING:
                execution_list.unstage_node_execution()
            else:
                execution_list.complete_node_execution()
        return None

    @staticmethod
    def _blame_cycle(dynprompt: DynamicPrompt, nodes: list[str]) -> str:
        """Static cycles are caught by validation, so blame the node whose expansion made this one."""
        for node_id in nodes:
            display_id = dynprompt.get_display_node_id(node_id)
            if display_id != node_id:
                return display_id
        return nodes[0]

    def _report_failure(self, run: Run, record: EventSink, failure: Failure, executed, current_outputs):
        node_id = failure.node_id
        class_type = run.dynprompt.get_node(node_id)["class_type"]
        if isinstance(failure.exception, InterruptProcessingException):
            logger.info("Processing interrupted")
            event: ExecutionError | ExecutionInterrupted = ExecutionInterrupted(
                prompt_id=run.prompt_id, node_id=node_id, node_type=class_type, executed=list(executed)
            )
        else:
            event = ExecutionError(
                prompt_id=run.prompt_id,
                node_id=node_id,
                node_type=class_type,
                executed=list(executed),
                exception_message=failure.message,
                exception_type=failure.exception_type,
                traceback=failure.traceback,
                current_inputs=failure.current_inputs,
                current_outputs=list(current_outputs),
            )
        record(event)
        return event

    def _forget_objects_outside(self, prompt: Prompt) -> None:
        """Node instances live as long as their node stays in the prompts being run."""
        for key in [k for k in self.objects if k[0] not in prompt or prompt[k[0]].get("class_type") != k[1]]:
            del self.objects[key]
