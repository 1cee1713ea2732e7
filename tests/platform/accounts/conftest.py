"""Fixtures for accounts: an `AccountService` on a real, migrated SQLite file per test.

One template database is migrated per session and each test gets a copy of it. The tests run on
anyio's asyncio backend (`pytestmark = pytest.mark.anyio`).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from comfyd.db.accounts import UserRecord
from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from comfyd.platform.accounts.service import AccountService


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("accounts_db") / "template.db"

    async def migrate() -> None:
        engine = create_engine(sqlite_url(path))
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
def database_path(migrated_template: Path, tmp_path: Path) -> Path:
    """A fresh, migrated database file for one test."""
    path = tmp_path / "comfyd.db"
    shutil.copyfile(migrated_template, path)
    return path


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
