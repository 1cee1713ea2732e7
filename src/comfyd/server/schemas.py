"""The shapes of ComfyUI's answers, declared for `/openapi.json` only.

ComfyUI routes build their answers as plain dicts (`/object_info` as cached bytes) to keep
ComfyUI's exact layout and speed; these models describe what those dicts hold, so clients can
check that they read what is sent (the SDK's OpenAPI drift test does). Routes name them with
`responses={200: {"model": ...}}` and `response_model=None`: nothing is validated or
re-serialised at run time, and a change to an answer must be mirrored here by hand.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel

# A queue item travels as an array: [number, prompt_id, prompt, extra_data, outputs_to_execute].
QueueItemArray = tuple[float, str, dict[str, Any], dict[str, Any], list[str]]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class PromptAccepted(_Answer):
    """`POST /prompt`: the queued prompt; `node_errors` lists outputs dropped as invalid."""

    prompt_id: str
    number: float
    node_errors: dict[str, Any]


class QueueState(_Answer):
    """`GET /queue`."""

    queue_running: list[QueueItemArray]
    queue_pending: list[QueueItemArray]


class ExecutionStatus(_Answer):
    """A finished prompt's outcome; `messages` are `[type, data]` pairs in order."""

    status_str: str
    completed: bool
    messages: list[tuple[str, dict[str, Any]]]


class HistoryEntry(_Answer):
    prompt: QueueItemArray
    outputs: dict[str, dict[str, Any]]
    status: ExecutionStatus
    meta: dict[str, Any]


class History(RootModel[dict[str, HistoryEntry]]):
    """`GET /history` and `GET /history/{prompt_id}`: entries by prompt id."""


class Pagination(_Answer):
    offset: int
    limit: int
    total: int
    has_more: bool


class Job(_Answer):
    """A Jobs API job; keys without a value are left out, and `workflow`, `outputs`,
    `execution_status` and `execution_meta` come only from `GET /jobs/{id}`."""

    id: str
    status: str
    priority: float | None = None
    create_time: int | None = None
    execution_start_time: int | None = None
    execution_end_time: int | None = None
    execution_error: dict[str, Any] | None = None
    outputs_count: int | None = None
    previewable_outputs_count: int | None = None
    preview_output: dict[str, Any] | None = None
    workflow_id: str | None = None
    workflow: dict[str, Any] | None = None
    outputs: dict[str, dict[str, Any]] | None = None
    execution_status: ExecutionStatus | None = None
    execution_meta: dict[str, Any] | None = None


class JobPage(_Answer):
    """`GET /jobs`."""

    jobs: list[Job]
    pagination: Pagination


class JobCancelled(_Answer):
    """`POST /jobs/{id}/cancel` and `POST /jobs/cancel`."""

    cancelled: bool


class NodeInfo(_Answer):
    """One `/object_info` entry; `input` is the class's `INPUT_TYPES()`. `output_tooltips`,
    `deprecated`, `experimental` and `api_node` appear only when the class sets them."""

    input: dict[str, Any]
    input_order: dict[str, list[str]]
    output: list[Any] | str
    output_is_list: list[bool]
    output_name: list[str] | str
    name: str
    display_name: str
    description: str
    python_module: str
    category: str
    output_node: bool


class NodeCatalog(RootModel[dict[str, NodeInfo]]):
    """`GET /object_info` (every class) and `GET /object_info/{class}` (that one, or `{}`)."""


class StoredFile(_Answer):
    """`POST /upload/image` and `/upload/mask`: where the file was stored."""

    name: str
    subfolder: str
    type: str


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """Route decorator arguments that document `model` as the 200 answer without using it."""
    return {"response_model": None, "responses": {200: {"model": model}}}
