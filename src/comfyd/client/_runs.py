"""Following one queued prompt to its end, without I/O: both clients' `run()` feed it events.

A prompt is finished when its `executing` message with a null node arrives; ComfyUI writes the
history entry before sending it, so `/history/{id}` can be read straight away. A prompt that is
deleted from the queue before it runs sends nothing at all, so while the prompt has not started,
a `status` message saying the queue shrank makes the caller look for it in the queue instead of
waiting for ever. So does a reconnect that could not resume: the prompt may have ended (or been
lost with a restarted server) while its events could not reach us.
"""

from __future__ import annotations

import contextlib
import enum
import time

from pydantic import ValidationError

from comfyd.client._errors import ExecutionFailed, RunTimedOut
from comfyd.client._events import (
    Event,
    Executing,
    ExecutionError,
    ExecutionInterrupted,
    ExecutionStart,
    Reconnected,
    Status,
)
from comfyd.client._models import HistoryEntry, Queue, QueuedPrompt, RunResult

__all__: list[str] = []


class Step(enum.Enum):
    CONTINUE = "continue"
    DONE = "done"
    CHECK_QUEUE = "check_queue"
    RECONCILE = "reconcile"


class Deadline:
    """Seconds left of an optional overall timeout."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._end = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> float | None:
        return None if self._end is None else max(self._end - time.monotonic(), 0.0)


class RunTracker:
    """The state of one `run()`: which events belong to it and how it ended."""

    def __init__(self, queued: QueuedPrompt) -> None:
        self.queued = queued
        self.prompt_id = queued.prompt_id
        self.failure: ExecutionError | ExecutionInterrupted | None = None
        self.has_started = False
        self._last_remaining: int | None = None

    def observe(self, event: Event) -> Step:
        """Record `event`; say whether the prompt is done or its place in the queue needs a look."""
        if isinstance(event, Status):
            return self._observe_status(event)
        if isinstance(event, Reconnected):
            return Step.CONTINUE if event.resumed else Step.RECONCILE
        if getattr(event, "prompt_id", None) != self.prompt_id:
            return Step.CONTINUE
        if isinstance(event, ExecutionStart):
            self.has_started = True
        elif isinstance(event, ExecutionError) and not event.is_block:
            self.failure = event
        elif isinstance(event, ExecutionInterrupted):
            self.failure = event
        elif isinstance(event, Executing) and event.node is None:
            return Step.DONE
        return Step.CONTINUE

    def _observe_status(self, status: Status) -> Step:
        # A queue that shrank before our prompt started may have lost it to a delete or cancel,
        # which the server announces only through `status`. The connection's opening status
        # (it carries `sid`) predates the prompt, so it only sets the baseline.
        remaining, last = status.queue_remaining, self._last_remaining
        self._last_remaining = remaining
        if status.sid is not None or remaining is None or self.has_started:
            return Step.CONTINUE
        return (
            Step.CHECK_QUEUE if remaining == 0 or (last is not None and remaining < last) else Step.CONTINUE
        )

    def is_gone(self, queue: Queue, history: dict[str, HistoryEntry]) -> bool:
        """Left the queue without a history entry: deleted or cancelled before it ran.

        A prompt already in history is not gone: its events (up to `executing {node: null}`)
        may still be on their way behind the `status` that made us look.
        """
        return not self.is_queued(queue) and self.prompt_id not in history

    def has_settled(self, queue: Queue, history: dict[str, HistoryEntry]) -> bool:
        """After events may have been missed: finished (its history is the truth) or gone."""
        return self.prompt_id in history or not self.is_queued(queue)

    def is_queued(self, queue: Queue) -> bool:
        return any(item.prompt_id == self.prompt_id for item in (*queue.queue_running, *queue.queue_pending))

    def timed_out(self, deadline: Deadline) -> RunTimedOut:
        return RunTimedOut(
            f"Prompt {self.prompt_id} did not finish within {deadline.timeout} seconds; it is still on the server.",
            prompt_id=self.prompt_id,
            timeout=deadline.timeout or 0.0,
        )

    def finish(self, history: dict[str, HistoryEntry]) -> RunResult:
        """The run's result from its history entry; raises `ExecutionFailed` if it did not succeed."""
        entry = history.get(self.prompt_id)
        if entry is None:
            raise ExecutionFailed(
                f"Prompt {self.prompt_id} left the queue without running (it was deleted or cancelled).",
                prompt_id=self.prompt_id,
            )
        failure = self.failure or _failure_in(entry)
        if failure is not None or (entry.status is not None and entry.status.status_str != "success"):
            raise ExecutionFailed(_describe(self.prompt_id, failure), prompt_id=self.prompt_id, event=failure)
        return RunResult(
            prompt_id=self.prompt_id,
            outputs=entry.outputs,
            status=entry.status,
            node_errors=self.queued.node_errors,
        )


def _failure_in(entry: HistoryEntry) -> ExecutionError | ExecutionInterrupted | None:
    """The error or interrupt message a history entry recorded, if the socket missed it."""
    if entry.status is None:
        return None
    for model in (ExecutionError, ExecutionInterrupted):
        data = entry.status.message(model.model_fields["type"].default)
        if data is not None:
            with contextlib.suppress(ValidationError):
                return model.model_validate(data)
    return None


def _describe(prompt_id: str, failure: ExecutionError | ExecutionInterrupted | None) -> str:
    if isinstance(failure, ExecutionError):
        # ComfyUI ends exception_message with a newline.
        return (
            f"Prompt {prompt_id} failed in node {failure.node_id} ({failure.node_type}): "
            f"{failure.exception_type}: {failure.exception_message.strip()}"
        )
    if isinstance(failure, ExecutionInterrupted):
        return f"Prompt {prompt_id} was interrupted at node {failure.node_id} ({failure.node_type})."
    return f"Prompt {prompt_id} did not finish successfully."
