"""`/ws`: the event stream."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from comfyd.platform.auth.dependencies import ComfyIdentity

router = APIRouter()


@router.websocket("/ws")
async def events(websocket: WebSocket, identity: ComfyIdentity) -> None:
    """With sign-in required the handshake must carry credentials (headers, or `?token=` as
    browsers send them; refused with 1008), and the socket only hears its workspace's events."""
    hub = websocket.app.state.services.hub
    query = websocket.query_params
    scope = identity.workspace_id if identity is not None else None
    await hub.serve(websocket, query.get("clientId") or None, resume=query.get("resume"), scope=scope)
