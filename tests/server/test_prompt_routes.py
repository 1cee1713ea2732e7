"""`/prompt`, `/queue`, `/history` against a real server."""

from __future__ import annotations

import json
import uuid

from websockets.sync.client import connect

GRAPH = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
    "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "prompt_routes"}},
}


def wait_done(ws, prompt_id: str) -> list[dict]:
    seen = []
    while True:
        message = ws.recv(timeout=30)
        if isinstance(message, bytes):
            continue
        data = json.loads(message)
        seen.append(data)
        if data["type"] == "executing" and data["data"]["node"] is None and data["data"]["prompt_id"] == prompt_id:
            return seen


def test_queued_prompt_runs_and_its_history_is_readable_at_both_prefixes(server, http):
    client_id = uuid.uuid4().hex
    with connect(f"{server.ws_url}?clientId={client_id}") as ws:
        reply = http.post("/prompt", json={"prompt": GRAPH, "client_id": client_id})
        assert reply.status_code == 200, reply.text
        prompt_id = reply.json()["prompt_id"]
        events = wait_done(ws, prompt_id)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "status" and events[0]["data"]["sid"] == client_id
    for prefix in ("", "/api"):
        entry = http.get(f"{prefix}/history/{prompt_id}").json()[prompt_id]
        assert entry["status"]["status_str"] == "success"
        assert entry["outputs"]["3"]["images"][0]["filename"].startswith("prompt_routes_")
