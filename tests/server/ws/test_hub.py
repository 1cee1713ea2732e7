"""`WebSocketHub` in-process, with fake sockets: greeting first, routing, replay, replacing a socket.

The real-server tests in `tests/server/test_ws.py` cover the same behaviour over the wire; these
make the races deterministic (an event arriving while a socket is being set up, for instance).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from hub_sockets import FakeSocket, nothing_queued, settle

from comfyd.engine.events import ExecutionStart, Progress
from comfyd.jobs.bus.memory import MemoryEventBus
from comfyd.jobs.events import Envelope, QueueStatus
from comfyd.server.ws.hub import WebSocketHub

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def progress(value: int, client_id: str | None = "c") -> Envelope:
    return Envelope(Progress(value=value, max=100, prompt_id="p", node="1"), prompt_id="p", client_id=client_id)


class Sockets:
    """Connects fake sockets to a hub and disconnects them cleanly."""

    def __init__(self, hub: WebSocketHub) -> None:
        self.hub = hub
        self.tasks: dict[FakeSocket, asyncio.Task] = {}

    async def connect(self, client_id: str | None = "c", *, scope: str | None = None) -> FakeSocket:
        socket = FakeSocket()
        self.tasks[socket] = asyncio.create_task(self.hub.serve(socket, client_id, scope=scope))
        await settle(lambda: socket.sent, "the greeting")
        return socket

    async def disconnect(self, socket: FakeSocket) -> None:
        socket.leave()
        await self.tasks.pop(socket)


@pytest.fixture
async def hub():
    hub = WebSocketHub(bus=MemoryEventBus(), server_flags={"supports_preview_metadata": True}, queue_remaining=nothing_queued)
    hub.start()
    yield hub
    await hub.stop()


@pytest.fixture
async def sockets(hub):
    sockets = Sockets(hub)
    yield sockets
    for socket in list(sockets.tasks):
        await sockets.disconnect(socket)


async def test_greeting_comes_first_even_when_an_event_arrives_while_the_queue_is_counted(hub, sockets):
    async def remaining_while_an_event_arrives() -> int:
        hub.dispatch(progress(1))
        await asyncio.sleep(0)
        return 7

    hub.queue_remaining = remaining_while_an_event_arrives
    socket = await sockets.connect("c")
    await settle(lambda: len(socket.sent) >= 2, "the event")
    await asyncio.sleep(0.01)
    assert socket.sent[0] == {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 7}}, "sid": "c"}}
    assert socket.progress_values() == [1]


async def test_a_reconnecting_client_is_replayed_exactly_what_it_missed(hub, sockets):
    first = await sockets.connect("c")
    for value in (1, 2):
        hub.dispatch(progress(value))
    await settle(lambda: first.progress_values() == [1, 2], "live events")
    await sockets.disconnect(first)
    for value in (3, 4, 5):
        hub.dispatch(progress(value))
    second = await sockets.connect("c")
    hub.dispatch(progress(6))
    await settle(lambda: second.progress_values() == [3, 4, 5, 6], "the replay, then live events")
    assert second.sent[0]["type"] == "status"


async def test_delivered_messages_are_not_kept_for_replay(hub, sockets):
    socket = await sockets.connect("c")
    for value in range(100):
        hub.dispatch(progress(value))
    await settle(lambda: len(socket.progress_values()) == 100, "every event")
    assert len(hub.logs["c"].entries) == 0
    await sockets.disconnect(socket)
    hub.dispatch(progress(100))
    assert [number for number, _ in hub.logs["c"].entries] == [101]


async def test_the_old_sockets_cleanup_leaves_the_new_socket_registered(hub, sockets):
    old = await sockets.connect("c")
    new = await sockets.connect("c")
    await sockets.disconnect(old)
    hub.dispatch(progress(1))
    await settle(lambda: new.progress_values() == [1], "the event on the new socket")
    assert old.progress_values() == [] and hub.connections["c"].websocket is new


async def test_status_reaches_everyone_and_execution_messages_only_their_client(hub, sockets):
    a, b = await sockets.connect("a"), await sockets.connect("b")
    hub.dispatch(Envelope(QueueStatus(queue_remaining=3)))
    hub.dispatch(Envelope(ExecutionStart(prompt_id="pa"), prompt_id="pa", client_id="a"))
    hub.dispatch(Envelope(ExecutionStart(prompt_id="none"), prompt_id="none", client_id=None))
    hub.dispatch(progress(9, client_id=None))
    await settle(lambda: len(a.sent) == 4 and len(b.sent) == 3, "the messages")
    assert [m["type"] for m in a.sent] == ["status", "status", "execution_start", "progress"]
    assert [m["type"] for m in b.sent] == ["status", "status", "progress"]
    assert a.sent[2]["data"]["prompt_id"] == "pa"


async def test_feature_flags_are_answered_only_as_the_first_message(hub, sockets):
    socket = await sockets.connect("c")
    socket.incoming.put_nowait(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
    socket.incoming.put_nowait(json.dumps({"type": "feature_flags", "data": {}}))
    await settle(lambda: len(socket.sent) >= 2, "the reply")
    await asyncio.sleep(0.01)
    assert socket.sent[1:] == [{"type": "feature_flags", "data": {"supports_preview_metadata": True}}]
    assert hub.connections["c"].wants("supports_preview_metadata")


# -- scopes (the server requires sign-in) ------------------------------------------------------------


def scoped(value: int, client_id: str | None, scope: str) -> Envelope:
    event = Progress(value=value, max=100, prompt_id="p", node="1")
    return Envelope(event, prompt_id="p", client_id=client_id, scope=scope)


async def test_a_scoped_event_without_a_client_reaches_only_sockets_of_its_scope(hub, sockets):
    mine = await sockets.connect("a", scope="w1")
    theirs = await sockets.connect("b", scope="w2")
    hub.dispatch(scoped(1, None, "w1"))
    hub.dispatch(Envelope(QueueStatus(queue_remaining=3)))  # unscoped: everyone
    await settle(lambda: mine.progress_values() == [1] and len(theirs.sent) >= 2, "the events")
    await asyncio.sleep(0.01)
    assert theirs.progress_values() == []
    assert [m["type"] for m in theirs.sent] == ["status", "status"]


async def test_a_client_id_of_another_scope_is_not_honoured(hub, sockets):
    owner = await sockets.connect("shared", scope="w1")
    await sockets.disconnect(owner)
    hub.dispatch(scoped(1, "shared", "w1"))  # kept for the owner's replay
    intruder = await sockets.connect("shared", scope="w2")
    assert intruder.sent[0]["data"]["sid"] != "shared"
    hub.dispatch(scoped(2, "shared", "w1"))
    returning = await sockets.connect("shared", scope="w1")
    await settle(lambda: returning.progress_values() == [1, 2], "the owner's replay")
    await asyncio.sleep(0.01)
    assert intruder.progress_values() == []


async def test_an_event_for_a_client_of_another_scope_is_dropped(hub, sockets):
    socket = await sockets.connect("c", scope="w2")
    hub.dispatch(scoped(1, "c", "w1"))
    hub.dispatch(scoped(2, "c", "w2"))
    await settle(lambda: socket.progress_values() == [2], "its own event")
    await asyncio.sleep(0.01)
    assert socket.progress_values() == [2]
