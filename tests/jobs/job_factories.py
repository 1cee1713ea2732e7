"""Factories for jobs: submissions, and jobs driven through the queue to a given state."""

from __future__ import annotations

import uuid
from typing import Any

from comfyd.db.models import JobRecord
from comfyd.jobs.queue import JobQueue, Submission
from comfyd.jobs.states import JobStatus

PROMPT = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
    "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
}


def submission(**overrides: Any) -> Submission:
    fields: dict[str, Any] = {
        "prompt_id": str(uuid.uuid4()),
        "prompt": PROMPT,
        "outputs_to_execute": ["2"],
        "extra_data": {},
    }
    fields.update(overrides)
    return Submission(**fields)


async def running_job(queue: JobQueue, worker_id: str = "worker-test", **overrides: Any) -> JobRecord:
    """A job submitted and claimed (the queue must hold no other pending job)."""
    record = await queue.submit(submission(**overrides))
    claimed = await queue.claim_next(worker_id)
    assert claimed is not None and claimed.id == record.id, "another job was pending"
    return claimed


async def finished_job(queue: JobQueue, status: JobStatus = JobStatus.COMPLETED, *, result: dict | None = None,
                       **overrides: Any) -> JobRecord:
    """A job run to `status`, with `result` (outputs, messages, meta, error) as its history fields."""
    record = await running_job(queue, **overrides)
    await queue.finish(record.id, status, **(result or {}))
    finished = await queue.get(record.id)
    assert finished is not None
    return finished


def saved_image(filename: str, kind: str = "output") -> dict:
    return {"filename": filename, "subfolder": "", "type": kind}
