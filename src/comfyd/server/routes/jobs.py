"""The Jobs API (`/jobs`), which the current frontend reads for its queue and history panels."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from comfyd.jobs.errors import JobNotFound
from comfyd.jobs.listing import SORT_KEYS, job
from comfyd.jobs.states import JobStatus, statuses_for_wire
from comfyd.server.bodies import json_body
from comfyd.server.deps import Listing, Owner, Queue, ServicesDep
from comfyd.server.schemas import Job, JobCancelled, JobPage, documented

router = APIRouter()

WIRE_STATUSES = ("pending", "in_progress", "completed", "failed", "cancelled")


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


@router.get("/jobs", **documented(JobPage))
async def list_jobs(request: Request, listing: Listing, owner: Owner):
    query = request.query_params
    names = [s for s in (query.get("status") or ",".join(WIRE_STATUSES)).split(",") if s]
    if any(name not in WIRE_STATUSES for name in names):
        return _bad(f"status must be a comma-separated list of {', '.join(WIRE_STATUSES)}")
    sort_by = query.get("sort_by", "created_at")
    sort_order = query.get("sort_order", "desc")
    if sort_by not in SORT_KEYS or sort_order not in ("asc", "desc"):
        return _bad("sort_by must be created_at or execution_duration; sort_order asc or desc")
    try:
        limit = int(query["limit"]) if "limit" in query else None
        offset = int(query.get("offset", 0))
    except ValueError:
        return _bad("limit and offset must be integers")
    if (limit is not None and limit < 0) or offset < 0:
        return _bad("limit and offset must not be negative")
    records, total = await listing.list(
        statuses=statuses_for_wire(names),
        sort_by=sort_by,
        sort_order=sort_order,
        limit=limit,
        offset=offset,
        workflow_id=query.get("workflow_id"),
        user_id=owner,
    )
    return {
        "jobs": [job(r) for r in records],
        "pagination": {
            "offset": offset,
            "limit": limit if limit is not None else total,
            "total": total,
            "has_more": offset + len(records) < total,
        },
    }


@router.get("/jobs/{job_id}", **documented(Job))
async def get_job(job_id: str, listing: Listing, owner: Owner) -> dict:
    record = await listing.get(job_id, user_id=owner)
    if record is None:
        raise JobNotFound(job_id)
    return job(record, detail=True)


async def _cancel(job_id: str, listing: Listing, queue: Queue, services: ServicesDep, owner: str | None) -> bool:
    record = await listing.get(job_id, user_id=owner)
    if record is None:
        return False
    if record.status == JobStatus.PENDING.value:
        return bool(await queue.delete_pending([job_id], owner))
    if record.status == JobStatus.RUNNING.value:
        return services.interrupt(job_id, owner=owner)
    return False


@router.post("/jobs/{job_id}/cancel", **documented(JobCancelled))
async def cancel_job(job_id: str, listing: Listing, queue: Queue, services: ServicesDep, owner: Owner) -> dict:
    cancelled = await _cancel(job_id, listing, queue, services, owner)
    await services.broadcast_status()
    return {"cancelled": cancelled}


@router.post("/jobs/cancel")
async def cancel_jobs(request: Request, listing: Listing, queue: Queue, services: ServicesDep, owner: Owner):
    body = await json_body(request)
    ids = body.get("job_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        return JSONResponse({"error": "job_ids must be a list of job ids", "invalid_ids": ids}, status_code=400)
    results = [await _cancel(i, listing, queue, services, owner) for i in ids]
    await services.broadcast_status()
    return {"cancelled": any(results)}
