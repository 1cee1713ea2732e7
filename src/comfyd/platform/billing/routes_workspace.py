"""Comfy Cloud's workspace billing on the wire: `/api/billing/status|balance|plans|capabilities`,
`/api/billing/events`, `POST /api/billing/payment-portal` and the seed's `POST /api/billing/portal`.

All act on the request's current workspace (its workspace token, its API key's workspace, or
`Comfy-Workspace-Id`). Errors answer as the other workspace routes do, `{"error", "message",
"code"}`: 401 without an identity, 403 `no_workspace_access` outside the workspace, 403
`forbidden` for a member who asks for the payment portal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from comfyd.platform.accounts.errors import InvalidRequest
from comfyd.platform.accounts.identity import Identity, RequiredIdentity
from comfyd.platform.billing import page
from comfyd.platform.billing.deps import WorkspaceBillingDep, site_url
from comfyd.platform.billing.models import (
    BillingBalanceResponse,
    BillingCapabilitiesResponse,
    BillingEventsResponse,
    BillingPlansResponse,
    BillingStatusResponse,
    PaymentPortalRequest,
    PaymentPortalResponse,
    WorkspaceBillingPortalResponse,
)
from comfyd.platform.billing.workspace import WorkspaceBilling
from comfyd.platform.customers.events import MAX_PAGE_SIZE
from comfyd.platform.customers.routing import invalid_input_as

router = APIRouter(prefix="/api/billing", tags=["billing"], route_class=invalid_input_as(InvalidRequest))


@router.get("/status")
async def billing_status(identity: RequiredIdentity, billing: WorkspaceBillingDep) -> BillingStatusResponse:
    return await billing.status(identity)


@router.get("/balance")
async def billing_balance(identity: RequiredIdentity, billing: WorkspaceBillingDep) -> BillingBalanceResponse:
    return await billing.balance(identity)


@router.get("/plans")
async def billing_plans(identity: RequiredIdentity, billing: WorkspaceBillingDep) -> BillingPlansResponse:
    return await billing.plans(identity)


@router.get("/capabilities")
async def billing_capabilities(
    identity: RequiredIdentity, billing: WorkspaceBillingDep
) -> BillingCapabilitiesResponse:
    return await billing.capabilities(identity)


@router.get("/events")
async def billing_events(
    identity: RequiredIdentity,
    billing: WorkspaceBillingDep,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> BillingEventsResponse:
    return await billing.events(identity, page=page, limit=limit)


@router.post("/payment-portal")
async def payment_portal(
    identity: RequiredIdentity,
    billing: WorkspaceBillingDep,
    request: Request,
    body: PaymentPortalRequest | None = None,
) -> PaymentPortalResponse:
    url = await _portal_url(identity, billing, request, body)
    return PaymentPortalResponse(url=url)


@router.post("/portal")
async def billing_portal(
    identity: RequiredIdentity,
    billing: WorkspaceBillingDep,
    request: Request,
    body: PaymentPortalRequest | None = None,
) -> WorkspaceBillingPortalResponse:
    url = await _portal_url(identity, billing, request, body)
    return WorkspaceBillingPortalResponse(url=url, billing_portal_url=url)


async def _portal_url(
    identity: Identity, billing: WorkspaceBilling, request: Request, body: PaymentPortalRequest | None
) -> str:
    return_url = page.safe_return_url(body.return_url if body else None)
    return await billing.portal_url(identity, site=site_url(request), return_url=return_url)
