"""`/prompt`: queue a prompt, or read how many are waiting."""

from __future__ import annotations

from fastapi import APIRouter, Request

from comfyd.server.bodies import json_body
from comfyd.server.deps import JobOwner, Prompts, Queue, ServicesDep

router = APIRouter()


@router.get("/prompt")
async def queue_info(queue: Queue) -> dict:
    return {"exec_info": {"queue_remaining": await queue.remaining()}}


@router.post("/prompt")
async def queue_prompt(request: Request, prompts: Prompts, services: ServicesDep, owner: JobOwner) -> dict:
    body = await json_body(request)
    accepted = await prompts.submit(body, user_id=owner)
    await services.broadcast_status()
    return {"prompt_id": accepted.prompt_id, "number": accepted.number, "node_errors": accepted.node_errors}
