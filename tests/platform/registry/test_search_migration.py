"""Migration 0004 (registry search) on SQLite files and fresh PostgreSQL databases: packs stored
before it are found after it, and going back to 0003 leaves tables that still take writes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from search_databases import Shelf, postgres_database
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from migrating import downgrade

pytestmark = pytest.mark.anyio

SEARCH_OBJECTS = {"registry_pack_search", "registry_pack_search_rowids"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'comfyd.db'}"
        return
    with postgres_database("search_migration") as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def stock_0003_database(engine: AsyncEngine) -> Shelf:
    """A database at 0003 holding packs with active, pending and flagged versions."""
    await upgrade(engine, "0003")
    shelf = Shelf(session_factory(engine))
    await shelf.pack("ComfyUI-LCM", name="Latent Consistency", author="ada")
    await shelf.version("ComfyUI-LCM", "1.0.0", nodes=["LCMSampler"])
    await shelf.version("ComfyUI-LCM", "1.1.0", status="pending", nodes=["PendingNode"])
    await shelf.pack("flagged-pack", description="Tiled decoding.")
    await shelf.version("flagged-pack", "1.0.0", status="flagged", nodes=["FlaggedNode"])
    return shelf


async def test_upgrading_indexes_the_packs_already_stored(engine):
    shelf = await stock_0003_database(engine)

    await upgrade(engine, "0004")

    assert (
        await shelf.found("lcm") == await shelf.found("latent") == await shelf.found("ada") == ["ComfyUI-LCM"]
    )
    assert await shelf.found("lcmsampl") == ["ComfyUI-LCM"]
    assert await shelf.found("tiled") == ["flagged-pack"]
    assert await shelf.found("pendingnode") == await shelf.found("flaggednode") == []


async def test_upgrading_an_empty_database_to_heads_leaves_an_empty_index(engine):
    await upgrade(engine)
    shelf = Shelf(session_factory(engine))
    assert await shelf.found("anything") == []
    await shelf.pack("first-pack")
    assert await shelf.found("first") == ["first-pack"]


async def test_downgrading_to_0003_removes_the_index_and_writes_still_work(engine):
    shelf = await stock_0003_database(engine)
    await upgrade(engine, "0004")
    assert SEARCH_OBJECTS & await tables(engine)

    await downgrade(engine, "0003")

    assert not SEARCH_OBJECTS & await tables(engine)
    version = await shelf.version("flagged-pack", "2.0.0", nodes=["AfterDowngrade"])
    await shelf.set_version_status(version, "flagged")
    await shelf.update_pack("ComfyUI-LCM", name="Renamed")
    await shelf.delete_pack_row("flagged-pack")

    await upgrade(engine, "0004")
    assert await shelf.found("renamed") == ["ComfyUI-LCM"]
    assert await shelf.found("tiled") == []
