"""Wire shapes of Comfy Cloud's workspace billing API (`/api/billing/*`), with the names in the
frontend's generated schemas (`zod.gen.ts`: `BillingStatusResponse`, `BillingBalanceResponse`,
`BillingPlansResponse`, `BillingCapabilitiesResponse`, `BillingEventsResponse`, `PaymentPortal*`).

Only the fields comfyd has something true to say about are declared; the rest are optional on
the wire and left out. Fields the schema requires but allows to be null (`scheduled_change`,
`team_credit_stop`) are always sent, as null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from comfyd.platform.customers.events import Event, EventPage

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


class BillingBalanceResponse(BaseModel):
    amount_micros: int
    currency: str
    prepaid_balance_micros: int
    cloud_credit_balance_micros: int
    pending_charges_micros: int
    effective_balance_micros: int


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
    can_cancel: bool
    can_change_seats: bool
    can_downgrade_to_personal: bool
    can_invite_members: bool
    can_reactivate: bool
    can_subscribe_self_serve: bool
    can_top_up: bool


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


class BillingEvent(BaseModel):
    event_id: str
    event_type: str
    params: dict[str, Any]
    createdAt: datetime

    @classmethod
    def of(cls, event: Event) -> BillingEvent:
        return cls(
            event_id=event.id, event_type=event.event_type, params=event.params, createdAt=event.created_at
        )


class BillingEventsResponse(BaseModel):
    events: list[BillingEvent]
    page: int
    limit: int
    total: int
    totalPages: int

    @classmethod
    def of(cls, page: EventPage) -> BillingEventsResponse:
        return cls(
            events=[BillingEvent.of(event) for event in page.events],
            page=page.page,
            limit=page.limit,
            total=page.total,
            totalPages=page.total_pages,
        )


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
