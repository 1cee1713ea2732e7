"""`/interrupt` and `/free`: controlling the worker."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from comfyd.server.bodies import json_body
from comfyd.server.deps import Scope, ServicesDep

router = APIRouter()


@router.post("/interrupt")
async def interrupt(request: Request, services: ServicesDep, scope: Scope) -> Response:
    """Interrupt the running prompt; with `{"prompt_id"}`, only if that one is running. A
    signed-in caller interrupts only its own workspace's prompt."""
    body = await json_body(request, default={})
    prompt_id = body.get("prompt_id")
    owner = scope.owner if scope.signed_in else None
    services.interrupt(str(prompt_id) if prompt_id is not None else None, owner=owner)
    return Response(status_code=200)


@router.post("/free")
async def free(request: Request, services: ServicesDep) -> Response:
    body = await json_body(request, default={})
    if services.worker is not None:
        services.worker.free(
            unload_models=bool(body.get("unload_models")), free_memory=bool(body.get("free_memory"))
        )
    return Response(status_code=200)
