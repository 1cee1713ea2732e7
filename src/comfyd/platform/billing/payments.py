"""How money comes in: the `PaymentsProvider` interface and comfyd's built-in provider.

A provider answers the two calls the frontend makes for personal billing: `POST /customers/credit`
(a checkout URL for a top-up) and `POST /customers/billing` (a billing portal URL); the workspace
billing routes ask it the same for a workspace. A provider with real payments (Stripe, say) would
return its own hosted pages and add the credit from its webhook once the payment clears.

The built-in provider takes no payment at all: both URLs lead to comfyd's own billing page, where
the signed-in owner (or an admin acting for them) records a top-up, which the ledger writes as
`credit_added`. It suits a server whose operators settle money outside comfyd.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

from comfyd.platform.billing.errors import TopUpNotAllowed
from comfyd.platform.billing.ledger import Balance, CreditLedger, Owner, check_credit_amount, check_currency
from comfyd.platform.billing.links import BillingGrant, BillingLinks

PAGE_PATH = "/billing"


@dataclass(frozen=True)
class PaymentRequest:
    """Who asks for which page: `user_id` acting for `owner`, on the server at `site` (its base URL as
    the client reached it), to come back to `return_url` when done."""

    user_id: str
    owner: Owner
    site: str
    may_add_credit: bool = True
    return_url: str | None = None


class PaymentsProvider(Protocol):
    """The payments side of billing. Neither call moves money: a top-up reaches the ledger only
    when the payer completes it on the page the URL leads to."""

    name: str

    async def checkout_url(self, request: PaymentRequest, *, amount_micros: int, currency: str) -> str:
        """A URL where the payer tops up `amount_micros`. Raises `InvalidAmount` or
        `UnsupportedCurrency` for a top-up the provider cannot take."""
        ...

    async def portal_url(self, request: PaymentRequest) -> str:
        """A URL where the user sees the owner's balance and history and adds credit."""
        ...


class BuiltinPayments:
    """comfyd's own billing page as the checkout and the portal; top-ups are recorded, not paid."""

    name = "comfyd"

    def __init__(self, ledger: CreditLedger, links: BillingLinks) -> None:
        self._ledger = ledger
        self._links = links

    async def checkout_url(self, request: PaymentRequest, *, amount_micros: int, currency: str) -> str:
        check_credit_amount(amount_micros)
        check_currency(currency)
        return await self._page_url(request, amount_micros=amount_micros)

    async def portal_url(self, request: PaymentRequest) -> str:
        return await self._page_url(request)

    async def record_top_up(self, grant: BillingGrant, amount_micros: int) -> Balance:
        """Add credit as the billing page's form asks. The grant must allow it (the link's issuer
        decided that the user is an owner or an admin); raises `TopUpNotAllowed` otherwise."""
        if not grant.may_add_credit:
            raise TopUpNotAllowed(grant.user_id)
        return await self._ledger.add_credit(
            grant.owner, amount_micros, by_user_id=grant.user_id, source=self.name
        )

    async def _page_url(self, request: PaymentRequest, *, amount_micros: int | None = None) -> str:
        token = await self._links.issue(
            user_id=request.user_id, owner=request.owner, may_add_credit=request.may_add_credit
        )
        query = {"token": token}
        if amount_micros is not None:
            query["amount_micros"] = str(amount_micros)
        if request.return_url:
            query["return_url"] = request.return_url
        return f"{request.site.rstrip('/')}{PAGE_PATH}?{urlencode(query)}"
