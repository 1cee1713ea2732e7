"""Fixtures for the jobs layer: its services on a real, migrated SQLite file per test.

The migrated database file per test comes from `tests/conftest.py`. The services run on
anyio's asyncio backend (`pytestmark = pytest.mark.anyio`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from comfyd.db.base import create_engine, session_factory
from comfyd.jobs.history import History
from comfyd.jobs.listing import JobListing
from comfyd.jobs.queue import JobQueue


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def sessions(database_path: Path) -> AsyncIterator[async_sessionmaker]:
    engine = create_engine(sqlite_url(database_path))
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def job_queue(sessions: async_sessionmaker) -> JobQueue:
    queue = JobQueue(sessions)
    await queue.start()
    return queue


@pytest.fixture
def history(sessions: async_sessionmaker) -> History:
    return History(sessions)


@pytest.fixture
def listing(sessions: async_sessionmaker) -> JobListing:
    return JobListing(sessions)
