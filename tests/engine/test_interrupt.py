"""Interrupting a run from another thread, as `POST /interrupt` does while the worker runs.

Nodes notice an interrupt when they report progress (`ProgressBar`) or poll
`comfy.model_management`; the run then ends with `execution_interrupted` naming that node and
history status "error". Each loop below would run for ten seconds if the interrupt were missed.
"""

import threading
import time

import pytest

from comfyd.engine.events import (
    Executing,
    ExecutionError,
    ExecutionInterrupted,
    ExecutionSuccess,
    Progress,
)


@pytest.fixture
def client(classic_client):
    return classic_client


def interrupt_when(client, predicate, interrupt=None):
    """Start a thread that interrupts the client's executor once an event matches `predicate`.

    Returns the event callback to pass to `client.run` and the thread to join afterwards.
    """
    seen = threading.Event()

    def on_event(event):
        if predicate(event):
            seen.set()

    def interrupter():
        if seen.wait(timeout=10):
            (interrupt or client.executor.interrupt)()

    thread = threading.Thread(target=interrupter, daemon=True)
    thread.start()
    return on_event, thread


def run_interrupted(client, graph, predicate, interrupt=None):
    on_event, thread = interrupt_when(client, predicate, interrupt)
    started = time.monotonic()
    result = client.run(graph, on_event=on_event)
    elapsed = time.monotonic() - started
    thread.join(timeout=10)
    return result, elapsed


def assert_interrupted_at(result, node, class_type):
    [interrupted] = result.events_of(ExecutionInterrupted)
    assert interrupted.node_id == node.id
    assert interrupted.node_type == class_type
    assert interrupted.prompt_id == result.prompt_id
    assert result.result.status_str == "error"
    assert not result.result.completed
    assert not result.events_of(ExecutionSuccess)
    assert not result.events_of(ExecutionError)


def test_interrupt_stops_a_node_inside_its_progress_bar_loop(client, builder):
    value = builder.node("StubInt", value=1)
    loop = builder.node("TestProgressLoop", value=value.out(0), steps=1000, interval=0.01)
    output = builder.node("TestValueOutput", value=loop.out(0))

    result, elapsed = run_interrupted(
        client, builder, lambda e: isinstance(e, Progress) and e.node == loop.id
    )

    assert elapsed < 5, "the interrupt did not stop the loop"
    assert_interrupted_at(result, loop, "TestProgressLoop")
    assert value.id in result.events_of(ExecutionInterrupted)[0].executed
    assert not result.did_run(output)
    assert result.get_output(output) is None


def test_interrupt_stops_a_node_polling_model_management(client, builder):
    value = builder.node("StubInt", value=1)
    poll = builder.node("TestInterruptPoll", value=value.out(0), seconds=10.0)
    builder.node("TestValueOutput", value=poll.out(0))

    result, elapsed = run_interrupted(
        client, builder, lambda e: isinstance(e, Executing) and e.node == poll.id
    )

    assert elapsed < 5
    assert_interrupted_at(result, poll, "TestInterruptPoll")


def test_interrupt_stops_an_async_node(client, builder):
    image = builder.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    sleep = builder.node("TestSleep", value=image.out(0), seconds=10.0)
    builder.node("PreviewImage", images=sleep.out(0))

    result, elapsed = run_interrupted(
        client, builder, lambda e: isinstance(e, Progress) and e.node == sleep.id
    )

    assert elapsed < 5
    assert_interrupted_at(result, sleep, "TestSleep")


def test_global_interrupt_from_model_management_stops_the_run(client, builder):
    import comfy.model_management

    value = builder.node("StubInt", value=1)
    loop = builder.node("TestProgressLoop", value=value.out(0), steps=1000, interval=0.01)
    builder.node("TestValueOutput", value=loop.out(0))

    result, elapsed = run_interrupted(
        client,
        builder,
        lambda e: isinstance(e, Progress) and e.node == loop.id,
        interrupt=comfy.model_management.interrupt_current_processing,
    )

    assert elapsed < 5
    assert_interrupted_at(result, loop, "TestProgressLoop")


def test_next_prompt_runs_normally_after_an_interrupt(client, builder, make_builder):
    value = builder.node("StubInt", value=1)
    loop = builder.node("TestProgressLoop", value=value.out(0), steps=1000, interval=0.01)
    builder.node("TestValueOutput", value=loop.out(0))
    run_interrupted(client, builder, lambda e: isinstance(e, Progress) and e.node == loop.id)

    g = make_builder("after_")
    quick = g.node("TestProgressLoop", value=g.node("StubInt", value=2).out(0), steps=3, interval=0.0)
    output = g.node("TestValueOutput", value=quick.out(0))
    result = client.run(g)

    assert result.result.status_str == "success"
    assert result.get_output(output) == {"values": [2]}


def test_interrupt_with_nothing_running_does_not_affect_the_next_prompt(client, builder):
    client.executor.interrupt()
    value = builder.node("StubInt", value=3)
    output = builder.node("TestValueOutput", value=value.out(0))

    result = client.run(builder)

    assert result.get_output(output) == {"values": [3]}
