"""The base of the platform services (`RegistryService`, and the customer-events, release and
workspace services to come): the seed's service behaviour, written once.

Each call sets `is_loading` while it runs and clears `error` when it starts; a failed call
returns None and leaves the seed's message in `error`; a cancelled one returns None and leaves
`error` unset. `ServiceBase` holds everything without I/O (the calls, the error messages);
`SyncService` and `AsyncService` only send. A service is then its `Operation`s plus one line
per method in each twin:

    GET_RELEASES = Operation(
        Endpoint("GET", "releases", list[ReleaseNote], query=("project", "current_version")),
        "Failed to get releases",
        {400: "Invalid project or version parameter"},
    )

    class ReleaseService(SyncService):
        def get_releases(self, *, project: str, current_version: str,
                         cancel: CancelToken | None = None) -> list[ReleaseNote] | None:
            params = {"project": project, "current_version": current_version}
            return self._execute(GET_RELEASES.call(params=params), cancel)

A service whose peer words errors differently overrides `describe`; one whose peer throws
(the workspace API) overrides `fail` to raise.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
from pydantic import ValidationError

from comfyd.client._calls import Endpoint
from comfyd.client._cancel import CancelToken, cancellable
from comfyd.client._errors import Cancelled
from comfyd.client._transport import AbortableTransport, abortable
from comfyd.client._types import HeaderTypes, TimeoutTypes

__all__: list[str] = []

T = TypeVar("T")

COMFY_API_BASE_URL = "https://api.comfy.org"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class Operation:
    """One service method's route and how its failures are worded: `context` prefixes generic
    messages and `errors` holds the route's own message per status, checked first."""

    endpoint: Endpoint
    context: str
    errors: Mapping[int, str] = field(default_factory=dict)

    def call(
        self, *, params: Mapping[str, Any] | None = None, json: Any = None, **segments: str
    ) -> ServiceCall[Any]:
        """This operation with its path segments filled in; `errors` may name them (`{pack_id}`)."""
        errors = {status: text.format(**segments) for status, text in self.errors.items()}
        present = {key: value for key, value in (params or {}).items() if value is not None}
        return ServiceCall(self, self.endpoint.url(**segments), present, json, errors)


@dataclass(frozen=True)
class ServiceCall(Generic[T]):
    operation: Operation
    path: str
    params: Mapping[str, Any]
    json: Any
    errors: Mapping[int, str]


@dataclass(frozen=True)
class Failure:
    """Why a call failed: the HTTP status and parsed body when the server answered, else None;
    `reason` is what went wrong in words (axios's `error.message` in the frontend)."""

    status: int | None
    body: Any
    reason: str

    @property
    def message(self) -> str:
        """The body's `message`, when it has a non-empty one (the platform's `{error, message}`)."""
        value = self.body.get("message") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else ""


# The frontend's fallback wording per status, used after a route's own messages.
_STATUS_MESSAGES = {
    400: ("Bad request: ", "Invalid input"),
    403: ("Forbidden: ", "Access denied"),
    404: ("Not found: ", "Resource not found"),
    409: ("Conflict: ", "Resource conflict"),
    500: ("Server error: ", "Internal server error"),
}


def describe_api_error(failure: Failure, context: str, errors: Mapping[int, str]) -> str:
    """The frontend's `handleApiError`: the route's message for the status, else the generic one
    (`Not found: <body message>`...), else `<context>: <message>`."""
    if failure.status is None:
        return f"{context}: {failure.reason or 'Unknown error occurred'}"
    if failure.status in errors:
        return errors[failure.status]
    if failure.status == 401:
        return "Unauthorized: Authentication required"
    if failure.status in _STATUS_MESSAGES:
        prefix, fallback = _STATUS_MESSAGES[failure.status]
        return prefix + (failure.message or fallback)
    return f"{context}: {failure.message or failure.reason}"


class ServiceBase:
    """A platform service's state and everything it does without I/O.

    `is_loading` is True while any call runs. `error` is the message of the last failed call;
    each call clears it when it starts, and a cancelled call leaves it unset.
    """

    def __init__(
        self,
        base_url: str | httpx.URL = COMFY_API_BASE_URL,
        *,
        api_key: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = httpx.URL(str(base_url).rstrip("/") + "/")
        self.headers = dict(headers or {})
        if api_key is not None:
            self.headers["X-API-Key"] = api_key
        self.timeout = timeout
        self.error: str | None = None
        self._in_flight = 0
        self._state_lock = threading.Lock()

    @property
    def is_loading(self) -> bool:
        return self._in_flight > 0

    def _started(self) -> None:
        with self._state_lock:
            self._in_flight += 1
            self.error = None

    def _ended(self) -> None:
        with self._state_lock:
            self._in_flight -= 1

    def _read(self, call: ServiceCall[T], response: httpx.Response) -> T | None:
        """The answer's value, or None after recording why the call failed."""
        if response.is_error:
            self.fail(call, Failure(response.status_code, _body(response), _status_reason(response)))
            return None
        try:
            value: T = call.operation.endpoint.parse(response)
        except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
            self.fail(call, Failure(None, None, f"the answer is not the expected JSON: {exc}"))
            return None
        return value

    def _unreachable(self, call: ServiceCall[Any], exc: httpx.TransportError) -> None:
        self.fail(call, Failure(None, None, str(exc) or type(exc).__name__))

    def describe(self, call: ServiceCall[Any], failure: Failure) -> str:
        """The message `error` takes for a failure; the frontend's shared registry wording."""
        return describe_api_error(failure, call.operation.context, call.errors)

    def fail(self, call: ServiceCall[Any], failure: Failure) -> None:
        """Record a failure in `error`. A service whose peer throws instead overrides this."""
        self.error = self.describe(call, failure)


class SyncService(ServiceBase):
    """A service over a blocking `httpx.Client`."""

    def __init__(
        self,
        base_url: str | httpx.URL = COMFY_API_BASE_URL,
        *,
        api_key: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key=api_key, headers=headers, timeout=timeout)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=self.headers,
            timeout=timeout,
            transport=transport or AbortableTransport(),
        )

    def _execute(self, call: ServiceCall[T], cancel: CancelToken | None) -> T | None:
        if cancel is not None and cancel.is_cancelled:
            return None
        self._started()
        try:
            with abortable(cancel):
                response = self._http.request(
                    call.operation.endpoint.method, call.path, params=call.params, json=call.json
                )
        except httpx.TransportError as exc:
            if cancel is None or not cancel.is_cancelled:
                self._unreachable(call, exc)
            return None
        finally:
            self._ended()
        return self._read(call, response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncService(ServiceBase):
    """A service over an `httpx.AsyncClient`. Cancelling the awaiting task also works (the task
    then sees `CancelledError`, as usual); `is_loading` is cleared either way."""

    def __init__(
        self,
        base_url: str | httpx.URL = COMFY_API_BASE_URL,
        *,
        api_key: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key=api_key, headers=headers, timeout=timeout)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport
        )

    async def _execute(self, call: ServiceCall[T], cancel: CancelToken | None) -> T | None:
        if cancel is not None and cancel.is_cancelled:
            return None
        self._started()
        try:
            request = self._http.request(
                call.operation.endpoint.method, call.path, params=call.params, json=call.json
            )
            response = await cancellable(request, cancel)
        except Cancelled:
            return None
        except httpx.TransportError as exc:
            self._unreachable(call, exc)
            return None
        finally:
            self._ended()
        return self._read(call, response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _status_reason(response: httpx.Response) -> str:
    # The words axios puts in `error.message` for an error status.
    return f"Request failed with status code {response.status_code}"
