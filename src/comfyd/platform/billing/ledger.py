"""`CreditLedger`: the credit balance of each owner, in micros, and the events that move it.

An owner is a customer (a user, for personal billing) or a workspace. Every change to a balance is
written in one transaction with the event that explains it, so the log and the balance always
agree: a `credit_added` without its money, or money without its event, cannot be committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.customers import CreditBalanceRecord, insert_ignoring_conflicts
from comfyd.platform.billing.errors import InsufficientCredits, InvalidAmount, UnsupportedCurrency
from comfyd.platform.customers.events import EventLog, EventType

CURRENCY = "usd"
MICROS_PER_CENT = 10_000
MICROS_PER_UNIT = 1_000_000
# The rows are updated in the database; there are no loaded objects to bring up to date.
_NO_SYNC = {"synchronize_session": False}
# The most one top-up may add: a million dollars. A typo costs nothing, an overflow cannot happen.
MAX_CREDIT_MICROS = 1_000_000 * MICROS_PER_UNIT


class OwnerKind(StrEnum):
    USER = "user"
    WORKSPACE = "workspace"


@dataclass(frozen=True)
class Owner:
    """Whose balance: `Owner.user(user_id)` or `Owner.workspace(workspace_id)`."""

    kind: OwnerKind
    id: str

    @classmethod
    def user(cls, user_id: str) -> Owner:
        return cls(OwnerKind.USER, user_id)

    @classmethod
    def workspace(cls, workspace_id: str) -> Owner:
        return cls(OwnerKind.WORKSPACE, workspace_id)

    def event_scope(self, acting_user_id: str | None) -> tuple[str | None, str | None]:
        """`(user_id, workspace_id)` for an event about this owner's money, done by `acting_user_id`.

        A user's events are their personal ones; a workspace's name the member who acted.
        """
        if self.kind == OwnerKind.USER:
            return self.id, None
        return acting_user_id, self.id


@dataclass(frozen=True)
class Balance:
    amount_micros: int
    currency: str = CURRENCY

    @property
    def has_funds(self) -> bool:
        return self.amount_micros > 0


def cents(amount_micros: int) -> int:
    """Micros as whole cents, rounded half up: what the frontend reads from `params.amount`."""
    return (amount_micros + MICROS_PER_CENT // 2) // MICROS_PER_CENT


def check_currency(currency: str) -> str:
    """The currency in the ledger's spelling; raises `UnsupportedCurrency` for any but `usd`."""
    if currency.strip().lower() != CURRENCY:
        raise UnsupportedCurrency(currency, CURRENCY)
    return CURRENCY


def check_credit_amount(amount_micros: int) -> int:
    """`amount_micros`, if it is one a top-up may add; raises `InvalidAmount` otherwise."""
    if not 0 < amount_micros <= MAX_CREDIT_MICROS:
        raise InvalidAmount(amount_micros, MAX_CREDIT_MICROS)
    return amount_micros


class CreditLedger:
    """Balances on one database, moved only together with the event log.

    ledger = CreditLedger(sessions, events)
    await ledger.add_credit(Owner.user(user_id), 5_000_000, by_user_id=user_id)   # $5
    (await ledger.balance(Owner.user(user_id))).amount_micros                        # 5000000
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], events: EventLog) -> None:
        self._sessions = sessions
        self._events = events

    async def balance(self, owner: Owner) -> Balance:
        """The owner's balance; an owner that never had credit has a balance of zero."""
        query = select(CreditBalanceRecord).where(*_is(owner))
        async with self._sessions() as session:
            record = await session.scalar(query)
        return Balance(record.amount_micros, record.currency) if record else Balance(0)

    async def add_credit(
        self,
        owner: Owner,
        amount_micros: int,
        *,
        by_user_id: str | None,
        currency: str = CURRENCY,
        source: str = "comfyd",
        details: dict[str, Any] | None = None,
    ) -> Balance:
        """Add credit and write `credit_added` (`params.amount` in cents, `params.amount_micros`).

        Raises `InvalidAmount` or `UnsupportedCurrency`. `source` names the payments provider.
        """
        check_credit_amount(amount_micros)
        params = {
            "amount": cents(amount_micros),
            "amount_micros": amount_micros,
            "currency": check_currency(currency),
            "source": source,
            **(details or {}),
        }
        return await self._move(
            owner, amount_micros, acting_user_id=by_user_id, event_type=EventType.CREDIT_ADDED, params=params
        )

    async def charge(
        self,
        owner: Owner,
        amount_micros: int,
        *,
        user_id: str | None,
        event_type: str,
        params: dict[str, Any],
        allow_overdraft: bool = False,
    ) -> Balance:
        """Take `amount_micros` (0 or more) and write `event_type` with `params`, in one transaction.

        Raises `InsufficientCredits`, changing nothing, when the balance does not cover the charge
        and `allow_overdraft` is false. Usage that has already happened is charged with overdraft
        allowed: the balance goes below zero rather than the record being lost.
        """
        if amount_micros < 0:
            raise ValueError(f"A charge cannot be negative ({amount_micros} micros); use add_credit.")
        floor = None if allow_overdraft else 0
        return await self._move(
            owner, -amount_micros, acting_user_id=user_id, event_type=event_type, params=params, floor=floor
        )

    async def _move(
        self,
        owner: Owner,
        delta: int,
        *,
        acting_user_id: str | None,
        event_type: str,
        params: dict[str, Any],
        floor: int | None = None,
    ) -> Balance:
        user_id, workspace_id = owner.event_scope(acting_user_id)
        async with self._sessions.begin() as session:
            # A write first, so SQLite takes its write lock now (see `insert_ignoring_conflicts`).
            await session.execute(_insert_zero_balance(session, owner))
            moved = await session.scalar(_add(owner, delta, floor), execution_options=_NO_SYNC)
            if moved is None:
                current = await session.scalar(select(CreditBalanceRecord.amount_micros).where(*_is(owner)))
                raise InsufficientCredits(balance_micros=current or 0, amount_micros=-delta)
            self._events.add(session, event_type, params, user_id=user_id, workspace_id=workspace_id)
        return Balance(moved)


def _is(owner: Owner) -> tuple:
    return (CreditBalanceRecord.owner_kind == owner.kind, CreditBalanceRecord.owner_id == owner.id)


def _insert_zero_balance(session: AsyncSession, owner: Owner):
    row = {"owner_kind": owner.kind, "owner_id": owner.id, "amount_micros": 0, "currency": CURRENCY}
    insert = insert_ignoring_conflicts(session.bind.dialect.name, CreditBalanceRecord)
    return insert.values(**row, updated_at=utcnow())


def _add(owner: Owner, delta: int, floor: int | None):
    """Add `delta` in the database (never read-modify-write), returning the new amount; with a
    `floor`, no row matches (and None comes back) when the result would fall below it."""
    statement = (
        update(CreditBalanceRecord)
        .where(*_is(owner))
        .values(amount_micros=CreditBalanceRecord.amount_micros + delta, updated_at=utcnow())
        .returning(CreditBalanceRecord.amount_micros)
    )
    if floor is not None:
        statement = statement.where(CreditBalanceRecord.amount_micros + delta >= floor)
    return statement
