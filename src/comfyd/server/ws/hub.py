"""`WebSocketHub`: the `/ws` sockets, ComfyUI's message routing, and replay on reconnect.

Routing follows ComfyUI: `status` goes to everyone; a prompt's execution messages go to the
client that queued it (and nowhere when it gave no client id); progress, previews, interrupts
and blocked-execution notices go to that client, or to everyone when there is none.

Each message is serialised once and queued to its sockets; every socket has its own bounded
queue and sender task, so a slow client never delays the others. A client that falls too far
behind is disconnected and, like any client that reconnects with its clientId, is replayed what
it missed, in order.

"Missed" is only known for sure by the client: a message the server wrote may still be lost in
transit when the connection breaks. So a client may opt into resuming (a comfyd extension that
ComfyUI clients never see): it connects with `?clientId=X&resume=` and then receives every
replayable message with a top-level `"seq": "<epoch>.<n>"`; reconnecting with
`resume=<last seq it read>` replays exactly what came after that one. Its `status` greeting
carries the seq the replay starts after, which equals the client's own when nothing was lost;
a different epoch (the server restarted) or a log that no longer reaches back that far gives
the plain replay of what was never sent, and a different greeting seq tells the client so.

When the server requires sign-in, every socket and every prompt's events carry a scope (the
workspace): a scoped event reaches only sockets of its scope, and a client id is bound to the
scope that first used it, so nobody can listen in by reusing another workspace's client id.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from comfyd.engine.events import EngineEvent, ExecutionError, PreviewImage, ProgressText
from comfyd.jobs.bus import EventBus
from comfyd.jobs.events import Envelope
from comfyd.server.ws.messages import (
    encode_image,
    preview_frame,
    preview_with_metadata_frame,
    progress_text_frame,
    text_message,
)

logger = logging.getLogger(__name__)

SEND_QUEUE_LIMIT = 2048
REPLAY_LIMIT = 4096

# Sent only to the prompt's client; dropped when the prompt has none (ComfyUI checks client_id).
CLIENT_ONLY = {"execution_start", "execution_cached", "executing", "executed", "execution_success", "execution_error"}
BROADCAST = {"status"}
Payload = str | bytes


@dataclass(eq=False)
class Connection:
    sid: str
    websocket: WebSocket
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(SEND_QUEUE_LIMIT))
    feature_flags: dict[str, Any] = field(default_factory=dict)
    delivered: int = 0
    sender: asyncio.Task | None = None
    resumable: bool = False  # asked for `seq` stamps (`?resume=`)
    scope: str | None = None

    def sees(self, scope: str | None) -> bool:
        """Whether a message of `scope` may reach this socket (unscoped messages reach all)."""
        return scope is None or scope == self.scope

    def wants(self, flag: str) -> bool:
        return self.feature_flags.get(flag) is True


@dataclass
class _ClientLog:
    """Messages addressed to one client id, numbered, for replay after a reconnect."""

    entries: collections.deque = field(default_factory=lambda: collections.deque(maxlen=REPLAY_LIMIT))
    counter: int = 0
    delivered: int = 0
    scope: str | None = None
    # A resuming client says what it read only when it reconnects, so what was sent to it stays
    # (up to REPLAY_LIMIT entries) until then.
    # TODO: let it acknowledge over the socket too, if long-lived resuming clients need less memory.
    keeps_sent: bool = False

    def resume_point(self, after: int) -> int:
        """Where a replay for a client that read up to `after` starts: `after` itself, unless
        entries past it were already evicted, in which case as far back as the log reaches."""
        evicted = self.counter - len(self.entries)  # entries run contiguously up to `counter`
        return min(max(after, evicted), self.counter)


class WebSocketHub:
    def __init__(
        self,
        *,
        bus: EventBus,
        server_flags: dict[str, Any],
        queue_remaining: Callable[[], Awaitable[int]],
        on_client_interrupt: Callable[[str], None] | None = None,
    ) -> None:
        self.bus = bus
        self.server_flags = server_flags
        self.queue_remaining = queue_remaining
        self.on_client_interrupt = on_client_interrupt
        self.connections: dict[str, Connection] = {}
        self.logs: dict[str, _ClientLog] = {}
        self.log_subscribers: set[str] = set()
        self._unsubscribe: Callable[[], None] | None = None
        # Names this hub's `seq` numbers: a resume seq from before a restart means nothing here.
        self.epoch = uuid.uuid4().hex[:12]

    def start(self) -> None:
        self._unsubscribe = self.bus.subscribe(self.dispatch)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for connection in list(self.connections.values()):
            if connection.sender is not None:
                connection.sender.cancel()

    # -- sockets ----------------------------------------------------------------------------

    async def serve(
        self, websocket: WebSocket, client_id: str | None, *, scope: str | None = None, resume: str | None = None
    ) -> None:
        """Run one `/ws` connection until it closes; `scope` is the caller's workspace when the
        server requires sign-in. A client id already bound to another scope is not honoured: the
        socket gets a fresh one (sent in its `status` greeting, as for a client that sent none).
        `resume` (None: not asked) is the last `seq` the client read, or "" on its first connect."""
        await websocket.accept()
        sid = client_id or uuid.uuid4().hex
        if not self._may_use(sid, scope):
            sid = uuid.uuid4().hex
        connection = Connection(sid, websocket, scope=scope, resumable=resume is not None)
        if scope is not None:
            self.logs.setdefault(sid, _ClientLog()).scope = scope
        remaining = await self.queue_remaining()
        # From here to the replay there is no `await`: no event can be queued to this socket before
        # its `status` greeting, or slip in ahead of (and then be replayed after) what it missed.
        # A reconnect under the same sid replaces the old socket; the old one's cleanup must not
        # remove the new one (ComfyUI 0.3.64 had that bug).
        self.connections[sid] = connection
        connection.sender = asyncio.create_task(self._send_loop(connection))
        greeting = text_message("status", {"status": {"exec_info": {"queue_remaining": remaining}}, "sid": sid})
        after = self._replay_start(connection, resume)
        self._queue(connection, self._stamped(greeting, after) if connection.resumable else greeting)
        self._replay(connection, after)
        try:
            await self._read_loop(connection)
        finally:
            if self.connections.get(sid) is connection:
                del self.connections[sid]
                self.log_subscribers.discard(sid)
            connection.sender.cancel()

    def _may_use(self, sid: str, scope: str | None) -> bool:
        log, current = self.logs.get(sid), self.connections.get(sid)
        if log is not None and log.scope != scope:
            return False
        return current is None or current.scope == scope

    async def _read_loop(self, connection: Connection) -> None:
        first = True
        while True:
            try:
                text = await connection.websocket.receive_text()
            except (WebSocketDisconnect, RuntimeError, KeyError):
                return
            try:
                message = json.loads(text)
            except ValueError:
                logger.warning("Invalid JSON on /ws from %s", connection.sid)
                continue
            kind = message.get("type") if isinstance(message, dict) else None
            if first and kind == "feature_flags":
                connection.feature_flags = dict(message.get("data") or {})
                self._queue(connection, text_message("feature_flags", self.server_flags))
            elif kind == "interrupt" and self.on_client_interrupt is not None:
                self.on_client_interrupt(connection.sid)
            first = False

    async def _send_loop(self, connection: Connection) -> None:
        websocket = connection.websocket
        try:
            while True:
                payload, number = await connection.queue.get()
                if isinstance(payload, bytes):
                    await websocket.send_bytes(payload)
                else:
                    await websocket.send_text(payload)
                if number:
                    connection.delivered = number
                    log = self.logs.get(connection.sid)
                    if log is not None and number > log.delivered:
                        log.delivered = number
                        if log.keeps_sent:
                            continue
                        # Replay only sends what was never delivered, so delivered entries can go:
                        # a connected client's log stays empty instead of holding its last
                        # REPLAY_LIMIT messages for as long as the server runs.
                        while log.entries and log.entries[0][0] <= number:
                            log.entries.popleft()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.debug("Socket %s closed while sending", connection.sid)

    def _queue(self, connection: Connection, payload: Payload, number: int = 0) -> None:
        if number and connection.resumable and isinstance(payload, str):
            payload = self._stamped(payload, number)
        try:
            connection.queue.put_nowait((payload, number))
        except asyncio.QueueFull:
            logger.warning("Client %s cannot keep up; disconnecting it (it will be replayed)", connection.sid)
            if self.connections.get(connection.sid) is connection:  # not a newer socket under the sid
                del self.connections[connection.sid]
            asyncio.ensure_future(connection.websocket.close(code=1013))

    def _replay_start(self, connection: Connection, resume: str | None) -> int:
        """The number after which this connection's replay starts (see the module docstring)."""
        log = self.logs.get(connection.sid)
        if not connection.resumable:
            return 0 if log is None else log.delivered
        if log is None:
            log = self.logs[connection.sid] = _ClientLog(scope=connection.scope)
        log.keeps_sent = True
        epoch, _, number = (resume or "").partition(".")
        if epoch != self.epoch or not number.isdigit():
            return log.delivered
        after = log.resume_point(int(number))
        while log.entries and log.entries[0][0] <= after:  # read by the client: no longer needed
            log.entries.popleft()
        return after

    def _replay(self, connection: Connection, after: int) -> None:
        log = self.logs.get(connection.sid)
        if log is None:
            return
        for number, payload in list(log.entries):
            if number > after:
                self._queue(connection, payload, number)

    def _stamped(self, payload: str, number: int) -> str:
        """A JSON message with its `seq` added as a top-level key (payloads end with `}`)."""
        return f'{payload[:-1]},"seq":"{self.epoch}.{number}"}}'

    # -- events -----------------------------------------------------------------------------

    def dispatch(self, envelope: Envelope) -> None:
        """Route one event from the bus (called on the server's event loop)."""
        event, scope = envelope.event, envelope.scope
        if isinstance(event, PreviewImage):
            self._send_preview(envelope.client_id, event, scope)
        elif isinstance(event, ProgressText):
            self._send_progress_text(envelope.client_id, event, scope)
        else:
            self._send_event(envelope.client_id, event, scope)

    def _send_event(self, client_id: str | None, event: EngineEvent, scope: str | None) -> None:
        kind = event.type
        client_only = kind in CLIENT_ONLY and not (isinstance(event, ExecutionError) and event.is_block)
        if kind in BROADCAST or client_id is None:
            if client_only and kind not in BROADCAST:
                return
            self.broadcast(text_message(kind, event.data()), scope=scope)
            return
        self.send_to_client(client_id, text_message(kind, event.data()), scope=scope)

    def broadcast(self, payload: Payload, *, scope: str | None = None) -> None:
        """Send to every socket that `scope` may reach (every socket when it is None)."""
        for connection in list(self.connections.values()):
            if connection.sees(scope):
                self._queue(connection, payload)

    def send_to_client(self, client_id: str, payload: Payload, *, scope: str | None = None) -> None:
        """Send to one client id, keeping a numbered copy for replay. A scoped message is dropped
        when the client id belongs to another scope."""
        log = self.logs.get(client_id)
        if log is None:
            log = self.logs[client_id] = _ClientLog(scope=scope)
        if scope is not None and log.scope != scope:
            return
        log.counter += 1
        log.entries.append((log.counter, payload))
        connection = self.connections.get(client_id)
        if connection is not None:
            self._queue(connection, payload, log.counter)

    def _targets(self, client_id: str | None, scope: str | None) -> list[Connection]:
        if client_id is None:
            return [c for c in self.connections.values() if c.sees(scope)]
        connection = self.connections.get(client_id)
        return [] if connection is None or not connection.sees(scope) else [connection]

    def _send_preview(self, client_id: str | None, event: PreviewImage, scope: str | None) -> None:
        targets = self._targets(client_id, scope)
        if not targets:
            return
        try:
            image = encode_image(event.image, event.image_type, event.max_size)
        except (TypeError, OSError, ValueError) as exc:
            logger.warning("Dropping a preview of node %s: %s", event.node_id, exc)
            return
        metadata = {
            "node_id": event.node_id,
            "prompt_id": event.prompt_id,
            "display_node_id": event.display_node_id,
            "parent_node_id": event.parent_node_id,
            "real_node_id": event.real_node_id,
        }
        legacy = modern = None
        for connection in targets:
            if connection.wants("supports_preview_metadata"):
                modern = modern or preview_with_metadata_frame(image, event.image_type, metadata)
                self._queue(connection, modern)
            else:
                legacy = legacy or preview_frame(image, event.image_type)
                self._queue(connection, legacy)

    def _send_progress_text(self, client_id: str | None, event: ProgressText, scope: str | None) -> None:
        plain = rich = None
        for connection in self._targets(client_id, scope):
            if connection.wants("supports_progress_text_metadata"):
                rich = rich or progress_text_frame(event.node_id, event.text, event.prompt_id)
                self._queue(connection, rich)
            else:
                plain = plain or progress_text_frame(event.node_id, event.text)
                self._queue(connection, plain)

    def notify(self, value: str, *, client_id: str | None = None, id: str | None = None) -> None:
        """A `notification` toast for one client (kept for replay until it connects) or for everyone."""
        data: dict[str, Any] = {"value": value}
        if id is not None:
            data["id"] = id
        payload = text_message("notification", data)
        if client_id is None:
            self.broadcast(payload)
        else:
            self.send_to_client(client_id, payload)

    def send_logs(self, entries: list[dict[str, Any]], size: dict[str, int] | None) -> None:
        """Forward log lines to the sockets that subscribed through `/internal/logs/subscribe`."""
        if not self.log_subscribers:
            return
        payload = text_message("logs", {"entries": entries, "size": size})
        for sid in list(self.log_subscribers):
            connection = self.connections.get(sid)
            if connection is not None:
                self._queue(connection, payload)
