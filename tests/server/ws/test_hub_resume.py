"""`WebSocketHub` resuming (`?resume=`): `seq` stamps, replay after exactly the last message a
client read, and a greeting that tells it when that was not possible. In-process, with fake
sockets, so the cases that are slow to reach over the wire (an evicted log) are deterministic.
The SDK's tests (`tests/client/test_reconnect.py`) cover the same over a real broken connection.
"""

from __future__ import annotations

import asyncio

import pytest
from hub_sockets import FakeSocket, nothing_queued, settle

from comfyd.engine.events import Progress
from comfyd.jobs.bus.memory import MemoryEventBus
from comfyd.jobs.events import Envelope
from comfyd.server.ws import hub as hub_module
from comfyd.server.ws.hub import WebSocketHub

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def hub():
    hub = WebSocketHub(bus=MemoryEventBus(), server_flags={}, queue_remaining=nothing_queued)
    hub.start()
    yield hub
    await hub.stop()


@pytest.fixture
async def connect(hub):
    tasks: dict[FakeSocket, asyncio.Task] = {}

    async def open_socket(resume: str | None) -> FakeSocket:
        socket = FakeSocket()
        tasks[socket] = asyncio.create_task(hub.serve(socket, "c", resume=resume))
        await settle(lambda: socket.sent, "the greeting")
        return socket

    yield open_socket
    for socket, task in tasks.items():
        socket.leave()
        await task


def send(hub: WebSocketHub, *values: int) -> None:
    for value in values:
        event = Progress(value=value, max=100, prompt_id="p", node="1")
        hub.dispatch(Envelope(event, prompt_id="p", client_id="c"))


async def test_a_resuming_client_gets_seq_stamps_and_a_greeting_that_says_where_replay_starts(hub, connect):
    socket = await connect("")
    send(hub, 1, 2)
    await settle(lambda: socket.progress_values() == [1, 2], "the events")

    assert socket.sent[0]["seq"] == f"{hub.epoch}.0" and socket.sent[0]["data"]["sid"] == "c"
    assert socket.progress_seqs() == [f"{hub.epoch}.1", f"{hub.epoch}.2"]


async def test_resuming_replays_everything_after_the_last_message_read_even_if_it_was_sent(hub, connect):
    first = await connect("")
    send(hub, 1, 2, 3)
    await settle(lambda: first.progress_values() == [1, 2, 3], "the events")
    first.incoming.put_nowait(None)  # the connection breaks; say the client only read up to 1
    send(hub, 4)

    second = await connect(f"{hub.epoch}.1")
    await settle(lambda: second.progress_values() == [2, 3, 4], "the replay")
    send(hub, 5)
    await settle(lambda: second.progress_values() == [2, 3, 4, 5], "a live event")

    assert second.sent[0]["seq"] == f"{hub.epoch}.1"  # the client's own: nothing was lost
    assert second.progress_seqs() == [f"{hub.epoch}.{n}" for n in (2, 3, 4, 5)]


async def test_a_resume_seq_from_another_epoch_gets_what_was_never_sent(hub, connect):
    first = await connect("")
    send(hub, 1)
    await settle(lambda: first.progress_values() == [1], "the event")
    first.incoming.put_nowait(None)
    await settle(lambda: "c" not in hub.connections, "the disconnect")
    send(hub, 2)

    second = await connect("before-a-restart.7")
    await settle(lambda: second.progress_values() == [2], "the replay")

    assert second.sent[0]["seq"] == f"{hub.epoch}.1"


async def test_a_resume_point_the_log_no_longer_reaches_is_reported_in_the_greeting(
    hub, connect, monkeypatch
):
    monkeypatch.setattr(hub_module, "REPLAY_LIMIT", 3)
    first = await connect("")
    first.incoming.put_nowait(None)
    await settle(lambda: "c" not in hub.connections, "the disconnect")
    send(hub, 1, 2, 3, 4, 5)  # 1 and 2 fall out of the log

    second = await connect(f"{hub.epoch}.1")
    await settle(lambda: second.progress_values() == [3, 4, 5], "the replay")

    assert second.sent[0]["seq"] == f"{hub.epoch}.2"  # not the client's `.1`: message 2 is gone


async def test_a_client_that_does_not_resume_gets_comfyuis_messages_unchanged(hub, connect):
    socket = await connect(None)
    send(hub, 1)
    await settle(lambda: socket.progress_values() == [1], "the event")

    assert all("seq" not in message for message in socket.sent)
