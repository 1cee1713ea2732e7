"""`/internal/*` (logs, log streaming over `/ws`, folder paths) against a real server."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from websockets.sync.client import connect

FOREIGN_ORIGIN = {"Origin": "http://elsewhere.example"}


def log_a_warning(http) -> None:
    """Make the server log one line: a cross-site request is refused with a warning."""
    assert http.post("/prompt", headers=FOREIGN_ORIGIN).status_code == 403


def next_text_message(ws, kind: str, timeout: float = 10) -> dict:
    while True:
        message = ws.recv(timeout=timeout)
        if isinstance(message, str) and json.loads(message)["type"] == kind:
            return json.loads(message)["data"]


def test_logs_are_one_json_string_of_time_and_message_lines(http):
    log_a_warning(http)
    reply = http.get("/internal/logs")
    assert reply.status_code == 200
    text = reply.json()
    assert isinstance(text, str)
    assert " - WARNING comfyd.server.middleware: Refusing a request" in text


def test_raw_logs_are_entries_and_a_terminal_size(http):
    log_a_warning(http)
    raw = http.get("/internal/logs/raw").json()
    assert set(raw) == {"entries", "size"}
    assert raw["size"]["cols"] > 0 and raw["size"]["rows"] > 0
    last = raw["entries"][-1]
    assert set(last) == {"t", "m"}
    assert "Refusing a request" in last["m"] and last["m"].endswith("\n")


def test_raw_logs_keep_only_the_last_300_entries(http):
    for _ in range(310):
        log_a_warning(http)
    assert len(http.get("/internal/logs/raw").json()["entries"]) == 300


def test_start_up_is_in_the_logs(start_server):
    with start_server().client() as http:
        assert "Running upgrade" in http.get("/internal/logs").json()


@pytest.mark.parametrize("path", ["/logs", "/logs/raw", "/folder_paths"])
def test_internal_routes_have_no_api_twin(http, path):
    assert http.get(f"/api/internal{path}").status_code == 404
    assert http.get(f"/api{path}").status_code == 404


def test_a_subscribed_socket_receives_new_log_lines(server, http):
    client_id = uuid.uuid4().hex
    with connect(f"{server.ws_url}?clientId={client_id}") as ws:
        next_text_message(ws, "status")
        reply = http.patch("/internal/logs/subscribe", json={"clientId": client_id, "enabled": True})
        assert reply.status_code == 200
        log_a_warning(http)
        logs = next_text_message(ws, "logs")
    assert any("Refusing a request" in entry["m"] for entry in logs["entries"])
    assert all(set(entry) == {"t", "m"} for entry in logs["entries"])
    assert "size" in logs


def test_an_unsubscribed_socket_receives_no_log_lines(server, http):
    client_id = uuid.uuid4().hex
    with connect(f"{server.ws_url}?clientId={client_id}") as ws:
        next_text_message(ws, "status")
        http.patch("/internal/logs/subscribe", json={"clientId": client_id, "enabled": True})
        http.patch("/internal/logs/subscribe", json={"clientId": client_id, "enabled": False})
        log_a_warning(http)
        with pytest.raises(TimeoutError):
            next_text_message(ws, "logs", timeout=1)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"enabled": True}, id="no-client-id"),
        pytest.param({"clientId": "x", "enabled": "yes"}, id="enabled-not-boolean"),
        pytest.param([1], id="not-an-object"),
    ],
)
def test_subscribe_rejects_a_body_without_client_id_and_enabled(http, body):
    assert http.patch("/internal/logs/subscribe", json=body).status_code == 400


def test_folder_paths_map_every_folder_key_to_absolute_paths(server, http):
    paths = http.get("/internal/folder_paths").json()
    assert paths["checkpoints"] == [str(server.base_dir / "models" / "checkpoints")]
    assert paths["custom_nodes"] == [str(server.base_dir / "custom_nodes")]
    assert {"configs", "text_encoders", "diffusion_models"} <= set(paths)
    assert all(os.path.isabs(p) for folder in paths.values() for p in folder)
