"""`/ws`: the event stream."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

router = APIRouter()


@router.websocket("/ws")
async def events(websocket: WebSocket) -> None:
    hub = websocket.app.state.services.hub
    await hub.serve(websocket, websocket.query_params.get("clientId") or None)
