"""Migration 0005 (customers, events, credits, secrets, release notes) on real SQLite files and on
the local PostgreSQL: it upgrades a database made at 0003, matches the record classes, and
downgrades its own branch alone."""

from __future__ import annotations

import sqlite3

import pytest

from comfyd.db.base import create_engine, session_factory
from comfyd.db.customers import CreditBalanceRecord, CustomerRecord, PlatformEventRecord, ServerSecretRecord
from comfyd.db.migrate import upgrade
from comfyd.db.releases import ReleaseNoteRecord
from comfyd.platform.billing.ledger import CreditLedger
from comfyd.platform.customers.events import EventLog
from comfyd.platform.customers.service import CustomerService
from migrating import downgrade, mentions, postgres_schema, record_differences, schema_engine, sqlite_tables

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
THIS_BRANCH = "0005@-1"  # the revision before 0005 on its branch: downgrading there undoes 0005 alone


@pytest.fixture
def database_path(tmp_path):
    return tmp_path / "comfyd.db"


@pytest.fixture
async def engine(database_path):
    engine = create_engine(f"sqlite+aiosqlite:///{database_path}")
    yield engine
    await engine.dispose()


async def test_a_0003_database_upgrades_keeps_its_users_and_gains_the_customer_tables(engine, database_path):
    await upgrade(engine, "0003")
    with sqlite3.connect(database_path) as connection:
        connection.execute(
            "INSERT INTO users (id, email, name, is_admin, status, created_at) "
            "VALUES ('u-0003', 'old@example.com', NULL, 0, 'ACTIVE', '2025-01-01 00:00:00.000000')"
        )
    assert not TABLES & sqlite_tables(database_path)

    await upgrade(engine)

    assert TABLES <= sqlite_tables(database_path)
    sessions = session_factory(engine)
    events = EventLog(sessions)
    customers = CustomerService(sessions, events=events, ledger=CreditLedger(sessions, events))
    customer, created = await customers.create("u-0003")
    assert created and customer.email == "old@example.com"


async def test_downgrading_this_branch_drops_only_its_tables(engine, database_path):
    await upgrade(engine)
    others = sqlite_tables(database_path) - TABLES

    await downgrade(engine, THIS_BRANCH)

    assert sqlite_tables(database_path) == others
    await upgrade(engine)
    assert TABLES <= sqlite_tables(database_path)


async def test_the_migrated_tables_match_the_record_classes(engine):
    await upgrade(engine)

    assert await record_differences(engine, lambda diff: mentions(diff, TABLES)) == []


async def test_the_migration_runs_up_and_down_on_postgresql():
    async with postgres_schema("migrate", skipped="the PostgreSQL migration test") as schema:
        engine = schema_engine(schema)
        try:
            await upgrade(engine)
            await downgrade(engine, THIS_BRANCH)
            await upgrade(engine)
            async with engine.connect() as connection:
                names = await connection.run_sync(
                    lambda sync: set(sync.dialect.get_table_names(sync, schema=schema))
                )
            assert TABLES <= names
        finally:
            await engine.dispose()
