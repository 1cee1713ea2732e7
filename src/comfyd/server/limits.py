"""`BodySizeLimit`: ASGI middleware answering 413 to request bodies over `--max-upload-size`.

aiohttp enforces ComfyUI's `client_max_size` on every body; uvicorn has no such limit, so this
checks the declared Content-Length before the app runs and counts the bytes as they arrive, which
also stops chunked bodies that declare no length.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# After answering 413 the rest of the body is read and dropped, up to this much, so the client
# finishes sending and reads the answer; a closed socket would make it see a reset instead.
DRAIN_LIMIT = 16 * 1024 * 1024


class BodyTooLarge(Exception):
    """Raised from `receive` inside the app once the body passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than this server's limit of {limit} bytes.")
        self.limit = limit


class BodySizeLimit:
    """Refuse HTTP request bodies longer than `max_size` bytes with 413 `{"error": ...}`."""

    def __init__(self, app: ASGIApp, *, max_size: int) -> None:
        self.app = app
        self.max_size = max_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = _declared_length(headers)
        if declared > self.max_size:
            # A client waiting for "100 Continue" has sent nothing yet; reading would invite the body.
            if declared <= DRAIN_LIMIT and "100-continue" not in headers.get("expect", "").lower():
                await _drain(receive, 0)
            await self._refuse(send)
            return
        counter = _CountingReceive(receive, self.max_size)
        guard = _GuardedSend(send)
        try:
            await self.app(scope, counter, guard)
        except BodyTooLarge:
            if guard.started:
                raise
            if counter.more_body:
                await _drain(receive, counter.received)
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"error": str(BodyTooLarge(self.max_size))}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _CountingReceive:
    """A `receive` that raises `BodyTooLarge` once more than `limit` body bytes have come in."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.received = 0
        self.more_body = True

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.more_body = message.get("more_body", False)
            if self.received > self.limit:
                raise BodyTooLarge(self.limit)
        return message


class _GuardedSend:
    """A `send` that remembers whether the app has begun its response."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


def _declared_length(headers: Headers) -> int:
    """The Content-Length, or 0 without one (the server itself rejects a malformed one)."""
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


async def _drain(receive: Receive, received: int) -> None:
    """Read and drop the rest of the body, giving up once `DRAIN_LIMIT` bytes have come in."""
    while received <= DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request":
            return
        received += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
