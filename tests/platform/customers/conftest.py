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
import importlib.util
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.billing.ledger import CreditLedger
from comfyd.platform.billing.links import BillingLinks
from comfyd.platform.customers.events import EventLog
from comfyd.platform.customers.service import CustomerService

TESTS = Path(__file__).parents[2]


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    key: str


def _server_fixtures():
    """`tests/server/conftest.py`, loaded by path, for the `comfyd serve` process it defines."""
    name = "comfyd_server_fixtures"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / "server" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


class Platform:
    """One `comfyd serve` and its database file."""

    def __init__(self, process) -> None:
        self.process = process
        self.url = process.url
        self.database_path = process.base_dir / "user" / "comfyd.db"
        self.database_url = f"sqlite+aiosqlite:///{self.database_path}"

    def client(
        self, account: Account | None = None, *, headers: dict | None = None, **kwargs
    ) -> httpx.Client:
        sent = {"X-API-Key": account.key} if account is not None else {}
        return httpx.Client(base_url=self.url, headers={**sent, **(headers or {})}, timeout=30, **kwargs)

    def user(self, *, name: str | None = None, admin: bool = False) -> Account:
        """A new user with an API key (not yet a customer)."""
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"

        async def create(accounts: AccountService) -> Account:
            user = await accounts.create_user(email=email, name=name, is_admin=admin)
            key, _record = await accounts.create_api_key(user_id=user.id, name="tests")
            return Account(user.id, email, key)

        return self.on_database(lambda sessions: create(AccountService(sessions)))

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
    servers = _server_fixtures()
    process = servers.ServerProcess(tmp_path_factory.mktemp("comfyd"), servers.free_port()).start()
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
