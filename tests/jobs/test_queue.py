"""`JobQueue` against a real SQLite file: numbering, group commits, claiming, finishing, recovery."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from job_factories import finished_job, running_job, submission

from comfyd.db.base import create_engine, session_factory
from comfyd.jobs.errors import IllegalTransition, JobNotFound, PromptIdConflict
from comfyd.jobs.queue import JobQueue
from comfyd.jobs.states import JobStatus

pytestmark = pytest.mark.anyio


def rows(database_path, columns: str = "id, status") -> list[tuple]:
    """Rows read with the stdlib driver, outside the queue's engine (what another process sees)."""
    with sqlite3.connect(database_path) as connection:
        return connection.execute(f"SELECT {columns} FROM jobs ORDER BY seq").fetchall()


async def test_submit_numbers_prompts_from_zero_in_submission_order(job_queue):
    numbers = [(await job_queue.submit(submission())).number for _ in range(3)]
    assert numbers == [0, 1, 2]


async def test_submit_with_front_takes_a_negative_number_that_is_claimed_first(job_queue):
    await job_queue.submit(submission(prompt_id="a"))
    await job_queue.submit(submission(prompt_id="b"))
    front = await job_queue.submit(submission(prompt_id="c", front=True))
    assert front.number == -2
    assert [j.id for j in await job_queue.pending()] == ["c", "a", "b"]
    assert (await job_queue.claim_next("w")).id == "c"


async def test_submit_with_an_explicit_number_keeps_it_and_leaves_the_counter_alone(job_queue):
    given = await job_queue.submit(submission(number=7.5))
    after = await job_queue.submit(submission())
    assert given.number == 7.5
    assert after.number == 0


async def test_submit_answers_only_once_the_row_is_committed(job_queue, database_path):
    record = await job_queue.submit(submission(prompt_id="durable"))
    assert rows(database_path) == [(record.id, "pending")]


async def test_concurrent_submits_are_all_stored_in_call_order(job_queue, database_path):
    items = [submission(prompt_id=f"p{i:03d}") for i in range(100)]
    records = await asyncio.gather(*(job_queue.submit(item) for item in items))
    assert [r.id for r in records] == [i.prompt_id for i in items]
    assert [r[0] for r in rows(database_path)] == [i.prompt_id for i in items]
    assert [r.number for r in records] == list(range(100))


async def test_a_duplicate_prompt_id_fails_alone_and_the_rest_of_its_group_is_stored(job_queue, database_path):
    await job_queue.submit(submission(prompt_id="taken"))
    results = await asyncio.gather(
        job_queue.submit(submission(prompt_id="before")),
        job_queue.submit(submission(prompt_id="taken")),
        job_queue.submit(submission(prompt_id="after")),
        return_exceptions=True,
    )
    assert isinstance(results[1], PromptIdConflict) and results[1].prompt_id == "taken"
    assert [r.id for r in (results[0], results[2])] == ["before", "after"]
    assert sorted(r[0] for r in rows(database_path)) == ["after", "before", "taken"]


async def test_the_same_prompt_id_twice_in_one_group_stores_it_once(job_queue, database_path):
    results = await asyncio.gather(
        job_queue.submit(submission(prompt_id="twin")),
        job_queue.submit(submission(prompt_id="twin")),
        return_exceptions=True,
    )
    assert sum(isinstance(r, PromptIdConflict) for r in results) == 1
    assert rows(database_path) == [("twin", "pending")]


async def test_start_continues_numbering_after_what_the_database_holds(job_queue, sessions):
    for _ in range(3):
        await job_queue.submit(submission())
    restarted = JobQueue(sessions)
    await restarted.start()
    later = await restarted.submit(submission())
    assert later.number == 3
    assert [j.id for j in await restarted.pending()][-1] == later.id


async def test_claim_next_takes_the_lowest_number_then_the_earliest_submission(job_queue):
    await job_queue.submit(submission(prompt_id="five-a", number=5))
    await job_queue.submit(submission(prompt_id="one", number=1))
    await job_queue.submit(submission(prompt_id="five-b", number=5))
    claimed = [(await job_queue.claim_next("w")).id for _ in range(3)]
    assert claimed == ["one", "five-a", "five-b"]
    assert await job_queue.claim_next("w") is None


async def test_claim_next_marks_the_job_running_for_its_worker(job_queue):
    await job_queue.submit(submission(prompt_id="job"))
    claimed = await job_queue.claim_next("worker-7", lease_seconds=30)
    assert claimed.status == JobStatus.RUNNING.value
    assert claimed.worker_id == "worker-7"
    assert claimed.started_at is not None and claimed.lease_expires_at is not None


async def test_two_queues_on_one_file_never_claim_the_same_job(job_queue, database_path):
    for i in range(30):
        await job_queue.submit(submission(prompt_id=f"j{i}"))
    other_engine = create_engine(f"sqlite+aiosqlite:///{database_path}")
    other = JobQueue(session_factory(other_engine))

    async def drain(queue: JobQueue, worker_id: str) -> list[str]:
        claimed = []
        while (job := await queue.claim_next(worker_id)) is not None:
            claimed.append(job.id)
        return claimed

    try:
        first, second = await asyncio.gather(drain(job_queue, "a"), drain(other, "b"))
    finally:
        await other_engine.dispose()
    assert sorted(first + second) == sorted(f"j{i}" for i in range(30))
    assert not set(first) & set(second)


async def test_finish_records_the_outcome_and_wipes_the_secrets(job_queue):
    job = await running_job(job_queue, secrets={"api_key_comfy_org": "secret"})
    assert job.secrets == {"api_key_comfy_org": "secret"}
    await job_queue.finish(job.id, JobStatus.COMPLETED, outputs={"2": {"images": []}}, messages=[["execution_success", {}]])
    done = await job_queue.get(job.id)
    assert done.status == "completed" and done.finished_at >= done.started_at
    assert done.outputs == {"2": {"images": []}} and done.messages == [["execution_success", {}]]
    assert done.secrets is None and done.lease_expires_at is None


async def test_finish_can_claim_the_workers_next_job_in_the_same_step(job_queue, database_path):
    job = await running_job(job_queue, prompt_id="first", worker_id="w")
    await job_queue.submit(submission(prompt_id="later", number=9))
    await job_queue.submit(submission(prompt_id="sooner", number=1))
    following = await job_queue.finish(job.id, JobStatus.COMPLETED, claim_next_for="w")
    assert following.id == "sooner" and following.status == "running" and following.worker_id == "w"
    assert rows(database_path) == [("first", "completed"), ("later", "pending"), ("sooner", "running")]
    assert await job_queue.finish("sooner", JobStatus.COMPLETED) is None


async def test_release_gives_a_claimed_job_back_to_the_queue(job_queue):
    job = await running_job(job_queue, prompt_id="job")
    await job_queue.release(job.id)
    again = await job_queue.claim_next("other")
    assert again.id == "job" and again.worker_id == "other"


async def test_a_waiting_claim_takes_a_job_queued_meanwhile(job_queue):
    wake = asyncio.Event()
    waiting = asyncio.create_task(job_queue.claim_next("w", wait=30, wake=wake))
    await asyncio.sleep(0.05)
    record = await job_queue.submit(submission(prompt_id="new"))
    claimed = await asyncio.wait_for(waiting, 5)
    assert claimed.id == record.id and claimed.status == "running"
    assert await job_queue.remaining() == 1


async def test_a_waiting_claim_ends_with_none_when_woken(job_queue):
    wake = asyncio.Event()
    waiting = asyncio.create_task(job_queue.claim_next("w", wait=30, wake=wake))
    await asyncio.sleep(0.05)
    wake.set()
    assert await asyncio.wait_for(waiting, 5) is None
    record = await job_queue.submit(submission())
    assert (await job_queue.get(record.id)).status == "pending"


async def test_finish_refuses_a_move_the_lifecycle_does_not_allow(job_queue):
    done = await finished_job(job_queue)
    with pytest.raises(IllegalTransition, match="from completed to failed"):
        await job_queue.finish(done.id, JobStatus.FAILED)
    record = await job_queue.submit(submission())
    with pytest.raises(IllegalTransition, match="from pending to completed"):
        await job_queue.finish(record.id, JobStatus.COMPLETED)
    assert (await job_queue.get(record.id)).status == "pending"


async def test_finish_of_an_unknown_job_raises_job_not_found(job_queue):
    with pytest.raises(JobNotFound):
        await job_queue.finish("nope", JobStatus.COMPLETED)


async def test_recover_lost_marks_running_jobs_lost_with_the_reason_and_leaves_pending_ones(job_queue):
    running = await running_job(job_queue, secrets={"auth_token_comfy_org": "t"})
    waiting = await job_queue.submit(submission())
    assert await job_queue.recover_lost("the server died") == [running.id]
    lost = await job_queue.get(running.id)
    assert lost.status == "lost" and lost.secrets is None and lost.finished_at is not None
    assert [kind for kind, _ in lost.messages] == ["execution_start", "execution_error"]
    error = lost.messages[-1][1]
    assert error["exception_message"] == "the server died" and error["prompt_id"] == running.id
    assert (await job_queue.get(waiting.id)).status == "pending"


async def test_recover_lost_for_one_worker_leaves_other_workers_jobs_running(job_queue):
    mine = await running_job(job_queue, worker_id="dead")
    theirs = await running_job(job_queue, worker_id="alive")
    assert await job_queue.recover_lost("lease expired", worker_id="dead") == [mine.id]
    assert (await job_queue.get(theirs.id)).status == "running"


async def test_pending_and_running_are_listed_in_claim_order_and_by_user(job_queue):
    await job_queue.submit(submission(prompt_id="ada-1", user_id="ada"))
    await job_queue.submit(submission(prompt_id="bob-1", user_id="bob"))
    await job_queue.submit(submission(prompt_id="ada-0", user_id="ada", front=True))
    assert [j.id for j in await job_queue.pending()] == ["ada-0", "ada-1", "bob-1"]
    assert [j.id for j in await job_queue.pending("bob")] == ["bob-1"]
    await job_queue.claim_next("w")
    assert [j.id for j in await job_queue.running("ada")] == ["ada-0"]
    assert await job_queue.running("bob") == []


async def test_remaining_counts_pending_and_running_jobs(job_queue):
    await finished_job(job_queue)
    await running_job(job_queue)
    await job_queue.submit(submission())
    assert await job_queue.remaining() == 2


async def test_delete_pending_removes_only_pending_jobs(job_queue):
    running = await running_job(job_queue, prompt_id="running")
    await job_queue.submit(submission(prompt_id="a", user_id="ada"))
    await job_queue.submit(submission(prompt_id="b", user_id="bob"))
    await job_queue.submit(submission(prompt_id="c", user_id="bob"))
    assert await job_queue.delete_pending(["a", running.id, "unknown"]) == ["a"]
    assert await job_queue.delete_pending(None, "ada") == []
    assert await job_queue.delete_pending(["b"], "ada") == []
    assert sorted(await job_queue.delete_pending(None)) == ["b", "c"]
    assert (await job_queue.get(running.id)).status == "running"
