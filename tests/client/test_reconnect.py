"""Event streams that lose their connection: they reconnect under the same client id, say so with
`Reconnected`, and deliver every event of a prompt exactly once.

A `TcpProxy` breaks the connection while the server keeps running (bytes the server already
wrote are lost on the way, which only the client can notice), and a real `comfyd serve` is
killed and started again on the same port and base directory for a restart.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from client_graphs import slow_graph

from comfyd.client import (
    AsyncComfyClient,
    Backoff,
    ComfyClient,
    Executing,
    ExecutionFailed,
    Progress,
    Reconnected,
    Status,
    TransportError,
    Unknown,
)

QUICK = Backoff(initial=0.05, maximum=0.5, give_up_after=120)
FLOW = {"execution_start", "execution_cached", "executing", "executed", "execution_success"}


def until(stream, condition) -> list:
    """Events from `stream` up to and including the first one that satisfies `condition`."""
    seen = []
    for event in stream:
        seen.append(event)
        if condition(event):
            return seen
    raise AssertionError(f"The stream ended first: {seen}")


def is_done(prompt_id: str):
    return lambda event: isinstance(event, Executing) and event.node is None and event.prompt_id == prompt_id


def progress_of(events: list, prompt_id: str) -> list[float]:
    return [event.value for event in events if isinstance(event, Progress) and event.prompt_id == prompt_id]


def flow_of(events: list, prompt_id: str) -> list[tuple]:
    """The prompt's execution messages, as (type, node) pairs in arrival order."""
    return [
        (event.type, getattr(event, "node", None))
        for event in events
        if event.type in FLOW and getattr(event, "prompt_id", None) == prompt_id
    ]


def expected_flow() -> list[tuple]:
    """What one run of `slow_graph` sends: EmptyImage → ClientSlowImage → PreviewImage."""
    return [
        ("execution_start", None),
        ("execution_cached", None),
        ("executing", "1"),
        ("executing", "2"),
        ("executing", "3"),
        ("executed", "3"),
        ("execution_success", None),
        ("executing", None),
    ]


def wait_for_history(url: str, prompt_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=10) as http:
        while time.monotonic() < deadline:
            entry = http.get(f"/api/history/{prompt_id}").json().get(prompt_id)
            if entry is not None:
                return entry
            time.sleep(0.05)
    raise AssertionError(f"{prompt_id} never reached the history")


def test_a_broken_connection_resumes_without_gaps_or_repeats(twin, proxy):
    client = twin(proxy.url, reconnect=QUICK)
    steps = 60
    with client.events() as stream:
        prompt_id = client.queue_prompt(slow_graph(steps=steps, interval=0.02)).prompt_id
        before = until(
            stream, lambda e: isinstance(e, Progress) and e.prompt_id == prompt_id and e.value == 5
        )
        # The server goes on writing; what it wrote from here on is lost with the connection.
        proxy.hold()
        proxy.wait_until(lambda: proxy.held_bytes > 1000, "the server to write more events")
        proxy.cut()
        after = until(stream, is_done(prompt_id))
    events = before + after

    assert progress_of(events, prompt_id) == list(range(1, steps + 1))
    assert flow_of(events, prompt_id) == expected_flow()
    [reconnected] = [event for event in events if isinstance(event, Reconnected)]
    assert reconnected.resumed and reconnected.sid == client.client_id
    # The new connection's greeting follows, under the same client id.
    greeting = after[after.index(reconnected) + 1]
    assert isinstance(greeting, Status) and greeting.sid == client.client_id


def test_a_stream_without_reconnect_ends_with_transport_error_when_cut(twin, proxy):
    client = twin(proxy.url, reconnect=None)
    with client.events() as stream:
        assert isinstance(stream.receive(10), Status)
        proxy.cut()
        with pytest.raises(TransportError, match="closed"):
            for _event in stream:
                pass


@pytest.mark.slow
def test_events_survive_a_server_restart_and_deliver_each_event_once(start_server):
    server = start_server()
    with ComfyClient(server.url, reconnect=QUICK) as client, client.events() as stream:
        lost = client.queue_prompt(slow_graph(steps=5000, interval=0.01)).prompt_id
        later = client.queue_prompt(slow_graph(steps=30, interval=0.01)).prompt_id
        before = until(stream, lambda e: isinstance(e, Progress) and e.prompt_id == lost and e.value == 5)
        server.kill()
        server.start()
        # `later` runs while no socket listens: all its events wait in the new server's replay log.
        wait_for_history(server.url, later)
        after = until(stream, is_done(later))

    [reconnected] = [event for event in after if isinstance(event, Reconnected)]
    assert reconnected.sid == client.client_id and not reconnected.resumed  # a new server: some were lost
    seen_lost = progress_of(before + after, lost)
    assert seen_lost == list(range(1, len(seen_lost) + 1))  # in order, nothing twice, until the kill
    assert progress_of(after, lost) == []
    notes = [e.data["id"] for e in after if isinstance(e, Unknown) and e.type == "notification"]
    assert notes == [f"lost:{lost}"]
    assert flow_of(after, later) == expected_flow()
    assert progress_of(after, later) == list(range(1, 31))


@pytest.mark.slow
@pytest.mark.anyio
async def test_run_follows_its_prompt_across_a_server_restart(start_server):
    server = start_server()
    killed = threading.Event()

    async def restart_when_running(event) -> None:
        if isinstance(event, Progress) and event.value == 3 and not killed.is_set():
            killed.set()
            while not (await running.get_queue()).queue_pending:  # the other run's prompt waits
                await asyncio.sleep(0.02)
            await asyncio.to_thread(server.kill)
            await asyncio.to_thread(server.start)

    async with (
        AsyncComfyClient(server.url, reconnect=QUICK) as running,
        AsyncComfyClient(server.url, reconnect=QUICK) as waiting,
    ):
        long_run = asyncio.create_task(
            running.run(slow_graph(steps=5000, interval=0.01), timeout=180, on_event=restart_when_running)
        )
        while not (await running.get_queue()).queue_running:
            await asyncio.sleep(0.02)
        short = await waiting.run(slow_graph(steps=20, interval=0.01), timeout=180)
        with pytest.raises(ExecutionFailed) as lost:
            await long_run

    assert killed.is_set()
    assert "server stopped" in str(lost.value) and lost.value.event is not None
    assert short.status.status_str == "success"
