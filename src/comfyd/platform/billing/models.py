"""Wire shapes of Comfy Cloud's workspace billing API (`/api/billing/*`), with the names in the
frontend's generated schemas (`zod.gen.ts`: `BillingStatusResponse`, `BillingBalanceResponse`,
`BillingPlansResponse`, `BillingCapabilitiesResponse`, `BillingEventsResponse`, `PaymentPortal*`).

Only the fields comfyd has something true to say about are declared; the rest are optional on
the wire and left out. Fields the schema requires but allows to be null (`scheduled_change`,
`team_credit_stop`) are always sent, as null.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from comfyd.platform.customers.models import AuditLog, CustomerEventsResponse

SubscriptionTier = Literal["FREE", "STANDARD", "CREATOR", "PRO", "FOUNDERS_EDITION", "TEAM", "ENTERPRISE"]
SubscriptionDuration = Literal["MONTHLY", "ANNUAL"]


class BillingStatusResponse(BaseModel):
    is_active: bool
    has_funds: bool
    plan_slug: str
    max_seats: int
    occupied_seats: int
    scheduled_change: None = None
    team_credit_stop: None = None


Cents = int | float
"""An amount in cents: whole cents as an integer, a fraction of a cent as a number."""


class BillingBalanceResponse(BaseModel):
    """Every amount is in cents, the `*_micros` ones too: the peer's schema says they are cents
    under a legacy name, and the frontend reads them so (`formatCreditsFromCents`). The `*_cents`
    twins carry the same values under honest names."""

    amount_micros: Cents
    currency: str
    prepaid_balance_micros: Cents
    cloud_credit_balance_micros: Cents
    pending_charges_micros: Cents
    effective_balance_micros: Cents
    amount_cents: Cents
    prepaid_balance_cents: Cents
    cloud_credit_balance_cents: Cents
    pending_charges_cents: Cents
    effective_balance_cents: Cents


class PlanAvailability(BaseModel):
    available: bool
    reason: Literal["same_plan"] | None = None


class PlanSeatSummary(BaseModel):
    seat_count: int
    total_cost_cents: int
    total_credits_cents: int


class Plan(BaseModel):
    slug: str
    tier: SubscriptionTier
    duration: SubscriptionDuration
    price_cents: int
    credits_cents: int
    max_seats: int
    availability: PlanAvailability
    seat_summary: PlanSeatSummary


class BillingPlansResponse(BaseModel):
    current_plan_slug: str
    plans: list[Plan]


class BillingCapabilities(BaseModel):
    """Every capability the installed frontend's schema requires (`zBillingCapabilities`)."""

    can_cancel: bool
    can_change_seats: bool
    can_delete_workspace: bool
    can_downgrade_to_personal: bool
    can_edit_workspace: bool
    can_invite_members: bool
    can_leave_workspace: bool
    can_manage_auto_top_up: bool
    can_manage_billing: bool
    can_manage_members: bool
    can_manage_partner_node_access: bool
    can_manage_subscription: bool
    can_open_plans: bool
    can_reactivate: bool
    can_revert_scheduled_change: bool
    can_run_workflows: bool
    can_subscribe_self_serve: bool
    can_top_up: bool
    can_upgrade: bool
    can_view_own_usage: bool
    can_view_pending_invites: bool
    can_view_team_usage: bool


class BillingCapabilityScope(BaseModel):
    user_id: str
    workspace_id: str


class BillingCapabilityRolloutDefaults(BaseModel):
    """Which capabilities are guesses rather than policy; comfyd's are all policy."""

    can_downgrade_to_personal: bool = False
    can_subscribe_self_serve: bool = False
    can_top_up: bool = False


class BillingCapabilitiesResponse(BaseModel):
    capabilities: BillingCapabilities
    expires_at: datetime
    resolved_for: BillingCapabilityScope
    revision: int
    rollout_defaults_applied: BillingCapabilityRolloutDefaults = Field(
        default_factory=BillingCapabilityRolloutDefaults
    )


class BillingEvent(AuditLog):
    """Comfy Cloud's name for a customer-event row (it may add `member_*` and `api_key_*` fields,
    which comfyd does not record)."""


class BillingEventsResponse(CustomerEventsResponse):
    """`GET /api/billing/events`: the customer-events page with Cloud's row name."""

    events: list[BillingEvent]  # type: ignore[assignment]  (a narrower row, same wire shape)
    event_model: ClassVar[type[AuditLog]] = BillingEvent


class PaymentPortalRequest(BaseModel):
    """`flow_type` asks Stripe for a narrower page; comfyd's page is the same for every flow."""

    return_url: str | None = Field(default=None, max_length=2048)
    flow_type: Literal["", "payment_method_update"] | None = None


class PaymentPortalResponse(BaseModel):
    url: str


class WorkspaceBillingPortalResponse(PaymentPortalResponse):
    """The seed's `POST /api/billing/portal`. Its response is named but not spelled out, and
    api.comfy.org's `BillingPortalResponse` is `{billing_portal_url}`: both names carry the URL."""

    billing_portal_url: str
