"""Progress reporting: `comfy.utils.ProgressBar` sends `progress` and `progress_state`;
`comfy_api`'s `set_progress` sends `progress_state` only. Every message names its own prompt and
the node it is about, including nodes an expansion added."""

import pytest

from comfyd.engine.events import Progress, ProgressState


@pytest.fixture
def client(classic_client):
    return classic_client


def final_states(result):
    return result.events_of(ProgressState)[-1].nodes


def test_progress_bar_with_node_id_reports_for_that_node(client, builder):
    image = builder.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    sleep = builder.node("TestSleep", value=image.out(0), seconds=0.1)
    builder.node("PreviewImage", images=sleep.out(0))

    result = client.run(builder)

    progress = result.events_of(Progress)
    assert progress, "ProgressBar sent no progress message"
    assert {(event.node, event.prompt_id) for event in progress} == {(sleep.id, result.prompt_id)}
    assert all(event.max == pytest.approx(0.1) and 0 <= event.value <= event.max for event in progress)
    assert progress[-1].value == pytest.approx(0.1)


def test_progress_bar_without_node_id_reports_for_the_running_node(client, builder):
    value = builder.node("StubInt", value=1)
    loop = builder.node("TestProgressLoop", value=value.out(0), steps=4, interval=0.0)
    builder.node("TestValueOutput", value=loop.out(0))

    result = client.run(builder)

    progress = [(e.node, e.value, e.max) for e in result.events_of(Progress)]
    assert progress == [(loop.id, step, 4) for step in (1, 2, 3, 4)]
    assert {e.prompt_id for e in result.events_of(Progress)} == {result.prompt_id}


def test_progress_state_tracks_every_started_node_of_the_prompt(client, builder):
    image = builder.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    sleep = builder.node("TestSleep", value=image.out(0), seconds=0.05)
    preview = builder.node("PreviewImage", images=sleep.out(0))

    result = client.run(builder)

    states = result.events_of(ProgressState)
    assert {event.prompt_id for event in states} == {result.prompt_id}
    running = [
        event.nodes[sleep.id] for event in states if event.nodes.get(sleep.id, {}).get("state") == "running"
    ]
    assert running, "the sleep was never reported as running"
    final = final_states(result)
    assert set(final) == {image.id, sleep.id, preview.id}
    for node_id, entry in final.items():
        assert entry["state"] == "finished"
        assert entry["node_id"] == node_id
        assert entry["prompt_id"] == result.prompt_id
        assert entry["display_node_id"] == node_id
        assert entry["real_node_id"] == node_id
        assert entry["parent_node_id"] is None
    assert final[sleep.id]["value"] == pytest.approx(final[sleep.id]["max"])


@pytest.mark.parametrize("node_type", ["TestAsyncProgressUpdate", "TestSyncProgressUpdate"])
def test_api_set_progress_updates_progress_state_only(client, builder, node_type):
    value = builder.node("StubInt", value=1)
    node = builder.node(node_type, value=value.out(0), sleep_seconds=0.1)
    output = builder.node("TestValueOutput", value=node.out(0))

    result = client.run(builder)

    assert result.get_output(output) == {"values": [1]}
    assert not [e for e in result.events_of(Progress) if e.node == node.id]
    updates = [
        event.nodes[node.id]
        for event in result.events_of(ProgressState)
        if event.nodes.get(node.id, {}).get("state") == "running"
    ]
    assert any(0 < entry["value"] < 1 and entry["max"] == 1.0 for entry in updates)
    assert final_states(result)[node.id]["state"] == "finished"


def test_progress_of_expanded_nodes_names_the_node_that_expanded_them(client, builder):
    image = builder.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    parallel = builder.node(
        "TestParallelSleep",
        image1=image.out(0),
        image2=image.out(0),
        image3=image.out(0),
        sleep1=0.05,
        sleep2=0.05,
        sleep3=0.05,
    )
    builder.node("PreviewImage", images=parallel.out(0))

    result = client.run(builder)

    final = final_states(result)
    expanded = {node_id: entry for node_id, entry in final.items() if node_id.startswith(f"{parallel.id}.")}
    assert len(expanded) == 4  # three sleeps and the average
    for entry in expanded.values():
        assert entry["display_node_id"] == parallel.id
        assert entry["parent_node_id"] == parallel.id
        assert entry["real_node_id"] == parallel.id
    progress_nodes = {event.node for event in result.events_of(Progress)}
    assert progress_nodes and progress_nodes <= set(expanded)


def test_progress_of_each_prompt_carries_its_own_prompt_id(client, builder):
    image = builder.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    sleep = builder.node("TestSleep", value=image.out(0), seconds=0.05)
    builder.node("PreviewImage", images=sleep.out(0))

    first = client.run(builder)
    sleep.set_input("seconds", 0.06)
    second = client.run(builder)

    assert first.prompt_id != second.prompt_id
    for result in (first, second):
        messages = result.events_of(Progress) + result.events_of(ProgressState)
        assert messages
        assert {event.prompt_id for event in messages} == {result.prompt_id}
        assert all(
            entry["prompt_id"] == result.prompt_id
            for e in result.events_of(ProgressState)
            for entry in e.nodes.values()
        )
