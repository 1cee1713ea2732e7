"""The no-I/O half of both clients: what each request is, and how its answer is read.

Every route the SDK calls is an `Endpoint` (method, path template, the model its answer is read
into, the query parameters it sends); the OpenAPI drift test checks each one against the
server's `/openapi.json`. `BaseClient` builds a `Call` per API method from its endpoint;
`ComfyClient` and `AsyncComfyClient` in `_client.py` only send it. Errors are mapped here, in
one place: httpx's network failures become `TransportError`, error statuses the matching
`APIError`. HTTP goes to the `/api/...` copies of ComfyUI's routes, because ComfyUI registers
its Jobs API only there.
"""

from __future__ import annotations

import contextlib
import functools
import mimetypes
import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from comfyd.client._cancel import CancelToken
from comfyd.client._errors import (
    APIError,
    AuthenticationFailed,
    Cancelled,
    Conflict,
    NotFound,
    PromptInvalid,
    TransportError,
    UnexpectedResponse,
)
from comfyd.client._models import HistoryEntry, Job, JobList, NodeDef, Queue, QueuedPrompt, UploadedImage
from comfyd.client._streams import Backoff
from comfyd.client._types import (
    USE_CLIENT_DEFAULT,
    HeaderTypes,
    ImageSource,
    Prompt,
    TimeoutTypes,
    UseClientDefault,
)

__all__: list[str] = []

T = TypeVar("T")
_STATUS_ERRORS: dict[int, type[APIError]] = {
    401: AuthenticationFailed,
    403: AuthenticationFailed,
    404: NotFound,
    409: Conflict,
}


@dataclass(frozen=True)
class Endpoint:
    """One route, as data. `response` is the type a 2xx JSON answer is read into (None: the SDK
    does not read it as JSON); `query` names every query parameter the SDK may send, and `body`
    is the model of the JSON body it sends, where it has one."""

    method: str
    path: str  # relative to the base URL, with `{name}` segments
    response: Any = None
    query: tuple[str, ...] = ()
    body: type[BaseModel] | None = None

    def url(self, **segments: str) -> str:
        return self.path.format(**{name: quote(value, safe="") for name, value in segments.items()})

    @functools.cached_property
    def _adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.response)

    def parse(self, response: httpx.Response) -> Any:
        return self._adapter.validate_json(response.content)


class JobCancelled(BaseModel):
    """`POST /jobs/{id}/cancel`'s answer."""

    cancelled: bool


QUEUE_PROMPT = Endpoint("POST", "api/prompt", QueuedPrompt)
GET_QUEUE = Endpoint("GET", "api/queue", Queue)
GET_HISTORY = Endpoint("GET", "api/history", dict[str, HistoryEntry], query=("max_items", "offset"))
GET_HISTORY_ITEM = Endpoint("GET", "api/history/{prompt_id}", dict[str, HistoryEntry])
GET_JOBS = Endpoint("GET", "api/jobs", JobList, query=("status", "limit", "offset", "sort_by", "sort_order"))
GET_JOB = Endpoint("GET", "api/jobs/{job_id}", Job)
CANCEL_JOB = Endpoint("POST", "api/jobs/{job_id}/cancel", JobCancelled)
INTERRUPT = Endpoint("POST", "api/interrupt")
FREE = Endpoint("POST", "api/free")
GET_NODE_DEFS = Endpoint("GET", "api/object_info", dict[str, NodeDef])
GET_NODE_DEF = Endpoint("GET", "api/object_info/{node_class}", dict[str, NodeDef])
UPLOAD_IMAGE = Endpoint("POST", "api/upload/image", UploadedImage)
VIEW = Endpoint("GET", "api/view", query=("filename", "subfolder", "type"))
ENDPOINTS = [
    QUEUE_PROMPT,
    GET_QUEUE,
    GET_HISTORY,
    GET_HISTORY_ITEM,
    GET_JOBS,
    GET_JOB,
    CANCEL_JOB,
    INTERRUPT,
    FREE,
    GET_NODE_DEFS,
    GET_NODE_DEF,
    UPLOAD_IMAGE,
    VIEW,
]
"""Every route `ComfyClient` calls (the drift test's list)."""


@dataclass(frozen=True)
class Call(Generic[T]):
    """One HTTP request and how to read its answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: dict[str, Any] | None = None
    json: Any = None
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None
    is_prompt: bool = False  # a 400 is then ComfyUI's validation answer, raised as PromptInvalid


class BaseClient:
    """Everything both clients share that does no I/O: URLs, headers, requests, parsing, errors."""

    def __init__(
        self,
        base_url: str | httpx.URL,
        *,
        client_id: str | None,
        user: str | None,
        headers: HeaderTypes | None,
        timeout: TimeoutTypes,
        reconnect: Backoff | None,
    ) -> None:
        self.base_url = httpx.URL(str(base_url).rstrip("/") + "/")
        self.reconnect = reconnect
        self.client_id = client_id or uuid.uuid4().hex
        self.user = user
        self.timeout = timeout
        self.headers = dict(headers or {})
        if user is not None:
            self.headers["Comfy-User"] = user

    # -- requests ---------------------------------------------------------------------------

    def _queue_prompt(
        self,
        prompt: Prompt,
        *,
        client_id: str | None | UseClientDefault,
        extra_data: Mapping[str, Any] | None,
        front: bool,
        number: float | None,
        prompt_id: str | None,
        partial_execution_targets: Sequence[str] | None,
    ) -> Call[QueuedPrompt]:
        body: dict[str, Any] = {"prompt": prompt}
        client_id = self.client_id if client_id is USE_CLIENT_DEFAULT else client_id
        optional = {
            "client_id": client_id,
            "extra_data": dict(extra_data) if extra_data is not None else None,
            "front": True if front else None,
            "number": number,
            "prompt_id": prompt_id,
            "partial_execution_targets": list(partial_execution_targets)
            if partial_execution_targets
            else None,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        return Call("POST", QUEUE_PROMPT.url(), QUEUE_PROMPT.parse, json=body, is_prompt=True)

    def _get_queue(self) -> Call[Queue]:
        return Call("GET", GET_QUEUE.url(), GET_QUEUE.parse)

    def _get_history(
        self, prompt_id: str | None, *, max_items: int | None, offset: int | None
    ) -> Call[dict[str, HistoryEntry]]:
        if prompt_id is not None:
            return Call("GET", GET_HISTORY_ITEM.url(prompt_id=prompt_id), GET_HISTORY_ITEM.parse)
        params = _present(max_items=max_items, offset=offset)
        return Call("GET", GET_HISTORY.url(), GET_HISTORY.parse, params=params)

    def _get_jobs(
        self,
        *,
        status: str | Sequence[str] | None,
        limit: int | None,
        offset: int | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> Call[JobList]:
        statuses = status if status is None or isinstance(status, str) else ",".join(status)
        params = _present(status=statuses, limit=limit, offset=offset, sort_by=sort_by, sort_order=sort_order)
        return Call("GET", GET_JOBS.url(), GET_JOBS.parse, params=params)

    def _get_job(self, job_id: str) -> Call[Job]:
        return Call("GET", GET_JOB.url(job_id=job_id), GET_JOB.parse)

    def _cancel_job(self, job_id: str) -> Call[bool]:
        return Call(
            "POST", CANCEL_JOB.url(job_id=job_id), lambda response: CANCEL_JOB.parse(response).cancelled
        )

    def _interrupt(self, prompt_id: str | None) -> Call[None]:
        return Call("POST", INTERRUPT.url(), _nothing, json=_present(prompt_id=prompt_id))

    def _free(self, *, unload_models: bool, free_memory: bool) -> Call[None]:
        body = {"unload_models": unload_models, "free_memory": free_memory}
        return Call("POST", FREE.url(), _nothing, json=body)

    def _get_node_defs(self) -> Call[dict[str, NodeDef]]:
        return Call("GET", GET_NODE_DEFS.url(), GET_NODE_DEFS.parse)

    def _get_node_def(self, node_class: str) -> Call[NodeDef | None]:
        url = GET_NODE_DEF.url(node_class=node_class)
        return Call("GET", url, lambda response: GET_NODE_DEF.parse(response).get(node_class))

    def _upload_image(
        self, image: ImageSource, *, filename: str | None, subfolder: str, type: str, overwrite: bool
    ) -> Call[UploadedImage]:
        name, content = _read_image(image, filename)
        form = {"subfolder": subfolder, "type": type, "overwrite": "true" if overwrite else "false"}
        files = {"image": (name, content, mimetypes.guess_type(name)[0] or "application/octet-stream")}
        return Call("POST", UPLOAD_IMAGE.url(), UPLOAD_IMAGE.parse, files=files, data=form)

    def _view(self, filename: str, *, subfolder: str, type: str) -> Call[bytes]:
        params = {"filename": filename, "subfolder": subfolder, "type": type}
        return Call("GET", VIEW.url(), lambda response: response.content, params=params)

    def _stream_args(
        self,
        client_id: str | None | UseClientDefault,
        reconnect: Backoff | None | UseClientDefault,
        cancel: CancelToken | None,
    ) -> dict[str, Any]:
        ws_url = self.base_url.copy_with(scheme="wss" if self.base_url.scheme == "https" else "ws").join("ws")
        return {
            "ws_url": str(ws_url),
            "client_id": self.client_id if client_id is USE_CLIENT_DEFAULT else client_id,
            "headers": self.headers,
            "open_timeout": _connect_seconds(self.timeout),
            "reconnect": self.reconnect if reconnect is USE_CLIENT_DEFAULT else reconnect,
            "cancel": cancel,
        }

    # -- answers ----------------------------------------------------------------------------

    def _finish(self, call: Call[T], response: httpx.Response) -> T:
        if response.is_error:
            raise _error_for(call, response)
        try:
            return call.parse(response)
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            raise UnexpectedResponse(
                f"{call.method} /{call.path} answered {response.status_code} with a body that is not "
                f"the JSON ComfyUI documents: {exc}",
                status=response.status_code,
                body=response.text,
                request=response.request,
                response=response,
            ) from exc


@contextlib.contextmanager
def transport_errors(cancel: CancelToken | None = None) -> Iterator[None]:
    """httpx's network failures as the SDK's `TransportError`, translated in this one place; a
    failure of a call whose token was cancelled is that cancellation (its socket was shut)."""
    try:
        yield
    except httpx.TransportError as exc:
        if cancel is not None and cancel.is_cancelled:
            raise Cancelled(cancel.reason or "The call was cancelled.") from exc
        try:
            request: httpx.Request | None = exc.request
        except RuntimeError:  # httpx failed before it had a request to attach
            request = None
        raise TransportError(f"Cannot reach the server: {exc!r}", request=request) from exc


def _error_for(call: Call[Any], response: httpx.Response) -> APIError:
    body = _body(response)
    status = response.status_code
    message = f"{call.method} /{call.path} answered {status}: {_summary(body)}"
    common = {"status": status, "body": body, "request": response.request, "response": response}
    if call.is_prompt and status == 400 and isinstance(body, dict) and "error" in body:
        error = body["error"] if isinstance(body["error"], dict) else {"message": str(body["error"])}
        node_errors = body.get("node_errors")
        node_errors = node_errors if isinstance(node_errors, dict) else {}
        return PromptInvalid(
            _describe_invalid(error, node_errors), error=error, node_errors=node_errors, **common
        )
    return _STATUS_ERRORS.get(status, APIError)(message, **common)


def _describe_invalid(error: dict[str, Any], node_errors: dict[str, Any]) -> str:
    """ComfyUI's error, then one line per node error: `node 2 (ImageInvert): Required input is missing: image`."""
    if not node_errors:
        return _summary({"error": error})
    lines = [str(error.get("message") or "The prompt is invalid.")]
    for node_id, node in node_errors.items():
        for item in node.get("errors", []) if isinstance(node, dict) else []:
            detail = (
                f"{item.get('message')}: {item.get('details')}"
                if item.get("details")
                else item.get("message")
            )
            lines.append(f"node {node_id} ({node.get('class_type')}): {detail}")
    return "\n".join(lines)


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _summary(body: Any) -> str:
    """The human part of an error body: ComfyUI's `error` (a string, or `{message, details}`)."""
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict) and "message" in error:
        details = error.get("details")
        return (
            f"{error['message']}: {details}"
            if details and details != error["message"]
            else str(error["message"])
        )
    text = error if isinstance(error, str) else repr(error)
    return text if len(text) <= 500 else text[:500] + "..."


def _nothing(response: httpx.Response) -> None:
    return None


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _connect_seconds(timeout: TimeoutTypes) -> float | None:
    return timeout.connect if isinstance(timeout, httpx.Timeout) else timeout


def _read_image(image: ImageSource, filename: str | None) -> tuple[str, bytes]:
    """The upload's file name and content, read from whichever form `image` takes."""
    if isinstance(image, bytes):
        if not filename:
            raise ValueError("upload_image() needs filename= when given bytes.")
        return filename, image
    if isinstance(image, str | os.PathLike):
        with open(image, "rb") as file:
            return filename or os.path.basename(os.fspath(image)), file.read()
    return filename or os.path.basename(str(getattr(image, "name", "") or "image.png")), image.read()
