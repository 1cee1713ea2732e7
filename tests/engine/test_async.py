"""Async nodes: coroutine FUNCTIONs run as tasks, so independent ones overlap; their errors and
results behave like those of ordinary nodes.

The timing assertions are semantic, not benchmarks: three 1-second sleeps that ran one after the
other would take 3 s, so finishing well under that proves they ran concurrently.
"""

import time

import pytest
from engine_client import ExecutionFailed, pixel_values


def test_async_node_runs_and_passes_its_value_through(client, builder):
    image = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    sleep = builder.node("TestSleep", value=image.out(0), seconds=0.05)
    save = builder.node("SaveImage", images=sleep.out(0))

    result = client.run(builder)

    assert result.did_run(sleep) and result.did_run(save)
    assert [pixel_values(img) for img in result.get_images(save)] == [(0, 0)]


def test_independent_async_nodes_run_concurrently(client, builder):
    image = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    sleeps = [builder.node("TestSleep", value=image.out(0), seconds=1.0) for _ in range(3)]
    for sleep in sleeps:
        builder.node("PreviewImage", images=sleep.out(0))

    started = time.monotonic()
    result = client.run(builder)
    elapsed = time.monotonic() - started

    assert all(result.did_run(sleep) for sleep in sleeps)
    assert elapsed < 2.5, f"three 1 s sleeps took {elapsed:.2f} s: they did not overlap"


def test_async_nodes_inside_an_expansion_run_concurrently(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    parallel = g.node(
        "TestParallelSleep",
        image1=black.out(0),
        image2=white.out(0),
        image3=white.out(0),
        sleep1=1.0,
        sleep2=1.0,
        sleep3=1.0,
    )
    save = g.node("SaveImage", images=parallel.out(0))

    started = time.monotonic()
    result = client.run(g)
    elapsed = time.monotonic() - started

    assert elapsed < 2.5, f"three 1 s sleeps in an expansion took {elapsed:.2f} s"
    assert result.did_run(parallel)
    assert [pixel_values(img) for img in result.get_images(save)] == [(170, 170)]


def test_expansion_generating_many_async_nodes_runs_them_concurrently(client, builder):
    black = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = builder.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    generator = builder.node(
        "TestDynamicAsyncGeneration",
        image1=black.out(0),
        image2=white.out(0),
        num_async_nodes=5,
        sleep_duration=0.5,
    )
    save = builder.node("SaveImage", images=generator.out(0))

    started = time.monotonic()
    result = client.run(builder)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0, f"five 0.5 s sleeps took {elapsed:.2f} s"
    # Three black and two white images averaged: 2/5 of full scale.
    assert [pixel_values(img) for img in result.get_images(save)] == [(102, 102)]


def test_async_results_feed_sync_nodes(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    sleep1 = g.node("TestSleep", value=black.out(0), seconds=0.1)
    sleep2 = g.node("TestSleep", value=white.out(0), seconds=0.1)
    average = g.node("TestVariadicAverage", input1=sleep1.out(0), input2=sleep2.out(0))
    save = g.node("SaveImage", images=average.out(0))

    result = client.run(g)

    assert result.did_run(average)
    assert [pixel_values(img) for img in result.get_images(save)] == [(127, 127)]


def test_mixed_sync_and_async_chain(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    mask = g.node("StubMask", value=0.5, height=32, width=32, batch_size=1)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    sleep1 = g.node("TestSleep", value=mix.out(0), seconds=0.05)
    halve = g.node("TestCustomValidation1", input1=sleep1.out(0), input2=0.5)
    sleep2 = g.node("TestSleep", value=halve.out(0), seconds=0.05)
    save = g.node("SaveImage", images=sleep2.out(0))

    result = client.run(g)

    assert all(result.did_run(node) for node in (mix, sleep1, halve, sleep2))
    assert [pixel_values(img) for img in result.get_images(save)] == [(63, 63)]


def test_async_error_names_the_failing_node(client, builder):
    image = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    failing = builder.node("TestAsyncError", value=image.out(0), error_after=0.05)
    builder.node("SaveImage", images=failing.out(0))

    with pytest.raises(ExecutionFailed) as caught:
        client.run(builder)

    data = caught.value.data
    assert data["prompt_id"] == caught.value.outcome.prompt_id
    assert data["node_id"] == failing.id
    assert data["exception_type"] == "RuntimeError"
    assert "Intentional async execution error" in data["exception_message"]


def test_async_timeout_is_reported_as_an_error(client, builder):
    image = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    slow = builder.node("TestAsyncTimeout", value=image.out(0), timeout=0.05, operation_time=1.0)
    builder.node("SaveImage", images=slow.out(0))

    with pytest.raises(ExecutionFailed) as caught:
        client.run(builder)

    assert caught.value.data["node_id"] == slow.id
    assert "timed out" in caught.value.data["exception_message"]


def test_async_node_within_its_timeout_succeeds(client, builder):
    image = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    quick = builder.node("TestAsyncTimeout", value=image.out(0), timeout=1.0, operation_time=0.01)
    save = builder.node("SaveImage", images=quick.out(0))

    assert len(client.run(builder).get_images(save)) == 1


def test_executor_recovers_after_an_async_error(client, builder, make_builder):
    image = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    failing = builder.node("TestAsyncError", value=image.out(0), error_after=0.01)
    builder.node("SaveImage", images=failing.out(0))
    with pytest.raises(ExecutionFailed):
        client.run(builder)

    g = make_builder("recovery_")
    sleep = g.node(
        "TestSleep",
        value=g.node("StubImage", content="WHITE", height=8, width=8, batch_size=1).out(0),
        seconds=0.01,
    )
    g.node("SaveImage", images=sleep.out(0))

    assert client.run(g).did_run(sleep)


def test_concurrent_async_nodes_each_hold_their_own_resource(client, builder):
    image = builder.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    users = [
        builder.node("TestAsyncResourceUser", value=image.out(0), resource_id=f"resource_{i}", duration=0.05)
        for i in range(5)
    ]
    for user in users:
        builder.node("PreviewImage", images=user.out(0))

    first = client.run(builder)
    again = client.run(builder)

    assert all(first.did_run(user) for user in users)
    assert all(again.did_run(user) != client.caches_across_prompts for user in users)
