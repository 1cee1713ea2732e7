"""Migration 0006 (workspaces, members, invites, signing keys, `api_keys.workspace_id`) on real
SQLite files and on the local PostgreSQL: a database made at 0003 upgrades, its users get their
personal workspaces and keep their keys, the tables match the record classes, and the branch
downgrades alone."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from comfyd.db.accounts import ApiKeyRecord
from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from comfyd.db.workspaces import (
    SigningKeyRecord,
    WorkspaceInviteRecord,
    WorkspaceMemberRecord,
    WorkspaceRecord,
)
from comfyd.platform.accounts.service import AccountService, hash_api_key
from migrating import downgrade, mentions, postgres_schema, record_differences, schema_engine, sqlite_tables

pytestmark = pytest.mark.anyio

TABLES = {
    r.__tablename__ for r in (WorkspaceRecord, WorkspaceMemberRecord, WorkspaceInviteRecord, SigningKeyRecord)
}
THIS_BRANCH = "0006@-1"  # the revision before 0006 on its branch: downgrading there undoes 0006 alone
OLD_KEY = "comfyui-" + "ab" * 32


@pytest.fixture
def database_path(tmp_path):
    return tmp_path / "comfyd.db"


@pytest.fixture
async def engine(database_path):
    engine = create_engine(f"sqlite+aiosqlite:///{database_path}")
    yield engine
    await engine.dispose()


def api_key_columns(database_path) -> set[str]:
    with sqlite3.connect(database_path) as connection:
        return {row[1] for row in connection.execute("PRAGMA table_info(api_keys)")}


def insert_0003_user(connection, user_id: str) -> None:
    """A user and an API key as revision 0003 stored them (`connection`: sqlite3 or SQLAlchemy)."""
    connection.execute(
        "INSERT INTO users (id, email, name, is_admin, status, created_at) "
        f"VALUES ('{user_id}', '{user_id}@example.com', NULL, false, 'ACTIVE', '2025-01-01 00:00:00')"
    )
    connection.execute(
        "INSERT INTO api_keys (id, user_id, name, description, prefix, key_hash, created_at) "
        f"VALUES ('key-{user_id}', '{user_id}', 'old', '', '{OLD_KEY[:16]}', '{hash_api_key(OLD_KEY)}', "
        "'2025-01-01 00:00:00')"
    )


async def test_a_0003_database_upgrades_and_its_users_get_personal_workspaces(engine, database_path):
    await upgrade(engine, "0003")
    with sqlite3.connect(database_path) as connection:
        insert_0003_user(connection, "u-0003")
    assert not TABLES & sqlite_tables(database_path)

    await upgrade(engine)

    assert TABLES <= sqlite_tables(database_path)
    with sqlite3.connect(database_path) as connection:
        rows = connection.execute(
            "SELECT w.type, w.name, m.role FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id "
            "WHERE w.personal_owner_id = 'u-0003' AND m.user_id = 'u-0003'"
        ).fetchall()
        [(key_workspace,)] = connection.execute("SELECT workspace_id FROM api_keys").fetchall()
    assert rows == [("personal", "Personal workspace", "owner")]
    assert key_workspace is None
    accounts = AccountService(session_factory(engine))
    assert (await accounts.authenticate_api_key(OLD_KEY)).user_id == "u-0003"
    await accounts.drain()


async def test_downgrading_this_branch_drops_only_its_tables_and_column(engine, database_path):
    await upgrade(engine)
    others = sqlite_tables(database_path) - TABLES

    await downgrade(engine, THIS_BRANCH)

    assert sqlite_tables(database_path) == others
    assert "workspace_id" not in api_key_columns(database_path)
    await upgrade(engine)
    assert TABLES <= sqlite_tables(database_path) and "workspace_id" in api_key_columns(database_path)


async def test_the_migrated_tables_match_the_record_classes(engine):
    await upgrade(engine)
    checked = TABLES | {ApiKeyRecord.__tablename__}

    assert await record_differences(engine, lambda diff: mentions(diff, checked)) == []


async def test_the_migration_runs_up_and_down_on_postgresql():
    async with postgres_schema("workspaces", skipped="the PostgreSQL migration test") as schema:
        engine = schema_engine(schema)
        try:
            await upgrade(engine, "0003")
            async with engine.begin() as connection:
                await connection.run_sync(lambda sync: insert_0003_user(_Raw(sync), "u-pg"))
            await upgrade(engine)
            await downgrade(engine, THIS_BRANCH)
            await upgrade(engine)
            async with engine.connect() as connection:
                personal = (
                    await connection.execute(
                        text("SELECT type FROM workspaces WHERE personal_owner_id = 'u-pg'")
                    )
                ).all()
                names = await connection.run_sync(
                    lambda sync: set(sync.dialect.get_table_names(sync, schema=schema))
                )
            assert TABLES <= names
            assert personal == [("personal",)]
        finally:
            await engine.dispose()


class _Raw:
    """`execute(sql)` on a SQLAlchemy connection, as `insert_0003_user` calls it on sqlite3."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def execute(self, sql: str) -> None:
        self.connection.execute(text(sql))
