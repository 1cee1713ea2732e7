"""`History`: finished jobs, paged from the database (never capped in memory).

`entry(record)` renders ComfyUI's history entry: `{prompt, outputs, status, meta}`, where
`prompt` is the queue item `[number, prompt_id, prompt, extra_data, outputs_to_execute]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from comfyd.db.models import JobRecord
from comfyd.jobs.states import JobStatus

TERMINAL = [s.value for s in JobStatus if s.is_terminal]


def wire_number(number: float) -> int | float:
    """Queue numbers are ints in ComfyUI unless a client sent a fractional one."""
    return int(number) if float(number).is_integer() else number


def queue_item(record: JobRecord) -> list[Any]:
    """The 5-element queue item of `/queue` and of a history entry's `prompt`."""
    return [wire_number(record.number), record.id, record.prompt, record.extra_data, record.outputs_to_execute]


def entry(record: JobRecord) -> dict[str, Any]:
    status = JobStatus(record.status)
    return {
        "prompt": queue_item(record),
        "outputs": record.outputs or {},
        "status": {
            "status_str": "success" if status is JobStatus.COMPLETED else "error",
            "completed": status is JobStatus.COMPLETED,
            "messages": record.messages or [],
        },
        "meta": record.meta or {},
    }


class History:
    """Finished jobs in the order they finished."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    def _finished(self, user_id: str | None):
        query = select(JobRecord).where(JobRecord.status.in_(TERMINAL))
        return query if user_id is None else query.where(JobRecord.user_id == user_id)

    async def page(
        self, *, max_items: int | None = None, offset: int = -1, user_id: str | None = None
    ) -> list[JobRecord]:
        """ComfyUI's paging: oldest first; a negative offset with `max_items` means "the last N"."""
        if offset < 0 and max_items is not None:
            total = await self.count(user_id=user_id)
            offset = total - max_items
        query = self._finished(user_id).order_by(JobRecord.finished_at, JobRecord.seq)
        if offset > 0:
            query = query.offset(offset)
        if max_items is not None:
            query = query.limit(max(max_items, 0))
        async with self.sessions() as session:
            return list((await session.scalars(query)).all())

    async def count(self, *, user_id: str | None = None) -> int:
        query = select(func.count()).select_from(self._finished(user_id).subquery())
        async with self.sessions() as session:
            return int(await session.scalar(query) or 0)

    async def get(self, job_id: str, *, user_id: str | None = None) -> JobRecord | None:
        query = self._finished(user_id).where(JobRecord.id == job_id)
        async with self.sessions() as session:
            return await session.scalar(query)

    async def delete(self, job_ids: Iterable[str] | None, *, user_id: str | None = None) -> list[str]:
        """Forget finished jobs (all of them when `job_ids` is None)."""
        query = delete(JobRecord).where(JobRecord.status.in_(TERMINAL))
        if job_ids is not None:
            query = query.where(JobRecord.id.in_(list(job_ids)))
        if user_id is not None:
            query = query.where(JobRecord.user_id == user_id)
        async with self.sessions.begin() as session:
            result = await session.execute(query.returning(JobRecord.id))
            return list(result.scalars().all())
