"""Migration 0007 (asset downloads) on SQLite files and on the local PostgreSQL."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from comfyd.assets.states import DownloadState
from comfyd.assets.store import DownloadStore
from comfyd.db.assets import AssetDownloadRecord
from comfyd.db.base import Base, create_engine, session_factory
from comfyd.db.migrate import alembic_config, upgrade

pytestmark = pytest.mark.anyio

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TABLE = AssetDownloadRecord.__tablename__
TEN_GIB = 10 * 1024**3  # more than a 32-bit column holds


@pytest.fixture
async def sqlite_engine(tmp_path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'comfyd.db'}")
    yield engine
    await engine.dispose()


def sqlite_tables(tmp_path) -> set[str]:
    with sqlite3.connect(tmp_path / "comfyd.db") as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_0007_adds_the_table_and_downgrading_to_0003_removes_it(sqlite_engine, tmp_path):
    await upgrade(sqlite_engine, "0007")
    assert TABLE in sqlite_tables(tmp_path)

    def downgrade(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")

    async with sqlite_engine.begin() as connection:
        await connection.run_sync(downgrade)

    assert TABLE not in sqlite_tables(tmp_path) and "registry_packs" in sqlite_tables(tmp_path)


async def test_the_migrated_table_matches_the_record_class(sqlite_engine):
    await upgrade(sqlite_engine, "0007")

    def differences(connection) -> list:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        return [diff for diff in found if TABLE in repr(diff)]

    async with sqlite_engine.connect() as connection:
        assert await connection.run_sync(differences) == []


@pytest.fixture
async def postgres_engine() -> AsyncIterator[AsyncEngine]:
    schema = f"assets_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except (OSError, ConnectionError) as exc:
        await admin.dispose()
        pytest.skip(f"NO POSTGRESQL at {POSTGRES} ({exc}); the PostgreSQL migration test did not run")
    engine = create_async_engine(POSTGRES, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


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
