"""comfyd's client SDK: talk to a ComfyUI-compatible server (comfyd or ComfyUI itself).

    from comfyd.client import ComfyClient

    with ComfyClient("http://127.0.0.1:8188") as client:
        result = client.run(graph)          # queue, follow /ws to the end, read the history
        for file in result.files:
            data = client.view(**file.view_args)

`AsyncComfyClient` has the same methods, awaited. Every name is re-exported here from the
private modules; import from `comfyd.client`, not from them.
"""

from comfyd.client._client import AsyncComfyClient, ComfyClient
from comfyd.client._errors import (
    APIError,
    AuthenticationFailed,
    ComfydError,
    Conflict,
    ExecutionFailed,
    NotFound,
    PromptInvalid,
    RunTimedOut,
    TransportError,
    UnexpectedResponse,
)
from comfyd.client._events import (
    Event,
    Executed,
    Executing,
    ExecutionCached,
    ExecutionError,
    ExecutionInterrupted,
    ExecutionStart,
    ExecutionSuccess,
    FeatureFlags,
    PreviewImage,
    Progress,
    ProgressState,
    ProgressText,
    Status,
    Unknown,
)
from comfyd.client._models import (
    HistoryEntry,
    HistoryStatus,
    Job,
    JobList,
    NodeDef,
    OutputFile,
    Pagination,
    Queue,
    QueuedPrompt,
    QueueItem,
    RunResult,
    UploadedImage,
)
from comfyd.client._streams import AsyncEventStream, EventStream
from comfyd.client._types import (
    USE_CLIENT_DEFAULT,
    HeaderTypes,
    ImageSource,
    Prompt,
    TimeoutTypes,
    UseClientDefault,
)

__all__ = [
    "APIError",
    "AsyncComfyClient",
    "AsyncEventStream",
    "AuthenticationFailed",
    "ComfyClient",
    "ComfydError",
    "Conflict",
    "Event",
    "EventStream",
    "Executed",
    "Executing",
    "ExecutionCached",
    "ExecutionError",
    "ExecutionFailed",
    "ExecutionInterrupted",
    "ExecutionStart",
    "ExecutionSuccess",
    "FeatureFlags",
    "HeaderTypes",
    "HistoryEntry",
    "HistoryStatus",
    "ImageSource",
    "Job",
    "JobList",
    "NodeDef",
    "NotFound",
    "OutputFile",
    "Pagination",
    "PreviewImage",
    "Progress",
    "ProgressState",
    "ProgressText",
    "Prompt",
    "PromptInvalid",
    "Queue",
    "QueueItem",
    "QueuedPrompt",
    "RunResult",
    "RunTimedOut",
    "Status",
    "TimeoutTypes",
    "TransportError",
    "USE_CLIENT_DEFAULT",
    "UnexpectedResponse",
    "Unknown",
    "UploadedImage",
    "UseClientDefault",
]
