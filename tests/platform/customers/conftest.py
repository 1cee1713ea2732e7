"""Fixtures for customers, events and billing.

Services run on a real, migrated SQLite file per test (`database_path` from `tests/conftest.py`):
`events`, `ledger`, `links`, `accounts`, `customers`. HTTP tests talk to a real `comfyd serve`
shared by a test module (`platform`), through `Platform`, which makes users and keys directly on
the server's database as `comfyd admin` does:

    def test_something(platform):
        ada = platform.user()
        with platform.client(ada) as http:
            http.post("/customers", json={"signup_source": "localhost"})
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from admin_accounts import Account, create_account
from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.billing.ledger import CreditLedger
from comfyd.platform.billing.links import BillingLinks
from comfyd.platform.customers.events import EventLog
from comfyd.platform.customers.service import CustomerService
from comfyd_process import ComfydServer


class Platform:
    """One `comfyd serve` and its database file."""

    def __init__(self, process: ComfydServer) -> None:
        self.process = process
        self.url = process.url
        self.database_path = process.database_path
        self.database_url = process.database_url

    def client(
        self, account: Account | None = None, *, headers: dict | None = None, **kwargs
    ) -> httpx.Client:
        key = account.key if account is not None else None
        return self.process.client(key=key, headers=headers, **kwargs)

    def user(self, *, name: str | None = None, admin: bool = False) -> Account:
        """A new user with an API key (not yet a customer)."""
        return create_account(self.database_url, name=name, admin=admin, key_name="tests")

    def customer(self, **kwargs) -> Account:
        """A new user who has made their customer through `POST /customers`."""
        account = self.user(**kwargs)
        with self.client(account) as http:
            assert http.post("/customers", json={"signup_source": "localhost"}).status_code == 201
        return account

    def add_credit(self, account: Account, amount: str) -> httpx.Response:
        """Top up as a user does: ask for a checkout, open it, submit its form with `amount` (USD)."""
        with self.client(account) as http:
            checkout = http.post("/customers/credit", json={"amount_micros": 1_000_000, "currency": "usd"})
        assert checkout.status_code == 201, checkout.text
        token = parse_qs(urlsplit(checkout.json()["checkout_url"]).query)["token"][0]
        with self.client() as browser:
            return browser.post("/billing/credit", data={"token": token, "amount": amount})

    def on_database(self, work):
        """Run `work(sessions)` on the server's database file, as another process would."""

        async def run():
            engine = create_engine(self.database_url)
            try:
                return await work(session_factory(engine))
            finally:
                await engine.dispose()

        return asyncio.run(run())


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Iterator[Platform]:
    process = ComfydServer(tmp_path_factory.mktemp("comfyd")).start()
    yield Platform(process)
    process.stop()


@pytest.fixture
def database_url(database_path: Path) -> str:
    return f"sqlite+aiosqlite:///{database_path}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker:
    return session_factory(engine)


@pytest.fixture
def events(sessions) -> EventLog:
    return EventLog(sessions)


@pytest.fixture
def ledger(sessions, events) -> CreditLedger:
    return CreditLedger(sessions, events)


@pytest.fixture
def links(sessions) -> BillingLinks:
    return BillingLinks(sessions)


@pytest.fixture
async def accounts(sessions) -> AsyncIterator[AccountService]:
    service = AccountService(sessions)
    yield service
    await service.drain()


@pytest.fixture
def customers(sessions, events, ledger) -> CustomerService:
    return CustomerService(sessions, events=events, ledger=ledger)


@pytest.fixture
async def ada(accounts):
    return await accounts.create_user(email="ada@example.com", name="Ada")


@pytest.fixture
async def grace(accounts):
    return await accounts.create_user(email="grace@example.com", name="Grace")
