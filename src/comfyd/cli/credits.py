"""`comfyd admin credits`: top up a balance from the machine the server runs on, without the
billing page (for operators who settle money outside comfyd).

    comfyd admin credits add --email ada@example.com --amount-usd 5
    comfyd admin credits add --email ada@example.com --workspace <team id> --amount-usd 20

The credit goes where the billing panels read it: the user's own balance, or the workspace's
(a personal workspace's is its user's own). It is written as `credit_added`, like a top-up on the
page, naming the user and marked as added by an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from comfyd.cli.database import BaseDirectory, DatabaseUrl, fail, run_on_database
from comfyd.platform.accounts.errors import AccountsError
from comfyd.platform.billing.errors import BillingError
from comfyd.platform.workspaces.errors import WorkspaceError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from comfyd.platform.billing.ledger import Balance, Owner

credits = typer.Typer(help="Add credits to a user's or a workspace's balance.", no_args_is_help=True)


@dataclass(frozen=True)
class TopUp:
    """What `add` asks for: `amount_micros` for `email`'s balance, or for `workspace_id`'s."""

    email: str
    workspace_id: str | None
    amount_micros: int


@credits.command("add")
def add(
    email: Annotated[
        str, typer.Option("--email", help="the user the credit is for (and recorded as added for)")
    ],
    amount_usd: Annotated[
        str, typer.Option("--amount-usd", help="the amount in US dollars, e.g. 5 or 12.50")
    ],
    workspace: Annotated[
        str | None,
        typer.Option("--workspace", help="a workspace of the user's to credit instead of the user"),
    ] = None,
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Add credit and print the new balance in micros (millionths of a dollar)."""
    from comfyd.platform.billing.page import dollars, parse_dollars

    try:
        top_up = TopUp(email, workspace, parse_dollars(amount_usd))
    except BillingError as exc:
        fail(exc.message, exc)
    balance = run_on_database(
        lambda sessions: _add(sessions, top_up),
        database_url,
        base_directory,
        errors=(AccountsError, BillingError, WorkspaceError),
    )
    typer.echo(balance.amount_micros)
    typer.echo(
        f"Added {dollars(top_up.amount_micros)}; the balance is {dollars(balance.amount_micros)}.", err=True
    )


async def _add(sessions: async_sessionmaker[AsyncSession], top_up: TopUp) -> Balance:
    from comfyd.platform.billing.ledger import CreditLedger
    from comfyd.platform.billing.payments import BuiltinPayments
    from comfyd.platform.customers.events import EventLog

    user_id, owner = await _whose(sessions, top_up)
    ledger = CreditLedger(sessions, EventLog(sessions))
    return await ledger.add_credit(
        owner,
        top_up.amount_micros,
        by_user_id=user_id,
        source=BuiltinPayments.name,
        details={"added_by": "admin"},
    )


async def _whose(sessions: async_sessionmaker[AsyncSession], top_up: TopUp) -> tuple[str, Owner]:
    """The user's id and the balance to credit. Raises `UserNotFound`, `WorkspaceNotFound`, or
    `NoWorkspaceAccess` when the user is not a member of the workspace."""
    from comfyd.platform.accounts.errors import UserNotFound
    from comfyd.platform.accounts.service import AccountService
    from comfyd.platform.billing.ledger import Owner
    from comfyd.platform.billing.owners import owner_of
    from comfyd.platform.workspaces.membership import require_membership
    from comfyd.platform.workspaces.permissions import Permission

    user = await AccountService(sessions).find_user_by_email(top_up.email)
    if user is None:
        raise UserNotFound(top_up.email)
    if top_up.workspace_id is None:
        return user.id, Owner.user(user.id)
    async with sessions() as session:
        membership = await require_membership(
            session, workspace_id=top_up.workspace_id, user_id=user.id, permission=Permission.WORKSPACE_READ
        )
    return user.id, owner_of(membership.workspace)
