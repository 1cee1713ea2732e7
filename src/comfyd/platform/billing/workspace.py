"""`WorkspaceBilling`: the billing of the workspace a request acts in, as Comfy Cloud's billing
panel reads it (`/api/billing/*`).

comfyd sells no subscriptions. Every workspace is on one plan, `self-hosted`: always active, at
no price, with no seat limit, and spending the credits of the ledger. Whose credits those are is
`owners.owner_of`: a personal workspace's are its user's own customer balance, a team's its own.
Members read the billing; owners manage it (the billing page, where they add credit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.workspaces import WorkspaceRole
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.billing.errors import BillingLinkInvalid, TopUpNotAllowed
from comfyd.platform.billing.ledger import MICROS_PER_CENT, Balance, CreditLedger, Owner, OwnerKind
from comfyd.platform.billing.links import BillingGrant
from comfyd.platform.billing.models import (
    BillingBalanceResponse,
    BillingCapabilities,
    BillingCapabilitiesResponse,
    BillingCapabilityScope,
    BillingEventsResponse,
    BillingPlansResponse,
    BillingStatusResponse,
    Cents,
    Plan,
    PlanAvailability,
    PlanSeatSummary,
)
from comfyd.platform.billing.owners import owner_of
from comfyd.platform.billing.payments import PaymentRequest, PaymentsProvider
from comfyd.platform.billing.permissions import BillingPermission, allows, require
from comfyd.platform.customers.events import EventLog, EventQuery
from comfyd.platform.workspaces.membership import Membership, count_members, find_membership, require_current
from comfyd.platform.workspaces.permissions import Permission, permissions_of

PLAN_SLUG = "self-hosted"
# comfyd limits no team's size; the wire wants a number, and this one (int32's largest) says "none".
NO_SEAT_LIMIT = 2**31 - 1
# How long the panel may trust the capabilities before asking again (a role can change).
CAPABILITIES_LIFETIME = timedelta(minutes=1)
# Capabilities follow from the role alone, by a rule that has had one version.
CAPABILITIES_REVISION = 1


@dataclass(frozen=True)
class BillingAccount:
    """One member's view of a workspace's billing: their membership, whose money the workspace
    spends, and how many members it has."""

    membership: Membership
    owner: Owner
    seats: int

    @property
    def max_seats(self) -> int:
        return 1 if self.membership.workspace.is_personal else NO_SEAT_LIMIT


class WorkspaceBilling:
    """Workspace billing on one database. For example:

    billing = WorkspaceBilling(sessions, ledger=ledger, events=events, payments=payments)
    (await billing.balance(identity)).amount_micros
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ledger: CreditLedger,
        events: EventLog,
        payments: PaymentsProvider,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._events = events
        self._payments = payments
        self._clock = clock

    async def account(self, identity: Identity) -> BillingAccount:
        """The caller's view of their current workspace's billing.

        Raises `NoWorkspaceAccess` when they are not (or no longer) a member of it.
        """
        async with self._sessions() as session:
            membership = await require_current(session, identity, Permission.WORKSPACE_READ)
            seats = await count_members(session, membership.workspace.id)
        require(membership, BillingPermission.BILLING_READ)
        return BillingAccount(membership, owner_of(membership.workspace), seats)

    async def status(self, identity: Identity) -> BillingStatusResponse:
        account = await self.account(identity)
        balance = await self._ledger.balance(account.owner)
        return BillingStatusResponse(
            is_active=True,  # nothing to subscribe to: every workspace may run
            has_funds=balance.has_funds,
            plan_slug=PLAN_SLUG,
            max_seats=account.max_seats,
            occupied_seats=account.seats,
        )

    async def balance(self, identity: Identity) -> BillingBalanceResponse:
        account = await self.account(identity)
        return _balance_response(await self._ledger.balance(account.owner))

    async def plans(self, identity: Identity) -> BillingPlansResponse:
        account = await self.account(identity)
        plan = Plan(
            slug=PLAN_SLUG,
            tier="FREE",  # the one tier of the peer's that costs nothing
            duration="MONTHLY",
            price_cents=0,
            credits_cents=0,
            max_seats=account.max_seats,
            availability=PlanAvailability(available=False, reason="same_plan"),
            seat_summary=PlanSeatSummary(seat_count=account.seats, total_cost_cents=0, total_credits_cents=0),
        )
        return BillingPlansResponse(current_plan_slug=PLAN_SLUG, plans=[plan])

    async def capabilities(self, identity: Identity) -> BillingCapabilitiesResponse:
        account = await self.account(identity)
        membership = account.membership
        team = not membership.workspace.is_personal
        may_invite = team and Permission.INVITE_CREATE in permissions_of(membership.role)
        manages = allows(membership, BillingPermission.BILLING_MANAGE)
        owner = membership.role == WorkspaceRole.OWNER
        # Subscriptions, seats and auto top-up do not exist on a self-hosted server, so those
        # are never offered; "managing the subscription" is opening comfyd's own billing page.
        capabilities = BillingCapabilities(
            can_cancel=False,
            can_change_seats=False,
            can_delete_workspace=team and owner,
            can_downgrade_to_personal=False,
            can_edit_workspace=team and owner,
            can_invite_members=may_invite,
            can_leave_workspace=team,
            can_manage_auto_top_up=False,
            can_manage_billing=manages,
            can_manage_members=team and owner,
            can_manage_partner_node_access=False,
            can_manage_subscription=manages,
            can_open_plans=True,
            can_reactivate=False,
            can_revert_scheduled_change=False,
            can_run_workflows=True,
            can_subscribe_self_serve=False,
            can_top_up=manages,
            can_upgrade=False,
            can_view_own_usage=True,
            can_view_pending_invites=may_invite,
            can_view_team_usage=team,
        )
        return BillingCapabilitiesResponse(
            capabilities=capabilities,
            expires_at=self._clock() + CAPABILITIES_LIFETIME,
            resolved_for=BillingCapabilityScope(
                user_id=identity.user_id, workspace_id=membership.workspace.id
            ),
            revision=CAPABILITIES_REVISION,
        )

    async def events(self, identity: Identity, *, page: int, limit: int) -> BillingEventsResponse:
        """A page of the workspace's events, newest first: for a personal workspace, its user's
        own (the customer events), since their money is the same."""
        account = await self.account(identity)
        query = EventQuery(page=page, limit=limit)
        owner = account.owner
        if owner.kind == OwnerKind.USER:
            return BillingEventsResponse.of(await self._events.page(query, user_id=owner.id))
        return BillingEventsResponse.of(await self._events.page(query, workspace_id=owner.id))

    async def portal_url(self, identity: Identity, *, site: str, return_url: str | None) -> str:
        """A link to the billing page for the current workspace; owners only (`PermissionDenied`)."""
        account = await self.account(identity)
        require(account.membership, BillingPermission.BILLING_MANAGE)
        asked = PaymentRequest(
            identity.user_id, account.owner, site, may_add_credit=True, return_url=return_url
        )
        return await self._payments.portal_url(asked)

    async def confirm(self, grant: BillingGrant, *, adding_credit: bool = False) -> None:
        """Check a billing page link bound to a team workspace against the memberships of now.

        The link was signed for an owner, but lives an hour: a user removed since then sees
        nothing (`BillingLinkInvalid`), and one who is no longer an owner adds nothing
        (`TopUpNotAllowed`). Links to a user's own balance need no check.
        """
        if grant.owner.kind != OwnerKind.WORKSPACE:
            return
        async with self._sessions() as session:
            membership = await find_membership(session, workspace_id=grant.owner.id, user_id=grant.user_id)
        if membership is None:
            raise BillingLinkInvalid(
                "You are no longer a member of this workspace; its billing is closed to you."
            )
        if adding_credit and not allows(membership, BillingPermission.BILLING_MANAGE):
            raise TopUpNotAllowed(grant.user_id)


def _balance_response(balance: Balance) -> BillingBalanceResponse:
    # All of a comfyd balance is prepaid credit, settled at once: no cloud credits, nothing pending.
    # The wire is in cents, `*_micros` included (see `BillingBalanceResponse`); the ledger's micros
    # would show the frontend ten thousand times the credits.
    amount = _cents(balance.amount_micros)
    return BillingBalanceResponse(
        amount_micros=amount,
        currency=balance.currency,
        prepaid_balance_micros=amount,
        cloud_credit_balance_micros=0,
        pending_charges_micros=0,
        effective_balance_micros=amount,
        amount_cents=amount,
        prepaid_balance_cents=amount,
        cloud_credit_balance_cents=0,
        pending_charges_cents=0,
        effective_balance_cents=amount,
    )


def _cents(amount_micros: int) -> Cents:
    """Micros as cents, exactly: an integer when whole, else a number (a usage charge can be 0.15¢)."""
    whole, rest = divmod(amount_micros, MICROS_PER_CENT)
    return whole if rest == 0 else amount_micros / MICROS_PER_CENT
