"""`/ws` connections: `EventStream` and `AsyncEventStream`, twins over one no-I/O base.

A stream opens with ComfyUI's handshake as the frontend does it: connect with `?clientId=`,
send `feature_flags` first, then read the `status` message the server always sends on connect
(it carries the client id). Every frame after that is decoded into an event by `_events.py`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from comfyd.client._errors import APIError, AuthenticationFailed, NotFound, TransportError
from comfyd.client._events import Event, FeatureFlags, Status, decode_binary, decode_text

__all__ = ["AsyncEventStream", "EventStream"]

# What this client can decode: previews with their node and prompt ids, and progress text that
# names its prompt. The server only uses a layout once the client has asked for it.
CLIENT_FEATURE_FLAGS = {"supports_preview_metadata": True, "supports_progress_text_metadata": True}
MAX_FRAME_BYTES = 64 * 1024 * 1024


class _StreamBase:
    """URL, handshake message and frame decoding, shared by both streams."""

    def __init__(
        self, ws_url: str, *, client_id: str | None, headers: Mapping[str, str], open_timeout: float | None
    ) -> None:
        self.url = f"{ws_url}?{urlencode({'clientId': client_id})}" if client_id else ws_url
        self.sid = client_id
        self.headers = dict(headers)
        self.open_timeout = open_timeout
        self._pending: collections.deque[Event] = collections.deque()
        self._text_has_prompt_id = False

    @staticmethod
    def _hello() -> str:
        return json.dumps({"type": "feature_flags", "data": CLIENT_FEATURE_FLAGS})

    def _decode(self, frame: str | bytes) -> Event:
        if isinstance(frame, bytes):
            return decode_binary(frame, text_has_prompt_id=self._text_has_prompt_id)
        event = decode_text(frame)
        if isinstance(event, FeatureFlags):
            # TEXT frames carry the prompt id only once the server has agreed to it.
            self._text_has_prompt_id = (event.model_extra or {}).get("supports_progress_text_metadata") is True
        elif isinstance(event, Status) and event.sid and self.sid is None:
            self.sid = event.sid
        return event

    def _connect_error(self, exc: Exception) -> Exception:
        """The SDK's exception for a failed handshake or connection."""
        if isinstance(exc, InvalidStatus):
            status = exc.response.status_code
            body = exc.response.body.decode(errors="replace") if exc.response.body else ""
            kind = {401: AuthenticationFailed, 403: AuthenticationFailed, 404: NotFound}.get(status, APIError)
            return kind(f"The server refused the /ws connection with {status}.", status=status, body=body)
        return TransportError(f"Cannot connect to {self.url}: {exc}")

    def _closed_error(self, exc: ConnectionClosed) -> TransportError:
        return TransportError(f"The /ws connection closed: {exc}")


class EventStream(_StreamBase):
    """A `/ws` connection as an iterator of events.

        with client.events() as stream:
            client.queue_prompt(graph)
            for event in stream:
                ...

    Iterating ends when the server closes the connection cleanly; an abrupt close raises
    `TransportError`. Iterating a stream that is not open opens it.
    """

    _connection: ClientConnection | None = None
    _exit_stack: contextlib.ExitStack | None = None

    def open(self) -> EventStream:
        """Connect, send the client's feature flags and read the opening `status` message."""
        # websockets wants its connections entered as context managers (17.1 warns otherwise).
        self._exit_stack = contextlib.ExitStack()
        try:
            self._connection = self._exit_stack.enter_context(
                connect(self.url, additional_headers=self.headers, open_timeout=self.open_timeout, max_size=MAX_FRAME_BYTES)
            )
            self._connection.send(self._hello())
            self._pending.append(self._receive(self.open_timeout))
        except (OSError, TimeoutError, WebSocketException) as exc:
            self.close()
            raise self._connect_error(exc) from exc
        return self

    def receive(self, timeout: float | None = None) -> Event:
        """The next event. Raises `TimeoutError` after `timeout` seconds, `TransportError` once closed."""
        if self._pending:
            return self._pending.popleft()
        if self._connection is None:
            self.open()
            return self.receive(timeout)
        try:
            return self._receive(timeout)
        except ConnectionClosed as exc:
            raise self._closed_error(exc) from exc

    def _receive(self, timeout: float | None) -> Event:
        assert self._connection is not None
        return self._decode(self._connection.recv(timeout))

    def close(self) -> None:
        if self._exit_stack is not None:
            self._exit_stack.close()

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        try:
            return self.receive()
        except TransportError as exc:
            if isinstance(exc.__cause__, ConnectionClosedOK):
                raise StopIteration from None
            raise

    def __enter__(self) -> EventStream:
        return self if self._connection is not None else self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncEventStream(_StreamBase):
    """The async twin of `EventStream`: `async with client.events() as stream: async for ...`."""

    _connection: AsyncConnection | None = None
    _exit_stack: contextlib.AsyncExitStack | None = None

    async def open(self) -> AsyncEventStream:
        """Connect, send the client's feature flags and read the opening `status` message."""
        self._exit_stack = contextlib.AsyncExitStack()
        try:
            self._connection = await self._exit_stack.enter_async_context(
                async_connect(self.url, additional_headers=self.headers, open_timeout=self.open_timeout, max_size=MAX_FRAME_BYTES)
            )
            await self._connection.send(self._hello())
            self._pending.append(await self._receive(self.open_timeout))
        except (OSError, TimeoutError, WebSocketException) as exc:
            await self.close()
            raise self._connect_error(exc) from exc
        return self

    async def receive(self, timeout: float | None = None) -> Event:
        """The next event. Raises `TimeoutError` after `timeout` seconds, `TransportError` once closed."""
        if self._pending:
            return self._pending.popleft()
        if self._connection is None:
            await self.open()
            return await self.receive(timeout)
        try:
            return await self._receive(timeout)
        except ConnectionClosed as exc:
            raise self._closed_error(exc) from exc

    async def _receive(self, timeout: float | None) -> Event:
        assert self._connection is not None
        async with asyncio.timeout(timeout):
            return self._decode(await self._connection.recv())

    async def close(self) -> None:
        if self._exit_stack is not None:
            await self._exit_stack.aclose()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.receive()
        except TransportError as exc:
            if isinstance(exc.__cause__, ConnectionClosedOK):
                raise StopAsyncIteration from None
            raise

    async def __aenter__(self) -> AsyncEventStream:
        return self if self._connection is not None else await self.open()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

