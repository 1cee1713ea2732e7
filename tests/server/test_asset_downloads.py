"""`/api/assets/download*` on a real server, fetching from a real file server on loopback.

The server runs with `--asset-download-allow-private` (the file server is on 127.0.0.1) except in
the test that checks the default refuses it. Progress is read from `/ws` as the frontend would.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

import asset_fileserver as fileserver
from admin_accounts import create_account

TESTS = Path(__file__).parents[1]
EXTRA_MODEL_PATHS = TESTS / "assets" / "extra_model_paths.yaml"
ASSET_FLAGS = ("--asset-download-allow-private", "--extra-model-paths-config", str(EXTRA_MODEL_PATHS))
SIZE = 6 * 1024 * 1024 + 11
FINISHED = {"completed", "failed", "cancelled"}

DATA = fileserver.model_bytes(SIZE)

pytestmark = pytest.mark.slow


class AssetEvents:
    """`asset_download` messages from one `/ws` connection."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.messages: list[dict[str, Any]] = []

    def of(self, download_id: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message["download_id"] == download_id]

    def until(self, download_id: str, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Read until a message about `download_id` satisfies `predicate`; its messages so far."""
        while not any(predicate(message) for message in self.of(download_id)):
            frame = self.socket.recv(timeout=60)
            if isinstance(frame, str) and json.loads(frame)["type"] == "asset_download":
                self.messages.append(json.loads(frame)["data"])
        return self.of(download_id)

    def until_end(self, download_id: str) -> list[dict[str, Any]]:
        return self.until(download_id, lambda message: message["status"] in FINISHED)


@contextlib.contextmanager
def listen(server, client_id: str) -> Iterator[AssetEvents]:
    with connect(f"{server.ws_url}?clientId={client_id}") as socket:
        yield AssetEvents(socket)


@pytest.fixture(scope="module")
def server(start_module_server):
    return start_module_server(*ASSET_FLAGS)


@pytest.fixture(scope="module")
def admin(server) -> Iterator[httpx.Client]:
    key = api_key(server, admin=True)
    with server.client(headers={"X-API-Key": key}) as client:
        yield client


@pytest.fixture
def files() -> Iterator:
    with fileserver.FileServer() as served:
        yield served


def api_key(server, *, admin: bool) -> str:
    """A new user (an administrator or not) and an API key of theirs, on the server's database."""
    return create_account(server.database_url, admin=admin, key_name="asset tests").key


def checkpoints(server) -> Path:
    return server.base_dir / "models" / "checkpoints"


def listed_checkpoints(http: httpx.Client) -> list[str]:
    node = http.get("/api/object_info").json()["AssetCheckpointList"]
    return node["input"]["required"]["ckpt_name"][0]


def test_a_download_sends_ordered_events_and_the_file_is_listed_without_a_restart(server, admin, files):
    url = files.add("/models/e2e.safetensors", DATA)
    client_id = uuid.uuid4().hex
    assert "e2e.safetensors" not in listed_checkpoints(admin)  # the catalogue is cached from here on

    with listen(server, client_id) as events:
        reply = admin.post(
            "/api/assets/download",
            json={
                "url": url,
                "folder": "checkpoints",
                "sha256": fileserver.sha256(DATA),
                "client_id": client_id,
            },
        )
        assert reply.status_code == 202, reply.text
        download = reply.json()
        messages = events.until_end(download["id"])

    assert download["status"] == "pending" and download["filename"] == "e2e.safetensors"
    statuses = [message["status"] for message in messages]
    assert statuses[0] == "started" and statuses[-1] == "completed"
    assert set(statuses[1:-1]) == {"progress"} and len(statuses) > 3
    done = [message["bytes_done"] for message in messages]
    assert done == sorted(done) and done[0] == 0 and done[-1] == SIZE
    assert all(
        message.keys() == {"download_id", "url", "filename", "folder", "bytes_done", "bytes_total", "status"}
        and (message["url"], message["filename"], message["folder"], message["bytes_total"])
        == (url, "e2e.safetensors", "checkpoints", SIZE)
        for message in messages
    )
    assert (checkpoints(server) / "e2e.safetensors").read_bytes() == DATA
    assert "e2e.safetensors" in admin.get("/api/models/checkpoints").json()
    assert "e2e.safetensors" in listed_checkpoints(admin)
    status = admin.get(f"/api/assets/download/{download['id']}").json()
    assert (status["status"], status["bytes_done"], status["sha256"]) == (
        "completed",
        SIZE,
        fileserver.sha256(DATA),
    )
    assert download["id"] in [item["id"] for item in admin.get("/api/assets/downloads").json()]


def test_a_wrong_sha256_fails_and_leaves_nothing_behind(server, admin, files):
    url = files.add("/models/tampered.safetensors", DATA)
    client_id = uuid.uuid4().hex
    before = set(os.listdir(checkpoints(server)))

    with listen(server, client_id) as events:
        # The client id may come from the header the frontend's requests carry, too.
        reply = admin.post(
            "/api/assets/download",
            json={"url": url, "folder": "checkpoints", "sha256": "0" * 64},
            headers={"Comfy-Client-Id": client_id},
        )
        messages = events.until_end(reply.json()["id"])

    assert messages[-1]["status"] == "failed"
    assert "not the expected " + "0" * 64 in messages[-1]["error"]
    assert set(os.listdir(checkpoints(server))) == before  # no file, no hidden .part either
    assert "tampered.safetensors" not in admin.get("/api/models/checkpoints").json()
    assert admin.get(f"/api/assets/download/{reply.json()['id']}").json()["status"] == "failed"


@pytest.mark.parametrize(
    ("folder", "filename", "message"),
    [
        pytest.param("checkpoints", "../../escape.safetensors", "is not allowed", id="filename-parent"),
        pytest.param("checkpoints", "/tmp/escape.safetensors", "is not allowed", id="filename-absolute"),
        pytest.param("checkpoints", "a/../../escape.safetensors", "is not allowed", id="filename-nested"),
        pytest.param("../checkpoints", "x.safetensors", "is not a model folder", id="folder-parent"),
        pytest.param("checkpoints/../../..", "x.safetensors", "is not a model folder", id="folder-nested"),
        pytest.param("custom_nodes", "pack.safetensors", "holds node packs", id="folder-code"),
    ],
)
def test_traversal_in_the_filename_or_folder_is_refused(admin, files, folder, filename, message):
    url = files.add("/models/x.safetensors", DATA)

    reply = admin.post("/api/assets/download", json={"url": url, "folder": folder, "filename": filename})

    assert reply.status_code == 400
    assert reply.json()["error"] == "Bad Request" and message in reply.json()["message"]
    assert files.requests == []


def test_a_download_needs_an_administrators_api_key(server, files):
    url = files.add("/models/x.safetensors", DATA)
    body = {"url": url, "folder": "checkpoints"}
    user_key = api_key(server, admin=False)

    with server.client() as anonymous:
        assert anonymous.post("/api/assets/download", json=body).status_code == 401
        assert anonymous.get("/api/assets/downloads").status_code == 401
    with server.client(headers={"Authorization": f"Bearer {user_key}"}) as user:
        refused = user.post("/api/assets/download", json=body)
        assert refused.status_code == 403 and "Only administrators" in refused.json()["message"]
        assert user.get("/api/assets/downloads").json() == []


def test_a_download_can_be_cancelled(server, admin, files):
    files.pause_first_at = 2 * 1024 * 1024
    url = files.add("/models/cancelled.safetensors", DATA)
    client_id = uuid.uuid4().hex

    with listen(server, client_id) as events:
        download = admin.post(
            "/api/assets/download", json={"url": url, "folder": "checkpoints", "client_id": client_id}
        ).json()
        events.until(download["id"], lambda message: message["bytes_done"] >= 1024 * 1024)
        reply = admin.delete(f"/api/assets/download/{download['id']}")
        messages = events.until_end(download["id"])

    assert reply.status_code == 200 and reply.json()["status"] == "cancelled"
    assert messages[-1]["status"] == "cancelled"
    assert not [name for name in os.listdir(checkpoints(server)) if download["id"] in name]
    again = admin.post(f"/api/assets/download/{download['id']}/cancel")
    assert again.status_code == 409 and "cancelled cannot become cancelled" in again.json()["message"]


def test_a_private_address_is_refused_by_default(start_server, files):
    default = start_server()
    key = api_key(default, admin=True)
    url = files.add("/models/x.safetensors", DATA)

    with default.client(headers={"X-API-Key": key}) as admin:
        reply = admin.post("/api/assets/download", json={"url": url, "folder": "checkpoints"})
        listed = admin.get("/api/assets/downloads").json()

    assert reply.status_code == 400
    assert "127.0.0.1 is a private, loopback" in reply.json()["message"]
    assert listed == [] and files.requests == []


def test_a_killed_server_resumes_the_download_from_the_bytes_on_disk(start_server, files):
    server = start_server(*ASSET_FLAGS)
    key = api_key(server, admin=True)
    files.pause_first_at = 4 * 1024 * 1024  # the first response stalls here until the test ends
    url = files.add("/models/resumed.safetensors", DATA)
    client_id = uuid.uuid4().hex
    body = {"url": url, "folder": "checkpoints", "sha256": fileserver.sha256(DATA), "client_id": client_id}

    with server.client(headers={"X-API-Key": key}) as admin, listen(server, client_id) as events:
        download = admin.post("/api/assets/download", json=body).json()
        events.until(download["id"], lambda message: message["bytes_done"] >= 2 * 1024 * 1024)
        server.kill()  # SIGKILL: no shutdown code runs

    part = checkpoints(server) / f".download-{download['id']}.part"
    kept = part.stat().st_size
    assert kept >= 2 * 1024 * 1024 and files.ranges("/models/resumed.safetensors") == [None]

    server.restart()
    with listen(server, client_id) as events:
        messages = events.until_end(download["id"])
    with server.client(headers={"X-API-Key": key}) as admin:
        status = admin.get(f"/api/assets/download/{download['id']}").json()

    assert files.ranges("/models/resumed.safetensors") == [None, f"bytes={kept}-"]
    assert messages[0]["status"] == "started" and messages[0]["bytes_done"] == kept
    assert messages[-1]["status"] == "completed"
    assert (checkpoints(server) / "resumed.safetensors").read_bytes() == DATA
    assert not part.exists()
    assert (status["status"], status["sha256"]) == ("completed", fileserver.sha256(DATA))
