"""The credits ledger, customers and billing links on the local PostgreSQL (database `test`), with
concurrent transactions: the same rules as on SQLite, and no lost or doubled money under races.

Each test gets a schema of its own, migrated to the newest schema and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from comfyd.db.base import session_factory
from comfyd.db.migrate import upgrade
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.billing.errors import InsufficientCredits
from comfyd.platform.billing.ledger import CreditLedger, Owner
from comfyd.platform.billing.links import BillingLinks
from comfyd.platform.customers.events import EventLog, EventQuery
from comfyd.platform.customers.service import CustomerService
from migrating import postgres_schema, schema_engine

pytestmark = pytest.mark.anyio

DOLLAR = 1_000_000


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    async with postgres_schema("customers", skipped="the PostgreSQL ledger tests") as name:
        engine = schema_engine(name, pool_size=10)
        await upgrade(engine)
        yield engine
        await engine.dispose()


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def events(sessions) -> EventLog:
    return EventLog(sessions)


@pytest.fixture
def ledger(sessions, events) -> CreditLedger:
    return CreditLedger(sessions, events)


@pytest.fixture
async def user_id(sessions) -> str:
    accounts = AccountService(sessions)
    user = await accounts.create_user(email=f"{uuid.uuid4().hex[:8]}@example.com")
    await accounts.drain()
    return user.id


async def test_concurrent_top_ups_and_charges_never_lose_money(ledger, events, user_id):
    owner = Owner.user(user_id)
    top_ups = [ledger.add_credit(owner, 3 * DOLLAR, by_user_id=user_id) for _ in range(10)]
    charges = [
        ledger.charge(owner, DOLLAR, user_id=user_id, event_type="gpu_usage", params={}, allow_overdraft=True)
        for _ in range(10)
    ]

    await asyncio.gather(*top_ups, *charges)

    assert (await ledger.balance(owner)).amount_micros == 20 * DOLLAR
    assert (await events.page(EventQuery(limit=100), user_id=user_id)).total == 20


async def test_concurrent_charges_stop_exactly_at_zero(ledger, user_id):
    owner = Owner.user(user_id)
    await ledger.add_credit(owner, 5 * DOLLAR, by_user_id=user_id)

    results = await asyncio.gather(
        *(ledger.charge(owner, DOLLAR, user_id=user_id, event_type="x", params={}) for _ in range(10)),
        return_exceptions=True,
    )

    assert sum(1 for r in results if isinstance(r, InsufficientCredits)) == 5
    assert (await ledger.balance(owner)).amount_micros == 0


async def test_racing_customer_creations_make_one_customer_and_one_account_created(
    sessions, events, ledger, user_id
):
    customers = CustomerService(sessions, events=events, ledger=ledger)

    results = await asyncio.gather(*(customers.create(user_id, source="localhost") for _ in range(5)))

    assert sorted(created for _customer, created in results) == [False] * 4 + [True]
    page = await events.page(EventQuery(event_type="account_created"), user_id=user_id)
    assert page.total == 1


async def test_processes_racing_to_make_the_link_secret_sign_alike(sessions):
    first, second = BillingLinks(sessions), BillingLinks(sessions)
    tokens = await asyncio.gather(
        first.issue(user_id="u", owner=Owner.user("u")), second.issue(user_id="u", owner=Owner.user("u"))
    )
    for token in tokens:
        assert (await first.verify(token)).user_id == "u"
        assert (await second.verify(token)).user_id == "u"
