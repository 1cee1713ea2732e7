"""`/ws` against a real server: event order, per-client routing, feature flags, previews,
replay after a reconnect, and the `interrupt` message."""

from __future__ import annotations

import itertools
import json
import struct
import time

import pytest
from prompting import (
    executing_nodes,
    image_graph,
    listen,
    new_client_id,
    of_prompt,
    queue_prompt,
    slow_chain,
    slow_graph,
    wait_for_history,
    with_slow_pack,
)

PROGRESS = {"progress", "progress_state"}
_colors = itertools.count(1000)


@pytest.fixture(scope="module")
def server(start_module_server, tmp_path_factory):
    return start_module_server(base_dir=with_slow_pack(tmp_path_factory.mktemp("comfyd")))


def kinds(messages: list[dict]) -> list[str]:
    return [m["type"] for m in messages]


def test_connect_greets_with_status_carrying_the_client_id(server):
    client_id = new_client_id()
    with listen(server, client_id) as events:
        assert events.greeting == {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": client_id}}


@pytest.mark.parametrize("path", ["/ws", "/api/ws"])
def test_connect_without_client_id_gets_a_new_hex_sid_that_prompts_can_target(server, http, path):
    with listen(server, path=path) as events:
        assert len(events.sid) == 32 and int(events.sid, 16) >= 0
        prompt_id = queue_prompt(http, image_graph("nosid", color=next(_colors)), client_id=events.sid)
        messages = events.until_done(prompt_id)
    assert "execution_success" in kinds(messages)


def test_prompt_events_reach_its_client_in_comfyui_order_and_history_is_ready_at_the_end(server, http):
    client_id = new_client_id()
    with listen(server, client_id) as events:
        prompt_id = queue_prompt(http, image_graph("order", color=next(_colors)), client_id=client_id)
        messages = events.until_done(prompt_id)
        # ComfyUI writes history before `executing {node: null}`; clients read it straight away.
        history = http.get(f"/history/{prompt_id}").json()

    assert messages[0]["type"] == "status"
    flow = [m for m in messages if m["type"] not in PROGRESS | {"status"}]
    assert kinds(flow) == [
        "execution_start",
        "execution_cached",
        "executing",
        "executing",
        "executing",
        "executed",
        "execution_success",
        "executing",
    ]
    assert all(m["data"]["prompt_id"] == prompt_id for m in flow)
    assert executing_nodes(flow) == ["1", "2", "3"]
    assert [m["data"]["display_node"] for m in flow if m["type"] == "executing" and m["data"]["node"]] == ["1", "2", "3"]
    assert isinstance(flow[0]["data"]["timestamp"], int)
    executed = flow[5]["data"]
    assert executed["node"] == executed["display_node"] == "3"
    [image] = executed["output"]["images"]
    assert image["filename"].startswith("order_") and image["type"] == "output" and image["subfolder"] == ""
    assert flow[-1]["data"] == {"node": None, "prompt_id": prompt_id}
    entry = history[prompt_id]
    assert entry["status"]["status_str"] == "success" and entry["status"]["completed"] is True
    assert entry["outputs"]["3"] == executed["output"]


def test_rerun_of_the_same_prompt_reports_cached_nodes_and_executes_none_of_them(server, http):
    client_id = new_client_id()
    graph = image_graph("cached", color=next(_colors))
    with listen(server, client_id) as events:
        first = queue_prompt(http, graph, client_id=client_id)
        events.until_done(first)
        second = queue_prompt(http, graph, client_id=client_id)
        messages = of_prompt(events.until_done(second), second)

    cached = next(m for m in messages if m["type"] == "execution_cached")
    assert sorted(cached["data"]["nodes"]) == ["1", "2", "3"]
    assert executing_nodes(messages) == []
    # An output node served from the cache re-sends its ui, as ComfyUI does.
    executed = [m["data"] for m in messages if m["type"] == "executed"]
    assert [e["node"] for e in executed] == ["3"] and executed[0]["output"]["images"]
    assert kinds(messages)[-2:] == ["execution_success", "executing"]


def test_clients_never_receive_each_others_execution_messages_but_both_get_status(server, http):
    a, b = new_client_id(), new_client_id()
    with listen(server, a) as events_a, listen(server, b) as events_b:
        prompt_a = queue_prompt(http, slow_graph(steps=3, interval=0.02), client_id=a)
        prompt_b = queue_prompt(http, slow_graph(steps=3, interval=0.02), client_id=b)
        seen_a = events_a.until_done(prompt_a)
        seen_b = events_b.until_done(prompt_b)
        seen_a += events_a.quiet(0.3)

    for mine, theirs, seen in ((prompt_a, prompt_b, seen_a), (prompt_b, prompt_a, seen_b)):
        assert of_prompt(seen, theirs) == []
        own = {m["type"] for m in of_prompt(seen, mine)}
        assert {"execution_start", "executing", "executed", "progress", "progress_state", "execution_success"} <= own
        assert "status" in kinds(seen)


def test_prompt_without_client_id_broadcasts_progress_but_sends_execution_messages_to_no_one(server, http):
    with listen(server, new_client_id()) as events:
        prompt_id = queue_prompt(http, slow_graph(steps=3, interval=0.02))
        wait_for_history(http, prompt_id)
        seen = of_prompt(events.quiet(0.3), prompt_id)
    assert {"progress", "progress_state"} <= set(kinds(seen))
    assert not {"execution_start", "execution_cached", "executing", "executed", "execution_success"} & set(kinds(seen))


def test_feature_flags_as_first_message_get_the_server_flags_in_reply(server):
    with listen(server, new_client_id(), flags={"supports_preview_metadata": True}) as events:
        flags = events.server_flags
    assert flags["supports_preview_metadata"] is True
    assert isinstance(flags["max_upload_size"], float) and flags["max_upload_size"] > 0


def test_feature_flags_after_another_first_message_get_no_reply(server):
    with listen(server, new_client_id()) as events:
        events.ws.send(json.dumps({"type": "hello", "data": {}}))
        events.ws.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
        assert "feature_flags" not in kinds(events.quiet(0.5))


def test_invalid_json_from_a_client_is_ignored_and_the_socket_stays_open(server, http):
    client_id = new_client_id()
    with listen(server, client_id) as events:
        events.ws.send("{not json")
        prompt_id = queue_prompt(http, image_graph("badjson", color=next(_colors)), client_id=client_id)
        assert "execution_success" in kinds(events.until_done(prompt_id))


@pytest.mark.parametrize(
    ("flags", "frame_type"),
    [
        pytest.param({"supports_preview_metadata": True}, 4, id="with-metadata"),
        pytest.param({}, 1, id="legacy"),
    ],
)
def test_previews_use_the_frame_type_the_client_negotiated(server, http, flags, frame_type):
    client_id = new_client_id()
    with listen(server, client_id, flags=flags) as events:
        prompt_id = queue_prompt(http, slow_graph(steps=2, interval=0.01, preview=True), client_id=client_id)
        events.until_done(prompt_id)
    assert events.frame_types() == [frame_type, frame_type]
    frame = events.frames[0]
    if frame_type == 4:
        (length,) = struct.unpack(">I", frame[4:8])
        metadata = json.loads(frame[8 : 8 + length])
        assert metadata["prompt_id"] == prompt_id and metadata["node_id"] == "2"
        assert metadata["image_type"] == "image/jpeg"
        assert frame[8 + length : 8 + length + 2] == b"\xff\xd8"
    else:
        assert struct.unpack(">I", frame[4:8]) == (1,)  # JPEG
        assert frame[8:10] == b"\xff\xd8"


def test_reconnecting_client_is_replayed_what_it_missed_in_order_then_the_rest(server, http):
    client_id = new_client_id()
    # Four slow nodes (2..5) of three 0.15 s steps; the client leaves right after node 3 starts,
    # when the next message is a step away, and comes back while node 4 or 5 runs.
    graph = slow_chain(4, steps=3, interval=0.15, color=next(_colors))
    with listen(server, client_id) as first:
        prompt_id = queue_prompt(http, graph, client_id=client_id)
        before = first.until(lambda m: m["type"] == "executing" and m["data"]["node"] == "3")
    time.sleep(0.8)
    with listen(server, client_id) as second:
        after = second.until_done(prompt_id)

    missed = of_prompt(after, prompt_id)
    assert missed[0]["type"] != "execution_start"  # nothing already delivered is sent again
    seen = of_prompt(before, prompt_id) + missed
    assert executing_nodes(seen) == ["1", "2", "3", "4", "5", "6"]
    for node in ("2", "3", "4", "5"):
        steps = [m["data"]["value"] for m in seen if m["type"] == "progress" and m["data"]["node"] == node]
        assert steps == [1, 2, 3], (node, steps)
    assert kinds(seen).count("execution_start") == 1
    assert kinds(seen)[-2:] == ["execution_success", "executing"]


def test_reconnect_while_the_old_socket_is_open_keeps_the_new_socket_working(server, http):
    client_id = new_client_id()
    with listen(server, client_id) as old:
        prompt_id = queue_prompt(http, slow_chain(3, steps=3, interval=0.05), client_id=client_id)
        old.until(lambda m: m["type"] == "executing" and m["data"]["node"] == "2")
        with listen(server, client_id) as new:
            old.ws.close()  # the old socket's cleanup must not unregister the new one
            rest = new.until_done(prompt_id)
            assert executing_nodes(rest)[-1] == "5"
            # ...and later prompts still reach the new socket.
            time.sleep(0.2)
            later = queue_prompt(http, image_graph("after_reconnect", color=next(_colors)), client_id=client_id)
            assert "execution_success" in kinds(new.until_done(later))


def test_interrupt_message_from_the_prompts_client_interrupts_it(server, http):
    client_id = new_client_id()
    with listen(server, client_id) as events:
        prompt_id = queue_prompt(http, slow_graph(steps=100_000, interval=0.01, color=next(_colors)), client_id=client_id)
        events.until(lambda m: m["type"] == "progress" and m["data"]["prompt_id"] == prompt_id)
        events.ws.send(json.dumps({"type": "interrupt"}))
        messages = of_prompt(events.until_done(prompt_id, timeout=10), prompt_id)

    interrupted = [m["data"] for m in messages if m["type"] == "execution_interrupted"]
    assert len(interrupted) == 1
    assert interrupted[0]["node_id"] == "2" and interrupted[0]["node_type"] == "SlowImage"
    assert interrupted[0]["executed"] == ["1"]
    assert "execution_success" not in kinds(messages)
    assert http.get(f"/history/{prompt_id}").json()[prompt_id]["status"]["status_str"] == "error"
    assert http.get(f"/jobs/{prompt_id}").json()["status"] == "cancelled"


def test_interrupt_message_from_another_client_does_not_touch_the_prompt(server, http):
    owner = new_client_id()
    with listen(server, owner) as events, listen(server, new_client_id()) as stranger:
        prompt_id = queue_prompt(http, slow_graph(steps=20, interval=0.02), client_id=owner)
        events.until(lambda m: m["type"] == "progress" and m["data"]["prompt_id"] == prompt_id)
        stranger.ws.send(json.dumps({"type": "interrupt"}))
        messages = events.until_done(prompt_id)
    assert "execution_success" in kinds(messages)
    assert "execution_interrupted" not in kinds(messages)


def test_reconnects_during_a_flood_of_events_get_the_greeting_first_and_events_in_order(server, http):
    client_id = new_client_id()
    prompt_id = queue_prompt(http, slow_graph(steps=2000, interval=0.001, color=next(_colors)), client_id=client_id)
    done = False
    for _ in range(15):
        with listen(server, client_id) as events:  # asserts that the greeting comes first
            seen = of_prompt(events.quiet(0.05), prompt_id)
        steps = [m["data"]["value"] for m in seen if m["type"] == "progress"]
        assert steps == sorted(set(steps)), "a socket got progress out of order or twice"
        if any(m["type"] == "executing" and m["data"]["node"] is None for m in seen):
            done = True
            break
    if not done:
        with listen(server, client_id) as events:
            events.until_done(prompt_id)
