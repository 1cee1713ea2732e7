"""`History` and its wire entry against a real SQLite file."""

from __future__ import annotations

import pytest
from job_factories import PROMPT, finished_job, running_job, saved_image, submission

from comfyd.jobs.history import entry, queue_item, wire_number
from comfyd.jobs.states import JobStatus

pytestmark = pytest.mark.anyio


async def finished(job_queue, count: int, **overrides) -> list[str]:
    return [(await finished_job(job_queue, prompt_id=f"h{i}", **overrides)).id for i in range(count)]


async def test_entry_of_a_completed_job_has_comfyuis_shape(job_queue):
    outputs = {"2": {"images": [saved_image("a.png", "temp")]}}
    messages = [["execution_start", {"prompt_id": "x"}], ["execution_success", {"prompt_id": "x"}]]
    meta = {"2": {"node_id": "2", "display_node": "2", "parent_node": None, "real_node_id": "2"}}
    job = await finished_job(
        job_queue, result={"outputs": outputs, "messages": messages, "meta": meta},
        extra_data={"client_id": "c"},
    )
    assert entry(job) == {
        "prompt": [0, job.id, PROMPT, {"client_id": "c"}, ["2"]],
        "outputs": outputs,
        "status": {"status_str": "success", "completed": True, "messages": messages},
        "meta": meta,
    }


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.LOST])
async def test_entry_of_a_job_that_did_not_complete_reads_error(job_queue, status):
    job = await finished_job(job_queue, status)
    assert entry(job)["status"] == {"status_str": "error", "completed": False, "messages": []}
    assert entry(job)["outputs"] == {} and entry(job)["meta"] == {}


async def test_queue_item_numbers_are_ints_unless_fractional(job_queue):
    whole = await job_queue.submit(submission(number=3))
    fraction = await job_queue.submit(submission(number=2.5))
    assert queue_item(whole)[0] == 3 and isinstance(queue_item(whole)[0], int)
    assert queue_item(fraction)[0] == 2.5
    assert wire_number(-0.0) == 0


async def test_page_lists_finished_jobs_oldest_first(job_queue, history):
    ids = await finished(job_queue, 4)
    await running_job(job_queue)
    await job_queue.submit(submission())
    assert [r.id for r in await history.page()] == ids
    assert await history.count() == 4


@pytest.mark.parametrize(
    ("max_items", "offset", "expected"),
    [
        pytest.param(2, -1, [3, 4], id="last-n"),
        pytest.param(10, -1, [0, 1, 2, 3, 4], id="last-n-more-than-all"),
        pytest.param(2, 1, [1, 2], id="offset-and-max"),
        pytest.param(None, 3, [3, 4], id="offset-only"),
        pytest.param(None, -1, [0, 1, 2, 3, 4], id="all"),
        pytest.param(0, -1, [], id="zero"),
        pytest.param(2, 9, [], id="offset-past-the-end"),
    ],
)
async def test_page_follows_comfyuis_max_items_and_offset(job_queue, history, max_items, offset, expected):
    ids = await finished(job_queue, 5)
    page = await history.page(max_items=max_items, offset=offset)
    assert [r.id for r in page] == [ids[i] for i in expected]


async def test_get_returns_only_finished_jobs_and_only_the_users_own(job_queue, history):
    done = await finished_job(job_queue, user_id="ada")
    running = await running_job(job_queue)
    assert (await history.get(done.id)).id == done.id
    assert (await history.get(done.id, user_id="ada")).id == done.id
    assert await history.get(done.id, user_id="bob") is None
    assert await history.get(running.id) is None
    assert await history.get("unknown") is None


async def test_delete_forgets_finished_jobs_but_never_queued_ones(job_queue, history):
    ada = await finished_job(job_queue, prompt_id="ada", user_id="ada")
    bob = await finished_job(job_queue, prompt_id="bob", user_id="bob")
    running = await running_job(job_queue)
    assert await history.delete([running.id, ada.id], user_id="bob") == []
    assert await history.delete([running.id, ada.id]) == [ada.id]
    assert await history.delete(None, user_id="ada") == []
    assert await history.delete(None) == [bob.id]
    assert await history.count() == 0
    assert (await job_queue.get(running.id)).status == "running"
