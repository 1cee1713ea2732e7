"""The Jobs API view (`job()`, `JobListing`) against a real SQLite file."""

from __future__ import annotations

import pytest
from job_factories import PROMPT, finished_job, running_job, saved_image, submission

from comfyd.jobs.listing import job
from comfyd.jobs.states import JobStatus

pytestmark = pytest.mark.anyio

ALL = set(JobStatus)


def error_message(prompt_id: str) -> list:
    return ["execution_error", {"prompt_id": prompt_id, "node_id": "2", "exception_message": "boom"}]


async def test_completed_job_counts_outputs_and_previews_an_output_file_first(job_queue):
    outputs = {
        "2": {"images": [saved_image("t.png", "temp")], "text": ["hello"]},
        "3": {"images": [saved_image("o.png")], "animated": [False]},
    }
    record = await finished_job(job_queue, result={"outputs": outputs}, extra_data={"create_time": 123})
    data = job(record)
    assert data["status"] == "completed"
    assert data["outputs_count"] == 3 and data["previewable_outputs_count"] == 2
    assert data["preview_output"] == {**saved_image("o.png"), "nodeId": "3", "mediaType": "images"}
    assert data["create_time"] == 123 and data["priority"] == 0
    assert data["execution_start_time"] <= data["execution_end_time"]
    assert "execution_error" not in data and "workflow_id" not in data


async def test_queued_and_running_jobs_leave_out_what_they_do_not_have_yet(job_queue):
    running = job(await running_job(job_queue))
    pending = job(await job_queue.submit(submission()))
    assert running["status"] == "in_progress" and "execution_start_time" in running
    assert pending["status"] == "pending" and "execution_start_time" not in pending
    for data in (running, pending):
        assert not {"execution_end_time", "outputs_count", "preview_output", "execution_error"} & set(data)
        assert None not in data.values()


async def test_lost_job_reads_failed_with_its_error(job_queue):
    record = await running_job(job_queue)
    await job_queue.recover_lost("the server stopped")
    data = job(await job_queue.get(record.id))
    assert data["status"] == "failed"
    assert data["execution_error"]["exception_message"] == "the server stopped"


async def test_failed_job_with_an_interrupt_message_reads_cancelled(job_queue):
    interrupted = [["execution_interrupted", {"prompt_id": "x", "node_id": "2"}]]
    record = await finished_job(job_queue, JobStatus.FAILED, result={"messages": interrupted})
    assert job(record)["status"] == "cancelled" and "execution_error" not in job(record)


async def test_failed_job_carries_its_execution_error(job_queue):
    record = await finished_job(job_queue, JobStatus.FAILED, prompt_id="f", result={"messages": [error_message("f")]})
    assert job(record)["execution_error"] == error_message("f")[1]


async def test_detail_adds_the_workflow_and_for_finished_jobs_outputs_and_status(job_queue):
    extra = {"extra_pnginfo": {"workflow": {"id": "wf"}}}
    pending = job(await job_queue.submit(submission(extra_data=extra, workflow_id="wf")), detail=True)
    assert pending["workflow"] == {"prompt": PROMPT, "extra_data": extra} and pending["workflow_id"] == "wf"
    assert not {"outputs", "execution_status", "execution_meta"} & set(pending)
    await job_queue.delete_pending(None)
    done = job(await finished_job(job_queue, JobStatus.FAILED), detail=True)
    assert done["outputs"] == {} and done["execution_meta"] == {}
    assert done["execution_status"] == {"status_str": "error", "completed": False, "messages": []}


async def test_list_filters_by_status_and_counts_every_match(job_queue, listing):
    completed = [(await finished_job(job_queue)).id for _ in range(3)]
    failed = (await finished_job(job_queue, JobStatus.FAILED)).id
    running = (await running_job(job_queue)).id
    pending = (await job_queue.submit(submission())).id
    records, total = await listing.list(statuses={JobStatus.COMPLETED}, limit=2)
    assert total == 3 and len(records) == 2 and {r.id for r in records} <= set(completed)
    records, total = await listing.list(statuses={JobStatus.RUNNING, JobStatus.PENDING, JobStatus.FAILED})
    assert total == 3 and {r.id for r in records} == {failed, running, pending}


async def test_list_sorts_by_creation_time_either_way_and_pages(job_queue, listing):
    ids = [(await finished_job(job_queue, extra_data={"create_time": t})).id for t in (300, 100, 200)]
    newest_first, _ = await listing.list(statuses=ALL)
    assert [r.id for r in newest_first] == [ids[0], ids[2], ids[1]]
    oldest_first, total = await listing.list(statuses=ALL, sort_order="asc", limit=2, offset=1)
    assert [r.id for r in oldest_first] == [ids[2], ids[0]] and total == 3


async def test_list_sorts_by_execution_duration(job_queue, listing):
    ids = []
    for duration in (50, 500, 5):
        record = await running_job(job_queue)
        await job_queue.finish(record.id, JobStatus.COMPLETED, started_at=1000, finished_at=1000 + duration)
        ids.append(record.id)
    longest_first, _ = await listing.list(statuses=ALL, sort_by="execution_duration")
    assert [r.id for r in longest_first] == [ids[1], ids[0], ids[2]]


async def test_list_and_get_see_only_the_users_own_jobs_and_the_workflow_asked_for(job_queue, listing):
    ada = await finished_job(job_queue, user_id="ada", workflow_id="wf-1")
    bob = await finished_job(job_queue, user_id="bob", workflow_id="wf-2")
    records, total = await listing.list(statuses=ALL, user_id="ada")
    assert [r.id for r in records] == [ada.id] and total == 1
    records, _ = await listing.list(statuses=ALL, workflow_id="wf-2")
    assert [r.id for r in records] == [bob.id]
    assert (await listing.get(ada.id, user_id="ada")).id == ada.id
    assert await listing.get(ada.id, user_id="bob") is None
    assert (await listing.get(bob.id)).id == bob.id
    assert await listing.get("unknown") is None
