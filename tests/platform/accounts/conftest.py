"""Fixtures for accounts: an `AccountService` on a real, migrated SQLite file per test.

The migrated database file per test comes from `tests/conftest.py`. The tests run on
anyio's asyncio backend (`pytestmark = pytest.mark.anyio`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from comfyd.db.accounts import UserRecord
from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def database_url(database_path: Path) -> str:
    return sqlite_url(database_path)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker:
    return session_factory(engine)


@pytest.fixture
async def accounts(sessions: async_sessionmaker) -> AsyncIterator[AccountService]:
    service = AccountService(sessions)
    yield service
    await service.drain()


@pytest.fixture
async def ada(accounts: AccountService) -> UserRecord:
    return await accounts.create_user(email="ada@example.com", name="Ada")


@pytest.fixture
async def grace(accounts: AccountService) -> UserRecord:
    return await accounts.create_user(email="grace@example.com", name="Grace")
