"""The frontend's generated zod schemas for `/api/billing/*` (`packages/ingest-types/src/zod.gen.ts`
in ComfyUI_frontend), written out as data, and `check`, which asserts a JSON value against one.

Every field the schemas require is listed with its type; optional ones only where comfyd sends
them (then their type is checked too). `z.string().datetime()` takes UTC with a `Z` and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
MAX_SAFE_INTEGER = 2**53 - 1
NUMBER = "number"
INTEGER = "integer"
DATETIME_STRING = "datetime"


@dataclass(frozen=True)
class Optional:
    """A field that may be left out, but has this type when present."""

    spec: Any


@dataclass(frozen=True)
class Nullable:
    """A field that must be present, as null or as `spec`."""

    spec: Any


SUBSCRIPTION_TIERS = frozenset(
    {"FREE", "STANDARD", "CREATOR", "PRO", "FOUNDERS_EDITION", "TEAM", "ENTERPRISE"}
)
DURATIONS = frozenset({"MONTHLY", "ANNUAL"})

BILLING_STATUS_RESPONSE = {
    "has_funds": bool,
    "is_active": bool,
    "max_seats": INTEGER,
    "occupied_seats": INTEGER,
    "scheduled_change": Nullable(dict),
    "team_credit_stop": Nullable(dict),
    "plan_slug": Optional(str),
    "subscription_tier": Optional(SUBSCRIPTION_TIERS),
}

BILLING_BALANCE_RESPONSE = {
    "amount_micros": NUMBER,
    "currency": str,
    "prepaid_balance_micros": Optional(NUMBER),
    "cloud_credit_balance_micros": Optional(NUMBER),
    "pending_charges_micros": Optional(NUMBER),
    "effective_balance_micros": Optional(NUMBER),
    "amount_cents": Optional(NUMBER),
    "prepaid_balance_cents": Optional(NUMBER),
    "cloud_credit_balance_cents": Optional(NUMBER),
    "pending_charges_cents": Optional(NUMBER),
    "effective_balance_cents": Optional(NUMBER),
}

PLAN = {
    "availability": {
        "available": bool,
        "reason": Optional(
            frozenset(
                {
                    "same_plan",
                    "incompatible_transition",
                    "requires_team",
                    "requires_personal",
                    "exceeds_max_seats",
                }
            )
        ),
    },
    "credits_cents": INTEGER,
    "duration": DURATIONS,
    "max_seats": INTEGER,
    "price_cents": INTEGER,
    "seat_summary": {"seat_count": INTEGER, "total_cost_cents": INTEGER, "total_credits_cents": INTEGER},
    "slug": str,
    "tier": SUBSCRIPTION_TIERS,
}

BILLING_PLANS_RESPONSE = {"plans": [PLAN], "current_plan_slug": Optional(str)}

BILLING_CAPABILITIES_RESPONSE = {
    # zBillingCapabilities of the installed frontend package (1.58): every one required but
    # can_view_own_usage.
    "capabilities": {
        "can_cancel": bool,
        "can_change_seats": bool,
        "can_delete_workspace": bool,
        "can_downgrade_to_personal": bool,
        "can_edit_workspace": bool,
        "can_invite_members": bool,
        "can_leave_workspace": bool,
        "can_manage_auto_top_up": bool,
        "can_manage_billing": bool,
        "can_manage_members": bool,
        "can_manage_partner_node_access": bool,
        "can_manage_subscription": bool,
        "can_open_plans": bool,
        "can_reactivate": bool,
        "can_revert_scheduled_change": bool,
        "can_run_workflows": bool,
        "can_subscribe_self_serve": bool,
        "can_top_up": bool,
        "can_upgrade": bool,
        "can_view_pending_invites": bool,
        "can_view_team_usage": bool,
        "can_view_own_usage": Optional(bool),
    },
    "expires_at": DATETIME_STRING,
    "resolved_for": {"user_id": str, "workspace_id": str},
    "revision": INTEGER,
    "rollout_defaults_applied": {
        "can_downgrade_to_personal": bool,
        "can_subscribe_self_serve": bool,
        "can_top_up": bool,
    },
}

BILLING_EVENT = {
    "createdAt": DATETIME_STRING,
    "event_id": str,
    "event_type": str,
    "params": Optional(dict),
}

BILLING_EVENTS_RESPONSE = {
    "events": [BILLING_EVENT],
    "limit": INTEGER,
    "page": INTEGER,
    "total": INTEGER,
    "totalPages": INTEGER,
}

PAYMENT_PORTAL_RESPONSE = {"url": str}


def check(value: Any, spec: Any, where: str = "$") -> None:
    """Assert that `value` is valid against `spec`, naming the path of the first problem."""
    if isinstance(spec, Nullable):
        if value is not None:
            check(value, spec.spec, where)
    elif isinstance(spec, dict):
        assert isinstance(value, dict), f"{where} is {value!r}, not an object"
        for name, field in spec.items():
            if name not in value:
                assert isinstance(field, Optional), f"{where}.{name} is required and missing"
                continue
            check(value[name], field.spec if isinstance(field, Optional) else field, f"{where}.{name}")
    elif isinstance(spec, list):
        assert isinstance(value, list), f"{where} is {value!r}, not an array"
        for index, item in enumerate(value):
            check(item, spec[0], f"{where}[{index}]")
    elif isinstance(spec, frozenset):
        assert value in spec, f"{where} is {value!r}, not one of {sorted(spec)}"
    else:
        assert _is_a(value, spec), f"{where} is {value!r}, not {spec}"


def _is_a(value: Any, spec: Any) -> bool:
    if spec == INTEGER:
        return type(value) is int and abs(value) <= MAX_SAFE_INTEGER
    if spec == NUMBER:
        return type(value) in (int, float)
    if spec == DATETIME_STRING:
        return isinstance(value, str) and DATETIME.match(value) is not None
    if spec is bool:
        return type(value) is bool
    return isinstance(value, spec)
