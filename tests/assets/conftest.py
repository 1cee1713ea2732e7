"""Fixtures for the download tests: a real file server on loopback, a migrated SQLite database.

The tests run on anyio's asyncio backend (`pytestmark = pytest.mark.anyio`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from asset_fileserver import FileServer
from comfyd.db.base import create_engine, session_factory


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    with FileServer() as server:
        yield server


@pytest.fixture
async def sessions(database_path: Path) -> AsyncIterator[async_sessionmaker]:
    engine = create_engine(f"sqlite+aiosqlite:///{database_path}")
    yield session_factory(engine)
    await engine.dispose()
