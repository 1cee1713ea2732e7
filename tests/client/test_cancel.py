"""Cancelling SDK calls with a `CancelToken` (and async calls as tasks): a cancelled call ends at
once with `Cancelled`, even while its answer is held up, and closes its connection.

A `TcpProxy` in front of the real server holds the server's answer back, so the call is
certainly waiting on the network when it is cancelled; the proxy's connection count is the
server-side view of what the client left open, and the httpx pool the client-side one.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from client_graphs import slow_graph
from twins import in_thread

from comfyd.client import (
    AsyncComfyClient,
    Cancelled,
    CancelToken,
    ComfyClient,
    FeatureFlags,
    Progress,
    Status,
)

WS = b"GET /ws"


def pool_connections(client) -> list:
    """The connections httpx keeps for `client` (sync or async twin)."""
    transport = client._http._transport
    return list(transport.connections if hasattr(transport, "connections") else transport._pool.connections)




def wait_idle(server_url: str) -> None:
    """Interrupt whatever a cancelled run left running on the shared server, and wait for it."""
    with ComfyClient(server_url) as helper:
        deadline = time.monotonic() + 60
        while (queue := helper.get_queue()).queue_running or queue.queue_pending:
            assert time.monotonic() < deadline, "the server never became idle"
            for item in queue.queue_pending:
                helper.cancel_job(item.prompt_id)
            helper.interrupt()
            time.sleep(0.05)


# -- the token ----------------------------------------------------------------------------------


def test_cancel_runs_each_callback_once_and_later_ones_at_once():
    token = CancelToken()
    calls: list[str] = []
    token.on_cancel(lambda: calls.append("first"))
    forget = token.on_cancel(lambda: calls.append("forgotten"))
    forget()

    token.cancel("stop")
    token.cancel("again")
    token.on_cancel(lambda: calls.append("late"))

    assert calls == ["first", "late"]
    assert token.is_cancelled and token.reason == "stop" and token.wait(0)
    with pytest.raises(Cancelled, match="stop"):
        token.raise_if_cancelled()


def test_a_failing_callback_does_not_stop_the_others(caplog):
    token = CancelToken()
    calls: list[str] = []
    token.on_cancel(lambda: 1 / 0)
    token.on_cancel(lambda: calls.append("second"))

    token.cancel()

    assert calls == ["second"] and "cancellation callback failed" in caplog.text


# -- HTTP calls ---------------------------------------------------------------------------------


def test_a_call_with_a_cancelled_token_sends_nothing(twin, proxy):
    client = twin(proxy.url)
    token = CancelToken()
    token.cancel()

    with pytest.raises(Cancelled):
        client.get_queue(cancel=token)

    assert proxy.connections() == 0


def test_cancelling_a_request_whose_answer_is_held_up_ends_it_and_closes_its_connection(twin, proxy):
    client = twin(proxy.url, timeout=None)  # nothing but the token can end the call
    assert client.get_queue().queue_running is not None
    proxy.hold()
    token = CancelToken()

    thread, outcome = in_thread(client.get_queue, cancel=token)
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the server's answer")
    token.cancel()
    thread.join(30)

    assert not thread.is_alive() and isinstance(outcome.get("error"), Cancelled)
    proxy.wait_until(lambda: proxy.connections() == 0, "the client to close its connection")
    assert pool_connections(client) == []
    proxy.release()
    assert client.get_queue().queue_pending is not None  # the client works on


@pytest.mark.anyio
async def test_an_async_call_cancelled_as_a_task_closes_its_connection(proxy):
    async with AsyncComfyClient(proxy.url, timeout=None) as client:
        await client.get_queue()
        proxy.hold()
        task = asyncio.create_task(client.get_queue())
        await asyncio.to_thread(proxy.wait_until, lambda: proxy.held_bytes > 0, "the server's answer")
        task.cancel()

        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(proxy.wait_until, lambda: proxy.connections() == 0, "the connection to close")
        assert pool_connections(client) == []


# -- waiting on the socket ----------------------------------------------------------------------


def test_cancelling_a_stream_blocked_in_receive_ends_it_and_closes_the_socket(twin, proxy):
    client = twin(proxy.url)
    token = CancelToken()
    with client.events(cancel=token) as stream:
        assert isinstance(stream.receive(10), Status)
        assert isinstance(stream.receive(10), FeatureFlags)  # the server's answer to the hello
        thread, outcome = in_thread(stream.receive)  # nothing more will arrive
        proxy.wait_until(lambda: proxy.connections(starting_with=WS) == 1, "the socket")
        token.cancel()
        thread.join(30)

    assert not thread.is_alive() and isinstance(outcome.get("error"), Cancelled)
    proxy.wait_until(lambda: proxy.connections(starting_with=WS) == 0, "the socket to close")


def test_cancelling_run_while_it_waits_for_events_closes_its_socket(twin, proxy, server):
    client = twin(proxy.url)
    token = CancelToken()
    progressing = threading.Event()

    def watch(event) -> None:
        if isinstance(event, Progress):
            progressing.set()

    thread, outcome = in_thread(
        client.run, slow_graph(steps=3000, interval=0.01), on_event=watch, cancel=token
    )
    assert progressing.wait(60)
    token.cancel("enough")
    thread.join(30)

    try:
        assert not thread.is_alive() and isinstance(outcome.get("error"), Cancelled)
        assert outcome["error"].reason == "enough"
        proxy.wait_until(lambda: proxy.connections(starting_with=WS) == 0, "the socket to close")
        assert proxy.connections() == len(pool_connections(client))  # only idle keep-alive HTTP ones
    finally:
        wait_idle(server.url)
