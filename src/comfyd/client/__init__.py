"""comfyd's client SDK: talk to a ComfyUI-compatible server (comfyd or ComfyUI itself).

    from comfyd.client import ComfyClient

    with ComfyClient("http://127.0.0.1:8188") as client:
        result = client.run(graph)          # queue, follow /ws to the end, read the history
        for file in result.files:
            data = client.view(**file.view_args)

`AsyncComfyClient` has the same methods, awaited. `RegistryService` and `AsyncRegistryService`
are the frontend's registry service (failed calls return None and set `error`). Every call takes
`cancel=`, a `CancelToken`. Every name is re-exported here from the private modules; import from
`comfyd.client`, not from them.
"""

from comfyd.client._cancel import CancelToken
from comfyd.client._client import AsyncComfyClient, ComfyClient
from comfyd.client._errors import (
    APIError,
    AuthenticationFailed,
    Cancelled,
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
    Reconnected,
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
from comfyd.client._registry import AsyncRegistryService, RegistryService
from comfyd.client._registry_models import (
    BulkNodeVersionResult,
    BulkNodeVersionsRequest,
    BulkNodeVersionsResponse,
    ComfyNode,
    ListAllNodesResponse,
    ListComfyNodesResponse,
    Node,
    NodeVersion,
    NodeVersionIdentifier,
    Publisher,
    PublisherMember,
    PublisherUser,
)
from comfyd.client._streams import AsyncEventStream, Backoff, EventStream
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
    "AsyncRegistryService",
    "AuthenticationFailed",
    "Backoff",
    "BulkNodeVersionResult",
    "BulkNodeVersionsRequest",
    "BulkNodeVersionsResponse",
    "CancelToken",
    "Cancelled",
    "ComfyClient",
    "ComfyNode",
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
    "ListAllNodesResponse",
    "ListComfyNodesResponse",
    "Node",
    "NodeDef",
    "NodeVersion",
    "NodeVersionIdentifier",
    "NotFound",
    "OutputFile",
    "Pagination",
    "PreviewImage",
    "Progress",
    "ProgressState",
    "ProgressText",
    "Prompt",
    "PromptInvalid",
    "Publisher",
    "PublisherMember",
    "PublisherUser",
    "Queue",
    "QueueItem",
    "QueuedPrompt",
    "Reconnected",
    "RegistryService",
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
