"""`/queue` and `/delete/{id}`: pending and running prompts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from comfyd.jobs.history import queue_item
from comfyd.server.bodies import json_body
from comfyd.server.deps import HistoryDep, Owner, Queue, ServicesDep
from comfyd.server.schemas import QueueState, documented

router = APIRouter()


@router.get("/queue", **documented(QueueState))
async def get_queue(queue: Queue, owner: Owner) -> dict:
    running = await queue.running(owner)
    pending = await queue.pending(owner)
    return {"queue_running": [queue_item(r) for r in running], "queue_pending": [queue_item(r) for r in pending]}


@router.post("/queue")
async def edit_queue(request: Request, queue: Queue, services: ServicesDep, owner: Owner) -> Response:
    body = await json_body(request)
    if body.get("clear"):
        await queue.delete_pending(None, owner)
    if isinstance(body.get("delete"), list):
        await queue.delete_pending([str(i) for i in body["delete"]], owner)
    await services.broadcast_status()
    return Response(status_code=200)


@router.delete("/delete/{prompt_id}")
async def delete_prompt(prompt_id: str, queue: Queue, history: HistoryDep, services: ServicesDep, owner: Owner):
    """Remove a queued prompt or a history entry (the seed's `DELETE /delete/{id}`)."""
    removed = await queue.delete_pending([prompt_id], owner) or await history.delete([prompt_id], user_id=owner)
    if not removed:
        return Response('{"error": "Prompt not found"}', status_code=404, media_type="application/json")
    await services.broadcast_status()
    return {"deleted": removed}
