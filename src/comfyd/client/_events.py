"""The `/ws` messages as typed events, and the decoding of ComfyUI's text and binary frames.

Models are listed in the order of the wire reference. Each keeps the message's `data` fields
under their wire names and lets unknown fields through, so a newer server does not break an
older client. Nothing here does I/O; the sockets live in `_streams.py`.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "Event",
    "Executed",
    "Executing",
    "ExecutionCached",
    "ExecutionError",
    "ExecutionInterrupted",
    "ExecutionStart",
    "ExecutionSuccess",
    "FeatureFlags",
    "PreviewImage",
    "Progress",
    "ProgressState",
    "ProgressText",
    "Reconnected",
    "Status",
    "Unknown",
]

# Binary frames open with a big-endian uint32 event type (ComfyUI's `BinaryEventTypes`).
_PREVIEW_IMAGE = 1
_TEXT = 3
_PREVIEW_IMAGE_WITH_METADATA = 4
_LEGACY_IMAGE_TYPES = {1: "image/jpeg", 2: "image/png"}


class Event(BaseModel):
    """Base of every `/ws` event; `type` is the message's type on the wire."""

    model_config = ConfigDict(frozen=True, extra="allow")
    type: str


class Status(Event):
    """The queue changed. `sid` is only in the first message of a connection: its client id."""

    type: Literal["status"] = "status"
    status: dict[str, Any] | None = None
    sid: str | None = None

    @property
    def queue_remaining(self) -> int | None:
        """Pending plus running prompts, when the server said."""
        exec_info = (self.status or {}).get("exec_info") or {}
        value = exec_info.get("queue_remaining")
        return value if isinstance(value, int) else None


class ExecutionStart(Event):
    type: Literal["execution_start"] = "execution_start"
    prompt_id: str
    timestamp: int | None = None


class ExecutionCached(Event):
    """Nodes whose outputs were already cached, so they will not run."""

    type: Literal["execution_cached"] = "execution_cached"
    nodes: list[str]
    prompt_id: str
    timestamp: int | None = None


class Executing(Event):
    """A node is about to run; `node` None means the prompt is done.

    The message a server sends on reconnect, naming the node now running, has no `prompt_id`.
    """

    type: Literal["executing"] = "executing"
    node: str | None
    display_node: str | None = None
    prompt_id: str | None = None


class Executed(Event):
    """A node produced UI output (`images`, `text`, ...), or a cached output node re-sent it."""

    type: Literal["executed"] = "executed"
    node: str
    display_node: str | None = None
    output: dict[str, Any] | None = None
    prompt_id: str


class Progress(Event):
    type: Literal["progress"] = "progress"
    value: float
    max: float
    prompt_id: str | None = None
    node: str | None = None


class ProgressState(Event):
    """Every started node's `{value, max, state, ...}`, keyed by node id."""

    type: Literal["progress_state"] = "progress_state"
    prompt_id: str
    nodes: dict[str, dict[str, Any]]


class ExecutionSuccess(Event):
    type: Literal["execution_success"] = "execution_success"
    prompt_id: str
    timestamp: int | None = None


class ExecutionError(Event):
    """A node raised. With `exception_type` "ExecutionBlocked" it only reports a blocked branch
    and the prompt goes on (`is_block`)."""

    type: Literal["execution_error"] = "execution_error"
    prompt_id: str
    node_id: str | None = None
    node_type: str | None = None
    executed: list[str] = []
    exception_message: str = ""
    exception_type: str = ""
    traceback: list[str] = []
    current_inputs: Any = None
    current_outputs: Any = None
    timestamp: int | None = None

    @property
    def is_block(self) -> bool:
        return self.exception_type == "ExecutionBlocked"


class ExecutionInterrupted(Event):
    type: Literal["execution_interrupted"] = "execution_interrupted"
    prompt_id: str
    node_id: str | None = None
    node_type: str | None = None
    executed: list[str] = []
    timestamp: int | None = None


class FeatureFlags(Event):
    """The server's answer to the client's opening `feature_flags` message."""

    type: Literal["feature_flags"] = "feature_flags"


class PreviewImage(Event):
    """A binary preview frame: `image` holds the encoded bytes, `image_type` their MIME type.

    The id fields come from the metadata of a type-4 frame; a legacy type-1 frame has none.
    """

    type: Literal["preview_image"] = "preview_image"
    image: bytes
    image_type: str
    node_id: str | None = None
    prompt_id: str | None = None
    display_node_id: str | None = None
    parent_node_id: str | None = None
    real_node_id: str | None = None


class ProgressText(Event):
    """A binary TEXT frame: text a node shows on itself."""

    type: Literal["progress_text"] = "progress_text"
    node_id: str
    text: str
    prompt_id: str | None = None


class Reconnected(Event):
    """Not a wire message: the stream lost its connection and opened a new one, under the same
    client id, after `attempts` tries. It comes before the new connection's `status` greeting.

    `resumed` is True when the server replayed everything after the last event this stream
    delivered, so nothing was missed. False means some events may have been lost: the server
    restarted, was away longer than it keeps messages for a client, or does not resume (ComfyUI).
    """

    type: Literal["reconnected"] = "reconnected"
    sid: str | None = None
    attempts: int = 1
    resumed: bool = False


class Unknown(Event):
    """A message this SDK has no model for (a custom node's event, a new binary type), or a
    known type whose data did not fit its model. `data` is the JSON data or the frame's bytes."""

    data: Any = None


_MODELS: dict[str, type[Event]] = {
    model.model_fields["type"].default: model
    for model in (
        Status,
        ExecutionStart,
        ExecutionCached,
        Executing,
        Executed,
        Progress,
        ProgressState,
        ExecutionSuccess,
        ExecutionError,
        ExecutionInterrupted,
        FeatureFlags,
    )
}


def decode_text(text: str) -> Event:
    """One JSON text message as its event; anything that does not fit becomes `Unknown`."""
    try:
        message = json.loads(text)
    except ValueError:
        return Unknown(type="invalid_json", data=text)
    return decode_message(message)


def decode_message(message: Any) -> Event:
    """One parsed text message (`{"type": ..., "data": {...}}`) as its event."""
    if not isinstance(message, dict):
        return Unknown(type="invalid_message", data=message)
    kind = str(message.get("type"))
    data = message.get("data")
    model = _MODELS.get(kind)
    if model is None or not isinstance(data, dict):
        return Unknown(type=kind, data=data)
    try:
        return model.model_validate({**data, "type": kind})
    except ValidationError:
        return Unknown(type=kind, data=data)


def decode_binary(frame: bytes, *, text_has_prompt_id: bool) -> Event:
    """One binary frame, per ComfyUI's layouts (see the wire reference, §3.4).

    `text_has_prompt_id` says whether TEXT frames carry the prompt id before the node id, which
    they do once both sides have agreed on `supports_progress_text_metadata`.
    """
    try:
        (kind,) = struct.unpack_from(">I", frame)
        if kind == _PREVIEW_IMAGE:
            (code,) = struct.unpack_from(">I", frame, 4)
            return PreviewImage(image=frame[8:], image_type=_LEGACY_IMAGE_TYPES.get(code, "image/jpeg"))
        if kind == _PREVIEW_IMAGE_WITH_METADATA:
            return _preview_with_metadata(frame)
        if kind == _TEXT:
            return _progress_text(frame, text_has_prompt_id)
    except (struct.error, ValueError, ValidationError):
        return Unknown(type="binary", data=frame)
    return Unknown(type=f"binary:{kind}", data=frame[4:])


def _preview_with_metadata(frame: bytes) -> PreviewImage:
    (length,) = struct.unpack_from(">I", frame, 4)
    metadata = json.loads(frame[8 : 8 + length])
    image_type = metadata.pop("image_type", "image/png")
    return PreviewImage.model_validate({**metadata, "image": frame[8 + length :], "image_type": image_type})


def _progress_text(frame: bytes, has_prompt_id: bool) -> ProgressText:
    offset = 4
    prompt_id = None
    if has_prompt_id:
        prompt_id, offset = _string(frame, offset)
    node_id, offset = _string(frame, offset)
    return ProgressText(node_id=node_id, text=frame[offset:].decode(), prompt_id=prompt_id)


def _string(frame: bytes, offset: int) -> tuple[str, int]:
    """A uint32-length-prefixed UTF-8 string, and the offset after it."""
    (length,) = struct.unpack_from(">I", frame, offset)
    end = offset + 4 + length
    if end > len(frame):
        raise ValueError("A length prefix runs past the end of the frame.")
    return frame[offset + 4 : end].decode(), end
