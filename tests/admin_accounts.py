"""Users with API keys on a comfyd database, made as an operator makes them: with `comfyd admin` in a
subprocess (`admin_account`, `comfyd_admin`), or, where a test makes many, in-process with the
`AccountService` that command runs, on the same database (`create_account`, `create_api_key`).

    ada = admin_account(server.base_dir)                           # comfyd admin create-user, create-api-key
    grace = create_account(server.database_url, name="Grace")      # the same rows, without a subprocess
    with server.client(key=grace.key) as http:
        http.get("/api/workspaces")

Every helper makes a fresh email unless given one, so tests can share a server.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService

T = TypeVar("T")


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    key: str


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def comfyd_admin(base_dir: Path, *args: str) -> str:
    """Run `comfyd admin ARGS --base-directory BASE_DIR`; what it printed on stdout, stripped."""
    done = subprocess.run(
        [sys.executable, "-m", "comfyd", "admin", *args, "--base-directory", str(base_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"comfyd admin {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout.strip()


def admin_account(
    base_dir: Path, *, email: str | None = None, name: str | None = None, key_name: str | None = None
) -> Account:
    """A new user and an API key of theirs, made with `comfyd admin create-user` and `create-api-key`."""
    email = email or new_email()
    named = ("--name", name) if name is not None else ()
    user_id = comfyd_admin(base_dir, "create-user", "--email", email, *named)
    named = ("--name", key_name) if key_name is not None else ()
    key = comfyd_admin(base_dir, "create-api-key", "--email", email, *named)
    return Account(user_id, email, key.splitlines()[-1])


def create_account(
    database_url: str,
    *,
    email: str | None = None,
    name: str | None = None,
    admin: bool = False,
    key_name: str = "",
    workspace: str | None = None,
) -> Account:
    """A new user (an administrator with `admin`) and an API key of theirs, acting in `workspace`
    (None: their personal one), made on the database at `database_url` as `comfyd admin` makes them."""
    email = email or new_email()

    async def create(accounts: AccountService) -> Account:
        user = await accounts.create_user(email=email, name=name, is_admin=admin)
        key, _record = await accounts.create_api_key(user_id=user.id, name=key_name, workspace_id=workspace)
        return Account(user.id, email, key)

    return _with_accounts(database_url, create)


def create_api_key(database_url: str, account: Account, *, workspace: str | None) -> Account:
    """`account` with another API key of theirs, made for `workspace`."""

    async def create(accounts: AccountService) -> str:
        key, _record = await accounts.create_api_key(user_id=account.user_id, workspace_id=workspace)
        return key

    return Account(account.user_id, account.email, _with_accounts(database_url, create))


def _with_accounts(database_url: str, work: Callable[[AccountService], Awaitable[T]]) -> T:
    """Run `work(accounts)` on its own engine, as another process would."""

    async def run() -> T:
        engine = create_engine(database_url)
        try:
            accounts = AccountService(session_factory(engine))
            done = await work(accounts)
            await accounts.drain()
            return done
        finally:
            await engine.dispose()

    return asyncio.run(run())
