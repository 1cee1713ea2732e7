"""`JobQueue`: queued prompts as rows, claimed by workers in priority order.

Writes are Core statements run by the database's `Writer` (`jobs/writer.py`). On SQLite that is
one connection thread per file, which commits the work that arrives while it is busy in one
transaction, so bulk queueing costs one commit per group, not per prompt; a worker waiting on an
empty queue claims a prompt in the transaction that stores it. A job is only acknowledged once
its row is committed, so nothing acknowledged is lost on kill -9.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from comfyd.db.models import JobRecord
from comfyd.jobs.errors import IllegalTransition, JobNotFound, PromptIdConflict
from comfyd.jobs.states import JobStatus
from comfyd.jobs.writer import Work, Writer, writer_for

JOBS = JobRecord.__table__
PENDING, RUNNING, LOST = JobStatus.PENDING.value, JobStatus.RUNNING.value, JobStatus.LOST.value
LEASE_SECONDS = 60.0


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
        self._unsent: list[tuple[dict[str, Any], asyncio.Future]] = []
        self._sending: set[asyncio.Task] = set()

    @property
    def writer(self) -> Writer:
        return writer_for(self.sessions.kw["bind"])

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
        """Queue `item` durably; raises `PromptIdConflict` if its id is taken.

        Submissions made in one turn of the event loop travel to the writer together and are
        stored with one multi-row INSERT: under load, far fewer thread wake-ups per prompt.
        """
        row = self._row(item)
        future = asyncio.get_running_loop().create_future()
        if not self._unsent:
            asyncio.get_running_loop().call_soon(self._send_unsent)
        self._unsent.append((row, future))
        await future
        self._counted(pending=1)
        return JobRecord(**row)

    def _send_unsent(self) -> None:
        batch, self._unsent = self._unsent, []
        task = asyncio.ensure_future(self._store(batch))
        self._sending.add(task)  # a running task needs a reference, or it may be collected
        task.add_done_callback(self._sending.discard)

    async def _store(self, batch: list[tuple[dict[str, Any], asyncio.Future]]) -> None:
        try:
            conflicts = await self.writer.run(partial(_insert_all, [row for row, _ in batch]))
        except Exception as exc:
            conflicts, failure = set(), exc
        else:
            failure = None
        for index, (row, future) in enumerate(batch):
            if future.done():  # its caller stopped waiting; the row is stored all the same
                continue
            if failure is not None:
                future.set_exception(failure)
            elif index in conflicts:
                future.set_exception(PromptIdConflict(row["id"]))
            else:
                future.set_result(None)

    def _row(self, item: Submission) -> dict[str, Any]:
        number = item.number
        if number is None:
            number = float(-self._next_number if item.front else self._next_number)
            self._next_number += 1
        self._next_seq += 1
        return {
            "id": item.prompt_id,
            "number": float(number),
            "seq": self._next_seq,
            "status": PENDING,
            "user_id": item.user_id,
            "client_id": item.client_id,
            "prompt": item.prompt,
            "extra_data": item.extra_data,
            "secrets": item.secrets or None,
            "outputs_to_execute": list(item.outputs_to_execute),
            "node_errors": item.node_errors or {},
            "workflow_id": item.workflow_id,
            "created_at": item.extra_data.get("create_time") or now_ms(),
        }

    def _counted(self, *, pending: int = 0, running: int = 0) -> None:
        if self.counts is not None:
            self.counts.add(pending=pending, running=running)

    async def claim_next(
        self,
        worker_id: str,
        lease_seconds: float = LEASE_SECONDS,
        *,
        wait: float = 0.0,
        wake: asyncio.Event | None = None,
    ) -> JobRecord | None:
        """Move the first pending job (by number, then submission order) to running.

        One `UPDATE ... RETURNING` statement: atomic in SQLite; in PostgreSQL the subquery's
        `FOR UPDATE SKIP LOCKED` lets concurrent workers claim different jobs. With `wait`, an
        empty queue is waited on for up to that many seconds, or until `wake` is set; on SQLite
        a job queued by this process meanwhile is claimed in the transaction that stores it.
        """
        claim = partial(_claim, worker_id, lease_seconds)
        if wait > 0:
            row = await self.writer.run_until_found(claim, wake=wake or asyncio.Event(), timeout=wait)
        else:
            row = await self.writer.run(claim)
        return self._claimed(row)

    def _claimed(self, row: dict[str, Any] | None) -> JobRecord | None:
        if row is None:
            return None
        self._counted(pending=-1, running=1)
        return JobRecord(**row)

    async def finish(
        self, job_id: str, status: JobStatus, *, claim_next_for: str | None = None, **fields: Any
    ) -> JobRecord | None:
        """Record a job's end (one guarded UPDATE); its secrets are wiped.

        With `claim_next_for`, the next job is claimed for that worker in the same transaction
        and returned (None when nothing is pending): a worker's whole step between two jobs.
        """
        values = {"finished_at": now_ms(), **fields, "status": status.value, "secrets": None, "lease_expires_at": None}
        claim = None if claim_next_for is None else partial(_claim, claim_next_for, LEASE_SECONDS)
        row = await self.writer.run(partial(_finish, job_id, status, values, claim))
        self._counted(running=-1)
        return self._claimed(row)

    async def release(self, job_id: str) -> None:
        """Give a claimed job that never started back to the queue (a worker stopping)."""
        released = await self.writer.run(partial(_release, job_id))
        if released:
            self._counted(pending=1, running=-1)

    async def recover_lost(self, reason: str, worker_id: str | None = None) -> list[str]:
        """Mark jobs left running by a dead runner as lost (all of them, or one worker's)."""
        lost = await self.writer.run(partial(_mark_lost, reason, worker_id, now_ms()))
        self._counted(running=-len(lost))
        return lost

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
        ids = None if job_ids is None else list(job_ids)
        removed = await self.writer.run(partial(_delete_pending, ids, user_id))
        self._counted(pending=-len(removed))
        return removed


# -- the writes, run by the writer in a transaction (they may run twice: see `Writer.run`) -------


def _claim_statement(*, skip_locked: bool):
    first = select(JOBS.c.id).where(JOBS.c.status == PENDING).order_by(JOBS.c.number, JOBS.c.seq).limit(1)
    if skip_locked:
        first = first.with_for_update(skip_locked=True)
    return (
        update(JOBS)
        .where(JOBS.c.id == first.scalar_subquery(), JOBS.c.status == PENDING)
        .values(
            status=RUNNING,
            worker_id=bindparam("claimer"),
            started_at=bindparam("now"),
            lease_expires_at=bindparam("lease_until"),
        )
        .returning(*JOBS.c)
    )


# Built once: a statement object keeps its cache key, so a claim goes straight to compiled SQL.
# PostgreSQL's claim skips rows another worker has locked; SQLite has one writer at a time.
CLAIM = _claim_statement(skip_locked=False)
CLAIM_SKIP_LOCKED = _claim_statement(skip_locked=True)
INSERT = insert(JOBS)


def _insert_all(rows: list[dict[str, Any]], connection: Connection) -> set[int]:
    """Insert `rows`; returns the indexes of those whose id was taken (the others are stored)."""
    try:
        with connection.begin_nested():
            connection.execute(INSERT, rows)
        return set()
    except IntegrityError:
        pass
    conflicts = set()
    for index, row in enumerate(rows):
        try:
            with connection.begin_nested():
                connection.execute(INSERT, row)
        except IntegrityError:
            conflicts.add(index)
    return conflicts


def _claim(worker_id: str, lease_seconds: float, connection: Connection) -> dict[str, Any] | None:
    # The clock is read here, when the claim runs: a waiting claim may run long after it was made.
    claim = {"claimer": worker_id, "now": now_ms(), "lease_until": time.time() + lease_seconds}
    statement = CLAIM_SKIP_LOCKED if connection.dialect.name == "postgresql" else CLAIM
    row = connection.execute(statement, claim).first()
    return None if row is None else row._asdict()


def _finish(
    job_id: str,
    status: JobStatus,
    values: dict[str, Any],
    claim_next: Work[dict[str, Any] | None] | None,
    connection: Connection,
) -> dict[str, Any] | None:
    finished = connection.execute(_finish_statement(status, tuple(values)), {"job_id": job_id, **_prefixed(values)})
    if finished.rowcount == 1:
        return None if claim_next is None else claim_next(connection)
    current = connection.scalar(select(JOBS.c.status).where(JOBS.c.id == job_id))
    if current is None:
        raise JobNotFound(job_id)
    raise IllegalTransition(job_id, current, status.value)


@functools.cache
def _finish_statement(status: JobStatus, columns: tuple[str, ...]):
    """`UPDATE jobs SET <columns> WHERE id = :job_id AND <it may move to status>`, built once.

    Finishing is on every job's path; building the statement (and its cache key) each time
    would cost more than running it.
    """
    sources = [JOBS.c.status == s.value for s in JobStatus if s.can_move_to(status)]
    return (
        update(JOBS)
        .where(JOBS.c.id == bindparam("job_id"), or_(*sources))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )


def _prefixed(values: dict[str, Any]) -> dict[str, Any]:
    # An UPDATE's SET parameters cannot take the names of the table's columns.
    return {f"new_{column}": value for column, value in values.items()}


def _release(job_id: str, connection: Connection) -> bool:
    released = connection.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.status == RUNNING)
        .values(status=PENDING, worker_id=None, started_at=None, lease_expires_at=None)
    )
    return released.rowcount == 1


def _mark_lost(reason: str, worker_id: str | None, stamp: int, connection: Connection) -> list[str]:
    query = select(JOBS.c.id, JOBS.c.started_at).where(JOBS.c.status == RUNNING).order_by(JOBS.c.seq)
    if worker_id is not None:
        query = query.where(JOBS.c.worker_id == worker_id)
    lost = []
    for job_id, started_at in connection.execute(query).all():
        marked = connection.execute(
            update(JOBS)
            .where(JOBS.c.id == job_id, JOBS.c.status == RUNNING)
            .values(
                status=LOST,
                finished_at=stamp,
                secrets=None,
                error={"reason": reason, "prompt_id": job_id},
                messages=[
                    ["execution_start", {"prompt_id": job_id, "timestamp": started_at or stamp}],
                    ["execution_error", _lost_message(job_id, reason, stamp)],
                ],
            )
        )
        if marked.rowcount == 1:
            lost.append(job_id)
    return lost


def _delete_pending(job_ids: list[str] | None, user_id: str | None, connection: Connection) -> list[str]:
    query = delete(JOBS).where(JOBS.c.status == PENDING)
    if job_ids is not None:
        query = query.where(JOBS.c.id.in_(job_ids))
    if user_id is not None:
        query = query.where(JOBS.c.user_id == user_id)
    return list(connection.scalars(query.returning(JOBS.c.id)))


def _lost_message(job_id: str, reason: str, stamp: int) -> dict[str, Any]:
    return {
        "prompt_id": job_id,
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
