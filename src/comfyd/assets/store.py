"""`DownloadStore`: the `asset_downloads` rows, with the lifecycle's moves checked as they are written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.assets.errors import DownloadNotFound
from comfyd.assets.states import DownloadState
from comfyd.db.accounts import utcnow
from comfyd.db.assets import AssetDownloadRecord

UNFINISHED = (DownloadState.PENDING, DownloadState.RUNNING)


class DownloadStore:
    """Reads and writes download rows; each method is one short transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, record: AssetDownloadRecord) -> AssetDownloadRecord:
        now = utcnow()
        record.created_at = record.updated_at = now
        async with self._sessions.begin() as session:
            session.add(record)
        return record

    async def get(self, download_id: str) -> AssetDownloadRecord:
        """The row with `download_id`; raises `DownloadNotFound`."""
        async with self._sessions() as session:
            record = await session.get(AssetDownloadRecord, download_id)
        if record is None:
            raise DownloadNotFound(download_id)
        return record

    async def newest_first(self, *, owner_id: str | None = None) -> list[AssetDownloadRecord]:
        """Every download, newest first; only `owner_id`'s when it is given."""
        query = select(AssetDownloadRecord).order_by(AssetDownloadRecord.created_at.desc())
        if owner_id is not None:
            query = query.where(AssetDownloadRecord.owner_id == owner_id)
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def unfinished(self) -> list[AssetDownloadRecord]:
        """Pending and running downloads, oldest first: what a starting server resumes."""
        query = (
            select(AssetDownloadRecord)
            .where(AssetDownloadRecord.status.in_([state.value for state in UNFINISHED]))
            .order_by(AssetDownloadRecord.created_at)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def find_unfinished_for(self, directory: str, filename: str) -> AssetDownloadRecord | None:
        """A pending or running download that writes the same file, or None."""
        query = select(AssetDownloadRecord).where(
            AssetDownloadRecord.directory == directory,
            AssetDownloadRecord.filename == filename,
            AssetDownloadRecord.status.in_([state.value for state in UNFINISHED]),
        )
        async with self._sessions() as session:
            return await session.scalar(query.limit(1))

    async def update(self, download_id: str, **fields: Any) -> AssetDownloadRecord:
        """Set `fields` on a row without changing its state."""
        async with self._sessions.begin() as session:
            record = await self._locked(session, download_id)
            for name, value in fields.items():
                setattr(record, name, value)
            record.updated_at = utcnow()
        return record

    async def move(self, download_id: str, state: DownloadState, **fields: Any) -> AssetDownloadRecord:
        """Move a row to `state` (and set `fields`); raises `IllegalDownloadTransition` if it may not."""
        async with self._sessions.begin() as session:
            record = await self._locked(session, download_id)
            DownloadState(record.status).check_move(state)
            for name, value in fields.items():
                setattr(record, name, value)
            record.status = state.value
            record.updated_at = utcnow()
            if state.is_terminal:
                record.finished_at = record.updated_at
        return record

    async def _locked(self, session: AsyncSession, download_id: str) -> AssetDownloadRecord:
        # FOR UPDATE on PostgreSQL, so a cancel and the download's own end cannot both win;
        # SQLite ignores it (its writers are serialised anyway).
        record = await session.get(AssetDownloadRecord, download_id, with_for_update=True)
        if record is None:
            raise DownloadNotFound(download_id)
        return record
