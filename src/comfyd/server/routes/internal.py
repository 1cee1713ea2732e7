"""`/internal/*`: the frontend's terminal panel and folder list. Mounted only at `/internal`.

ComfyUI documents these routes as private to its own frontend; comfyd keeps their shapes.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from comfyd.server.bodies import json_body
from comfyd.server.deps import Folders, Logs, require_admin_when_signed_in
from comfyd.server.errors import InvalidBody

router = APIRouter()
_ADMIN = [Depends(require_admin_when_signed_in)]


@router.get("/logs", dependencies=_ADMIN)
async def logs(log_buffer: Logs) -> str:
    """The recent log lines as one JSON string."""
    return log_buffer.text()


@router.get("/logs/raw", dependencies=_ADMIN)
async def raw_logs(log_buffer: Logs) -> dict:
    return {"entries": log_buffer.entries(), "size": log_buffer.terminal_size()}


@router.patch("/logs/subscribe", dependencies=_ADMIN)
async def subscribe_logs(request: Request, log_buffer: Logs) -> Response:
    """`{clientId, enabled}`: start or stop streaming `logs` messages to that `/ws` client."""
    body = await json_body(request)
    client_id, enabled = body.get("clientId"), body.get("enabled")
    if not isinstance(client_id, str) or not isinstance(enabled, bool):
        raise InvalidBody("Expected {\"clientId\": string, \"enabled\": boolean}.")
    log_buffer.subscribe(client_id, enabled)
    return Response(status_code=200)


@router.get("/folder_paths")
def folder_paths(folders: Folders) -> dict[str, list[str]]:
    """Every folder key with its search paths."""
    return {key: list(paths) for key, (paths, _extensions) in folders.folder_names_and_paths.items()}
