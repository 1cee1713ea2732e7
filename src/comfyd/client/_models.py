"""Response models for ComfyUI's HTTP routes, keeping the wire's field names.

Every model lets unknown fields through (`extra="allow"`), so a server that adds keys does not
break the client. Queue items, which travel as 5-element arrays, are parsed into `QueueItem`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "HistoryEntry",
    "HistoryStatus",
    "Job",
    "JobList",
    "NodeDef",
    "OutputFile",
    "Pagination",
    "Queue",
    "QueueItem",
    "QueuedPrompt",
    "RunResult",
    "UploadedImage",
]


class _WireModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class QueuedPrompt(_WireModel):
    """`POST /prompt`'s answer. `node_errors` can be non-empty even here: outputs that failed
    validation were dropped and the rest were queued."""

    prompt_id: str
    number: int | float
    node_errors: dict[str, Any] = {}


class QueueItem(_WireModel):
    """A queue entry, sent by ComfyUI as `[number, prompt_id, prompt, extra_data, outputs_to_execute]`."""

    WIRE_ORDER: ClassVar[tuple[str, ...]] = (
        "number",
        "prompt_id",
        "prompt",
        "extra_data",
        "outputs_to_execute",
    )

    number: int | float
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any] = {}
    outputs_to_execute: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _from_array(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return dict(zip(cls.WIRE_ORDER, value))
        return value


class Queue(_WireModel):
    """`GET /queue`: the running prompt(s) and the pending ones (not sorted, as ComfyUI sends them)."""

    queue_running: list[QueueItem]
    queue_pending: list[QueueItem]


class OutputFile(_WireModel):
    """A file a node wrote, as named in its UI output: fetch it with `view(**file.view_args)`."""

    filename: str
    subfolder: str = ""
    type: str = "output"

    @property
    def view_args(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}


class HistoryStatus(_WireModel):
    """`status_str` is "success" or "error"; `messages` are `[type, data]` pairs in order."""

    status_str: str
    completed: bool
    messages: list[tuple[str, dict[str, Any]]] = []

    def message(self, kind: str) -> dict[str, Any] | None:
        """The data of the last message of this type, or None."""
        return next((data for name, data in reversed(self.messages) if name == kind), None)


class HistoryEntry(_WireModel):
    """One finished prompt. `outputs` maps node ids to the UI dict each output node returned."""

    prompt: QueueItem
    outputs: dict[str, dict[str, Any]] = {}
    status: HistoryStatus | None = None
    meta: dict[str, Any] = {}


class Pagination(_WireModel):
    offset: int
    limit: int | None = None
    total: int
    has_more: bool


class Job(_WireModel):
    """A Jobs API job. `status` is pending, in_progress, completed, failed or cancelled.

    `outputs`, `execution_status` and `workflow` are only filled by `get_job`.
    """

    id: str
    status: str
    priority: int | float | None = None
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
    execution_status: HistoryStatus | None = None


class JobList(_WireModel):
    jobs: list[Job]
    pagination: Pagination


class NodeDef(_WireModel):
    """One `/object_info` entry; `input` is `{required, optional, hidden}` as ComfyUI lays it out."""

    name: str
    display_name: str = ""
    description: str = ""
    category: str = ""
    output_node: bool = False
    python_module: str = ""
    input: dict[str, Any] = {}
    input_order: dict[str, list[str]] = {}
    output: list[Any] = []
    output_is_list: list[bool] = []
    output_name: list[str] = []


class UploadedImage(_WireModel):
    """`POST /upload/image`'s answer: the name the server stored the file under."""

    name: str
    subfolder: str = ""
    type: str = "input"


class RunResult(_WireModel):
    """What `run()` returns once the prompt has finished: its history entry's outputs and status.

    `node_errors` holds the validation errors of outputs the server dropped when it queued the
    prompt (it runs the outputs that passed); it is empty when the whole graph was valid.
    """

    prompt_id: str
    outputs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    status: HistoryStatus | None = None
    node_errors: dict[str, Any] = Field(default_factory=dict)

    @property
    def files(self) -> list[OutputFile]:
        """Every file the output nodes named (images, video, audio, ...), in node order."""
        return [file for _node, file in self.iter_files()]

    def iter_files(self) -> Iterator[tuple[str, OutputFile]]:
        """`(node_id, file)` for each file in the outputs."""
        for node_id, ui in self.outputs.items():
            for items in ui.values():
                for item in items if isinstance(items, list) else ():
                    if isinstance(item, dict) and isinstance(item.get("filename"), str):
                        yield node_id, OutputFile.model_validate(item)
