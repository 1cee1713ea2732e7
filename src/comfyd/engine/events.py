"""The events a prompt run reports, carrying the data of ComfyUI's `/ws` messages.

Each event is a Pydantic model whose `type` is the `/ws` message type and whose fields are the
message's `data`, so the server only has to serialise. Listed in the order the seed lists them.
Routing (to the prompt's client or to everyone) is the server's business, not the engine's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


def now_ms() -> int:
    """Milliseconds since the epoch, as ComfyUI stamps its messages."""
    return int(time.time() * 1000)


class EngineEvent(BaseModel):
    """Base of every engine event; `type` is the `/ws` message type."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    type: ClassVar[str]

    def data(self) -> dict[str, Any]:
        """The message's `data` object as ComfyUI sends it."""
        return self.model_dump()


class ExecutionStart(EngineEvent):
    type: ClassVar[str] = "execution_start"
    prompt_id: str
    timestamp: int = Field(default_factory=now_ms)


class Executing(EngineEvent):
    """A node is about to run (never sent for a cache hit)."""

    type: ClassVar[str] = "executing"
    node: str | None
    display_node: str | None
    prompt_id: str


class ExecutionSuccess(EngineEvent):
    type: ClassVar[str] = "execution_success"
    prompt_id: str
    timestamp: int = Field(default_factory=now_ms)


class ExecutionError(EngineEvent):
    """A node raised, or the remaining nodes form a cycle.

    A blocked execution (`ExecutionBlocker` with a message) uses the same shape with
    `exception_type` "ExecutionBlocked" and no timestamp, and does not end the run.
    """

    type: ClassVar[str] = "execution_error"
    prompt_id: str
    node_id: str
    node_type: str
    executed: list[str]
    exception_message: str
    exception_type: str
    traceback: list[str]
    current_inputs: dict[str, list[Any]] | list[Any]
    current_outputs: list[str]
    timestamp: int | None = Field(default_factory=now_ms)

    def data(self) -> dict[str, Any]:
        data = self.model_dump()
        if self.timestamp is None:
            del data["timestamp"]
        return data

    @property
    def is_block(self) -> bool:
        return self.exception_type == "ExecutionBlocked"


class ExecutionInterrupted(EngineEvent):
    type: ClassVar[str] = "execution_interrupted"
    prompt_id: str
    node_id: str
    node_type: str
    executed: list[str]
    timestamp: int = Field(default_factory=now_ms)


class ExecutionCached(EngineEvent):
    """The prompt nodes whose outputs were already cached when the run started."""

    type: ClassVar[str] = "execution_cached"
    nodes: list[str]
    prompt_id: str
    timestamp: int = Field(default_factory=now_ms)


class Executed(EngineEvent):
    """A node returned a `ui` dict (or an output node was served from cache)."""

    type: ClassVar[str] = "executed"
    node: str
    display_node: str
    output: dict[str, Any] | None
    prompt_id: str


class Progress(EngineEvent):
    """Legacy progress from `comfy.utils.ProgressBar`."""

    type: ClassVar[str] = "progress"
    value: float
    max: float
    prompt_id: str
    node: str


class ProgressState(EngineEvent):
    """Progress of every node that has started, keyed by node id."""

    type: ClassVar[str] = "progress_state"
    prompt_id: str
    nodes: dict[str, dict[str, Any]]


class ProgressText(EngineEvent):
    """Free text a node shows on itself (a binary TEXT frame on the wire)."""

    type: ClassVar[str] = "progress_text"
    prompt_id: str
    node_id: str
    text: str


class PreviewImage(EngineEvent):
    """A preview image for a running node (a binary preview frame on the wire).

    `image_type` is "JPEG" or "PNG" and `image` the PIL image; `max_size` bounds its longer side
    when encoded (None = as is). The id fields are the metadata of ComfyUI's type-4 frame.
    """

    type: ClassVar[str] = "b_preview"
    prompt_id: str
    node_id: str
    display_node_id: str
    parent_node_id: str | None
    real_node_id: str
    image_type: str
    image: Any
    max_size: int | None = None


EventSink = Callable[[EngineEvent], None]
"""Where a run sends its events. Called on the thread that runs the prompt."""


def discard(event: EngineEvent) -> None:
    """An event sink that drops everything."""
