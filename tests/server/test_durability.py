"""Durability: a server killed with SIGKILL mid-prompt loses nothing it acknowledged.

The running prompt is reported lost (history `error` with the reason, Jobs API `failed`); the
prompts that waited run after the restart, in their original order; the lost prompt's graph can be
queued again.
"""

from __future__ import annotations

import pytest
from prompting import (
    image_graph,
    listen,
    new_client_id,
    queue_prompt,
    slow_graph,
    wait_for_history,
    wait_until_idle,
    with_slow_pack,
)

pytestmark = pytest.mark.slow


def test_prompts_survive_a_killed_server_and_the_running_one_is_reported_lost(start_server, tmp_path):
    base_dir = with_slow_pack(tmp_path)
    server = start_server(base_dir=base_dir)
    client_id = new_client_id()
    with server.client() as http, listen(server, client_id) as events:
        # Long enough to still be running when the kill lands, short enough to re-run below.
        lost = queue_prompt(http, slow_graph(steps=150, interval=0.02), client_id=client_id)
        waiting = [queue_prompt(http, image_graph(f"after_{i}", color=i)) for i in range(5)]
        events.until(lambda m: m["type"] == "progress" and m["data"]["prompt_id"] == lost)
        queued = http.get("/queue").json()
        assert [item[1] for item in queued["queue_running"]] == [lost]
        assert [item[1] for item in queued["queue_pending"]] == waiting
        server.kill()

    restarted = start_server(base_dir=base_dir)
    with restarted.client() as http:
        wait_until_idle(http)
        history = http.get("/history").json()

        entry = history[lost]
        assert entry["status"]["status_str"] == "error" and entry["status"]["completed"] is False
        kind, error = entry["status"]["messages"][-1]
        assert kind == "execution_error" and "server stopped" in error["exception_message"]
        job = http.get(f"/jobs/{lost}").json()
        assert job["status"] == "failed"
        assert "server stopped" in job["execution_error"]["exception_message"]

        # Nothing acknowledged was lost, and the waiting prompts ran in the order they were queued.
        assert list(history) == [lost, *waiting]
        for i, prompt_id in enumerate(waiting):
            assert history[prompt_id]["status"]["status_str"] == "success"
            assert history[prompt_id]["outputs"]["3"]["images"][0]["filename"].startswith(f"after_{i}_")
        assert [j["status"] for j in http.get("/jobs?status=completed&sort_order=asc").json()["jobs"]] == ["completed"] * 5

        # Its client, reconnecting with the same id, is told (a `notification`, as the frontend shows).
        with listen(restarted, client_id) as events:
            note = events.until(lambda m: m["type"] == "notification")[-1]
        assert note["data"]["id"] == f"lost:{lost}" and lost in note["data"]["value"]

        # The lost prompt's graph can simply be queued again.
        again = queue_prompt(http, entry["prompt"][2])
        assert again != lost
        assert wait_for_history(http, again)["status"]["status_str"] == "success"
