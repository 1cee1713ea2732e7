"""`comfyd admin` as a subprocess on a temporary base directory: users, keys, and the key it prints."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from comfyd.config import ServerConfig
from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def comfyd_admin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "comfyd", "admin", *args], capture_output=True, text=True, timeout=120
    )


def created_user(base: Path, email: str, *args: str) -> str:
    done = comfyd_admin("create-user", "--email", email, "--base-directory", str(base), *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def authenticate(database_url: str, key: str):
    engine = create_engine(database_url)
    accounts = AccountService(session_factory(engine))
    try:
        return await accounts.authenticate_api_key(key)
    finally:
        await accounts.drain()
        await engine.dispose()


def test_create_user_prints_the_new_users_id_and_list_users_shows_them(tmp_path):
    ada = created_user(tmp_path, "ada@example.com", "--name", "Ada", "--admin")
    grace = created_user(tmp_path, "grace@example.com")

    listed = comfyd_admin("list-users", "--base-directory", str(tmp_path))

    assert uuid.UUID(ada) and uuid.UUID(grace)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{ada}\tada@example.com\tAda\tadmin\tACTIVE",
        f"{grace}\tgrace@example.com\t-\t-\tACTIVE",
    ]


def test_the_database_is_the_one_comfyd_serve_uses_for_the_base_directory(tmp_path):
    created_user(tmp_path, "ada@example.com")
    assert Path(ServerConfig(base_directory=tmp_path).user_root / "comfyd.db").is_file()


@pytest.mark.anyio
async def test_create_api_key_prints_a_key_that_authenticates_as_the_user(tmp_path):
    user_id = created_user(tmp_path, "ada@example.com", "--admin")

    done = comfyd_admin("create-api-key", "--email", "ADA@example.com", "--name", "cli", "--base-directory", str(tmp_path))

    assert done.returncode == 0, done.stderr
    [key] = done.stdout.splitlines()
    assert "cannot show it again" in done.stderr
    identity = await authenticate(ServerConfig(base_directory=tmp_path).effective_database_url, key)
    assert identity is not None and (identity.user_id, identity.is_admin) == (user_id, True)


@pytest.mark.anyio
async def test_database_url_picks_the_database(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}"
    done = comfyd_admin("create-user", "--email", "ada@example.com", "--database-url", url)
    assert done.returncode == 0, done.stderr

    key = comfyd_admin("create-api-key", "--email", "ada@example.com", "--database-url", url).stdout.strip()

    assert (await authenticate(url, key)).user_id == done.stdout.strip()


def test_create_user_with_a_taken_email_exits_1_and_says_why(tmp_path):
    created_user(tmp_path, "ada@example.com")

    done = comfyd_admin("create-user", "--email", "Ada@Example.com", "--base-directory", str(tmp_path))

    assert done.returncode == 1 and done.stdout == ""
    assert "A user with email ada@example.com already exists." in done.stderr


def test_create_api_key_for_an_unknown_email_exits_1_and_prints_no_key(tmp_path):
    done = comfyd_admin("create-api-key", "--email", "nobody@example.com", "--base-directory", str(tmp_path))

    assert done.returncode == 1 and done.stdout == ""
    assert "User nobody@example.com was not found." in done.stderr
