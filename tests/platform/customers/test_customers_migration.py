"""Migration 0005 (customers, events, credits, secrets, release notes) on real SQLite files and on
the local PostgreSQL: it upgrades a database made at 0003, matches the record classes, and
downgrades its own branch alone."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from comfyd.db.base import Base, create_engine, session_factory
from comfyd.db.customers import CreditBalanceRecord, CustomerRecord, PlatformEventRecord, ServerSecretRecord
from comfyd.db.migrate import alembic_config, upgrade
from comfyd.db.releases import ReleaseNoteRecord
from comfyd.platform.billing.ledger import CreditLedger
from comfyd.platform.customers.events import EventLog
from comfyd.platform.customers.service import CustomerService

pytestmark = pytest.mark.anyio

TABLES = {
    record.__tablename__
    for record in (
        CustomerRecord,
        PlatformEventRecord,
        CreditBalanceRecord,
        ServerSecretRecord,
        ReleaseNoteRecord,
    )
}
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def database_path(tmp_path):
    return tmp_path / "comfyd.db"


@pytest.fixture
async def engine(database_path):
    engine = create_engine(f"sqlite+aiosqlite:///{database_path}")
    yield engine
    await engine.dispose()


def tables(database_path) -> set[str]:
    with sqlite3.connect(database_path) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def downgrade_this_branch(engine) -> None:
    def run(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0005@-1")

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_a_0003_database_upgrades_keeps_its_users_and_gains_the_customer_tables(engine, database_path):
    await upgrade(engine, "0003")
    with sqlite3.connect(database_path) as connection:
        connection.execute(
            "INSERT INTO users (id, email, name, is_admin, status, created_at) "
            "VALUES ('u-0003', 'old@example.com', NULL, 0, 'ACTIVE', '2025-01-01 00:00:00.000000')"
        )
    assert not TABLES & tables(database_path)

    await upgrade(engine)

    assert TABLES <= tables(database_path)
    sessions = session_factory(engine)
    events = EventLog(sessions)
    customers = CustomerService(sessions, events=events, ledger=CreditLedger(sessions, events))
    customer, created = await customers.create("u-0003")
    assert created and customer.email == "old@example.com"


async def test_downgrading_this_branch_drops_only_its_tables(engine, database_path):
    await upgrade(engine)
    others = tables(database_path) - TABLES

    await downgrade_this_branch(engine)

    assert tables(database_path) == others
    await upgrade(engine)
    assert TABLES <= tables(database_path)


async def test_the_migrated_tables_match_the_record_classes(engine):
    await upgrade(engine)

    def differences(connection) -> list:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        return [diff for diff in found if _mentions(diff, TABLES)]

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_the_migration_runs_up_and_down_on_postgresql():
    schema = f"migrate_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except (OSError, ConnectionError) as exc:
        await admin.dispose()
        pytest.skip(f"NO POSTGRESQL at {POSTGRES} ({exc}); the PostgreSQL migration test did not run")
    engine = create_async_engine(POSTGRES, connect_args={"server_settings": {"search_path": schema}})
    try:
        await upgrade(engine)
        await downgrade_this_branch(engine)
        await upgrade(engine)
        async with engine.connect() as connection:
            names = await connection.run_sync(
                lambda sync: set(sync.dialect.get_table_names(sync, schema=schema))
            )
        assert TABLES <= names
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def _mentions(diff, names: set[str]) -> bool:
    """Whether an autogenerate difference (a tuple, or a list of them) is about one of `names`."""
    if isinstance(diff, list):
        return any(_mentions(item, names) for item in diff)
    for item in diff[1:]:
        table = getattr(item, "table", None)
        if getattr(table, "name", None) in names or getattr(item, "name", None) in names or item in names:
            return True
    return False
