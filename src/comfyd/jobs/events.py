"""Events the jobs layer adds to the engine's, and the envelope the bus carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from comfyd.engine.events import EngineEvent


class QueueStatus(EngineEvent):
    """ComfyUI's `status`: how many prompts are pending or running. Sent to everyone."""

    type: ClassVar[str] = "status"
    queue_remaining: int

    def data(self) -> dict[str, Any]:
        return {"status": {"exec_info": {"queue_remaining": self.queue_remaining}}}


class ExecutionDone(EngineEvent):
    """`executing` with a null node: the prompt is over and its history is stored.

    ComfyUI sends it after writing history, and clients (the frontend, ComfyUI's own test
    client) read `/history/{id}` as soon as they see it.
    """

    type: ClassVar[str] = "executing"
    prompt_id: str

    def data(self) -> dict[str, Any]:
        return {"node": None, "prompt_id": self.prompt_id}


@dataclass(frozen=True, slots=True)
class Envelope:
    """An event on the bus with what routing needs: the prompt it belongs to, its client, and
    the scope (workspace) that owns it when the server requires sign-in — only sockets of that
    scope may receive it."""

    event: EngineEvent
    prompt_id: str | None = None
    client_id: str | None = None
    scope: str | None = None
