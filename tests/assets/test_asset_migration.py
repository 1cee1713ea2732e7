"""Migration 0007 (asset downloads) on SQLite files and on the local PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from comfyd.assets.states import DownloadState
from comfyd.assets.store import DownloadStore
from comfyd.db.assets import AssetDownloadRecord
from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from migrating import downgrade, postgres_schema, record_differences, schema_engine, sqlite_tables

pytestmark = pytest.mark.anyio

TABLE = AssetDownloadRecord.__tablename__
TEN_GIB = 10 * 1024**3  # more than a 32-bit column holds


@pytest.fixture
async def sqlite_engine(tmp_path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'comfyd.db'}")
    yield engine
    await engine.dispose()


async def test_0007_adds_the_table_and_downgrading_to_0003_removes_it(sqlite_engine, tmp_path):
    database = tmp_path / "comfyd.db"
    await upgrade(sqlite_engine, "0007")
    assert TABLE in sqlite_tables(database)

    await downgrade(sqlite_engine, "0003")

    assert TABLE not in sqlite_tables(database) and "registry_packs" in sqlite_tables(database)


async def test_the_migrated_table_matches_the_record_class(sqlite_engine):
    await upgrade(sqlite_engine, "0007")

    assert await record_differences(sqlite_engine, lambda diff: TABLE in repr(diff)) == []


@pytest.fixture
async def postgres_engine() -> AsyncIterator[AsyncEngine]:
    async with postgres_schema("assets", skipped="the PostgreSQL migration test") as schema:
        engine = schema_engine(schema)
        try:
            yield engine
        finally:
            await engine.dispose()


async def test_0007_runs_on_postgresql_and_stores_sizes_past_32_bits(postgres_engine):
    await upgrade(postgres_engine, "0007")
    store = DownloadStore(session_factory(postgres_engine))
    record = await store.add(
        AssetDownloadRecord(
            url="https://example.com/big.safetensors",
            folder="checkpoints",
            filename="big.safetensors",
            directory="/models/checkpoints",
            status=DownloadState.PENDING.value,
            bytes_done=0,
        )
    )

    await store.move(record.id, DownloadState.RUNNING, bytes_total=TEN_GIB)
    await store.move(record.id, DownloadState.COMPLETED, bytes_done=TEN_GIB)

    stored = await store.get(record.id)
    assert (stored.status, stored.bytes_done, stored.bytes_total) == ("completed", TEN_GIB, TEN_GIB)
    assert stored.finished_at is not None and stored.finished_at.tzinfo is not None
