"""`/prompt` against a real server: queueing, rejections, client ids and numbers, queue order."""

from __future__ import annotations

import itertools
import uuid

import pytest
from prompting import (
    blocking_prompt,
    image_graph,
    listen,
    new_client_id,
    queue_prompt,
    wait_for_history,
    wait_until_idle,
    with_slow_pack,
)

PREFIXES = [pytest.param("", id="root"), pytest.param("/api", id="api")]
_colors = itertools.count(2000)


@pytest.fixture(scope="module")
def server(start_module_server, tmp_path_factory):
    return start_module_server(base_dir=with_slow_pack(tmp_path_factory.mktemp("comfyd")))


def counts(http) -> tuple[int, int]:
    """(queue_remaining, jobs in the Jobs API): what a rejected prompt must leave unchanged."""
    return http.get("/prompt").json()["exec_info"]["queue_remaining"], http.get("/jobs").json()["pagination"]["total"]


def test_queued_prompt_runs_and_its_history_is_readable_at_both_prefixes(server, http):
    client_id = new_client_id()
    with listen(server, client_id) as events:
        reply = http.post("/prompt", json={"prompt": image_graph("prompt_routes"), "client_id": client_id})
        assert reply.status_code == 200, reply.text
        prompt_id = reply.json()["prompt_id"]
        events.until_done(prompt_id)
    for prefix in ("", "/api"):
        entry = http.get(f"{prefix}/history/{prompt_id}").json()[prompt_id]
        assert entry["status"]["status_str"] == "success"
        assert entry["outputs"]["3"]["images"][0]["filename"].startswith("prompt_routes_")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_prompt_answers_the_new_id_its_number_and_no_node_errors(http, prefix):
    reply = http.post(f"{prefix}/prompt", json={"prompt": image_graph(color=next(_colors))})
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"prompt_id", "number", "node_errors"}
    assert str(uuid.UUID(body["prompt_id"])) == body["prompt_id"]
    assert isinstance(body["number"], int) and body["node_errors"] == {}
    wait_for_history(http, body["prompt_id"])


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_prompt_without_a_prompt_is_rejected_with_no_prompt(http, prefix):
    reply = http.post(f"{prefix}/prompt", json={"client_id": "x"})
    assert reply.status_code == 400
    assert reply.json() == {
        "error": {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": {}},
        "node_errors": {},
    }


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_prompt_with_an_unknown_node_class_is_rejected_as_missing_node_type(http, prefix):
    graph = {"1": {"class_type": "NoSuchNode", "inputs": {}}}
    reply = http.post(f"{prefix}/prompt", json={"prompt": graph})
    assert reply.status_code == 400
    body = reply.json()
    assert body["error"]["type"] == "missing_node_type"
    assert body["error"]["details"] == "Node ID '#1'"
    assert body["node_errors"] == {}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_prompt_with_invalid_inputs_is_rejected_with_node_errors(http, prefix):
    graph = image_graph()
    del graph["2"]["inputs"]["image"]
    before = counts(http)
    reply = http.post(f"{prefix}/prompt", json={"prompt": graph})
    assert reply.status_code == 400
    body = reply.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    assert body["error"]["message"] == "Prompt outputs failed validation"
    node = body["node_errors"]["2"]
    assert node["class_type"] == "ImageInvert" and node["dependent_outputs"] == ["3"]
    [error] = node["errors"]
    assert error["type"] == "required_input_missing" and error["extra_info"]["input_name"] == "image"
    assert counts(http) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[1, 2]", id="not-an-object"),
    ],
)
def test_post_prompt_with_a_body_that_is_not_a_json_object_answers_400_json_and_queues_nothing(http, body):
    before = counts(http)
    for prefix in ("", "/api"):
        reply = http.post(f"{prefix}/prompt", content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 400
        assert reply.headers["content-type"].startswith("application/json")
        assert set(reply.json()["error"]) == {"type", "message", "details", "extra_info"}
    assert counts(http) == before


def test_post_prompt_honours_the_clients_prompt_id_and_refuses_it_twice(http):
    prompt_id = str(uuid.uuid4())
    reply = http.post("/prompt", json={"prompt": image_graph(color=next(_colors)), "prompt_id": prompt_id})
    assert reply.status_code == 200 and reply.json()["prompt_id"] == prompt_id
    assert wait_for_history(http, prompt_id)["status"]["status_str"] == "success"
    for prefix in ("", "/api"):
        again = http.post(f"{prefix}/prompt", json={"prompt": image_graph(), "prompt_id": prompt_id})
        assert again.status_code == 409
        assert again.json()["error"] == "prompt_id already exists"
    jobs = http.get("/jobs").json()["jobs"]
    assert [j["id"] for j in jobs].count(prompt_id) == 1


def test_post_prompt_with_an_invalid_prompt_id_is_rejected(http):
    reply = http.post("/prompt", json={"prompt": image_graph(), "prompt_id": "not an id!"})
    assert reply.status_code == 400 and reply.json()["error"]["type"] == "invalid_prompt_id"


def test_front_jumps_the_queue_and_number_is_honoured(http):
    with blocking_prompt(http):
        first = queue_prompt(http, image_graph("order", color=next(_colors)))
        second = queue_prompt(http, image_graph("order", color=next(_colors)))
        front = http.post("/prompt", json={"prompt": image_graph("order", color=next(_colors)), "front": True}).json()
        numbered = http.post("/prompt", json={"prompt": image_graph("order", color=next(_colors)), "number": 10_000}).json()
        assert front["number"] < 0 and numbered["number"] == 10_000
        pending = http.get("/queue").json()["queue_pending"]
        assert [item[1] for item in pending] == [front["prompt_id"], first, second, numbered["prompt_id"]]
        assert pending[-1][0] == 10_000
        # An explicit number does not use up the counter.
        after = http.post("/prompt", json={"prompt": image_graph("order", color=next(_colors))}).json()
        assert after["number"] == -front["number"] + 1
    wait_until_idle(http)
    history = list(http.get("/history").json())
    ran = [i for i in history if i in {front["prompt_id"], first, second, numbered["prompt_id"], after["prompt_id"]}]
    assert ran == [front["prompt_id"], first, second, after["prompt_id"], numbered["prompt_id"]]


def test_partial_execution_targets_run_only_the_outputs_named(http):
    graph = image_graph("partial", color=next(_colors))
    graph["4"] = {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}
    reply = http.post("/prompt", json={"prompt": graph, "partial_execution_targets": ["4"]})
    assert reply.status_code == 200, reply.text
    entry = wait_for_history(http, reply.json()["prompt_id"])
    assert entry["prompt"][4] == ["4"]
    assert set(entry["outputs"]) == {"4"}


def test_get_prompt_counts_running_and_pending_prompts(http):
    for prefix in ("", "/api"):
        assert http.get(f"{prefix}/prompt").json() == {"exec_info": {"queue_remaining": 0}}
    with blocking_prompt(http):
        queue_prompt(http, image_graph(color=next(_colors)))
        queue_prompt(http, image_graph(color=next(_colors)))
        assert http.get("/api/prompt").json() == {"exec_info": {"queue_remaining": 3}}
    wait_until_idle(http)


def test_api_tokens_never_show_in_the_queue_history_or_jobs(http):
    secrets = {"auth_token_comfy_org": "tok-123", "api_key_comfy_org": "key-456"}
    with blocking_prompt(http):
        prompt_id = queue_prompt(http, image_graph(color=next(_colors)), extra_data={"extra_pnginfo": {}, **secrets})
        queued = http.get("/queue").text + http.get(f"/jobs/{prompt_id}").text
    wait_for_history(http, prompt_id)
    finished = http.get(f"/history/{prompt_id}").text + http.get(f"/jobs/{prompt_id}").text
    for text in (queued, finished):
        assert "tok-123" not in text and "key-456" not in text
