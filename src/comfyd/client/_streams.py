"""`/ws` connections: `EventStream` and `AsyncEventStream`, twins over one no-I/O base.

A stream opens with ComfyUI's handshake as the frontend does it: connect with `?clientId=`,
send `feature_flags` first, then read the `status` message the server always sends on connect
(it carries the client id). Every frame after that is decoded into an event by `_events.py`.

When an open connection breaks, the stream reconnects by itself under the same client id,
waiting longer after each failed try (`Backoff`), and yields a `Reconnected` event. It asks the
server to resume (`?resume=`, see `server/ws/hub.py`): comfyd stamps the messages it would
replay with a `seq`, and replays exactly what follows the last one this stream delivered, so a
running prompt's events arrive without gaps or repeats. Messages stamped with a `seq` already
delivered are dropped, should a server ever send one twice.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from comfyd.client._cancel import CancelToken, cancellable
from comfyd.client._errors import APIError, AuthenticationFailed, Cancelled, NotFound, TransportError
from comfyd.client._events import (
    Event,
    FeatureFlags,
    Reconnected,
    Status,
    decode_binary,
    decode_message,
    decode_text,
)
from comfyd.client._runs import Deadline

__all__ = ["AsyncEventStream", "Backoff", "EventStream"]

# What this client can decode: previews with their node and prompt ids, and progress text that
# names its prompt. The server only uses a layout once the client has asked for it.
CLIENT_FEATURE_FLAGS = {"supports_preview_metadata": True, "supports_progress_text_metadata": True}
MAX_FRAME_BYTES = 64 * 1024 * 1024
NORMAL_CLOSURE = 1000


@dataclass(frozen=True)
class Backoff:
    """How an event stream reconnects: the first try after `initial` seconds, each later one
    `multiplier` times later than the one before, at most `maximum` apart; after
    `give_up_after` seconds without a connection (None: never) it raises `TransportError`.

        client.events(reconnect=Backoff(maximum=2.0, give_up_after=None))
        client.events(reconnect=None)          # a broken connection ends the stream instead
    """

    initial: float = 0.1
    maximum: float = 5.0
    multiplier: float = 2.0
    give_up_after: float | None = 120.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try number `attempt` (1 for the first)."""
        return min(self.initial * self.multiplier ** max(attempt - 1, 0), self.maximum)


Seq = tuple[str, int]  # (the server's epoch, the message's number)


def _parse_seq(value: object) -> Seq | None:
    if not isinstance(value, str):
        return None
    epoch, _, number = value.partition(".")
    return (epoch, int(number)) if epoch and number.isdigit() else None


class _StreamBase:
    """URL, handshake, frame decoding and the reconnect bookkeeping, shared by both streams."""

    def __init__(
        self,
        ws_url: str,
        *,
        client_id: str | None,
        headers: Mapping[str, str],
        open_timeout: float | None,
        reconnect: Backoff | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.ws_url = ws_url
        self.sid = client_id
        self.headers = dict(headers)
        self.open_timeout = open_timeout
        self.reconnect = reconnect
        self.cancel = cancel
        self._pending: collections.deque[Event] = collections.deque()
        self._text_has_prompt_id = False
        self._seq: Seq | None = None  # the last stamped message delivered
        self._has_connected = False
        self._is_closed = False
        self._down_since: float | None = None
        self._attempts = 0
        self._last_failure: Exception | None = None

    @property
    def url(self) -> str:
        """The URL of the next connection: the client id (learnt from the server if it picked
        one) and the resume point."""
        query = {"clientId": self.sid} if self.sid else {}
        query["resume"] = f"{self._seq[0]}.{self._seq[1]}" if self._seq else ""
        return f"{self.ws_url}?{urlencode(query)}"

    @staticmethod
    def _hello() -> str:
        return json.dumps({"type": "feature_flags", "data": CLIENT_FEATURE_FLAGS})

    def _decode(self, frame: str | bytes, *, is_greeting: bool = False) -> Event | None:
        """The frame's event, or None for a stamped message this stream already delivered.

        A greeting's `seq` is where the server's replay starts, so it always becomes the
        stream's position, even when it is lower (a restarted server counts from zero).
        """
        if isinstance(frame, bytes):
            return decode_binary(frame, text_has_prompt_id=self._text_has_prompt_id)
        try:
            message = json.loads(frame)
        except ValueError:
            return decode_text(frame)
        seq = _parse_seq(message.get("seq")) if isinstance(message, dict) else None
        if seq is not None:
            is_repeat = self._seq is not None and seq[0] == self._seq[0] and seq[1] <= self._seq[1]
            if is_repeat and not is_greeting:
                return None
            self._seq = seq
        event = decode_message(message)
        if isinstance(event, FeatureFlags):
            # TEXT frames carry the prompt id only once the server has agreed to it.
            self._text_has_prompt_id = (event.model_extra or {}).get(
                "supports_progress_text_metadata"
            ) is True
        elif isinstance(event, Status) and event.sid and self.sid is None:
            self.sid = event.sid
        return event

    def _greet(self, frame: str | bytes) -> list[Event]:
        """The events that open a connection: `Reconnected` (after the first) and the greeting."""
        asked = self._seq
        event = self._decode(frame, is_greeting=True)
        greeting = [event] if event is not None else []
        if not self._has_connected:
            self._has_connected = True
            return greeting
        reconnected = Reconnected(
            sid=self.sid, attempts=self._attempts, resumed=asked is not None and self._seq == asked
        )
        self._down_since, self._attempts, self._last_failure = None, 0, None
        return [reconnected, *greeting]

    def _next_delay(self) -> float:
        """Seconds until the next reconnect try; raises once the stream should give up."""
        assert self.reconnect is not None
        down = time.monotonic() - (self._down_since or time.monotonic())
        limit = self.reconnect.give_up_after
        if limit is not None and down >= limit:
            raise TransportError(
                f"The /ws connection broke {down:.0f}s ago and could not be reopened: {self._last_failure}"
            )
        return self.reconnect.delay(self._attempts + 1)

    def _lost(self, exc: ConnectionClosed) -> None:
        """Decide what a broken connection means: cancelled, ended, or reconnect (returns)."""
        self._check_cancel()
        closed_normally = exc.rcvd is not None and exc.rcvd.code == NORMAL_CLOSURE
        if self._is_closed or self.reconnect is None or closed_normally:
            raise TransportError(f"The /ws connection closed: {exc}") from exc
        self._down_since = self._down_since or time.monotonic()
        self._last_failure = exc

    def _connect_error(self, exc: Exception) -> Exception:
        """The SDK's exception for a failed handshake or connection."""
        if isinstance(exc, InvalidStatus):
            status = exc.response.status_code
            body = exc.response.body.decode(errors="replace") if exc.response.body else ""
            kind = {401: AuthenticationFailed, 403: AuthenticationFailed, 404: NotFound}.get(status, APIError)
            return kind(f"The server refused the /ws connection with {status}.", status=status, body=body)
        return TransportError(f"Cannot connect to {self.url}: {exc}")

    @staticmethod
    def _is_retryable(exc: Exception) -> bool:
        """A reconnect try that failed this way is worth another: the server is away or busy."""
        return isinstance(exc, TransportError) or (isinstance(exc, APIError) and exc.status >= 500)

    def _closed_by_caller(self) -> TransportError:
        return TransportError("The event stream was closed.")

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_cancelled:
            raise Cancelled(self.cancel.reason or "The event stream was cancelled.")


class EventStream(_StreamBase):
    """A `/ws` connection as an iterator of events.

        with client.events() as stream:
            client.queue_prompt(graph)
            for event in stream:
                ...

    A broken connection is reopened (see `Backoff`) and announced with a `Reconnected` event.
    Iterating ends when the server closes the connection with a normal closure, or when the
    stream is closed; a connection that cannot be reopened raises `TransportError`, and a
    cancelled token `Cancelled`. Iterating a stream that is not open opens it.
    """

    _connection: ClientConnection | None = None
    _exit_stack: contextlib.ExitStack | None = None
    _forget_cancel: Callable[[], None] | None = None

    def open(self) -> EventStream:
        """Connect, send the client's feature flags and read the opening `status` message."""
        self._check_cancel()
        if self.cancel is not None and self._forget_cancel is None:
            self._forget_cancel = self.cancel.on_cancel(self._abort)
        self._is_closed = False
        self._pending.extend(self._connect())
        return self

    def _connect(self) -> list[Event]:
        # websockets wants its connections entered as context managers (17.1 warns otherwise).
        stack = contextlib.ExitStack()
        try:
            connection = stack.enter_context(
                connect(
                    self.url,
                    additional_headers=self.headers,
                    open_timeout=self.open_timeout,
                    max_size=MAX_FRAME_BYTES,
                )
            )
            connection.send(self._hello())
            opening = self._greet(connection.recv(self.open_timeout))
        except (OSError, TimeoutError, WebSocketException) as exc:
            stack.close()
            raise self._connect_error(exc) from exc
        self._connection, self._exit_stack = connection, stack
        return opening

    def receive(self, timeout: float | None = None) -> Event:
        """The next event. Raises `TimeoutError` after `timeout` seconds (reconnecting included),
        `TransportError` once the connection is gone for good, `Cancelled` when cancelled."""
        deadline = Deadline(timeout)
        try:
            while True:
                self._check_cancel()
                if self._pending:
                    return self._pending.popleft()
                if self._is_closed:
                    raise self._closed_by_caller()
                if self._connection is None:
                    self._reopen(deadline) if self._has_connected else self.open()
                    continue
                try:
                    frame = self._connection.recv(deadline.remaining())
                except ConnectionClosed as exc:
                    self._drop_connection()
                    self._lost(exc)
                    continue
                event = self._decode(frame)
                if event is not None:
                    return event
        except Cancelled:
            self.close()
            raise

    def _reopen(self, deadline: Deadline) -> None:
        """One reconnect try, after the backoff delay; raises TimeoutError if the deadline comes first."""
        delay = self._next_delay()
        remaining = deadline.remaining()
        if remaining is not None and remaining < delay:
            self._sleep(remaining)
            raise TimeoutError("No event arrived while the /ws connection was being reopened.")
        self._sleep(delay)
        self._attempts += 1
        try:
            self._pending.extend(self._connect())
        except (TransportError, APIError) as exc:
            if not self._is_retryable(exc):
                raise
            self._last_failure = exc

    def _sleep(self, seconds: float) -> None:
        if self.cancel is None:
            time.sleep(seconds)
        elif self.cancel.wait(seconds):
            raise Cancelled(self.cancel.reason or "The event stream was cancelled.")

    def _abort(self) -> None:
        """Called from the cancelling thread: shut the socket so a blocked `recv` returns now."""
        connection = self._connection
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.socket.shutdown(socket.SHUT_RDWR)

    def _drop_connection(self) -> None:
        stack, self._connection, self._exit_stack = self._exit_stack, None, None
        if stack is not None:
            with contextlib.suppress(OSError, WebSocketException):
                stack.close()

    def close(self) -> None:
        self._is_closed = True
        if self._forget_cancel is not None:
            self._forget_cancel()
            self._forget_cancel = None
        self._drop_connection()

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        try:
            return self.receive()
        except TransportError as exc:
            if self._is_closed or isinstance(exc.__cause__, ConnectionClosedOK):
                raise StopIteration from None
            raise

    def __enter__(self) -> EventStream:
        return self if self._connection is not None else self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncEventStream(_StreamBase):
    """The async twin of `EventStream`: `async with client.events() as stream: async for ...`.

    Cancelling the task that awaits it works as usual; a `CancelToken` ends it with `Cancelled`.
    """

    _connection: AsyncConnection | None = None
    _exit_stack: contextlib.AsyncExitStack | None = None

    async def open(self) -> AsyncEventStream:
        """Connect, send the client's feature flags and read the opening `status` message."""
        self._check_cancel()
        self._is_closed = False
        self._pending.extend(await cancellable(self._connect(), self.cancel))
        return self

    async def _connect(self) -> list[Event]:
        stack = contextlib.AsyncExitStack()
        try:
            connection = await stack.enter_async_context(
                async_connect(
                    self.url,
                    additional_headers=self.headers,
                    open_timeout=self.open_timeout,
                    max_size=MAX_FRAME_BYTES,
                )
            )
            await connection.send(self._hello())
            async with asyncio.timeout(self.open_timeout):
                opening = self._greet(await connection.recv())
        except (OSError, TimeoutError, WebSocketException) as exc:
            await stack.aclose()
            raise self._connect_error(exc) from exc
        except BaseException:
            await stack.aclose()
            raise
        self._connection, self._exit_stack = connection, stack
        return opening

    async def receive(self, timeout: float | None = None) -> Event:
        """The next event. Raises `TimeoutError` after `timeout` seconds (reconnecting included),
        `TransportError` once the connection is gone for good, `Cancelled` when cancelled."""
        deadline = Deadline(timeout)
        try:
            while True:
                self._check_cancel()
                if self._pending:
                    return self._pending.popleft()
                if self._is_closed:
                    raise self._closed_by_caller()
                if self._connection is None:
                    await (self._reopen(deadline) if self._has_connected else self.open())
                    continue
                try:
                    frame = await cancellable(self._recv(self._connection, deadline.remaining()), self.cancel)
                except ConnectionClosed as exc:
                    await self._drop_connection()
                    self._lost(exc)
                    continue
                event = self._decode(frame)
                if event is not None:
                    return event
        except Cancelled:
            await self.close()
            raise

    @staticmethod
    async def _recv(connection: AsyncConnection, timeout: float | None) -> str | bytes:
        async with asyncio.timeout(timeout):
            return await connection.recv()

    async def _reopen(self, deadline: Deadline) -> None:
        """One reconnect try, after the backoff delay; raises TimeoutError if the deadline comes first."""
        delay = self._next_delay()
        remaining = deadline.remaining()
        if remaining is not None and remaining < delay:
            await cancellable(asyncio.sleep(remaining), self.cancel)
            raise TimeoutError("No event arrived while the /ws connection was being reopened.")
        await cancellable(asyncio.sleep(delay), self.cancel)
        self._attempts += 1
        try:
            self._pending.extend(await cancellable(self._connect(), self.cancel))
        except (TransportError, APIError) as exc:
            if not self._is_retryable(exc):
                raise
            self._last_failure = exc

    async def _drop_connection(self) -> None:
        stack, self._connection, self._exit_stack = self._exit_stack, None, None
        if stack is not None:
            with contextlib.suppress(OSError, WebSocketException):
                await stack.aclose()

    async def close(self) -> None:
        self._is_closed = True
        await self._drop_connection()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.receive()
        except TransportError as exc:
            if self._is_closed or isinstance(exc.__cause__, ConnectionClosedOK):
                raise StopAsyncIteration from None
            raise

    async def __aenter__(self) -> AsyncEventStream:
        return self if self._connection is not None else await self.open()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
