"""Personal billing on the peer's wire: `POST /customers/billing` (the billing portal) and
`POST /customers/credit` (a top-up checkout). Both answer with a URL; no money moves here."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from comfyd.platform.accounts.identity import RequiredIdentity
from comfyd.platform.billing import page
from comfyd.platform.billing.deps import Payments, site_url
from comfyd.platform.billing.errors import (
    BillingError,
    BillingLinkInvalid,
    InvalidBillingRequest,
    TopUpNotAllowed,
)
from comfyd.platform.billing.ledger import Owner
from comfyd.platform.billing.payments import PAGE_PATH, PaymentRequest
from comfyd.platform.customers.deps import Customers
from comfyd.platform.customers.routing import invalid_input_as

router = APIRouter(route_class=invalid_input_as(InvalidBillingRequest), tags=["billing"])


class BillingPortalRequest(BaseModel):
    """comfyd has no subscriptions: `target_tier` and `cancel_subscription` are accepted and ignored."""

    return_url: str | None = Field(default=None, max_length=2048)
    target_tier: str | None = None
    cancel_subscription: bool | None = None


class BillingPortalResponse(BaseModel):
    billing_portal_url: str


class CreditPurchaseRequest(BaseModel):
    amount_micros: int
    currency: str = Field(max_length=8)


class CreditPurchaseResponse(BaseModel):
    checkout_url: str


@router.post("/customers/billing")
async def access_billing_portal(
    identity: RequiredIdentity,
    customers: Customers,
    payments: Payments,
    request: Request,
    body: BillingPortalRequest | None = None,
) -> BillingPortalResponse:
    await customers.require(identity.user_id)
    return_url = page.safe_return_url(body.return_url if body else None)
    asked = PaymentRequest(
        identity.user_id, Owner.user(identity.user_id), site_url(request), return_url=return_url
    )
    return BillingPortalResponse(billing_portal_url=await payments.portal_url(asked))


@router.post("/customers/credit", status_code=HTTPStatus.CREATED)
async def initiate_credit_purchase(
    identity: RequiredIdentity,
    customers: Customers,
    payments: Payments,
    request: Request,
    body: CreditPurchaseRequest,
) -> CreditPurchaseResponse:
    await customers.require(identity.user_id)
    asked = PaymentRequest(identity.user_id, Owner.user(identity.user_id), site_url(request))
    url = await payments.checkout_url(asked, amount_micros=body.amount_micros, currency=body.currency)
    return CreditPurchaseResponse(checkout_url=url)


def install_error_handlers(app: FastAPI) -> None:
    """Answer billing exceptions in the platform shape `{"error", "message"}`, or, on the billing
    page that a browser opened, as a page saying what went wrong."""
    app.add_exception_handler(BillingError, _billing_error)


async def _billing_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BillingError)
    status = HTTPStatus(exc.status_code)
    on_page = request.url.path == PAGE_PATH or request.url.path.startswith(PAGE_PATH + "/")
    if on_page and isinstance(exc, BillingLinkInvalid | TopUpNotAllowed):
        return HTMLResponse(page.render_refusal(exc.message), status_code=status, headers=page.HEADERS)
    return JSONResponse({"error": status.phrase, "message": exc.message}, status_code=status)
