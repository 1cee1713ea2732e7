"""Fixtures every test folder may use: a migrated SQLite database file per test."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from comfyd.db.base import create_engine
from comfyd.db.migrate import upgrade


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """One database migrated to the newest schema per session; tests get copies of it."""
    path = tmp_path_factory.mktemp("migrated_db") / "template.db"

    async def migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
def database_path(migrated_template: Path, tmp_path: Path) -> Path:
    """A fresh, migrated database file for one test."""
    path = tmp_path / "comfyd.db"
    shutil.copyfile(migrated_template, path)
    return path
