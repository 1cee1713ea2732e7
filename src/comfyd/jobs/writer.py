"""Where the jobs table is written: one SQLite connection on a thread of its own, or the async engine.

A write is a function of a synchronous SQLAlchemy `Connection` (Core statements, no ORM) that a
`Writer` runs in a transaction; `await writer.run(work)` returns once it is committed.

On SQLite, the async stack costs about a millisecond per transaction (a thread hop and a greenlet
switch per statement), and two connections of one process that want the write lock at once wait
in SQLite's busy handler, which sleeps a millisecond or more. So every jobs-table write of a
process goes to one `SQLiteWriter` per database file: a thread with a plain connection that
commits whatever work queued up while it was busy in one transaction (a group commit).
Other databases run the same functions through the async engine (`EngineWriter`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any, Protocol, TypeVar

from sqlalchemy import URL, Connection, Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

from comfyd.db.base import create_sqlite_writer_engine

logger = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Connection], T]


class Writer(Protocol):
    async def run(self, work: Work[T]) -> T:
        """Run `work` in a transaction and return its result once the transaction is committed.

        What `work` raises is raised here, and its transaction is rolled back. `work` may be run
        more than once (see `SQLiteWriter`), so it must do nothing but database work.
        """

    async def run_until_found(self, work: Work[T | None], *, wake: asyncio.Event, timeout: float) -> T | None:
        """Like `run`, but while `work` returns None, wait for it to find something.

        Returns what `work` found, or None once `timeout` seconds pass or `wake` is set. How
        eagerly it looks again is the writer's affair; the caller should simply call again.
        """


@dataclass(eq=False)
class _Task:
    future: asyncio.Future
    work: Work
    until_found: bool = False


@dataclass(eq=False)
class _Withdraw:
    """Stop re-running a waiting task: settle it with None, unless it found something meanwhile."""

    future: asyncio.Future


Outcome = tuple[_Task, Any, BaseException | None]  # a task, and its result or exception


class SQLiteWriter:
    """A thread that owns one SQLite connection and runs the work handed to it, in order.

    Work that arrives while a transaction is being committed waits, and then the whole group
    shares the next transaction: bulk submissions cost one WAL append per group. If anything in
    a group raises, the group is rolled back and each piece is run again alone, so only the
    culprit fails. Results are delivered to the awaiting task's own event loop, so one writer
    serves the server's loop and the worker's at once.

    Work waiting to find something (`run_until_found`: a worker's claim on an empty queue) joins
    every later group, after the group's own work. A prompt queued in this process is therefore
    claimed in the very transaction that stores it, and the worker hears of it from this thread
    directly: no wake-up, no second transaction.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._inbox: SimpleQueue[_Task | _Withdraw | None] = SimpleQueue()
        self._waiting: list[_Task] = []  # touched by the writer thread only
        self._thread = threading.Thread(target=self._serve, name="comfyd-sqlite-writer", daemon=True)
        self._thread.start()

    async def run(self, work: Work[T]) -> T:
        future = asyncio.get_running_loop().create_future()
        self._inbox.put(_Task(future, work))
        return await future

    async def run_until_found(self, work: Work[T | None], *, wake: asyncio.Event, timeout: float) -> T | None:
        future = asyncio.get_running_loop().create_future()
        self._inbox.put(_Task(future, work, until_found=True))
        woken = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait([future, woken], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            if not future.done():
                # Never just drop the future: what the task finds (a claimed job) must reach us.
                self._inbox.put(_Withdraw(future))
        return await future

    def close(self) -> None:
        """Finish the work already handed in, then close the connection and end the thread."""
        self._inbox.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def _serve(self) -> None:
        with self._engine.connect() as connection:
            while (items := self._next_items()) is not None:
                self._handle(connection, items)
            _deliver([(task, None, None) for task in self._waiting])
        self._engine.dispose()

    def _next_items(self) -> list[_Task | _Withdraw] | None:
        """The oldest item of the inbox and everything queued behind it (None once closed)."""
        items: list[_Task | _Withdraw] = []
        item = self._inbox.get()
        while item is not None:
            items.append(item)
            try:
                item = self._inbox.get_nowait()
            except Empty:
                return items
        # Closing: handle what came before the sentinel, and stop after it.
        if items:
            self._inbox.put(None)
            return items
        return None

    def _handle(self, connection: Connection, items: list[_Task | _Withdraw]) -> None:
        withdrawn = {item.future for item in items if isinstance(item, _Withdraw)}
        fresh = [item for item in items if isinstance(item, _Task)]
        still_waiting = [task for task in self._waiting if task.future not in withdrawn]
        settled: list[Outcome] = [(task, None, None) for task in self._waiting if task.future in withdrawn]
        self._waiting = []
        if fresh:
            # The waiting tasks go last, so that they see what the fresh work stores.
            for task, result, error in self._commit(connection, fresh + still_waiting):
                if result is None and error is None and task.until_found and task.future not in withdrawn:
                    self._waiting.append(task)
                else:
                    settled.append((task, result, error))
        else:
            self._waiting = still_waiting
        _deliver(settled)

    def _commit(self, connection: Connection, group: list[_Task]) -> list[Outcome]:
        """Run `group` in one transaction; if that fails, each task in a transaction of its own."""
        try:
            with connection.begin():
                results = [task.work(connection) for task in group]
        except Exception as exc:
            if len(group) == 1:
                return [(group[0], None, exc)]
            return [outcome for task in group for outcome in self._commit(connection, [task])]
        return list(zip(group, results, [None] * len(group)))


class EngineWriter:
    """Runs work through the async engine, on the caller's event loop (PostgreSQL and the rest).

    A waiting task looks once, then waits for its wake-up or timeout: the caller looks again.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, work: Work[T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(work)

    async def run_until_found(self, work: Work[T | None], *, wake: asyncio.Event, timeout: float) -> T | None:
        found = await self.run(work)
        if found is None:
            try:
                await asyncio.wait_for(wake.wait(), timeout)
            except TimeoutError:
                pass
        return found


def _deliver(outcomes: list[Outcome]) -> None:
    """Settle the tasks' futures, with one wake-up of each event loop that waits on them."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].future.get_loop(), []).append(outcome)
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:  # the loop is closed: nobody is left to tell
            logger.debug("Dropped %d write result(s): their event loop is closed", len(settled))


def _settle(outcomes: list[Outcome]) -> None:
    for task, result, exception in outcomes:
        if task.future.done():  # the caller stopped waiting (cancelled); the work stands regardless
            continue
        if exception is not None:
            task.future.set_exception(exception)
        else:
            task.future.set_result(result)


# -- one writer per SQLite file per process -------------------------------------------------------

_lock = threading.Lock()
_shared: dict[str, tuple[SQLiteWriter, int]] = {}  # file -> (writer, engines using it)
_by_engine: weakref.WeakKeyDictionary[Engine, Writer] = weakref.WeakKeyDictionary()


def writer_for(engine: AsyncEngine) -> Writer:
    """The writer for `engine`'s database, shared by every engine of this process on the same
    SQLite file (the server's and the worker's), until the engine is disposed."""
    sync_engine = engine.sync_engine
    with _lock:
        writer = _by_engine.get(sync_engine)
        if writer is not None:
            return writer
        path = _sqlite_file(engine)
        if path is None:
            writer = EngineWriter(engine)
        else:
            writer = _acquire(path, engine.url)
            event.listen(sync_engine, "engine_disposed", lambda _: _release_engine(sync_engine, path), once=True)
        _by_engine[sync_engine] = writer
        return writer


def _sqlite_file(engine: AsyncEngine) -> str | None:
    """The database file's real path, for a file-backed SQLite engine (None otherwise)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return os.path.realpath(url.database)


def _acquire(path: str, url: URL) -> SQLiteWriter:
    writer, users = _shared.get(path) or (None, 0)
    if writer is None:
        writer = SQLiteWriter(create_sqlite_writer_engine(url))
    _shared[path] = (writer, users + 1)
    return writer


def _release_engine(sync_engine: Engine, path: str) -> None:
    with _lock:
        if _by_engine.pop(sync_engine, None) is None:
            return
        writer, users = _shared[path]
        if users > 1:
            _shared[path] = (writer, users - 1)
            return
        del _shared[path]
    writer.close()
