"""Fakes for the in-process `WebSocketHub` tests: a socket with just enough of Starlette's
`WebSocket` for the hub, and a poll for the moment a condition on it holds.

    socket = FakeSocket()
    task = asyncio.create_task(hub.serve(socket, "c"))
    await settle(lambda: socket.sent, "the greeting")
    socket.leave()          # the client disconnects
    await task
"""

from __future__ import annotations

import asyncio
import json

from starlette.websockets import WebSocketDisconnect


class FakeSocket:
    """Enough of Starlette's WebSocket for the hub: `sent` holds the decoded messages, and
    `leave()` makes the client disconnect."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.incoming: asyncio.Queue = asyncio.Queue()

    async def accept(self) -> None:
        pass

    async def receive_text(self) -> str:
        text = await self.incoming.get()
        if text is None:
            raise WebSocketDisconnect(1000)
        return text

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append({"type": "binary"})

    async def close(self, code: int = 1000) -> None:
        self.leave()

    def leave(self) -> None:
        self.incoming.put_nowait(None)

    def progress_values(self) -> list[float]:
        return [m["data"]["value"] for m in self.sent if m["type"] == "progress"]

    def progress_seqs(self) -> list[str]:
        return [m["seq"] for m in self.sent if m["type"] == "progress"]


async def nothing_queued() -> int:
    """The hub's `queue_remaining` for a server with an empty queue."""
    return 0


async def settle(condition, what: str) -> None:
    """Yield to the event loop until `condition()` holds; fail after about a thousand turns."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"timed out waiting for {what}")
