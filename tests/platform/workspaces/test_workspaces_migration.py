"""Migration 0006 (workspaces, members, invites, signing keys, `api_keys.workspace_id`) on real
SQLite files and on the local PostgreSQL: a database made at 0003 upgrades, its users get their
personal workspaces and keep their keys, the tables match the record classes, and the branch
downgrades alone."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from comfyd.db.accounts import ApiKeyRecord
from comfyd.db.base import Base, create_engine, session_factory
from comfyd.db.migrate import alembic_config, upgrade
from comfyd.db.workspaces import (
    SigningKeyRecord,
    WorkspaceInviteRecord,
    WorkspaceMemberRecord,
    WorkspaceRecord,
)
from comfyd.platform.accounts.service import AccountService, hash_api_key

pytestmark = pytest.mark.anyio

TABLES = {
    r.__tablename__ for r in (WorkspaceRecord, WorkspaceMemberRecord, WorkspaceInviteRecord, SigningKeyRecord)
}
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
OLD_KEY = "comfyui-" + "ab" * 32


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


def api_key_columns(database_path) -> set[str]:
    with sqlite3.connect(database_path) as connection:
        return {row[1] for row in connection.execute("PRAGMA table_info(api_keys)")}


async def downgrade_this_branch(engine) -> None:
    def run(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0006@-1")

    async with engine.begin() as connection:
        await connection.run_sync(run)


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
    assert not TABLES & tables(database_path)

    await upgrade(engine)

    assert TABLES <= tables(database_path)
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
    others = tables(database_path) - TABLES

    await downgrade_this_branch(engine)

    assert tables(database_path) == others
    assert "workspace_id" not in api_key_columns(database_path)
    await upgrade(engine)
    assert TABLES <= tables(database_path) and "workspace_id" in api_key_columns(database_path)


async def test_the_migrated_tables_match_the_record_classes(engine):
    await upgrade(engine)
    checked = TABLES | {ApiKeyRecord.__tablename__}

    def differences(connection) -> list:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        return [diff for diff in found if _mentions(diff, checked)]

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_the_migration_runs_up_and_down_on_postgresql():
    schema = f"workspaces_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except (OSError, ConnectionError) as exc:
        await admin.dispose()
        pytest.skip(f"NO POSTGRESQL at {POSTGRES} ({exc}); the PostgreSQL migration test did not run")
    engine = create_async_engine(POSTGRES, connect_args={"server_settings": {"search_path": schema}})
    try:
        await upgrade(engine, "0003")
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: insert_0003_user(_Raw(sync), "u-pg"))
        await upgrade(engine)
        await downgrade_this_branch(engine)
        await upgrade(engine)
        async with engine.connect() as connection:
            personal = (
                await connection.execute(text("SELECT type FROM workspaces WHERE personal_owner_id = 'u-pg'"))
            ).all()
            names = await connection.run_sync(
                lambda sync: set(sync.dialect.get_table_names(sync, schema=schema))
            )
        assert TABLES <= names
        assert personal == [("personal",)]
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


class _Raw:
    """`execute(sql)` on a SQLAlchemy connection, as `insert_0003_user` calls it on sqlite3."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def execute(self, sql: str) -> None:
        self.connection.execute(text(sql))


def _mentions(diff, names: set[str]) -> bool:
    """Whether an autogenerate difference (a tuple, or a list of them) is about one of `names`."""
    if isinstance(diff, list):
        return any(_mentions(item, names) for item in diff)
    for item in diff[1:]:
        table = getattr(item, "table", None)
        if getattr(table, "name", None) in names or getattr(item, "name", None) in names or item in names:
            return True
    return False
