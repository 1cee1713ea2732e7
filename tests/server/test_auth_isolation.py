"""`comfyd serve --auth required`: two users in different workspaces queue prompts and share a
server, and neither sees the other's jobs, history, outputs, uploads, settings or events, through
any route or `/ws`. Users and keys are made with `comfyd admin`, as an operator would.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from prompting import image_graph, is_done, listen, new_client_id, of_prompt, queue_prompt, wait_for_history
from websockets.exceptions import ConnectionClosed, InvalidStatus

from admin_accounts import comfyd_admin


@dataclass
class Member:
    name: str
    key: str
    http: httpx.Client


def png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("signed-in")
    for name in ("ada", "bob"):
        comfyd_admin(base, "create-user", "--email", f"{name}@example.com", "--name", name.title())
    return base


@pytest.fixture(scope="module")
def server(start_module_server, base):
    return start_module_server("--auth", "required", base_dir=base)


@pytest.fixture(scope="module")
def members(server, base):
    found = {}
    for name in ("ada", "bob"):
        key = comfyd_admin(base, "create-api-key", "--email", f"{name}@example.com")
        found[name] = Member(name, key, server.client(headers={"X-API-Key": key}))
    yield found
    for member in found.values():
        member.http.close()


@pytest.fixture(scope="module")
def ada(members) -> Member:
    return members["ada"]


@pytest.fixture(scope="module")
def bob(members) -> Member:
    return members["bob"]


@pytest.fixture(scope="module")
def adas_run(server, ada, bob):
    """Ada's prompt, run while Bob listens on /ws: (prompt id, Ada's messages, Bob's messages)."""
    with listen(server, new_client_id(), token=ada.key) as adas, listen(server, new_client_id(), token=bob.key) as bobs:
        prompt_id = queue_prompt(ada.http, image_graph("ada-secret", color=77), client_id=adas.sid)
        ada_messages = adas.until_done(prompt_id)
        # Bob queues one too, so his socket has something of its own to wait for.
        bobs_id = queue_prompt(bob.http, image_graph("bob", color=78), client_id=bobs.sid)
        bob_messages = bobs.until(lambda m: is_done(m, bobs_id))
    wait_for_history(ada.http, prompt_id)
    return prompt_id, ada_messages, bob_messages


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/queue"),
        ("GET", "/api/history"),
        ("GET", "/api/jobs"),
        ("POST", "/api/prompt"),
        ("GET", "/api/object_info"),
        ("GET", "/api/view?filename=x.png&type=output"),
        ("POST", "/api/upload/image"),
        ("GET", "/api/settings"),
        ("GET", "/api/userdata?dir=workflows"),
        ("POST", "/api/interrupt"),
        ("GET", "/api/system_stats"),
        ("GET", "/internal/logs"),
    ],
)
def test_every_data_route_refuses_a_request_without_credentials(server, method, path):
    with server.client() as http:
        reply = http.request(method, path)
    assert reply.status_code == 401, reply.text


def test_the_page_and_the_remote_config_load_without_credentials(server):
    with server.client() as http:
        assert http.get("/api/features").status_code == 200
        assert http.get("/api/extensions").status_code == 200


def test_a_bad_key_is_refused(server):
    with server.client(headers={"X-API-Key": "comfyui-" + "0" * 64}) as http:
        assert http.get("/api/queue").status_code == 401


def test_ws_without_credentials_is_refused(server):
    with pytest.raises((InvalidStatus, ConnectionClosed)), listen(server, new_client_id()) as events:
        events.next(timeout=5)


def test_each_member_sees_their_own_prompt_run_and_nothing_of_the_other(adas_run):
    prompt_id, ada_messages, bob_messages = adas_run
    assert "execution_success" in [m["type"] for m in of_prompt(ada_messages, prompt_id)]
    assert of_prompt(bob_messages, prompt_id) == []


def test_history_jobs_and_queue_are_per_workspace(adas_run, ada, bob):
    prompt_id, _, _ = adas_run
    assert prompt_id in ada.http.get("/api/history").json()
    assert bob.http.get("/api/history").json().keys().isdisjoint({prompt_id})
    assert bob.http.get(f"/api/history/{prompt_id}").json() == {}
    assert [job["id"] for job in ada.http.get("/api/jobs").json()["jobs"]].count(prompt_id) == 1
    assert prompt_id not in [job["id"] for job in bob.http.get("/api/jobs").json()["jobs"]]
    assert bob.http.get(f"/api/jobs/{prompt_id}").status_code == 404
    assert bob.http.get("/api/queue").json() == {"queue_running": [], "queue_pending": []}


def test_nobody_deletes_or_cancels_another_workspaces_work(adas_run, ada, bob):
    prompt_id, _, _ = adas_run
    assert bob.http.post("/api/history", json={"delete": [prompt_id]}).status_code == 200
    assert bob.http.post("/api/history", json={"clear": True}).status_code == 200
    assert bob.http.delete(f"/api/delete/{prompt_id}").status_code == 404
    assert bob.http.post(f"/api/jobs/{prompt_id}/cancel").json() == {"cancelled": False}
    assert prompt_id in ada.http.get("/api/history").json()


def test_outputs_are_per_workspace(adas_run, server, ada, bob):
    prompt_id, _, _ = adas_run
    images = wait_for_history(ada.http, prompt_id)["outputs"]["3"]["images"]
    query = {"filename": images[0]["filename"], "subfolder": images[0]["subfolder"], "type": "output"}
    assert ada.http.get("/api/view", params=query).status_code == 200
    assert bob.http.get("/api/view", params=query).status_code == 404
    assert not list((server.base_dir / "output").glob("ada-secret*"))  # not in the shared folder


def test_uploads_and_the_input_list_are_per_workspace(ada, bob):
    files = {"image": ("adas-photo.png", png((255, 0, 0)), "image/png")}
    assert ada.http.post("/api/upload/image", files=files).status_code == 200
    query = {"filename": "adas-photo.png", "type": "input"}
    assert ada.http.get("/api/view", params=query).status_code == 200
    assert bob.http.get("/api/view", params=query).status_code == 404

    def inputs(member: Member) -> list[str]:
        return member.http.get("/api/object_info/LoadImage").json()["LoadImage"]["input"]["required"]["image"][0]

    assert "adas-photo.png" in inputs(ada)
    assert "adas-photo.png" not in inputs(bob)
    # Bob's own upload under the same name is his, and does not replace Ada's.
    files = {"image": ("adas-photo.png", png((0, 0, 255)), "image/png")}
    assert bob.http.post("/api/upload/image", files=files).json()["name"] == "adas-photo.png"
    adas = Image.open(io.BytesIO(ada.http.get("/api/view", params=query).content)).convert("RGB")
    assert adas.getpixel((0, 0)) == (255, 0, 0)


def test_settings_and_userdata_are_per_user_and_workspace(ada, bob):
    assert ada.http.post("/api/settings", json={"Comfy.Secret": "ada"}).status_code == 200
    assert ada.http.post("/api/userdata/workflows%2Fada.json", content=b'{"secret": 1}').status_code == 200
    assert "Comfy.Secret" not in bob.http.get("/api/settings").json()
    assert ada.http.get("/api/settings/Comfy.Secret").json() == "ada"
    assert bob.http.get("/api/userdata/workflows%2Fada.json").status_code == 404
    listing = bob.http.get("/api/userdata", params={"dir": "workflows"})
    assert listing.status_code == 404  # as ComfyUI answers for a user without that folder
    assert "ada.json" in ada.http.get("/api/userdata", params={"dir": "workflows"}).json()
    users = bob.http.get("/api/users").json()["users"]
    assert len(users) == 1 and not any("ada" in key.lower() for key in users.values())
    assert bob.http.post("/api/users", json={"username": "mallory"}).status_code == 400


def test_a_client_id_of_another_workspace_is_not_handed_over(server, ada, bob):
    client_id = new_client_id()
    with listen(server, client_id, token=ada.key) as adas:
        assert adas.sid == client_id
    with listen(server, client_id, token=bob.key) as bobs:
        assert bobs.sid != client_id
    with listen(server, client_id, headers={"X-API-Key": ada.key}) as adas_again:
        assert adas_again.sid == client_id


def test_the_server_log_is_for_administrators(ada):
    assert ada.http.get("/internal/logs").status_code == 403
