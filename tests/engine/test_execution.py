"""Running a prompt end to end: the events of a run, runtime errors, output nodes, undeclared
inputs and hidden inputs."""

import json

import pytest
from engine_client import ExecutionFailed, pixel_values

from comfyd.engine.events import (
    Executing,
    ExecutionCached,
    ExecutionError,
    ExecutionStart,
    ExecutionSuccess,
)


def test_run_reports_start_cached_executing_and_success_for_its_prompt(client, builder):
    image = builder.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    save = builder.node("SaveImage", images=image.out(0))

    result = client.run(builder)

    assert isinstance(result.events[0], ExecutionStart)
    assert isinstance(result.events[1], ExecutionCached)
    assert isinstance(result.events[-1], ExecutionSuccess)
    assert {event.data()["prompt_id"] for event in result.events} == {result.prompt_id}
    executing = result.events_of(Executing)
    assert [event.node for event in executing] == [image.id, save.id]
    assert all(event.display_node == event.node for event in executing)
    assert result.result.status_str == "success" and result.result.completed
    assert set(result.result.executed) == {image.id, save.id}
    record = result.result.messages[0]
    assert record[0] == "execution_start" and record[1]["prompt_id"] == result.prompt_id


def test_save_image_output_names_files_in_the_output_folder(client, builder):
    image = builder.node("StubImage", content="WHITE", height=64, width=32, batch_size=2)
    save = builder.node("SaveImage", images=image.out(0))

    result = client.run(builder)

    records = result.get_output(save)["images"]
    assert [record["type"] for record in records] == ["output", "output"]
    assert all(record["filename"].startswith(client.test_name) for record in records)
    assert [img.size for img in result.get_images(save)] == [(32, 64), (32, 64)]


def test_runtime_error_reports_the_failing_node_and_stops_the_prompt(client, builder):
    g = builder
    big = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    small = g.node("StubImage", content="NOISE", height=32, width=32, batch_size=1)
    mask = g.node("StubMask", value=0.5, height=64, width=64, batch_size=1)
    mix = g.node("TestLazyMixImages", image1=big.out(0), image2=small.out(0), mask=mask.out(0))
    save = g.node("SaveImage", images=mix.out(0))

    with pytest.raises(ExecutionFailed) as caught:
        client.run(g)

    data = caught.value.data
    assert data["prompt_id"] == caught.value.outcome.prompt_id
    assert data["node_id"] == mix.id
    assert data["node_type"] == "TestLazyMixImages"
    assert data["exception_type"] == "RuntimeError"
    assert data["exception_message"]
    assert isinstance(data["traceback"], list) and data["traceback"]
    assert set(data["current_inputs"]) == {"image1", "image2", "mask"}
    assert all(isinstance(values, list) for values in data["current_inputs"].values())
    assert {big.id, small.id, mask.id} <= set(data["executed"])
    assert mix.id not in data["executed"]
    outcome = caught.value.outcome
    assert not outcome.did_run(save)
    assert outcome.result.status_str == "error" and not outcome.result.completed
    assert not outcome.events_of(ExecutionSuccess)
    json.dumps(data)  # the payload must be JSON-serialisable for /ws


def test_executor_recovers_after_a_runtime_error(client, builder, make_builder):
    image = builder.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    failing = builder.node("TestSyncError", value=image.out(0))
    builder.node("PreviewImage", images=failing.out(0))
    with pytest.raises(ExecutionFailed):
        client.run(builder)

    g = make_builder("recovery_")
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    save = g.node("SaveImage", images=white.out(0))

    assert len(client.run(g).get_images(save)) == 1


def test_one_output_feeds_two_output_nodes(client, builder):
    image = builder.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    save1 = builder.node("SaveImage", images=image.out(0))
    save2 = builder.node("SaveImage", images=image.out(0))

    result = client.run(builder)

    assert len(result.get_images(save1)) == 1
    assert len(result.get_images(save2)) == 1
    assert [e.node for e in result.events_of(Executing)].count(image.id) == 1


def test_output_node_with_a_socket_output_runs_once_and_feeds_others(client, builder):
    image = builder.node("StubConstantImage", value=0.25, height=64, width=64, batch_size=1)
    doubler = builder.node("TestOutputNodeWithSocketOutput", image=image.out(0), value=2.0)
    save = builder.node("SaveImage", images=doubler.out(0))

    result = client.run(builder)

    assert pixel_values(result.get_images(save)[0]) == (127, 127)
    assert [e.node for e in result.events_of(Executing)].count(doubler.id) == 1


def test_undeclared_linked_inputs_are_passed_to_the_node(client, builder):
    g = builder
    images = [
        g.node("StubImage", content=content, height=64, width=64, batch_size=1)
        for content in ("BLACK", "WHITE", "BLACK", "BLACK")
    ]
    average = g.node("TestVariadicAverage", **{f"input{i}": img.out(0) for i, img in enumerate(images, 1)})
    save = g.node("SaveImage", images=average.out(0))

    result = client.run(g)

    assert pixel_values(result.get_images(save)[0]) == (255 // 4, 255 // 4)


def test_undeclared_constant_inputs_are_dropped(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    # Were "input3" passed, the average would fail to stack a float with images.
    average = g.node("TestVariadicAverage", input1=black.out(0), input2=white.out(0), input3=0.5)
    save = g.node("SaveImage", images=average.out(0))

    result = client.run(g)

    assert pixel_values(result.get_images(save)[0]) == (127, 127)


def test_undeclared_inputs_are_not_validated(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    number = g.node("StubInt", value=3)
    # An INT into a would-be IMAGE socket: no declared type, so no return_type_mismatch.
    average = g.node("TestVariadicAverage", input1=black.out(0), input2=number.out(0))
    g.node("SaveImage", images=average.out(0))

    assert client.validate(client.prompt_of(g)).ok


def test_hidden_prompt_and_extra_pnginfo_reach_save_image(client, builder):
    image = builder.node("StubImage", content="WHITE", height=8, width=8, batch_size=1)
    save = builder.node("SaveImage", images=image.out(0))
    workflow = {"nodes": [], "links": [], "version": 0.4}

    result = client.run(builder, extra_data={"extra_pnginfo": {"workflow": workflow}})

    [saved] = result.get_images(save)
    assert json.loads(saved.info["prompt"]) == client.prompt_of(builder)
    assert json.loads(saved.info["workflow"]) == workflow


def test_sync_error_while_an_async_node_is_pending_fails_the_prompt(client, builder):
    image = builder.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    sleep = builder.node("TestSleep", value=image.out(0), seconds=0.3)
    failing = builder.node("TestSyncError", value=image.out(0))
    builder.node("PreviewImage", images=sleep.out(0))
    builder.node("PreviewImage", images=failing.out(0))

    with pytest.raises(ExecutionFailed) as caught:
        client.run(builder)

    assert caught.value.data["node_id"] == failing.id
    assert "Intentional sync execution error" in caught.value.data["exception_message"]
    errors = caught.value.outcome.events_of(ExecutionError)
    assert len(errors) == 1


def test_failed_run_leaves_no_async_node_running(client, builder):
    # ComfyUI runs each prompt under asyncio.run, which cancels what a failed prompt left; an
    # executor on a long-lived loop must do that itself, or the sleep runs on after the prompt.
    image = builder.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    sleep = builder.node("TestSleep", value=image.out(0), seconds=0.5)
    failing = builder.node("TestSyncError", value=image.out(0))
    builder.node("PreviewImage", images=sleep.out(0))
    builder.node("PreviewImage", images=failing.out(0))

    with pytest.raises(ExecutionFailed) as caught:
        client.run(builder)

    assert caught.value.outcome.leftover_tasks == []
