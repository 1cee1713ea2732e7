"""Migration 0002 (accounts) on real SQLite files: a database made at 0001 upgrades and keeps its jobs."""

from __future__ import annotations

import json
import sqlite3

import pytest

from comfyd.db.accounts import ApiKeyRecord, UserRecord
from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from comfyd.platform.accounts.service import AccountService
from migrating import downgrade, record_differences, sqlite_tables, table_of

pytestmark = pytest.mark.anyio

ACCOUNT_TABLES = {UserRecord.__tablename__, ApiKeyRecord.__tablename__}

# A finished job as revision 0001 stored it, written with the columns that revision created.
JOB_0001 = {
    "id": "job-from-0001",
    "number": 3.0,
    "seq": 7,
    "status": "completed",
    "user_id": "default",
    "client_id": "client-1",
    "prompt": json.dumps({"1": {"class_type": "EmptyImage", "inputs": {}}}),
    "extra_data": json.dumps({}),
    "outputs_to_execute": json.dumps(["1"]),
    "node_errors": json.dumps({}),
    "created_at": 1_700_000_000_000,
    "finished_at": 1_700_000_001_000,
    "outputs": json.dumps({"1": {"images": []}}),
}


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'comfyd.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture
def database_path(tmp_path):
    return tmp_path / "comfyd.db"


def stored_job(database_path) -> dict:
    with sqlite3.connect(database_path) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM jobs WHERE id = ?", (JOB_0001["id"],)).fetchone()
    return {column: row[column] for column in JOB_0001} if row else {}


async def make_0001_database_with_a_job(engine, database_path) -> None:
    await upgrade(engine, "0001")
    columns = ", ".join(JOB_0001)
    with sqlite3.connect(database_path) as connection:
        connection.execute(
            f"INSERT INTO jobs ({columns}) VALUES ({', '.join('?' * len(JOB_0001))})", [*JOB_0001.values()]
        )
    assert not ACCOUNT_TABLES & sqlite_tables(database_path)


async def test_upgrading_a_0001_database_to_head_keeps_its_jobs_and_adds_the_accounts_tables(
    engine, database_path
):
    await make_0001_database_with_a_job(engine, database_path)

    await upgrade(engine)

    assert stored_job(database_path) == JOB_0001
    assert ACCOUNT_TABLES <= sqlite_tables(database_path)
    accounts = AccountService(session_factory(engine))
    user = await accounts.create_user(email="ada@example.com")
    key, _ = await accounts.create_api_key(user_id=user.id)
    assert (await accounts.authenticate_api_key(key)).user_id == user.id
    await accounts.drain()


async def test_downgrading_to_0001_drops_the_accounts_tables_and_keeps_the_jobs(engine, database_path):
    await make_0001_database_with_a_job(engine, database_path)
    await upgrade(engine)

    await downgrade(engine, "0001")

    assert not ACCOUNT_TABLES & sqlite_tables(database_path)
    assert stored_job(database_path) == JOB_0001


async def test_the_migrated_accounts_tables_match_the_record_classes(engine):
    await upgrade(engine)

    assert await record_differences(engine, lambda diff: table_of(diff, ACCOUNT_TABLES) in ACCOUNT_TABLES) == []
