"""`CustomerService`: a user becomes a customer once (`POST /customers`), which opens their
personal billing and writes `account_created` to their event log.

The customer id is the user id: api.comfy.org keys customers by the user's (Firebase) id too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import UserRecord, utcnow
from comfyd.db.customers import CustomerRecord
from comfyd.platform.accounts.errors import UserNotFound
from comfyd.platform.billing.ledger import Balance, CreditLedger, Owner
from comfyd.platform.customers.errors import CustomerNotFound
from comfyd.platform.customers.events import EventLog, EventPage, EventQuery, EventType

# The builds the frontend reports; anything else is kept as "other", as the peer buckets it.
SIGNUP_SOURCES = frozenset({"cloud", "desktop", "localhost"})


@dataclass(frozen=True)
class Customer:
    id: str
    email: str
    name: str | None
    is_admin: bool
    has_fund: bool
    signup_source: str | None
    created_at: datetime
    updated_at: datetime


def signup_source(value: str | None) -> str | None:
    if not value:
        return None
    return value if value in SIGNUP_SOURCES else "other"


class CustomerService:
    """Customers on one database; their balances come from the credits ledger."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, events: EventLog, ledger: CreditLedger
    ) -> None:
        self._sessions = sessions
        self._events = events
        self._ledger = ledger

    async def create(self, user_id: str, *, source: str | None = None) -> tuple[Customer, bool]:
        """The user's customer and whether this call created it.

        Creating writes `account_created` in the same transaction, so a customer has exactly one,
        however many clients race to create it. Raises `UserNotFound` for an unknown user.
        """
        now = utcnow()
        record = CustomerRecord(
            id=user_id, signup_source=signup_source(source), created_at=now, updated_at=now
        )
        try:
            async with self._sessions.begin() as session:
                session.add(record)
                params = {"signup_source": record.signup_source} if record.signup_source else {}
                self._events.add(session, EventType.ACCOUNT_CREATED, params, user_id=user_id)
        except IntegrityError as exc:
            # Either the customer exists (another request won the race, or an earlier one made
            # it) or there is no such user; `get` tells the two apart.
            try:
                return await self.get(user_id), False
            except CustomerNotFound:
                raise UserNotFound(user_id) from exc
        return await self.get(user_id), True

    async def get(self, user_id: str) -> Customer:
        """The user's customer; raises `CustomerNotFound` before `create`."""
        query = (
            select(CustomerRecord, UserRecord)
            .join(UserRecord, UserRecord.id == CustomerRecord.id)
            .where(CustomerRecord.id == user_id)
        )
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        if row is None:
            raise CustomerNotFound(user_id)
        customer, user = row
        balance = await self._ledger.balance(Owner.user(user_id))
        return Customer(
            id=user.id,
            email=user.email,
            name=user.name,
            is_admin=user.is_admin,
            has_fund=balance.has_funds,
            signup_source=customer.signup_source,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
        )

    async def require(self, user_id: str) -> None:
        """Raise `CustomerNotFound` unless the user is a customer."""
        async with self._sessions() as session:
            if await session.get(CustomerRecord, user_id) is None:
                raise CustomerNotFound(user_id)

    async def balance(self, user_id: str) -> Balance:
        """The customer's personal balance; raises `CustomerNotFound` before `create`."""
        await self.require(user_id)
        return await self._ledger.balance(Owner.user(user_id))

    async def events(self, user_id: str, query: EventQuery) -> EventPage:
        """A page of the customer's personal events, newest first; raises `CustomerNotFound`."""
        await self.require(user_id)
        return await self._events.page(query, user_id=user_id)
