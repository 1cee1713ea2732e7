"""A test client for the engine, shaped like the client in ComfyUI's execution tests.

ComfyUI's tests queue a prompt over HTTP (a 400 raises), read `/ws` until the prompt is done
(an `execution_error` raises, every `executing` marks a node as run, `execution_cached` marks
nodes as cached), then fetch history and the saved images. `EngineClient.run` does the same
in-process: validate, execute with a fresh prompt id while collecting events, read the images
the ui dicts name. Assertions can therefore be carried over from ComfyUI's tests unchanged.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from comfyd.engine.events import EngineEvent, Executing, ExecutionCached, ExecutionError
from comfyd.engine.executor import PromptExecutor, RunResult
from comfyd.engine.folders import FolderPaths
from comfyd.engine.registry import NodeRegistry
from comfyd.engine.validation import ValidationResult, validate_prompt


def node_id_of(node: Any) -> str:
    """A GraphBuilder node's id, or the id itself."""
    return node if isinstance(node, str) else node.id


def pixel_values(image: Image.Image) -> tuple[int, int]:
    """The (min, max) 8-bit value over every pixel and channel of a saved image."""
    array = np.asarray(image)
    return int(array.min()), int(array.max())


class PromptRejected(Exception):
    """Validation refused the prompt: what ComfyUI answers with HTTP 400."""

    def __init__(self, validation: ValidationResult) -> None:
        super().__init__(validation.error, validation.node_errors)
        self.error = validation.error
        self.node_errors = validation.node_errors


class ExecutionFailed(Exception):
    """The run sent a (non-blocking) `execution_error`; `args[0]` is its data, as in ComfyUI."""

    def __init__(self, data: dict[str, Any], outcome: Outcome) -> None:
        super().__init__(data)
        self.data = data
        self.outcome = outcome


@dataclass
class Outcome:
    """Everything one run reported, with ComfyUI's test-client questions as methods."""

    prompt_id: str
    validation: ValidationResult
    result: RunResult
    events: list[EngineEvent] = field(default_factory=list)
    images: dict[str, list[Image.Image]] = field(default_factory=dict)
    leftover_tasks: list[asyncio.Task] = field(default_factory=list)
    """Tasks still pending on the loop when `execute` returned (a finished run should leave none)."""

    def events_of(self, event_type: type[EngineEvent]) -> list[Any]:
        return [event for event in self.events if isinstance(event, event_type)]

    @property
    def ran(self) -> set[str]:
        return {event.node for event in self.events_of(Executing) if event.node is not None}

    @property
    def cached(self) -> set[str]:
        return {node for event in self.events_of(ExecutionCached) for node in event.nodes}

    def did_run(self, node: Any) -> bool:
        return node_id_of(node) in self.ran

    def was_cached(self, node: Any) -> bool:
        return node_id_of(node) in self.cached

    def was_executed(self, node: Any) -> bool:
        """Run or served from the cache."""
        return self.did_run(node) or self.was_cached(node)

    def get_output(self, node: Any) -> dict[str, Any] | None:
        """The node's ui dict as history records it, or None."""
        return self.result.outputs.get(node_id_of(node))

    def get_images(self, node: Any) -> list[Image.Image]:
        return self.images.get(node_id_of(node), [])

    @property
    def blocks(self) -> list[ExecutionError]:
        """The `execution_error` messages that only reported a block."""
        return [
            event for event in self.events_of(ExecutionError) if event.exception_type == "ExecutionBlocked"
        ]


class EngineClient:
    """Validates and runs graphs against one executor, one prompt at a time.

    `caches_across_prompts` is False for the no-cache policy, where nothing is reused between
    prompts; tests use it to choose between "was cached" and "ran again".
    """

    def __init__(
        self,
        registry: NodeRegistry,
        executor: PromptExecutor,
        folders: FolderPaths,
        *,
        caches_across_prompts: bool,
        test_name: str = "engine",
    ) -> None:
        self.registry = registry
        self.executor = executor
        self.folders = folders
        self.caches_across_prompts = caches_across_prompts
        self.test_name = test_name
        self._loop = asyncio.new_event_loop()

    def close(self) -> None:
        """Close the event loop, first cancelling any task a run left behind (tests check for those
        through `Outcome.leftover_tasks`; cancelling keeps one leak from spilling into other tests)."""
        leftovers = asyncio.all_tasks(self._loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            self._loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        self._loop.close()

    # -- the steps of a run ----------------------------------------------------------------------

    def prompt_of(self, graph: Any) -> dict[str, Any]:
        """The API-format prompt for a GraphBuilder (or a prompt dict), as it would cross the wire.

        SaveImage prefixes are set to the test's name, as ComfyUI's client does.
        """
        if isinstance(graph, dict):
            return json.loads(json.dumps(graph))
        for node in graph.nodes.values():
            if node.class_type == "SaveImage":
                node.inputs["filename_prefix"] = self.test_name
        return json.loads(json.dumps(graph.finalize()))

    async def validate_async(
        self, prompt: dict[str, Any], *, prompt_id: str | None = None, partial_execution_targets=None
    ) -> ValidationResult:
        return await validate_prompt(
            self.registry,
            prompt,
            prompt_id=prompt_id or str(uuid.uuid4()),
            partial_execution_targets=partial_execution_targets,
        )

    def validate(self, prompt: dict[str, Any], partial_execution_targets=None) -> ValidationResult:
        """Validate a prompt dict, which validation may change in place (it coerces widget values)."""
        return self._loop.run_until_complete(
            self.validate_async(prompt, partial_execution_targets=partial_execution_targets)
        )

    async def run_async(
        self,
        graph: Any,
        partial_execution_targets: list[str] | None = None,
        *,
        extra_data: dict[str, Any] | None = None,
        on_event: Callable[[EngineEvent], None] | None = None,
        raise_on_error: bool = True,
    ) -> Outcome:
        prompt = self.prompt_of(graph)
        prompt_id = str(uuid.uuid4())
        validation = await self.validate_async(
            prompt, prompt_id=prompt_id, partial_execution_targets=partial_execution_targets
        )
        if not validation.ok:
            raise PromptRejected(validation)
        events: list[EngineEvent] = []

        def collect(event: EngineEvent) -> None:
            events.append(event)
            if on_event is not None:
                on_event(event)

        result = await self.executor.execute(
            prompt,
            prompt_id=prompt_id,
            execute_outputs=validation.outputs,
            extra_data=extra_data,
            on_event=collect,
        )
        leftovers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        outcome = Outcome(prompt_id, validation, result, events, leftover_tasks=leftovers)
        failures = [e for e in outcome.events_of(ExecutionError) if e.exception_type != "ExecutionBlocked"]
        if failures and raise_on_error:
            raise ExecutionFailed(failures[0].data(), outcome)
        outcome.images = {node_id: self._read_images(ui) for node_id, ui in result.outputs.items()}
        return outcome

    def run(self, graph: Any, partial_execution_targets: list[str] | None = None, **kwargs: Any) -> Outcome:
        """Validate and execute `graph`; raises `PromptRejected` or `ExecutionFailed` like ComfyUI's client."""
        return self._loop.run_until_complete(self.run_async(graph, partial_execution_targets, **kwargs))

    def _read_images(self, ui: dict[str, Any] | None) -> list[Image.Image]:
        images = []
        for record in (ui or {}).get("images", []):
            directory = self.folders.get_directory_by_type(record["type"])
            assert directory is not None, f"ui names an unknown folder type: {record}"
            with Image.open(directory / record["subfolder"] / record["filename"]) as image:
                image.load()
                images.append(image.copy())
        return images
