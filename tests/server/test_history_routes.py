"""`/history` against a real server: entries, ComfyUI's paging, deleting and clearing."""

from __future__ import annotations

import itertools

import pytest
from prompting import image_graph, queue_prompt, wait_for_history

PREFIXES = [pytest.param("", id="root"), pytest.param("/api", id="api")]
_colors = itertools.count(4000)


def run_prompts(http, count: int) -> list[str]:
    """Clear the history, then run `count` prompts one after another; their ids, oldest first."""
    http.post("/history", json={"clear": True})
    ids = []
    for _ in range(count):
        ids.append(queue_prompt(http, image_graph("history", color=next(_colors))))
        wait_for_history(http, ids[-1])
    return ids


@pytest.mark.parametrize("prefix", PREFIXES)
def test_history_entry_has_comfyuis_shape(http, prefix):
    graph = image_graph("shape", color=next(_colors))
    prompt_id = queue_prompt(http, graph, client_id="someone", extra_data={"extra_pnginfo": {"a": 1}})
    wait_for_history(http, prompt_id)
    entry = http.get(f"{prefix}/history/{prompt_id}").json()[prompt_id]
    assert set(entry) == {"prompt", "outputs", "status", "meta"}
    number, stored_id, prompt, extra_data, outputs = entry["prompt"]
    assert stored_id == prompt_id and isinstance(number, int) and outputs == ["3"]
    assert prompt["3"]["inputs"]["filename_prefix"] == "shape"
    assert extra_data["client_id"] == "someone" and extra_data["extra_pnginfo"] == {"a": 1}
    assert entry["outputs"]["3"]["images"][0]["type"] == "output"
    assert entry["meta"]["3"]["node_id"] == "3"
    status = entry["status"]
    assert status["status_str"] == "success" and status["completed"] is True
    assert [kind for kind, _ in status["messages"]] == ["execution_start", "execution_cached", "execution_success"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_history_of_an_unknown_prompt_is_an_empty_object(http, prefix):
    reply = http.get(f"{prefix}/history/no-such-prompt")
    assert reply.status_code == 200 and reply.json() == {}


def test_history_lists_prompts_oldest_first(http):
    ids = run_prompts(http, 4)
    for prefix in ("", "/api"):
        assert list(http.get(f"{prefix}/history").json()) == ids


@pytest.fixture(scope="module")
def five_prompts(server) -> list[str]:
    """Five finished prompts and nothing else in the history, shared by the paging cases."""
    with server.client() as http:
        return run_prompts(http, 5)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("max_items=2", [3, 4], id="last-n"),
        pytest.param("max_items=2&offset=-1", [3, 4], id="last-n-explicit-offset"),
        pytest.param("max_items=50", [0, 1, 2, 3, 4], id="more-than-all"),
        pytest.param("max_items=2&offset=1", [1, 2], id="offset-and-max"),
        pytest.param("offset=3", [3, 4], id="offset-only"),
        pytest.param("offset=9", [], id="past-the-end"),
    ],
)
def test_history_paging_follows_comfyui(http, five_prompts, query, expected):
    for prefix in ("", "/api"):
        assert list(http.get(f"{prefix}/history?{query}").json()) == [five_prompts[i] for i in expected]


@pytest.mark.parametrize("param", ["max_items", "offset"])
def test_history_paging_with_a_non_integer_answers_400(http, param):
    reply = http.get(f"/history?{param}=many")
    assert reply.status_code == 400 and "error" in reply.json()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_history_delete_forgets_the_named_prompts(http, prefix):
    ids = run_prompts(http, 3)
    reply = http.post(f"{prefix}/history", json={"delete": [ids[1], "no-such-prompt"]})
    assert reply.status_code == 200
    assert list(http.get("/history").json()) == [ids[0], ids[2]]
    assert http.get(f"/history/{ids[1]}").json() == {}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_history_clear_forgets_everything(http, prefix):
    run_prompts(http, 2)
    assert http.post(f"{prefix}/history", json={"clear": True}).status_code == 200
    assert http.get("/history").json() == {}


def test_delete_route_forgets_a_finished_prompt(http):
    [prompt_id] = run_prompts(http, 1)
    assert http.delete(f"/api/delete/{prompt_id}").json() == {"deleted": [prompt_id]}
    assert http.get(f"/history/{prompt_id}").json() == {}
