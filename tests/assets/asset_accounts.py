"""API keys for the download tests, made on a running server's own SQLite database
(`<base>/user/comfyd.db`) through `AccountService`, as `comfyd admin` would make them."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService


def create_api_key(database: Path, *, admin: bool) -> str:
    """A new user (an administrator or not) and an API key of theirs."""

    async def create() -> str:
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        try:
            accounts = AccountService(session_factory(engine))
            user = await accounts.create_user(email=f"{uuid.uuid4().hex[:12]}@example.com", is_admin=admin)
            key, _record = await accounts.create_api_key(user_id=user.id, name="asset tests")
            return key
        finally:
            await engine.dispose()

    return asyncio.run(create())
