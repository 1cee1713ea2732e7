"""Comfy Cloud's workspace, token-exchange and workspace-billing shapes as the SDK reads and sends
them, under the names of the frontend's generated schemas (`zod.gen.ts`).

A field the frontend's schema requires is required here too; the rest are optional. Unknown
fields are kept (`model_extra`), so a server that sends more (Comfy Cloud's `subscription_tier`,
deployment fields) does not break the SDK. Only fields comfyd's own schema declares are named,
which the OpenAPI drift test checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "AcceptInviteResponse",
    "BillingBalanceResponse",
    "BillingCapabilities",
    "BillingCapabilitiesResponse",
    "BillingCapabilityScope",
    "BillingEvent",
    "BillingEventsResponse",
    "BillingPlansResponse",
    "BillingPortalRequest",
    "BillingPortalResponse",
    "BillingStatusResponse",
    "CurrentWorkspaceResponse",
    "InviteCreate",
    "ListInvitesResponse",
    "ListMembersResponse",
    "ListWorkspacesResponse",
    "Member",
    "MemberCapabilities",
    "MemberRoleUpdate",
    "PaginationInfo",
    "PaymentPortalRequest",
    "PaymentPortalResponse",
    "PendingInvite",
    "Plan",
    "PlanAvailability",
    "PlanSeatSummary",
    "Workspace",
    "WorkspaceCreate",
    "WorkspaceSummary",
    "WorkspaceTokenRequest",
    "WorkspaceTokenResponse",
    "WorkspaceUpdate",
    "WorkspaceWithRole",
]

WorkspaceType = Literal["personal", "team"]
WorkspaceRole = Literal["owner", "member"]


class _CloudModel(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- workspaces ---------------------------------------------------------------------------------


class Workspace(_CloudModel):
    id: str
    name: str
    type: WorkspaceType
    created_at: datetime


class WorkspaceWithRole(Workspace):
    """A workspace as one of its members sees it: their `role` and when they joined."""

    role: WorkspaceRole
    joined_at: datetime


class ListWorkspacesResponse(_CloudModel):
    workspaces: list[WorkspaceWithRole]
    can_create_workspace: bool | None = None
    default_workspace_id: str | None = None


class CurrentWorkspaceResponse(_CloudModel):
    """The workspace a request acts in, and how it was signed in (`auth_method`)."""

    id: str
    name: str
    type: WorkspaceType
    auth_method: str
    role: WorkspaceRole | None = None
    permissions: list[str] | None = None


class WorkspaceCreate(_CloudModel):
    name: str


class WorkspaceUpdate(_CloudModel):
    name: str | None = None


# -- members and invites ------------------------------------------------------------------------


class MemberCapabilities(_CloudModel):
    can_change_role: bool
    can_remove: bool
    can_set_credit_limit: bool | None = None


class Member(_CloudModel):
    id: str
    name: str
    email: str
    role: WorkspaceRole
    joined_at: datetime
    is_original_owner: bool | None = None
    capabilities: MemberCapabilities | None = None


class PaginationInfo(_CloudModel):
    """Where a page of members sits; ask for `offset + limit` next while `has_more`."""

    offset: int
    limit: int
    total: int
    has_more: bool | None = None


class ListMembersResponse(_CloudModel):
    members: list[Member]
    pagination: PaginationInfo


class MemberRoleUpdate(_CloudModel):
    role: WorkspaceRole


class PendingInvite(_CloudModel):
    """An invite. `token` (what the invitee accepts with) comes only in the answer that made it."""

    id: str
    email: str
    invited_at: datetime
    expires_at: datetime
    role: WorkspaceRole | None = None
    token: str | None = None


class ListInvitesResponse(_CloudModel):
    invites: list[PendingInvite]


class InviteCreate(_CloudModel):
    email: str
    role: WorkspaceRole | None = None


class AcceptInviteResponse(_CloudModel):
    workspace_id: str
    workspace_name: str


# -- token exchange -----------------------------------------------------------------------------


class WorkspaceTokenRequest(_CloudModel):
    workspace_id: str | None = None


class WorkspaceSummary(_CloudModel):
    id: str
    name: str
    type: WorkspaceType


class WorkspaceTokenResponse(_CloudModel):
    """A short-lived token that acts in `workspace`: send it as `Authorization: Bearer`."""

    token: str
    expires_at: datetime
    workspace: WorkspaceSummary
    role: WorkspaceRole
    permissions: list[str]
    user_id: str | None = None


# -- billing ------------------------------------------------------------------------------------


class BillingStatusResponse(_CloudModel):
    is_active: bool
    has_funds: bool
    plan_slug: str | None = None
    max_seats: int | None = None
    occupied_seats: int | None = None


class BillingBalanceResponse(_CloudModel):
    """The workspace's credit in CENTS of `currency`, despite the names: the peer's schema keeps
    the misnamed `*_micros` fields for compatibility (the `*_cents` twins carry the same values).
    A fraction of a cent (after a small API-node charge) comes as a float."""

    amount_micros: int | float
    currency: str
    amount_cents: int | float | None = None
    prepaid_balance_micros: int | float | None = None
    cloud_credit_balance_micros: int | float | None = None
    pending_charges_micros: int | float | None = None
    effective_balance_micros: int | float | None = None


class PlanAvailability(_CloudModel):
    available: bool
    reason: str | None = None


class PlanSeatSummary(_CloudModel):
    seat_count: int
    total_cost_cents: int
    total_credits_cents: int


class Plan(_CloudModel):
    slug: str
    tier: str
    duration: str
    price_cents: int
    credits_cents: int
    max_seats: int
    availability: PlanAvailability
    seat_summary: PlanSeatSummary


class BillingPlansResponse(_CloudModel):
    plans: list[Plan]
    current_plan_slug: str | None = None


class BillingCapabilities(_CloudModel):
    can_cancel: bool
    can_change_seats: bool
    can_downgrade_to_personal: bool
    can_invite_members: bool
    can_reactivate: bool
    can_subscribe_self_serve: bool
    can_top_up: bool


class BillingCapabilityScope(_CloudModel):
    user_id: str
    workspace_id: str


class BillingCapabilitiesResponse(_CloudModel):
    """What the caller may do with the workspace's billing, valid until `expires_at`."""

    capabilities: BillingCapabilities
    expires_at: datetime
    resolved_for: BillingCapabilityScope | None = None
    revision: int | None = None


class BillingEvent(_CloudModel):
    """An event of the workspace's log; `CustomerEventsService.format_event_type` labels it."""

    event_id: str
    event_type: str
    createdAt: datetime
    params: dict[str, Any] | None = None


class BillingEventsResponse(_CloudModel):
    events: list[BillingEvent]
    page: int
    limit: int
    total: int
    totalPages: int | None = None


class PaymentPortalRequest(_CloudModel):
    """`flow_type` is `""` or `payment_method_update`."""

    return_url: str | None = None
    flow_type: str | None = None


class PaymentPortalResponse(_CloudModel):
    url: str


class BillingPortalRequest(_CloudModel):
    """The seed's `POST /api/billing/portal` body."""

    return_url: str | None = None


class BillingPortalResponse(_CloudModel):
    """The seed's billing portal answer; comfyd also sends the URL as `url`."""

    billing_portal_url: str
    url: str | None = None
