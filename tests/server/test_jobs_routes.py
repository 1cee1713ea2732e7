"""The Jobs API (`/jobs`) against a real server, and what each user sees with `--multi-user`."""

from __future__ import annotations

import itertools

import pytest
from prompting import (
    blocking_prompt,
    failing_graph,
    image_graph,
    queue_prompt,
    slow_graph,
    wait_for_history,
    wait_until_idle,
    wait_until_running,
    with_slow_pack,
)

PREFIXES = [pytest.param("", id="root"), pytest.param("/api", id="api")]
_colors = itertools.count(5000)


@pytest.fixture(scope="module")
def server(start_module_server, tmp_path_factory):
    return start_module_server(base_dir=with_slow_pack(tmp_path_factory.mktemp("comfyd")))


@pytest.fixture(scope="module")
def finished(server) -> dict[str, str]:
    """One job of each finished kind, created in this order: completed, failed, cancelled."""
    with server.client() as http:
        completed = queue_prompt(
            http, image_graph("jobs", color=next(_colors)), extra_data={"extra_pnginfo": {"workflow": {"id": "wf-1"}}}
        )
        wait_for_history(http, completed)
        failed = queue_prompt(http, failing_graph("boom"))
        wait_for_history(http, failed)
        with blocking_prompt(http) as cancelled:
            pass
    return {"completed": completed, "failed": failed, "cancelled": cancelled}


def jobs(http, query: str = "") -> dict:
    reply = http.get(f"/jobs?{query}")
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_jobs_lists_jobs_with_pagination(http, finished, prefix):
    body = http.get(f"{prefix}/jobs").json()
    assert set(body) == {"jobs", "pagination"}
    total = body["pagination"]["total"]
    assert body["pagination"] == {"offset": 0, "limit": total, "total": total, "has_more": False}
    by_id = {job["id"]: job for job in body["jobs"]}
    assert {by_id[i]["status"] for i in finished.values()} == {"completed", "failed", "cancelled"}
    completed = by_id[finished["completed"]]
    assert isinstance(completed["create_time"], int) and isinstance(completed["priority"], int)
    assert completed["execution_start_time"] <= completed["execution_end_time"]
    assert completed["outputs_count"] == 1 and completed["previewable_outputs_count"] == 1
    preview = completed["preview_output"]
    assert preview["nodeId"] == "3" and preview["mediaType"] == "images" and preview["type"] == "output"
    assert completed["workflow_id"] == "wf-1"
    assert None not in completed.values()


def test_get_jobs_filters_by_status(http, finished):
    only_completed = jobs(http, "status=completed")["jobs"]
    assert {j["status"] for j in only_completed} == {"completed"}
    assert finished["completed"] in {j["id"] for j in only_completed}
    unhappy = {j["id"]: j["status"] for j in jobs(http, "status=failed,cancelled")["jobs"]}
    assert unhappy[finished["failed"]] == "failed" and unhappy[finished["cancelled"]] == "cancelled"
    assert set(unhappy.values()) <= {"failed", "cancelled"}


def test_get_jobs_filters_by_workflow_id(http, finished):
    assert [j["id"] for j in jobs(http, "workflow_id=wf-1")["jobs"]] == [finished["completed"]]


def test_get_jobs_sorts_by_creation_time_or_duration_either_way(http, finished):
    newest_first = [j["create_time"] for j in jobs(http)["jobs"]]
    assert newest_first == sorted(newest_first, reverse=True)
    oldest_first = [j["create_time"] for j in jobs(http, "sort_order=asc")["jobs"]]
    assert oldest_first == sorted(oldest_first)
    durations = [
        j["execution_end_time"] - j["execution_start_time"]
        for j in jobs(http, "sort_by=execution_duration&sort_order=desc")["jobs"]
    ]
    assert durations == sorted(durations, reverse=True)


def test_get_jobs_pages_with_limit_and_offset(http, finished):
    everything = [j["id"] for j in jobs(http)["jobs"]]
    page = jobs(http, "limit=1&offset=1")
    assert [j["id"] for j in page["jobs"]] == everything[1:2]
    assert page["pagination"] == {"offset": 1, "limit": 1, "total": len(everything), "has_more": len(everything) > 2}
    last = jobs(http, f"limit=5&offset={len(everything) - 1}")
    assert [j["id"] for j in last["jobs"]] == everything[-1:] and last["pagination"]["has_more"] is False


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("status=bogus", id="unknown-status"),
        pytest.param("status=completed,running", id="internal-status-name"),
        pytest.param("sort_by=name", id="unknown-sort-key"),
        pytest.param("sort_order=up", id="unknown-sort-order"),
        pytest.param("limit=ten", id="limit-not-an-int"),
        pytest.param("offset=x", id="offset-not-an-int"),
        pytest.param("limit=-1", id="negative-limit"),
        pytest.param("offset=-1", id="negative-offset"),
    ],
)
def test_get_jobs_with_bad_parameters_answers_400_with_an_error(http, query):
    for prefix in ("", "/api"):
        reply = http.get(f"{prefix}/jobs?{query}")
        assert reply.status_code == 400
        assert isinstance(reply.json()["error"], str)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_job_of_a_completed_prompt_has_outputs_status_and_workflow(http, finished, prefix):
    prompt_id = finished["completed"]
    detail = http.get(f"{prefix}/jobs/{prompt_id}").json()
    entry = http.get(f"/history/{prompt_id}").json()[prompt_id]
    assert detail["id"] == prompt_id and detail["status"] == "completed"
    assert detail["outputs"] == entry["outputs"]
    assert detail["execution_status"] == entry["status"]
    assert detail["workflow"] == {"prompt": entry["prompt"][2], "extra_data": entry["prompt"][3]}


def test_get_job_of_a_failed_prompt_carries_its_execution_error(http, finished):
    detail = http.get(f"/jobs/{finished['failed']}").json()
    assert detail["status"] == "failed"
    error = detail["execution_error"]
    assert error["node_id"] == "2" and error["node_type"] == "FailImage"
    assert "boom" in error["exception_message"] and error["exception_type"] == "RuntimeError"
    assert detail["execution_status"]["status_str"] == "error"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_job_that_does_not_exist_answers_404(http, prefix):
    reply = http.get(f"{prefix}/jobs/no-such-job")
    assert reply.status_code == 404 and reply.json() == {"error": "Job not found"}


def test_queued_and_running_jobs_show_their_workflow_but_no_outputs_yet(http):
    with blocking_prompt(http) as running_id:
        waiting = queue_prompt(http, image_graph(color=next(_colors)))
        running, pending = http.get(f"/jobs/{running_id}").json(), http.get(f"/jobs/{waiting}").json()
        listed = {j["id"]: j["status"] for j in jobs(http, "status=pending,in_progress")["jobs"]}
    assert listed == {running_id: "in_progress", waiting: "pending"}
    assert running["status"] == "in_progress" and pending["status"] == "pending"
    for detail in (running, pending):
        assert "prompt" in detail["workflow"]
        assert not {"outputs", "execution_status", "execution_end_time"} & set(detail)
    wait_until_idle(http)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_cancel_of_a_pending_job_removes_it_from_the_queue(http, prefix):
    with blocking_prompt(http):
        waiting = queue_prompt(http, image_graph(color=next(_colors)))
        assert http.post(f"{prefix}/jobs/{waiting}/cancel").json() == {"cancelled": True}
        assert http.get("/queue").json()["queue_pending"] == []
    wait_until_idle(http)
    assert http.get(f"/history/{waiting}").json() == {}


def test_cancel_of_a_running_job_interrupts_it(http):
    prompt_id = queue_prompt(http, slow_graph(steps=100_000, interval=0.01, color=next(_colors)))
    wait_until_running(http, prompt_id)
    assert http.post(f"/api/jobs/{prompt_id}/cancel").json() == {"cancelled": True}
    wait_for_history(http, prompt_id, timeout=10)
    assert http.get(f"/jobs/{prompt_id}").json()["status"] == "cancelled"


def test_cancel_of_a_finished_or_unknown_job_cancels_nothing(http, finished):
    assert http.post(f"/jobs/{finished['completed']}/cancel").json() == {"cancelled": False}
    assert http.post("/jobs/no-such-job/cancel").json() == {"cancelled": False}
    assert http.get(f"/jobs/{finished['completed']}").json()["status"] == "completed"


def test_cancel_many_cancels_every_job_named(http):
    with blocking_prompt(http) as running_id:
        waiting = [queue_prompt(http, image_graph(color=next(_colors))) for _ in range(2)]
        reply = http.post("/jobs/cancel", json={"job_ids": [*waiting, "no-such-job"]})
        assert reply.json() == {"cancelled": True}
        assert [item[1] for item in http.get("/queue").json()["queue_running"]] == [running_id]
        assert http.get("/queue").json()["queue_pending"] == []
    wait_until_idle(http)


@pytest.mark.parametrize(
    "body",
    [pytest.param({}, id="missing"), pytest.param({"job_ids": "abc"}, id="not-a-list"),
     pytest.param({"job_ids": [1, ""]}, id="not-ids")],
)
def test_cancel_many_with_bad_ids_answers_400(http, body):
    reply = http.post("/api/jobs/cancel", json=body)
    assert reply.status_code == 400 and "invalid_ids" in reply.json()


# -- --multi-user -------------------------------------------------------------------------------


def create_user(http, name: str) -> str:
    reply = http.post("/users", json={"username": name})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_users_see_only_their_own_queue_history_and_jobs(start_server, tmp_path):
    server = start_server("--multi-user", base_dir=with_slow_pack(tmp_path))
    with server.client() as anonymous:
        ada_id, bob_id = create_user(anonymous, "ada"), create_user(anonymous, "bob")
    with server.client(headers={"Comfy-User": ada_id}) as ada, server.client(headers={"Comfy-User": bob_id}) as bob:
        done = queue_prompt(ada, image_graph("ada", color=next(_colors)))
        wait_for_history(ada, done)
        with blocking_prompt(ada) as running:
            waiting = queue_prompt(ada, image_graph(color=next(_colors)))
            assert bob.get("/queue").json() == {"queue_running": [], "queue_pending": []}
            assert [i[1] for i in ada.get("/queue").json()["queue_pending"]] == [waiting]
            assert bob.get("/jobs").json()["pagination"]["total"] == 0
            assert {j["id"] for j in ada.get("/jobs").json()["jobs"]} == {done, running, waiting}
            # Bob can neither read nor touch Ada's prompts.
            assert bob.get(f"/jobs/{waiting}").status_code == 404
            assert bob.post(f"/jobs/{waiting}/cancel").json() == {"cancelled": False}
            assert bob.post(f"/jobs/{running}/cancel").json() == {"cancelled": False}
            bob.post("/queue", json={"clear": True})
            bob.post("/queue", json={"delete": [waiting]})
            assert bob.delete(f"/delete/{waiting}").status_code == 404
            assert [i[1] for i in ada.get("/queue").json()["queue_pending"]] == [waiting]
        wait_for_history(ada, waiting)
        assert bob.get("/history").json() == {} and bob.get(f"/history/{done}").json() == {}
        bob.post("/history", json={"clear": True})
        assert set(ada.get("/history").json()) == {done, running, waiting}
        mine = queue_prompt(bob, image_graph("bob", color=next(_colors)))
        wait_for_history(bob, mine)
        assert list(bob.get("/history").json()) == [mine]
        assert mine not in ada.get("/history").json()
