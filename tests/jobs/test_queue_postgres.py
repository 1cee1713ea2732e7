"""`JobQueue` against the local PostgreSQL (database `test`): the same rules as on SQLite, with
concurrent workers claiming through `FOR UPDATE SKIP LOCKED`.

Each test gets a schema of its own, migrated from scratch and dropped afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from job_factories import running_job, submission
from sqlalchemy.ext.asyncio import AsyncEngine

from comfyd.db.base import session_factory
from comfyd.db.migrate import upgrade
from comfyd.jobs.errors import IllegalTransition, PromptIdConflict
from comfyd.jobs.queue import JobQueue
from comfyd.jobs.states import JobStatus
from migrating import postgres_schema, schema_engine

pytestmark = [
    pytest.mark.anyio,
]

JOBS_REVISION = "0001"  # the migration that creates the jobs table; the queue needs nothing else


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    async with postgres_schema("jobs", skipped="the PostgreSQL queue tests") as name:
        migrating = schema_engine(name)
        await upgrade(migrating, revision=JOBS_REVISION)
        await migrating.dispose()
        yield name


@pytest.fixture
async def engine(schema: str) -> AsyncIterator[AsyncEngine]:
    engine = schema_engine(schema)
    yield engine
    await engine.dispose()


@pytest.fixture
async def pg_queue(engine: AsyncEngine) -> JobQueue:
    queue = JobQueue(session_factory(engine))
    await queue.start()
    return queue


async def test_claims_follow_number_then_submission_order(pg_queue):
    await pg_queue.submit(submission(prompt_id="five-a", number=5))
    await pg_queue.submit(submission(prompt_id="one", number=1))
    await pg_queue.submit(submission(prompt_id="five-b", number=5))
    claimed = [await pg_queue.claim_next("w") for _ in range(3)]
    assert [job.id for job in claimed] == ["one", "five-a", "five-b"]
    assert claimed[0].prompt == submission().prompt and claimed[0].status == "running"
    assert await pg_queue.claim_next("w") is None


async def test_a_duplicate_prompt_id_fails_alone(pg_queue):
    await pg_queue.submit(submission(prompt_id="taken"))
    results = await asyncio.gather(
        pg_queue.submit(submission(prompt_id="before")),
        pg_queue.submit(submission(prompt_id="taken")),
        pg_queue.submit(submission(prompt_id="after")),
        return_exceptions=True,
    )
    assert isinstance(results[1], PromptIdConflict)
    assert sorted(job.id for job in await pg_queue.pending()) == ["after", "before", "taken"]


async def test_finish_records_the_outcome_and_guards_the_lifecycle(pg_queue):
    job = await running_job(pg_queue, secrets={"api_key_comfy_org": "secret"})
    await pg_queue.finish(job.id, JobStatus.COMPLETED, outputs={"2": {"images": []}}, messages=[["execution_success", {}]])
    done = await pg_queue.get(job.id)
    assert done.status == "completed" and done.outputs == {"2": {"images": []}} and done.secrets is None
    with pytest.raises(IllegalTransition, match="from completed to failed"):
        await pg_queue.finish(job.id, JobStatus.FAILED)


async def test_recover_lost_and_delete_pending(pg_queue):
    running = await running_job(pg_queue)
    waiting = await pg_queue.submit(submission())
    assert await pg_queue.recover_lost("the server died") == [running.id]
    assert (await pg_queue.get(running.id)).messages[-1][1]["exception_message"] == "the server died"
    assert await pg_queue.delete_pending(None) == [waiting.id]


async def test_concurrent_workers_skip_each_others_locked_rows(pg_queue, schema):
    for i in range(40):
        await pg_queue.submit(submission(prompt_id=f"j{i:02d}"))
    engines = [schema_engine(schema) for _ in range(3)]
    queues = [JobQueue(session_factory(engine)) for engine in engines]

    async def drain(queue: JobQueue, worker_id: str) -> list[str]:
        claimed = []
        while (job := await queue.claim_next(worker_id)) is not None:
            claimed.append(job.id)
        return claimed

    try:
        batches = await asyncio.gather(*(drain(queue, f"w{i}") for i, queue in enumerate(queues)))
    finally:
        for engine in engines:
            await engine.dispose()
    claimed = [job_id for batch in batches for job_id in batch]
    assert sorted(claimed) == [f"j{i:02d}" for i in range(40)]  # each job exactly once


async def test_a_waiting_claim_returns_at_its_wake_up_and_the_next_claim_finds_the_job(pg_queue):
    wake = asyncio.Event()
    waiting = asyncio.create_task(pg_queue.claim_next("w", wait=30, wake=wake))
    await asyncio.sleep(0.05)
    record = await pg_queue.submit(submission())
    wake.set()
    assert await asyncio.wait_for(waiting, 5) is None  # it looked before the job was there
    assert (await pg_queue.claim_next("w")).id == record.id
