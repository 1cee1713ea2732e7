"""`WorkspaceApi` and `AsyncWorkspaceApi`: the frontend's workspace client for Python — team
workspaces, members, invites, the token exchange and the workspace's billing.

They call Comfy Cloud's routes (`/api/workspaces…`, `/api/workspace/…`, `/api/invites/…`,
`/api/auth/token`, `/api/billing/…`), which comfyd serves. Unlike the other services, and as the
frontend's `workspaceApi` does, a failed call raises `WorkspaceApiError` (`NoWorkspaceAccessError`
for a caller outside the workspace); its message is also kept in `error`. A cancelled call
raises `Cancelled` and leaves `error` unset.

    with WorkspaceApi("http://127.0.0.1:8188", api_key=key) as workspaces:
        team = workspaces.create(name="Render farm")
        invite = workspaces.create_invite(email="ada@example.com")   # acts in the current workspace
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

import httpx
from pydantic import BaseModel

from comfyd.client._calls import Endpoint
from comfyd.client._cancel import CancelToken
from comfyd.client._credentials import credential_headers, has_credentials
from comfyd.client._errors import Cancelled
from comfyd.client._services import (
    DEFAULT_TIMEOUT,
    AsyncService,
    Failure,
    Operation,
    ServiceBase,
    ServiceCall,
    SyncService,
)
from comfyd.client._types import HeaderTypes, TimeoutTypes
from comfyd.client._workspace_errors import NO_WORKSPACE_ACCESS, NoWorkspaceAccessError, WorkspaceApiError
from comfyd.client._workspace_models import (
    AcceptInviteResponse,
    BillingBalanceResponse,
    BillingCapabilitiesResponse,
    BillingEventsResponse,
    BillingPlansResponse,
    BillingPortalRequest,
    BillingPortalResponse,
    BillingStatusResponse,
    CurrentWorkspaceResponse,
    InviteCreate,
    ListInvitesResponse,
    ListMembersResponse,
    ListWorkspacesResponse,
    Member,
    MemberRoleUpdate,
    PaymentPortalRequest,
    PaymentPortalResponse,
    PendingInvite,
    WorkspaceCreate,
    WorkspaceRole,
    WorkspaceTokenRequest,
    WorkspaceTokenResponse,
    WorkspaceUpdate,
    WorkspaceWithRole,
)

__all__ = ["AsyncWorkspaceApi", "WorkspaceApi"]

T = TypeVar("T")

COMFY_CLOUD_BASE_URL = "https://cloud.comfy.org"
WORKSPACE_HEADER = "Comfy-Workspace-Id"
NOT_AUTHENTICATED = "User not authenticated"
# The frontend's ceiling on a plain-text error body used as the message; longer ones (a proxy's
# HTML page) give way to the status line.
_MAX_TEXT_MESSAGE = 500
# The token exchange's failures carry the code the frontend's session logic branches on.
_EXCHANGE_CODES = {401: "INVALID_FIREBASE_TOKEN", 403: "ACCESS_DENIED", 404: "WORKSPACE_NOT_FOUND"}


@dataclass(frozen=True)
class _NoContent(Endpoint):
    """A route that answers 204. Its answer reads as True, "done", because a service's None
    means the call was cancelled."""

    def parse(self, response: httpx.Response) -> Any:
        return True


@dataclass(frozen=True)
class _Route(Generic[T]):
    """An `Operation` that knows the type of its answer, so each method is one typed line. The
    context is the frontend's name of the call, which errors carry as `operation`."""

    operation: Operation


LIST = _Route[ListWorkspacesResponse](
    Operation(Endpoint("GET", "api/workspaces", ListWorkspacesResponse), "list")
)
GET_CURRENT_WORKSPACE = _Route[CurrentWorkspaceResponse](
    Operation(Endpoint("GET", "api/workspaces/current", CurrentWorkspaceResponse), "getCurrentWorkspace")
)
CREATE = _Route[WorkspaceWithRole](
    Operation(Endpoint("POST", "api/workspaces", WorkspaceWithRole, body=WorkspaceCreate), "create")
)
UPDATE = _Route[WorkspaceWithRole](
    Operation(
        Endpoint("PATCH", "api/workspaces/{workspace_id}", WorkspaceWithRole, body=WorkspaceUpdate), "update"
    )
)
DELETE = _Route[bool](Operation(_NoContent("DELETE", "api/workspaces/{workspace_id}"), "delete"))
LEAVE = _Route[bool](Operation(_NoContent("POST", "api/workspace/leave"), "leave"))
LIST_MEMBERS = _Route[ListMembersResponse](
    Operation(
        Endpoint("GET", "api/workspace/members", ListMembersResponse, query=("offset", "limit")),
        "listMembers",
    )
)
REMOVE_MEMBER = _Route[bool](
    Operation(_NoContent("DELETE", "api/workspace/members/{user_id}"), "removeMember")
)
UPDATE_MEMBER_ROLE = _Route[Member](
    Operation(
        Endpoint("PATCH", "api/workspace/members/{user_id}", Member, body=MemberRoleUpdate),
        "updateMemberRole",
    )
)
LIST_INVITES = _Route[ListInvitesResponse](
    Operation(Endpoint("GET", "api/workspace/invites", ListInvitesResponse), "listInvites")
)
CREATE_INVITE = _Route[PendingInvite](
    Operation(Endpoint("POST", "api/workspace/invites", PendingInvite, body=InviteCreate), "createInvite")
)
REVOKE_INVITE = _Route[bool](
    Operation(_NoContent("DELETE", "api/workspace/invites/{invite_id}"), "revokeInvite")
)
RESEND_INVITE = _Route[PendingInvite](
    Operation(Endpoint("POST", "api/workspace/invites/{invite_id}/resend", PendingInvite), "resendInvite")
)
ACCEPT_INVITE = _Route[AcceptInviteResponse](
    Operation(Endpoint("POST", "api/invites/{token}/accept", AcceptInviteResponse), "acceptInvite")
)
EXCHANGE_TOKEN = _Route[WorkspaceTokenResponse](
    Operation(
        Endpoint("POST", "api/auth/token", WorkspaceTokenResponse, body=WorkspaceTokenRequest),
        "exchangeToken",
    )
)
GET_BILLING_STATUS = _Route[BillingStatusResponse](
    Operation(Endpoint("GET", "api/billing/status", BillingStatusResponse), "getBillingStatus")
)
GET_BILLING_BALANCE = _Route[BillingBalanceResponse](
    Operation(Endpoint("GET", "api/billing/balance", BillingBalanceResponse), "getBillingBalance")
)
GET_BILLING_PLANS = _Route[BillingPlansResponse](
    Operation(Endpoint("GET", "api/billing/plans", BillingPlansResponse), "getBillingPlans")
)
GET_BILLING_CAPABILITIES = _Route[BillingCapabilitiesResponse](
    Operation(
        Endpoint("GET", "api/billing/capabilities", BillingCapabilitiesResponse), "getBillingCapabilities"
    )
)
GET_BILLING_EVENTS = _Route[BillingEventsResponse](
    Operation(
        Endpoint("GET", "api/billing/events", BillingEventsResponse, query=("page", "limit")),
        "getBillingEvents",
    )
)
GET_PAYMENT_PORTAL_URL = _Route[PaymentPortalResponse](
    Operation(
        Endpoint("POST", "api/billing/payment-portal", PaymentPortalResponse, body=PaymentPortalRequest),
        "getPaymentPortalUrl",
    )
)
ACCESS_BILLING_PORTAL = _Route[BillingPortalResponse](
    Operation(
        Endpoint("POST", "api/billing/portal", BillingPortalResponse, body=BillingPortalRequest),
        "accessBillingPortal",
    )
)
ROUTES: list[_Route[Any]] = [
    LIST,
    GET_CURRENT_WORKSPACE,
    CREATE,
    UPDATE,
    DELETE,
    LEAVE,
    LIST_MEMBERS,
    REMOVE_MEMBER,
    UPDATE_MEMBER_ROLE,
    LIST_INVITES,
    CREATE_INVITE,
    REVOKE_INVITE,
    RESEND_INVITE,
    ACCEPT_INVITE,
    EXCHANGE_TOKEN,
    GET_BILLING_STATUS,
    GET_BILLING_BALANCE,
    GET_BILLING_PLANS,
    GET_BILLING_CAPABILITIES,
    GET_BILLING_EVENTS,
    GET_PAYMENT_PORTAL_URL,
    ACCESS_BILLING_PORTAL,
]
OPERATIONS = [route.operation for route in ROUTES]
"""Every route the workspace services call (the drift test's list)."""


def workspace_error(operation: Operation, failure: Failure) -> WorkspaceApiError:
    """The frontend's `handleAxiosError`: the body's `message` (else the failure in words) and
    `code`, with `NoWorkspaceAccessError` for a 403 `no_workspace_access`."""
    name = operation.context
    if failure.status is None:
        return WorkspaceApiError(failure.reason, None, None, name)
    message, code = _message_and_code(failure)
    if operation is EXCHANGE_TOKEN.operation:
        return WorkspaceApiError(
            message, failure.status, _EXCHANGE_CODES.get(failure.status, "TOKEN_EXCHANGE_FAILED"), name
        )
    if failure.status == 403 and code == NO_WORKSPACE_ACCESS:
        return NoWorkspaceAccessError(message, failure.status, name)
    return WorkspaceApiError(message, failure.status, code, name)


def _message_and_code(failure: Failure) -> tuple[str, str | None]:
    if isinstance(failure.body, str):
        text = failure.body.strip()
        return (text if text and len(text) <= _MAX_TEXT_MESSAGE else failure.reason), None
    code = failure.body.get("code") if isinstance(failure.body, dict) else None
    return failure.message or failure.reason, code if isinstance(code, str) and code else None


class _WorkspaceCalls(ServiceBase):
    """What both twins do without I/O: building each call, and raising for failures."""

    def fail(self, call: ServiceCall[Any], failure: Failure) -> NoReturn:
        raise self._recorded(workspace_error(call.operation, failure))

    def _recorded(self, error: WorkspaceApiError) -> WorkspaceApiError:
        self.error = error.message
        return error

    def _call(
        self,
        route: _Route[T],
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        **segments: str,
    ) -> ServiceCall[T]:
        """`route` with its arguments. Without a credential nothing is sent: the frontend refuses
        first, as every one of these routes needs a signed-in caller."""
        if not has_credentials(self.headers):
            raise self._recorded(
                WorkspaceApiError(NOT_AUTHENTICATED, 401, "NOT_AUTHENTICATED", route.operation.context)
            )
        return route.operation.call(params=params, json=json, **segments)

    @staticmethod
    def _outcome(value: T | None, cancel: CancelToken | None) -> T:
        # Failures raise, so a call that returns nothing was cancelled.
        if value is None:
            raise Cancelled((cancel.reason if cancel is not None else None) or "The call was cancelled.")
        return value


class WorkspaceApi(_WorkspaceCalls, SyncService):
    """The workspace API, blocking. `base_url` is the cloud's root (default
    https://cloud.comfy.org; comfyd's own URL for comfyd). Sign in with `api_key=` or `token=`
    (an identity provider's ID token, or a workspace token from `exchange_token`); calls act in
    the credential's workspace, or in `workspace_id` (sent as `Comfy-Workspace-Id`).

    Every method raises `WorkspaceApiError` on failure and `Cancelled` when `cancel` fires.
    Safe to share between threads.
    """

    def __init__(
        self,
        base_url: str | httpx.URL = COMFY_CLOUD_BASE_URL,
        *,
        api_key: str | None = None,
        token: str | None = None,
        workspace_id: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = _headers(api_key, token, workspace_id, headers)
        super().__init__(base_url, headers=headers, timeout=timeout, transport=transport)

    def _run(self, call: ServiceCall[T], cancel: CancelToken | None) -> T:
        return self._outcome(self._execute(call, cancel), cancel)

    def list(self, *, cancel: CancelToken | None = None) -> ListWorkspacesResponse:
        """Every workspace the caller belongs to, with their role in each."""
        return self._run(self._call(LIST), cancel)

    def get_current_workspace(self, *, cancel: CancelToken | None = None) -> CurrentWorkspaceResponse:
        """The workspace the calls act in, the caller's role there and their permissions."""
        return self._run(self._call(GET_CURRENT_WORKSPACE), cancel)

    def create(self, *, name: str, cancel: CancelToken | None = None) -> WorkspaceWithRole:
        """A new team workspace, owned by the caller."""
        return self._run(self._call(CREATE, json=_body(WorkspaceCreate(name=name))), cancel)

    def update(
        self, workspace_id: str, *, name: str | None = None, cancel: CancelToken | None = None
    ) -> WorkspaceWithRole:
        """Rename a workspace (owners only)."""
        call = self._call(UPDATE, json=_body(WorkspaceUpdate(name=name)), workspace_id=workspace_id)
        return self._run(call, cancel)

    def delete(self, workspace_id: str, *, cancel: CancelToken | None = None) -> None:
        """Delete a team workspace (owners only; a personal workspace cannot be deleted)."""
        self._run(self._call(DELETE, workspace_id=workspace_id), cancel)

    def leave(self, *, cancel: CancelToken | None = None) -> None:
        """Leave the current workspace (its last owner cannot)."""
        self._run(self._call(LEAVE), cancel)

    def list_members(
        self, *, offset: int | None = None, limit: int | None = None, cancel: CancelToken | None = None
    ) -> ListMembersResponse:
        """A page of the current workspace's members."""
        call = self._call(LIST_MEMBERS, params={"offset": offset, "limit": limit})
        return self._run(call, cancel)

    def remove_member(self, user_id: str, *, cancel: CancelToken | None = None) -> None:
        """Remove a member from the current workspace (owners only)."""
        self._run(self._call(REMOVE_MEMBER, user_id=user_id), cancel)

    def update_member_role(
        self, user_id: str, *, role: WorkspaceRole, cancel: CancelToken | None = None
    ) -> Member:
        """Make a member an `owner` or a `member` (owners only)."""
        call = self._call(UPDATE_MEMBER_ROLE, json=_body(MemberRoleUpdate(role=role)), user_id=user_id)
        return self._run(call, cancel)

    def list_invites(self, *, cancel: CancelToken | None = None) -> ListInvitesResponse:
        """The current workspace's pending invites (without their tokens)."""
        return self._run(self._call(LIST_INVITES), cancel)

    def create_invite(
        self, *, email: str, role: WorkspaceRole | None = None, cancel: CancelToken | None = None
    ) -> PendingInvite:
        """Invite `email` to the current workspace; the answer holds the invite's `token`, once."""
        call = self._call(CREATE_INVITE, json=_body(InviteCreate(email=email, role=role)))
        return self._run(call, cancel)

    def revoke_invite(self, invite_id: str, *, cancel: CancelToken | None = None) -> None:
        self._run(self._call(REVOKE_INVITE, invite_id=invite_id), cancel)

    def resend_invite(self, invite_id: str, *, cancel: CancelToken | None = None) -> PendingInvite:
        return self._run(self._call(RESEND_INVITE, invite_id=invite_id), cancel)

    def accept_invite(self, token: str, *, cancel: CancelToken | None = None) -> AcceptInviteResponse:
        """Join the workspace an invite is for, as the signed-in invitee (each invite works once)."""
        return self._run(self._call(ACCEPT_INVITE, token=token), cancel)

    def exchange_token(
        self, workspace_id: str | None = None, *, cancel: CancelToken | None = None
    ) -> WorkspaceTokenResponse:
        """A short-lived token acting in `workspace_id` (by default, the current workspace).
        Failures carry the frontend's codes: `INVALID_FIREBASE_TOKEN` (401), `ACCESS_DENIED`
        (403), `WORKSPACE_NOT_FOUND` (404), else `TOKEN_EXCHANGE_FAILED`."""
        call = self._call(EXCHANGE_TOKEN, json=_body(WorkspaceTokenRequest(workspace_id=workspace_id)))
        return self._run(call, cancel)

    def get_billing_status(self, *, cancel: CancelToken | None = None) -> BillingStatusResponse:
        return self._run(self._call(GET_BILLING_STATUS), cancel)

    def get_billing_balance(self, *, cancel: CancelToken | None = None) -> BillingBalanceResponse:
        return self._run(self._call(GET_BILLING_BALANCE), cancel)

    def get_billing_plans(self, *, cancel: CancelToken | None = None) -> BillingPlansResponse:
        return self._run(self._call(GET_BILLING_PLANS), cancel)

    def get_billing_capabilities(self, *, cancel: CancelToken | None = None) -> BillingCapabilitiesResponse:
        return self._run(self._call(GET_BILLING_CAPABILITIES), cancel)

    def get_billing_events(
        self, *, page: int | None = None, limit: int | None = None, cancel: CancelToken | None = None
    ) -> BillingEventsResponse:
        """A page of the current workspace's billing events, newest first."""
        return self._run(self._call(GET_BILLING_EVENTS, params={"page": page, "limit": limit}), cancel)

    def get_payment_portal_url(
        self,
        *,
        return_url: str | None = None,
        flow_type: str | None = None,
        cancel: CancelToken | None = None,
    ) -> PaymentPortalResponse:
        """A link to the workspace's billing page (owners only), which returns to `return_url`."""
        body = _body(PaymentPortalRequest(return_url=return_url, flow_type=flow_type))
        return self._run(self._call(GET_PAYMENT_PORTAL_URL, json=body), cancel)

    def access_billing_portal(
        self, *, return_url: str | None = None, cancel: CancelToken | None = None
    ) -> BillingPortalResponse:
        """The seed's name for the billing page link: `{billing_portal_url}`."""
        body = _body(BillingPortalRequest(return_url=return_url))
        return self._run(self._call(ACCESS_BILLING_PORTAL, json=body), cancel)


class AsyncWorkspaceApi(_WorkspaceCalls, AsyncService):
    """The async twin of `WorkspaceApi`: the same methods, awaited."""

    def __init__(
        self,
        base_url: str | httpx.URL = COMFY_CLOUD_BASE_URL,
        *,
        api_key: str | None = None,
        token: str | None = None,
        workspace_id: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = _headers(api_key, token, workspace_id, headers)
        super().__init__(base_url, headers=headers, timeout=timeout, transport=transport)

    async def _run(self, call: ServiceCall[T], cancel: CancelToken | None) -> T:
        value = await self._execute(call, cancel)
        return self._outcome(value, cancel)

    async def list(self, *, cancel: CancelToken | None = None) -> ListWorkspacesResponse:
        return await self._run(self._call(LIST), cancel)

    async def get_current_workspace(self, *, cancel: CancelToken | None = None) -> CurrentWorkspaceResponse:
        return await self._run(self._call(GET_CURRENT_WORKSPACE), cancel)

    async def create(self, *, name: str, cancel: CancelToken | None = None) -> WorkspaceWithRole:
        return await self._run(self._call(CREATE, json=_body(WorkspaceCreate(name=name))), cancel)

    async def update(
        self, workspace_id: str, *, name: str | None = None, cancel: CancelToken | None = None
    ) -> WorkspaceWithRole:
        call = self._call(UPDATE, json=_body(WorkspaceUpdate(name=name)), workspace_id=workspace_id)
        return await self._run(call, cancel)

    async def delete(self, workspace_id: str, *, cancel: CancelToken | None = None) -> None:
        await self._run(self._call(DELETE, workspace_id=workspace_id), cancel)

    async def leave(self, *, cancel: CancelToken | None = None) -> None:
        await self._run(self._call(LEAVE), cancel)

    async def list_members(
        self, *, offset: int | None = None, limit: int | None = None, cancel: CancelToken | None = None
    ) -> ListMembersResponse:
        call = self._call(LIST_MEMBERS, params={"offset": offset, "limit": limit})
        return await self._run(call, cancel)

    async def remove_member(self, user_id: str, *, cancel: CancelToken | None = None) -> None:
        await self._run(self._call(REMOVE_MEMBER, user_id=user_id), cancel)

    async def update_member_role(
        self, user_id: str, *, role: WorkspaceRole, cancel: CancelToken | None = None
    ) -> Member:
        call = self._call(UPDATE_MEMBER_ROLE, json=_body(MemberRoleUpdate(role=role)), user_id=user_id)
        return await self._run(call, cancel)

    async def list_invites(self, *, cancel: CancelToken | None = None) -> ListInvitesResponse:
        return await self._run(self._call(LIST_INVITES), cancel)

    async def create_invite(
        self, *, email: str, role: WorkspaceRole | None = None, cancel: CancelToken | None = None
    ) -> PendingInvite:
        call = self._call(CREATE_INVITE, json=_body(InviteCreate(email=email, role=role)))
        return await self._run(call, cancel)

    async def revoke_invite(self, invite_id: str, *, cancel: CancelToken | None = None) -> None:
        await self._run(self._call(REVOKE_INVITE, invite_id=invite_id), cancel)

    async def resend_invite(self, invite_id: str, *, cancel: CancelToken | None = None) -> PendingInvite:
        return await self._run(self._call(RESEND_INVITE, invite_id=invite_id), cancel)

    async def accept_invite(self, token: str, *, cancel: CancelToken | None = None) -> AcceptInviteResponse:
        return await self._run(self._call(ACCEPT_INVITE, token=token), cancel)

    async def exchange_token(
        self, workspace_id: str | None = None, *, cancel: CancelToken | None = None
    ) -> WorkspaceTokenResponse:
        call = self._call(EXCHANGE_TOKEN, json=_body(WorkspaceTokenRequest(workspace_id=workspace_id)))
        return await self._run(call, cancel)

    async def get_billing_status(self, *, cancel: CancelToken | None = None) -> BillingStatusResponse:
        return await self._run(self._call(GET_BILLING_STATUS), cancel)

    async def get_billing_balance(self, *, cancel: CancelToken | None = None) -> BillingBalanceResponse:
        return await self._run(self._call(GET_BILLING_BALANCE), cancel)

    async def get_billing_plans(self, *, cancel: CancelToken | None = None) -> BillingPlansResponse:
        return await self._run(self._call(GET_BILLING_PLANS), cancel)

    async def get_billing_capabilities(
        self, *, cancel: CancelToken | None = None
    ) -> BillingCapabilitiesResponse:
        return await self._run(self._call(GET_BILLING_CAPABILITIES), cancel)

    async def get_billing_events(
        self, *, page: int | None = None, limit: int | None = None, cancel: CancelToken | None = None
    ) -> BillingEventsResponse:
        return await self._run(self._call(GET_BILLING_EVENTS, params={"page": page, "limit": limit}), cancel)

    async def get_payment_portal_url(
        self,
        *,
        return_url: str | None = None,
        flow_type: str | None = None,
        cancel: CancelToken | None = None,
    ) -> PaymentPortalResponse:
        body = _body(PaymentPortalRequest(return_url=return_url, flow_type=flow_type))
        return await self._run(self._call(GET_PAYMENT_PORTAL_URL, json=body), cancel)

    async def access_billing_portal(
        self, *, return_url: str | None = None, cancel: CancelToken | None = None
    ) -> BillingPortalResponse:
        body = _body(BillingPortalRequest(return_url=return_url))
        return await self._run(self._call(ACCESS_BILLING_PORTAL, json=body), cancel)


def _headers(
    api_key: str | None, token: str | None, workspace_id: str | None, headers: HeaderTypes | None
) -> dict[str, str]:
    merged = credential_headers(api_key, token, headers)
    if workspace_id is not None:
        merged[WORKSPACE_HEADER] = workspace_id
    return merged


def _body(model: BaseModel) -> dict[str, Any]:
    """A request body without the fields left out, so the server applies its defaults."""
    return model.model_dump(exclude_none=True)
