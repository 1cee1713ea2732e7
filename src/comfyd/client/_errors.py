"""The SDK's one exception tree.

    ComfydError
    ├── TransportError            the server could not be reached, or the connection broke
    ├── APIError(status, body)    the server answered with an error (or with nothing usable)
    │   ├── NotFound              404
    │   ├── AuthenticationFailed  401, 403
    │   ├── Conflict              409 (e.g. a prompt_id that is already taken)
    │   ├── PromptInvalid         400 from POST /prompt: `error` + `node_errors`
    │   └── UnexpectedResponse    a 2xx whose body is not the JSON ComfyUI documents
    ├── ExecutionFailed           a queued prompt failed or was interrupted while running
    ├── RunTimedOut               `run(timeout=...)` ran out before the prompt finished
    ├── Cancelled                 the call's `CancelToken` was cancelled before it finished
    └── WorkspaceApiError         a `WorkspaceApi` call failed (`_workspace_errors.py`)
        └── NoWorkspaceAccessError    403 `no_workspace_access`

HTTP failures keep httpx's `request` and `response`; socket failures have no response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from comfyd.client._events import ExecutionError, ExecutionInterrupted

__all__ = [
    "APIError",
    "AuthenticationFailed",
    "Cancelled",
    "ComfydError",
    "Conflict",
    "ExecutionFailed",
    "NotFound",
    "PromptInvalid",
    "RunTimedOut",
    "TransportError",
    "UnexpectedResponse",
]


class ComfydError(Exception):
    """Base of every exception the SDK raises."""


class TransportError(ComfydError):
    """The request or socket never got an answer: refused, reset, timed out, bad handshake."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APIError(ComfydError):
    """The server answered with an error status; `body` is its parsed JSON, or its text."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: Any,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.request = request
        self.response = response


class NotFound(APIError):
    """The server has no such thing (job, file, route)."""


class AuthenticationFailed(APIError):
    """The server refused the request's credentials (401 or 403)."""


class Conflict(APIError):
    """The request clashes with what the server holds, such as a prompt_id already in use."""


class UnexpectedResponse(APIError):
    """A success status whose body is not the shape ComfyUI documents for that route."""


class PromptInvalid(APIError):
    """`POST /prompt` rejected the graph.

    `error` is ComfyUI's `{type, message, details, extra_info}` and `node_errors` maps node ids to
    `{"errors": [...], "dependent_outputs": [...], "class_type": ...}`.
    """

    def __init__(
        self, message: str, *, error: dict[str, Any], node_errors: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.error = error
        self.node_errors = node_errors


class ExecutionFailed(ComfydError):
    """A prompt that was queued did not finish successfully.

    `event` is the `execution_error` or `execution_interrupted` message that ended it, or None when
    the prompt left the queue without running (it was deleted or cancelled before it started).
    """

    def __init__(
        self, message: str, *, prompt_id: str, event: ExecutionError | ExecutionInterrupted | None = None
    ) -> None:
        super().__init__(message)
        self.prompt_id = prompt_id
        self.event = event

    @property
    def is_interrupted(self) -> bool:
        return self.event is not None and self.event.type == "execution_interrupted"


class RunTimedOut(ComfydError, TimeoutError):
    """`run()` gave up waiting; the prompt itself is still queued or running on the server."""

    def __init__(self, message: str, *, prompt_id: str | None, timeout: float) -> None:
        super().__init__(message)
        self.prompt_id = prompt_id
        self.timeout = timeout


class Cancelled(ComfydError):
    """The call was cancelled through its `CancelToken`; it was abandoned, not failed.

    Its connection was closed rather than reused, so nothing of the cancelled exchange is left
    behind. The registry, customer-events and release services do not raise it: they return None
    and leave `error` unset, as the seed's services do with an aborted request. `WorkspaceApi`,
    which raises on every failure as the frontend's does, raises it (still leaving `error` unset).
    """

    def __init__(self, reason: str = "The call was cancelled.") -> None:
        super().__init__(reason)
        self.reason = reason
