"""Databases for the registry's search and PostgreSQL tests, and `Shelf`, which writes packs,
versions and node classes straight into the tables (as a mirror or a bulk load may) and searches
them through `Catalog`.

PostgreSQL databases are made on the local server (127.0.0.1:5432) through its `postgres`
maintenance database, each with a unique name, and dropped afterwards: a migrated template per
module, copied for each test (`CREATE DATABASE ... TEMPLATE`), as `tests/conftest.py` copies a
migrated SQLite file.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from comfyd.db.base import create_engine
from comfyd.db.migrate import upgrade
from comfyd.db.registry import ComfyNodeRecord, PackRecord, PackVersionRecord, PublisherRecord
from comfyd.platform.registry.catalog import Catalog
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.paging import Paging
from comfyd.platform.registry.search import PackFilter, SearchTerms

POSTGRES_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
LINKS = Links("http://registry.test")


async def _maintenance(*statements: str) -> None:
    engine = create_async_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _create(name: str, template: str | None = None) -> str:
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        asyncio.run(_maintenance(f'CREATE DATABASE "{name}"{copy}'))
    except (OSError, ConnectionError) as exc:
        pytest.skip(f"NO POSTGRESQL at {POSTGRES_SERVER} ({exc}); the PostgreSQL registry tests did not run")
    return f"{POSTGRES_SERVER}/{name}"


def _drop(name: str) -> None:
    asyncio.run(_maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def postgres_database(purpose: str) -> Iterator[str]:
    """A new, empty database; its URL. Skips the test when PostgreSQL cannot be reached."""
    name = f"comfyd_{purpose}_{uuid.uuid4().hex[:12]}"
    url = _create(name)
    try:
        yield url
    finally:
        _drop(name)


@contextmanager
def postgres_copy(template_url: str) -> Iterator[str]:
    """A new database copied from the one at `template_url` (which must have no connections)."""
    template = template_url.rsplit("/", 1)[1]
    name = f"{template[:40]}_{uuid.uuid4().hex[:12]}"
    url = _create(name, template)
    try:
        yield url
    finally:
        _drop(name)


def migrate(url: str, revision: str = "heads") -> None:
    async def run() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(run())


class Shelf:
    """Packs written row by row, and what a search finds among them.

    shelf = Shelf(sessions)
    await shelf.pack("ComfyUI-LCM", name="LCM")
    await shelf.version("ComfyUI-LCM", "1.0.0", nodes=["LCMSampler"])
    await shelf.found("lcm")                    # ["ComfyUI-LCM"]
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], publisher: str = "shelf") -> None:
        self.sessions = sessions
        self.publisher = publisher
        self.catalog = Catalog(sessions)

    async def pack(self, pack_id: str, **columns) -> str:
        async with self.sessions.begin() as session:
            if await session.get(PublisherRecord, self.publisher) is None:
                session.add(PublisherRecord(id=self.publisher, name=self.publisher))
                await session.flush()
            columns.setdefault("name", pack_id)
            session.add(
                PackRecord(id=pack_id, normalized_id=pack_id.lower(), publisher_id=self.publisher, **columns)
            )
        return pack_id

    async def version(
        self, pack_id: str, version: str, *, status: str = "active", nodes: Sequence[str] = ()
    ) -> str:
        """A version with `nodes` as its node classes, inserted in the order the checks write them:
        the version first, then its classes."""
        record = PackVersionRecord(
            pack_id=pack_id, version=version, status=status, archive_key=f"{pack_id}/{version}"
        )
        async with self.sessions.begin() as session:
            session.add(record)
            await session.flush()
            session.add_all(ComfyNodeRecord(version_id=record.id, name=name) for name in nodes)
        return record.id

    async def set_version_status(self, version_id: str, status: str) -> None:
        await self._execute(
            update(PackVersionRecord).where(PackVersionRecord.id == version_id).values(status=status)
        )

    async def replace_nodes(self, version_id: str, nodes: Sequence[str]) -> None:
        """What a re-extraction does: the version's classes deleted, then the new ones inserted."""
        async with self.sessions.begin() as session:
            await session.execute(delete(ComfyNodeRecord).where(ComfyNodeRecord.version_id == version_id))
            session.add_all(ComfyNodeRecord(version_id=version_id, name=name) for name in nodes)

    async def update_node(self, version_id: str, class_name: str, /, **values) -> None:
        statement = update(ComfyNodeRecord).where(
            ComfyNodeRecord.version_id == version_id, ComfyNodeRecord.name == class_name
        )
        await self._execute(statement.values(**values))

    async def update_pack(self, pack_id: str, **values) -> None:
        await self._execute(update(PackRecord).where(PackRecord.id == pack_id).values(**values))

    async def delete_pack_row(self, pack_id: str) -> None:
        await self._execute(delete(PackRecord).where(PackRecord.id == pack_id))

    async def delete_version_row(self, version_id: str) -> None:
        await self._execute(delete(PackVersionRecord).where(PackVersionRecord.id == version_id))

    async def found(
        self, text: str = "", *, comfy_node: str = "", include_banned: bool = True, limit: int = 100
    ) -> list[str]:
        """The ids `GET /nodes/search` would list for these terms, best first."""
        page = await self.search(text, comfy_node=comfy_node, include_banned=include_banned, limit=limit)
        return [node.id for node in page.nodes]

    async def search(
        self,
        text: str = "",
        *,
        comfy_node: str = "",
        include_banned: bool = True,
        limit: int = 100,
        page: int = 1,
    ):
        terms = SearchTerms(
            text=text, comfy_node=comfy_node, filter=PackFilter(include_banned=include_banned)
        )
        return await self.catalog.search_packs(terms, Paging.of(page, limit), links=LINKS)

    async def _execute(self, statement) -> None:
        async with self.sessions.begin() as session:
            await session.execute(statement)
