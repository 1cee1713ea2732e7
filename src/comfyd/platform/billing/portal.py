"""`BillingPortal`: what comfyd's own billing page shows and does, apart from HTML.

The page acts on a `BillingGrant`: from the signed link in its URL (a browser cannot send an API
key), or from the request's API key for clients that can. It shows the grant's owner's balance and
recent events, and records top-ups through the built-in payments provider.
"""

from __future__ import annotations

from dataclasses import dataclass

from comfyd.platform.accounts.identity import Identity
from comfyd.platform.billing.errors import BillingLinkInvalid
from comfyd.platform.billing.ledger import Balance, CreditLedger, Owner, OwnerKind
from comfyd.platform.billing.links import BillingGrant, BillingLinks
from comfyd.platform.billing.payments import BuiltinPayments
from comfyd.platform.customers.events import Event, EventLog, EventQuery

RECENT_EVENTS = 20


@dataclass(frozen=True)
class Statement:
    """A balance and the newest events behind it."""

    owner: Owner
    balance: Balance
    events: list[Event]


@dataclass(frozen=True)
class Visit:
    """A page view's grant and the token its form posts back (the link's, or a fresh one)."""

    grant: BillingGrant
    token: str


class BillingPortal:
    """The billing page's service."""

    def __init__(
        self, *, ledger: CreditLedger, events: EventLog, links: BillingLinks, payments: BuiltinPayments
    ) -> None:
        self._ledger = ledger
        self._events = events
        self._links = links
        self._payments = payments

    async def visit(self, *, token: str | None, identity: Identity | None) -> Visit:
        """The grant a page request acts with: the link's token wins over an API key, so a link
        always shows what it was made for. Raises `BillingLinkInvalid` for a bad token, or when
        the request has neither."""
        if token:
            return Visit(await self._links.verify(token), token)
        if identity is None:
            raise BillingLinkInvalid(
                "Open billing from ComfyUI: this page needs a billing link or an API key."
            )
        owner = Owner.user(identity.user_id)
        token = await self._links.issue(user_id=identity.user_id, owner=owner)
        return Visit(await self._links.verify(token), token)

    async def statement(self, grant: BillingGrant) -> Statement:
        owner = grant.owner
        query = EventQuery(limit=RECENT_EVENTS)
        if owner.kind == OwnerKind.USER:
            page = await self._events.page(query, user_id=owner.id)
        else:
            page = await self._events.page(query, workspace_id=owner.id)
        return Statement(owner, await self._ledger.balance(owner), page.events)

    async def top_up(self, grant: BillingGrant, amount_micros: int) -> Balance:
        """Record a top-up the page's form asked for; see `BuiltinPayments.record_top_up`."""
        return await self._payments.record_top_up(grant, amount_micros)
