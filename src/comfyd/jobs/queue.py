"""`JobQueue`: queued prompts as rows, claimed by workers in priority order.

Submissions are committed in groups: concurrent `submit` calls that arrive while a commit is in
flight share the next transaction, so bulk queueing costs one fsync per group, not per prompt.
A job is only acknowledged once its row is committed, so nothing acknowledged is lost on kill -9.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from comfyd.db.models import JobRecord
from comfyd.jobs.errors import IllegalTransition, JobNotFound, PromptIdConflict
from comfyd.jobs.states import JobStatus


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Submission:
    """A validated prompt to queue. `number=None` takes the next number (negated with `front`)."""

    prompt_id: str
    prompt: dict[str, Any]
    outputs_to_execute: list[str]
    extra_data: dict[str, Any]
    secrets: dict[str, Any] | None = None
    node_errors: dict[str, Any] | None = None
    number: float | None = None
    front: bool = False
    user_id: str = "default"
    client_id: str | None = None
    workflow_id: str | None = None


class QueueCounts:
    """Pending and running counts kept beside the table, so `queue_remaining` costs no query.

    Only valid while every writer of the table shares this object, i.e. one process (the
    embedded mode: the server's queue and its worker's). Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending = 0
        self.running = 0

    def add(self, *, pending: int = 0, running: int = 0) -> None:
        with self._lock:
            self.pending += pending
            self.running += running

    def reset(self, *, pending: int, running: int) -> None:
        with self._lock:
            self.pending, self.running = pending, running

    @property
    def remaining(self) -> int:
        return self.pending + self.running


class JobQueue:
    """Pending and running jobs. One instance per event loop (it owns its session factory).

    With `counts`, queue sizes are tracked in memory (see `QueueCounts`); without, they are
    counted in the database, which is right when other processes write the table too.
    """

    def __init__(self, sessions: async_sessionmaker, counts: QueueCounts | None = None) -> None:
        self.sessions = sessions
        self.counts = counts
        self._next_number = 0
        self._next_seq = 0
        self._batch: list[tuple[JobRecord, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None

    async def start(self) -> None:
        """Continue numbering after what the database already holds, and load the counts."""
        async with self.sessions() as session:
            top_number = await session.scalar(select(func.max(JobRecord.number)))
            top_seq = await session.scalar(select(func.max(JobRecord.seq)))
        self._next_number = int(max(top_number or 0, 0)) + (1 if top_number is not None else 0)
        self._next_seq = (top_seq or 0) + 1
        if self.counts is not None:
            self.counts.reset(pending=await self._count(JobStatus.PENDING), running=await self._count(JobStatus.RUNNING))

    async def _count(self, *statuses: JobStatus) -> int:
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(JobRecord).where(JobRecord.status.in_([s.value for s in statuses]))
            )
        return int(count or 0)

    async def submit(self, item: Submission) -> JobRecord:
        """Queue `item` durably; raises `PromptIdConflict` if its id is taken."""
        record = self._record(item)
        future = asyncio.get_running_loop().create_future()
        self._batch.append((record, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    def _record(self, item: Submission) -> JobRecord:
        number = item.number
        if number is None:
            number = float(-self._next_number if item.front else self._next_number)
            self._next_number += 1
        self._next_seq += 1
        return JobRecord(
            id=item.prompt_id,
            number=float(number),
            seq=self._next_seq,
            status=JobStatus.PENDING.value,
            user_id=item.user_id,
            client_id=item.client_id,
            prompt=item.prompt,
            extra_data=item.extra_data,
            secrets=item.secrets or None,
            outputs_to_execute=list(item.outputs_to_execute),
            node_errors=item.node_errors or {},
            workflow_id=item.workflow_id,
            created_at=item.extra_data.get("create_time") or now_ms(),
        )

    async def _flush(self) -> None:
        # Yield once so that submissions made in the same tick join this transaction.
        await asyncio.sleep(0)
        while self._batch:
            batch, self._batch = self._batch, []
            try:
                async with self.sessions.begin() as session:
                    await session.execute(insert(JobRecord), [_row(record) for record, _ in batch])
            except IntegrityError:
                await self._insert_one_by_one(batch)
                continue
            self._counted(pending=len(batch))
            for record, future in batch:
                if not future.done():
                    future.set_result(record)

    async def _insert_one_by_one(self, batch: list[tuple[JobRecord, asyncio.Future]]) -> None:
        """A conflicting id spoiled the group commit; find it and commit the others."""
        for record, future in batch:
            try:
                async with self.sessions.begin() as session:
                    await session.execute(insert(JobRecord), [_row(record)])
            except IntegrityError:
                future.set_exception(PromptIdConflict(record.id))
            else:
                self._counted(pending=1)
                future.set_result(record)

    def _counted(self, *, pending: int = 0, running: int = 0) -> None:
        if self.counts is not None:
            self.counts.add(pending=pending, running=running)

    async def claim_next(self, worker_id: str, lease_seconds: float = 60.0) -> JobRecord | None:
        """Move the first pending job (by number, then submission order) to running.

        One `UPDATE ... RETURNING` statement: atomic in SQLite; in PostgreSQL the subquery's
        `FOR UPDATE SKIP LOCKED` lets concurrent workers claim different jobs.
        """
        async with self.sessions.begin() as session:
            first = (
                select(JobRecord.id)
                .where(JobRecord.status == JobStatus.PENDING.value)
                .order_by(JobRecord.number, JobRecord.seq)
                .limit(1)
            )
            if session.bind.dialect.name == "postgresql":
                first = first.with_for_update(skip_locked=True)
            claimed = await session.scalars(
                update(JobRecord)
                .where(JobRecord.id == first.scalar_subquery(), JobRecord.status == JobStatus.PENDING.value)
                .values(
                    status=JobStatus.RUNNING.value,
                    worker_id=worker_id,
                    started_at=now_ms(),
                    lease_expires_at=time.time() + lease_seconds,
                )
                .returning(JobRecord),
                execution_options={"synchronize_session": False},
            )
            record = claimed.first()
        if record is not None:
            self._counted(pending=-1, running=1)
        return record

    async def finish(self, job_id: str, status: JobStatus, **fields: Any) -> None:
        """Record a job's end (one guarded UPDATE); its secrets are wiped."""
        sources = [s.value for s in JobStatus if s.can_move_to(status)]
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status.in_(sources))
                .values({"finished_at": now_ms(), **fields, "status": status.value, "secrets": None, "lease_expires_at": None}),
                execution_options={"synchronize_session": False},
            )
            if result.rowcount != 1:
                current = await session.scalar(select(JobRecord.status).where(JobRecord.id == job_id))
                if current is None:
                    raise JobNotFound(job_id)
                raise IllegalTransition(job_id, current, status.value)
        self._counted(running=-1)

    async def recover_lost(self, reason: str, worker_id: str | None = None) -> list[str]:
        """Mark jobs left running by a dead runner as lost (all of them, or one worker's)."""
        async with self.sessions.begin() as session:
            query = select(JobRecord).where(JobRecord.status == JobStatus.RUNNING.value)
            if worker_id is not None:
                query = query.where(JobRecord.worker_id == worker_id)
            records = (await session.scalars(query)).all()
            stamp = now_ms()
            for record in records:
                record.status = JobStatus.LOST.value
                record.finished_at = stamp
                record.secrets = None
                record.error = {"reason": reason, "prompt_id": record.id}
                record.messages = [
                    ["execution_start", {"prompt_id": record.id, "timestamp": record.started_at or stamp}],
                    ["execution_error", _lost_message(record, reason, stamp)],
                ]
        self._counted(running=-len(records))
        return [record.id for record in records]

    async def get(self, job_id: str) -> JobRecord | None:
        async with self.sessions() as session:
            return await session.get(JobRecord, job_id)

    async def pending(self, user_id: str | None = None) -> list[JobRecord]:
        return await self._with_status([JobStatus.PENDING], user_id)

    async def running(self, user_id: str | None = None) -> list[JobRecord]:
        return await self._with_status([JobStatus.RUNNING], user_id)

    async def _with_status(self, statuses: Iterable[JobStatus], user_id: str | None) -> list[JobRecord]:
        query = (
            select(JobRecord)
            .where(JobRecord.status.in_([s.value for s in statuses]))
            .order_by(JobRecord.number, JobRecord.seq)
        )
        if user_id is not None:
            query = query.where(JobRecord.user_id == user_id)
        async with self.sessions() as session:
            return list((await session.scalars(query)).all())

    async def remaining(self) -> int:
        """Pending plus running jobs, ComfyUI's `queue_remaining`."""
        if self.counts is not None:
            return self.counts.remaining
        return await self._count(JobStatus.PENDING, JobStatus.RUNNING)

    async def delete_pending(self, job_ids: Iterable[str] | None, user_id: str | None = None) -> list[str]:
        """Remove pending jobs (all of them when `job_ids` is None); returns the ids removed."""
        query = delete(JobRecord).where(JobRecord.status == JobStatus.PENDING.value)
        if job_ids is not None:
            query = query.where(JobRecord.id.in_(list(job_ids)))
        if user_id is not None:
            query = query.where(JobRecord.user_id == user_id)
        async with self.sessions.begin() as session:
            result = await session.execute(query.returning(JobRecord.id))
            removed = list(result.scalars().all())
        self._counted(pending=-len(removed))
        return removed


def _row(record: JobRecord) -> dict[str, Any]:
    return {column.key: getattr(record, column.key) for column in JobRecord.__table__.columns}


def _lost_message(record: JobRecord, reason: str, stamp: int) -> dict[str, Any]:
    return {
        "prompt_id": record.id,
        "node_id": None,
        "node_type": None,
        "executed": [],
        "exception_message": reason,
        "exception_type": "comfyd.JobLost",
        "traceback": [],
        "current_inputs": {},
        "current_outputs": [],
        "timestamp": stamp,
    }
