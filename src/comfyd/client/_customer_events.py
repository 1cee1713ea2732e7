"""`CustomerEventsService` and `AsyncCustomerEventsService`: the frontend's customer-events service
(the credits panel's usage log) for Python, with the wire shapes it reads.

They call `GET /customers/events` on an api.comfy.org-compatible platform (comfyd serves it, and
the seed's `/customer/events` twin), signed in as a customer with an API key or a bearer token.
As in the frontend, a failed call returns None and leaves its message in `error`; a call without
credentials sends nothing and says "Authentication header is missing".

    with CustomerEventsService("http://127.0.0.1:8188", api_key=key) as service:
        page = service.get_my_events(limit=7)
        for event in page.events if page else []:
            print(service.format_event_type(event.event_type), event.params)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from comfyd.client._calls import Endpoint
from comfyd.client._cancel import CancelToken
from comfyd.client._credentials import credential_headers, has_credentials
from comfyd.client._services import (
    COMFY_API_BASE_URL,
    DEFAULT_TIMEOUT,
    AsyncService,
    Failure,
    Operation,
    ServiceBase,
    ServiceCall,
    SyncService,
)
from comfyd.client._types import HeaderTypes, TimeoutTypes

__all__ = [
    "AsyncCustomerEventsService",
    "AuditLog",
    "CustomerEventsResponse",
    "CustomerEventsService",
    "EventType",
]

MISSING_AUTH = "Authentication header is missing"


class EventType(enum.StrEnum):
    """The event types api.comfy.org's schema names; servers send others too (comfyd's
    `workspace_*`, Comfy Cloud's `gpu_usage`), so `AuditLog.event_type` stays a plain string."""

    ACCOUNT_CREATED = "account_created"
    API_USAGE_COMPLETED = "api_usage_completed"
    API_USAGE_STARTED = "api_usage_started"
    CREDIT_ADDED = "credit_added"


# The frontend's English labels (`credits.eventTypes`) and severities; other types show as sent.
_LABELS = {
    "account_created": "Account Created",
    "agent_usage": "Agent Usage",
    "api_node_usage": "Partner Node Usage",
    "api_usage_completed": "API Usage",
    "credit_added": "Credits Added",
    "gpu_usage": "GPU Usage",
    "topup_completed": "Credits Added",
}
_SEVERITIES = {
    "account_created": "info",
    "agent_usage": "warning",
    "api_node_usage": "warning",
    "api_usage_completed": "warning",
    "credit_added": "success",
    "gpu_usage": "warning",
    "topup_completed": "success",
}


class _PlatformModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class AuditLog(_PlatformModel):
    """One event. `params` depends on the type: `amount` (cents) for `credit_added`; `api_name`,
    `model` and `charge_micro_usd` for `api_usage_completed`."""

    event_id: str | None = None
    event_type: str | None = None
    params: dict[str, Any] | None = None
    createdAt: datetime | None = None


class CustomerEventsResponse(_PlatformModel):
    """A page of events, newest first. The frontend pages only when `total > limit`."""

    events: list[AuditLog] | None = None
    total: int | None = None
    page: int | None = None
    limit: int | None = None
    totalPages: int | None = None


# This service words errors its own way (`describe_request_error`); `context` is its prefix.
GET_MY_EVENTS = Operation(
    Endpoint(
        "GET",
        "customers/events",
        CustomerEventsResponse,
        query=("page", "limit", "filter", "start_date", "end_date"),
    ),
    "Fetching customer events",
    {400: "Invalid input, object invalid", 404: "Not found"},
)
OPERATIONS = [GET_MY_EVENTS]
"""Every route the customer-events services call (the drift test's list)."""


def describe_request_error(failure: Failure, context: str, errors: Mapping[int, str]) -> str:
    """The frontend's `describeRequestError`: the route's message for the status, else the
    server's `message`, else `<context> failed with status <n>`; `<context> failed: <reason>`
    when no answer came."""
    if failure.status is None:
        return f"{context} failed: {failure.reason}"
    if failure.status in errors:
        return errors[failure.status]
    return failure.message or f"{context} failed with status {failure.status}"


class _CustomerEventsCalls(ServiceBase):
    """What both twins do without I/O: the call, the wording of errors, the labels."""

    def describe(self, call: ServiceCall[Any], failure: Failure) -> str:
        return describe_request_error(failure, call.operation.context, call.errors)

    def _my_events(
        self,
        page: int | None,
        limit: int | None,
        event_type: str | None,
        start_date: datetime | None,
        end_date: datetime | None,
    ) -> ServiceCall[CustomerEventsResponse] | None:
        """The call, or None (with `error` set) when there is no credential to send: the frontend
        asks nothing then, as the platform would only refuse."""
        if not has_credentials(self.headers):
            self.error = MISSING_AUTH
            return None
        params = {
            "page": page,
            "limit": limit,
            "filter": event_type,
            "start_date": start_date.isoformat() if start_date is not None else None,
            "end_date": end_date.isoformat() if end_date is not None else None,
        }
        return GET_MY_EVENTS.call(params=params)

    @staticmethod
    def format_event_type(event_type: str) -> str:
        """The frontend's label for an event type ("Credits Added"); unknown types as they are."""
        return _LABELS.get(event_type, event_type)

    @staticmethod
    def event_severity(event_type: str) -> str:
        """How the frontend colours an event: `success`, `warning` or `info`."""
        return _SEVERITIES.get(event_type, "info")

    @staticmethod
    def format_amount(cents: int | float | None) -> str:
        """A `credit_added` amount (cents) in dollars with two decimals, as the usage log shows it."""
        return f"{cents / 100:.2f}" if cents else "0.00"


class CustomerEventsService(_CustomerEventsCalls, SyncService):
    """The customer-events service, blocking. `base_url` is the platform's root (default
    https://api.comfy.org; comfyd's own URL for comfyd). Sign in with `api_key=` (sent as
    `X-API-Key`) or `token=` (`Authorization: Bearer`), never both.

    `get_my_events` returns None on failure, with the frontend's message in `error`, and on
    cancellation, with `error` unset. Safe to share between threads.
    """

    def __init__(
        self,
        base_url: str | httpx.URL = COMFY_API_BASE_URL,
        *,
        api_key: str | None = None,
        token: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = credential_headers(api_key, token, headers)
        super().__init__(base_url, headers=headers, timeout=timeout, transport=transport)

    def get_my_events(
        self,
        *,
        page: int | None = 1,
        limit: int | None = 10,
        event_type: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        cancel: CancelToken | None = None,
    ) -> CustomerEventsResponse | None:
        """A page of the caller's events, newest first; `event_type` keeps one type (the wire's
        `filter`), `start_date`/`end_date` (timezone-aware) bound when they happened."""
        call = self._my_events(page, limit, event_type, start_date, end_date)
        return None if call is None else self._execute(call, cancel)


class AsyncCustomerEventsService(_CustomerEventsCalls, AsyncService):
    """The async twin of `CustomerEventsService`: the same methods, awaited."""

    def __init__(
        self,
        base_url: str | httpx.URL = COMFY_API_BASE_URL,
        *,
        api_key: str | None = None,
        token: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = credential_headers(api_key, token, headers)
        super().__init__(base_url, headers=headers, timeout=timeout, transport=transport)

    async def get_my_events(
        self,
        *,
        page: int | None = 1,
        limit: int | None = 10,
        event_type: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        cancel: CancelToken | None = None,
    ) -> CustomerEventsResponse | None:
        call = self._my_events(page, limit, event_type, start_date, end_date)
        if call is None:
            return None
        events = await self._execute(call, cancel)
        return events
