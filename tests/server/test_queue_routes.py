"""`/queue`, `/delete/{id}` and `/interrupt` against a real server: what waits, what runs, and
stopping it."""

from __future__ import annotations

import itertools

import pytest
from prompting import (
    blocking_prompt,
    image_graph,
    listen,
    new_client_id,
    of_prompt,
    queue_prompt,
    slow_graph,
    wait_for_history,
    wait_until_idle,
    wait_until_running,
    with_slow_pack,
)

PREFIXES = [pytest.param("", id="root"), pytest.param("/api", id="api")]
_colors = itertools.count(3000)


@pytest.fixture(scope="module")
def server(start_module_server, tmp_path_factory):
    return start_module_server(base_dir=with_slow_pack(tmp_path_factory.mktemp("comfyd")))


def pending_ids(http) -> list[str]:
    return [item[1] for item in http.get("/queue").json()["queue_pending"]]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_queue_shows_running_and_pending_prompts_as_five_element_items(http, prefix):
    client_id = new_client_id()
    extra = {"extra_pnginfo": {"workflow": {"id": "wf"}}}
    assert http.get(f"{prefix}/queue").json() == {"queue_running": [], "queue_pending": []}
    with blocking_prompt(http, client_id=client_id) as running_id:
        graph = image_graph(color=next(_colors))
        waiting = queue_prompt(http, graph, client_id=client_id, extra_data=extra)
        queue = http.get(f"{prefix}/queue").json()
    [running] = queue["queue_running"]
    assert len(running) == 5 and running[1] == running_id  # the frontend's cancel button reads [1]
    [pending] = queue["queue_pending"]
    number, prompt_id, prompt, extra_data, outputs = pending
    assert prompt_id == waiting and isinstance(number, int) and number > running[0]
    assert prompt["3"] == graph["3"] and outputs == ["3"]
    assert extra_data["client_id"] == client_id and extra_data["extra_pnginfo"] == extra["extra_pnginfo"]
    assert isinstance(extra_data["create_time"], int)
    wait_for_history(http, waiting)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_queue_delete_removes_a_pending_prompt_which_then_never_runs(http, prefix):
    with blocking_prompt(http):
        doomed = queue_prompt(http, image_graph(color=next(_colors)))
        kept = queue_prompt(http, image_graph(color=next(_colors)))
        reply = http.post(f"{prefix}/queue", json={"delete": [doomed]})
        assert reply.status_code == 200 and reply.content == b""
        assert pending_ids(http) == [kept]
    wait_for_history(http, kept)
    wait_until_idle(http)
    assert http.get(f"/history/{doomed}").json() == {}
    assert http.get(f"/jobs/{doomed}").status_code == 404


def test_post_queue_clear_empties_the_pending_prompts_but_not_the_running_one(http):
    with blocking_prompt(http) as running_id:
        waiting = [queue_prompt(http, image_graph(color=next(_colors))) for _ in range(3)]
        assert http.post("/api/queue", json={"clear": True}).status_code == 200
        queue = http.get("/queue").json()
        assert queue["queue_pending"] == [] and queue["queue_running"][0][1] == running_id
    wait_until_idle(http)
    assert all(http.get(f"/history/{i}").json() == {} for i in waiting)


def test_post_queue_change_is_broadcast_as_status(server, http):
    with listen(server, new_client_id()) as events, blocking_prompt(http):
        queue_prompt(http, image_graph(color=next(_colors)))
        events.until(lambda m: m["type"] == "status" and m["data"]["status"]["exec_info"]["queue_remaining"] == 2)
        http.post("/queue", json={"clear": True})
        events.until(lambda m: m["type"] == "status" and m["data"]["status"]["exec_info"]["queue_remaining"] == 1)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_delete_removes_a_pending_prompt_and_answers_404_for_an_unknown_one(http, prefix):
    with blocking_prompt(http):
        doomed = queue_prompt(http, image_graph(color=next(_colors)))
        reply = http.delete(f"{prefix}/delete/{doomed}")
        assert reply.status_code == 200 and reply.json() == {"deleted": [doomed]}
        assert pending_ids(http) == []
    assert http.delete(f"{prefix}/delete/no-such-prompt").status_code == 404


def test_interrupt_stops_the_running_prompt_and_it_ends_cancelled(server, http):
    client_id = new_client_id()
    with listen(server, client_id) as events:
        prompt_id = queue_prompt(http, slow_graph(steps=100_000, interval=0.01, color=next(_colors)), client_id=client_id)
        events.until(lambda m: m["type"] == "progress" and m["data"]["prompt_id"] == prompt_id)
        assert http.post("/api/interrupt").status_code == 200
        messages = of_prompt(events.until_done(prompt_id, timeout=10), prompt_id)
    [interrupted] = [m["data"] for m in messages if m["type"] == "execution_interrupted"]
    assert interrupted["node_id"] == "2" and interrupted["node_type"] == "SlowImage"
    assert isinstance(interrupted["timestamp"], int)
    entry = http.get(f"/history/{prompt_id}").json()[prompt_id]
    assert entry["status"]["status_str"] == "error" and entry["status"]["completed"] is False
    assert entry["status"]["messages"][-1][0] == "execution_interrupted"
    assert http.get(f"/jobs/{prompt_id}").json()["status"] == "cancelled"


def test_interrupt_naming_the_running_prompt_stops_it(http):
    prompt_id = queue_prompt(http, slow_graph(steps=100_000, interval=0.01, color=next(_colors)))
    wait_until_running(http, prompt_id)
    assert http.post("/interrupt", json={"prompt_id": prompt_id}).status_code == 200
    assert wait_for_history(http, prompt_id, timeout=10)["status"]["status_str"] == "error"


def test_interrupt_naming_another_prompt_does_nothing(http):
    prompt_id = queue_prompt(http, slow_graph(steps=25, interval=0.02, color=next(_colors)))
    wait_until_running(http, prompt_id)
    assert http.post("/interrupt", json={"prompt_id": "another-prompt"}).status_code == 200
    assert wait_for_history(http, prompt_id)["status"]["status_str"] == "success"


def test_interrupt_with_nothing_running_or_a_malformed_body_is_harmless(http):
    wait_until_idle(http)
    assert http.post("/interrupt").status_code == 200
    assert http.post("/interrupt", content=b"{oops").status_code == 200
    # The next prompt is not hit by a leftover interrupt.
    prompt_id = queue_prompt(http, image_graph(color=next(_colors)))
    assert wait_for_history(http, prompt_id)["status"]["status_str"] == "success"


def cached_nodes(entry: dict) -> list[str]:
    return next(data["nodes"] for kind, data in entry["status"]["messages"] if kind == "execution_cached")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_free_memory_drops_cached_outputs_before_the_next_prompt(http, prefix):
    graph = image_graph(color=next(_colors))
    for expected in ([], ["1", "2", "3"]):
        entry = wait_for_history(http, queue_prompt(http, graph))
        assert sorted(cached_nodes(entry)) == expected
    assert http.post(f"{prefix}/free", json={"unload_models": True, "free_memory": True}).status_code == 200
    assert cached_nodes(wait_for_history(http, queue_prompt(http, graph))) == []
