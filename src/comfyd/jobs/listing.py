"""The Jobs API view of jobs (`GET /jobs`, `GET /jobs/{id}`), as the current frontend reads it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from comfyd.db.models import JobRecord
from comfyd.jobs.states import JobStatus

PREVIEWABLE = {"images", "video", "audio", "gifs", "animated_images"}
SORT_KEYS = ("created_at", "execution_duration")


def _summary_of_outputs(outputs: dict[str, Any]) -> tuple[int, int, dict[str, Any] | None]:
    """Count output items and pick the preview the frontend shows (an `output` file first)."""
    count = previewable = 0
    preview = fallback = None
    for node_id, node_outputs in outputs.items():
        if not isinstance(node_outputs, dict):
            continue
        for media_type, items in node_outputs.items():
            if media_type == "animated" or not isinstance(items, list):
                continue
            for item in items:
                count += 1
                if media_type not in PREVIEWABLE or not isinstance(item, dict):
                    continue
                previewable += 1
                enriched = {**item, "nodeId": node_id, "mediaType": media_type}
                if preview is None and item.get("type") == "output":
                    preview = enriched
                elif fallback is None:
                    fallback = enriched
    return count, previewable, preview or fallback


def _message(record: JobRecord, kind: str) -> dict[str, Any] | None:
    for name, data in record.messages or []:
        if name == kind:
            return data
    return None


def job(record: JobRecord, *, detail: bool = False) -> dict[str, Any]:
    """One job object; keys with no value are left out, as in ComfyUI."""
    status = JobStatus(record.status)
    wire_status = status.wire
    if status is JobStatus.FAILED and _message(record, "execution_interrupted") is not None:
        wire_status = "cancelled"
    count, previewable, preview = _summary_of_outputs(record.outputs or {})
    data: dict[str, Any] = {
        "id": record.id,
        "status": wire_status,
        "priority": int(record.number) if float(record.number).is_integer() else record.number,
        "create_time": record.created_at,
        "execution_start_time": record.started_at,
        "execution_end_time": record.finished_at if status.is_terminal and record.started_at else None,
        "execution_error": _message(record, "execution_error") if wire_status == "failed" else None,
        "outputs_count": count if status.is_terminal else None,
        "previewable_outputs_count": previewable if status.is_terminal else None,
        "preview_output": preview,
        "workflow_id": record.workflow_id,
    }
    data = {k: v for k, v in data.items() if v is not None}
    if detail:
        data["workflow"] = {"prompt": record.prompt, "extra_data": record.extra_data}
        if status.is_terminal:
            data["outputs"] = record.outputs or {}
            data["execution_status"] = {
                "status_str": "success" if status is JobStatus.COMPLETED else "error",
                "completed": status is JobStatus.COMPLETED,
                "messages": record.messages or [],
            }
            data["execution_meta"] = record.meta or {}
    return data


class JobListing:
    """Filtered, sorted, paged job queries."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def list(
        self,
        *,
        statuses: Iterable[JobStatus],
        sort_by: str = "created_at",
        sort_order: str = "desc",
        limit: int | None = None,
        offset: int = 0,
        workflow_id: str | None = None,
        user_id: str | None = None,
    ) -> tuple[list[JobRecord], int]:
        """Jobs in any of `statuses`, and how many match in all."""
        query = select(JobRecord).where(JobRecord.status.in_([s.value for s in statuses]))
        if workflow_id is not None:
            query = query.where(JobRecord.workflow_id == workflow_id)
        if user_id is not None:
            query = query.where(JobRecord.user_id == user_id)
        key = JobRecord.created_at if sort_by == "created_at" else (
            func.coalesce(JobRecord.finished_at, 0) - func.coalesce(JobRecord.started_at, 0)
        )
        ordered = query.order_by(key.desc() if sort_order == "desc" else key.asc(), JobRecord.seq.desc()
                                 if sort_order == "desc" else JobRecord.seq.asc())
        if offset:
            ordered = ordered.offset(offset)
        if limit is not None:
            ordered = ordered.limit(limit)
        async with self.sessions() as session:
            total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            return list((await session.scalars(ordered)).all()), total

    async def get(self, job_id: str, *, user_id: str | None = None) -> JobRecord | None:
        async with self.sessions() as session:
            record = await session.get(JobRecord, job_id)
        if record is None or (user_id is not None and record.user_id != user_id):
            return None
        return record
