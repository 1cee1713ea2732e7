"""Helpers for the migration tests: downgrade a database, list a SQLite file's tables, compare the
migrated tables with the record classes, and a schema of its own on the local PostgreSQL.

    await upgrade(engine)
    assert await record_differences(engine, lambda diff: mentions(diff, TABLES)) == []
    await downgrade(engine, "0006@-1")            # undo 0006 alone
    assert TABLES.isdisjoint(sqlite_tables(database_path))
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from comfyd.db.base import Base
from comfyd.db.migrate import alembic_config

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Downgrade to `revision` (e.g. `"0003"`, or `"0006@-1"` to undo one branch's revision)."""

    def run(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


def sqlite_tables(database_path: Path) -> set[str]:
    with sqlite3.connect(database_path) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def record_differences(engine: AsyncEngine, about: Callable[[object], bool]) -> list:
    """What alembic's autogenerate finds between the migrated database and the record classes
    (`Base.metadata`), keeping the differences `about(diff)` picks; `[]` when they match."""

    def compare(connection) -> list:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        return [diff for diff in found if about(diff)]

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


def mentions(diff, names: set[str]) -> bool:
    """Whether an autogenerate difference (a tuple, or a list of them) is about one of `names`."""
    if isinstance(diff, list):
        return any(mentions(item, names) for item in diff)
    for item in diff[1:]:
        table = getattr(item, "table", None)
        if getattr(table, "name", None) in names or getattr(item, "name", None) in names or item in names:
            return True
    return False


def table_of(diff, names: set[str]) -> str | None:
    """The table an autogenerate difference is about (`diff` is a tuple, or a list of them): the
    table of the column, index or constraint it names, else the one of `names` it names."""
    if isinstance(diff, list):
        diff = diff[0]
    for item in diff[1:]:
        table = getattr(item, "table", None)
        if table is not None:
            return table.name
        if isinstance(item, str) and item in names:
            return item
        if getattr(item, "name", None) in names:
            return item.name
    return None


def schema_engine(schema: str, **options) -> AsyncEngine:
    """An engine on the local PostgreSQL whose tables live in `schema`."""
    return create_async_engine(POSTGRES, connect_args={"server_settings": {"search_path": schema}}, **options)


@asynccontextmanager
async def postgres_schema(prefix: str, *, skipped: str) -> AsyncIterator[str]:
    """A new, empty schema on the local PostgreSQL (database `test`), dropped afterwards; its name.

    Skips the test, saying that `skipped` did not run, when PostgreSQL cannot be reached.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{name}"'))
    except (OSError, ConnectionError) as exc:
        await admin.dispose()
        pytest.skip(f"NO POSTGRESQL at {POSTGRES} ({exc}); {skipped} did not run")
    try:
        yield name
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        await admin.dispose()
