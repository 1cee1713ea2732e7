"""`SQLiteWriter` and `writer_for`: group commits, waiting work, one writer per file per process."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import Connection, event, text

from comfyd.db.base import create_engine, create_sqlite_writer_engine
from comfyd.jobs.writer import EngineWriter, SQLiteWriter, writer_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'writer.db'}"


@pytest.fixture
def writer(url):
    engine = create_sqlite_writer_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE items (name TEXT PRIMARY KEY)")
    writer = SQLiteWriter(engine)
    yield writer
    writer.close()


def insert(name: str):
    def work(connection: Connection) -> str:
        connection.execute(text("INSERT INTO items VALUES (:name)"), {"name": name})
        return name

    return work


def take(prefix: str):
    """Work that finds (and deletes) an item named `prefix...`, or returns None."""

    def work(connection: Connection) -> str | None:
        found = connection.execute(text("SELECT name FROM items WHERE name LIKE :p"), {"p": f"{prefix}%"}).scalar()
        if found is not None:
            connection.execute(text("DELETE FROM items WHERE name = :name"), {"name": found})
        return found

    return work


def names(writer: SQLiteWriter):
    return writer.run(lambda connection: sorted(connection.execute(text("SELECT name FROM items")).scalars()))


async def test_work_queued_together_shares_one_transaction(writer):
    commits: list[int] = []
    event.listen(writer._engine, "commit", lambda _connection: commits.append(1))
    await asyncio.gather(*(writer.run(insert(f"item-{i}")) for i in range(50)))
    assert len(await names(writer)) == 50
    assert len(commits) < 10  # the first piece alone, then the 49 that queued up behind it


async def test_a_failing_piece_fails_alone_and_the_rest_of_its_group_is_committed(writer):
    await writer.run(insert("taken"))
    results = await asyncio.gather(
        writer.run(insert("a")), writer.run(insert("taken")), writer.run(insert("b")), return_exceptions=True
    )
    assert results[0] == "a" and results[2] == "b" and isinstance(results[1], Exception)
    assert await names(writer) == ["a", "b", "taken"]


async def test_waiting_work_runs_again_in_the_transaction_of_later_work(writer):
    wake = asyncio.Event()
    waiting = asyncio.create_task(writer.run_until_found(take("job"), wake=wake, timeout=30))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await writer.run(insert("other"))
    assert not waiting.done()
    await writer.run(insert("job-1"))
    assert await asyncio.wait_for(waiting, 5) == "job-1"
    assert await names(writer) == ["other"]  # taken in the same transaction that stored it


async def test_waiting_work_ends_with_none_at_its_timeout_or_wake_up(writer):
    assert await writer.run_until_found(take("job"), wake=asyncio.Event(), timeout=0.05) is None
    wake = asyncio.Event()
    waiting = asyncio.create_task(writer.run_until_found(take("job"), wake=wake, timeout=30))
    await asyncio.sleep(0.05)
    wake.set()
    assert await asyncio.wait_for(waiting, 5) is None
    await writer.run(insert("job-late"))
    assert await names(writer) == ["job-late"]  # withdrawn: it no longer takes anything


async def test_results_reach_each_callers_own_event_loop(writer):
    from_thread: list[str] = []

    def other_loop() -> None:
        from_thread.append(asyncio.run(writer.run(insert("from-thread"))))

    thread = threading.Thread(target=other_loop)
    thread.start()
    assert await writer.run(insert("from-here")) == "from-here"
    await asyncio.to_thread(thread.join)
    assert from_thread == ["from-thread"]


async def test_engines_on_one_file_share_a_writer_until_the_last_is_disposed(url, tmp_path):
    first, second = create_engine(url), create_engine(url)
    other_file = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    shared = writer_for(first)
    assert writer_for(second) is shared and writer_for(first) is shared
    assert writer_for(other_file) is not shared
    await first.dispose()
    assert shared._thread.is_alive()
    await second.dispose()
    await other_file.dispose()
    assert not shared._thread.is_alive()


async def test_databases_other_than_sqlite_files_use_the_async_engine():
    memory = create_engine("sqlite+aiosqlite:///:memory:")
    assert isinstance(writer_for(memory), EngineWriter)
    await memory.dispose()
