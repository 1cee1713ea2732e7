"""`/users` and who a request acts for, against a real server (single- and multi-user)."""

from __future__ import annotations

import json
import re

import pytest
from accounts import PREFIXES, client_as, create_user, user_dir, user_root

ID_PATTERN = r"{slug}_[0-9a-f]{{8}}-[0-9a-f]{{4}}-4[0-9a-f]{{3}}-[89ab][0-9a-f]{{3}}-[0-9a-f]{{12}}"


@pytest.fixture(scope="module")
def multi_user(start_module_server):
    return start_module_server("--multi-user")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_single_user_server_reports_server_storage_and_migrated_once_the_default_user_has_files(start_server, prefix):
    server = start_server()
    with server.client() as http:
        assert http.get(f"{prefix}/users").json() == {"storage": "server", "migrated": False}
        assert http.post(f"{prefix}/settings", json={"Comfy.Locale": "en"}).status_code == 200
        assert http.get(f"{prefix}/users").json() == {"storage": "server", "migrated": True}
    assert (user_root(server, "default") / "comfy.settings.json").is_file()


def test_single_user_server_ignores_the_comfy_user_header(server):
    with client_as(server, "someone-else") as http:
        assert http.post("/settings/Test.HeaderIgnored", json=1).status_code == 200
        assert http.get("/api/settings/Test.HeaderIgnored").json() == 1
    settings = json.loads((user_root(server, "default") / "comfy.settings.json").read_text())
    assert settings["Test.HeaderIgnored"] == 1
    assert not user_root(server, "someone-else").exists()


@pytest.mark.parametrize(
    "prefix, name, slug",
    [
        pytest.param("", "Ada Lovelace!", "Ada-Lovelace-", id="root"),
        pytest.param("/api", "Grace Hopper (1906)", "Grace-Hopper-1906-", id="api"),
    ],
)
def test_post_users_answers_the_new_id_as_a_json_string_and_saves_it_in_users_json(multi_user, prefix, name, slug):
    with multi_user.client() as http:
        reply = http.post(f"{prefix}/users", json={"username": name})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    user_id = reply.json()
    assert re.fullmatch(ID_PATTERN.format(slug=re.escape(slug)), user_id), user_id
    saved = json.loads((user_dir(multi_user) / "users.json").read_text())
    assert saved[user_id] == name


@pytest.mark.parametrize("prefix", PREFIXES)
def test_multi_user_server_lists_the_users_created_through_post_users(multi_user, prefix):
    first, second = create_user(multi_user), create_user(multi_user)
    with multi_user.client() as http:
        listing = http.get(f"{prefix}/users").json()
    assert listing["storage"] == "server"
    assert {first, second} <= set(listing["users"])
    assert "migrated" not in listing


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_users_rejects_a_duplicate_username(multi_user, prefix):
    create_user(multi_user, f"Grace {prefix}")
    with multi_user.client() as http:
        reply = http.post(f"{prefix}/users", json={"username": f"Grace {prefix}"})
    assert reply.status_code == 400
    assert reply.json() == {"error": "Duplicate username."}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing"),
        pytest.param({"username": ""}, id="empty"),
        pytest.param({"username": "   "}, id="blank"),
        pytest.param({"username": 7}, id="not-a-string"),
        pytest.param({"username": None}, id="null"),
    ],
)
def test_post_users_without_a_usable_username_answers_400_json(multi_user, body):
    create_user(multi_user)  # so that users.json exists
    users_file = user_dir(multi_user) / "users.json"
    before = users_file.read_bytes()
    with multi_user.client() as http:
        reply = http.post("/api/users", json=body)
    assert reply.status_code == 400
    assert "error" in reply.json()
    assert users_file.read_bytes() == before


@pytest.mark.parametrize("content", [b"not json", b"", b'["a list"]'], ids=["garbage", "empty", "list"])
def test_post_users_with_a_body_that_is_not_a_json_object_answers_400(multi_user, content):
    with multi_user.client() as http:
        reply = http.post("/users", content=content)
    assert reply.status_code == 400
    assert "error" in reply.json()


def test_users_and_their_settings_survive_a_restart(start_server):
    server = start_server("--multi-user")
    user_id = create_user(server, "Persistent")
    with client_as(server, user_id) as http:
        http.post("/settings", json={"Comfy.Theme": "dark"})
    server.stop()
    server.start()
    with client_as(server, user_id) as http:
        assert http.get("/users").json()["users"] == {user_id: "Persistent"}
        assert http.get("/settings").json() == {"Comfy.Theme": "dark"}


def test_server_refuses_to_start_with_a_corrupt_users_json(start_server, tmp_path):
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "users.json").write_text("{not json")
    with pytest.raises(RuntimeError, match="users.json"):
        start_server("--multi-user", base_dir=tmp_path)
    # Starting did not replace the file (and lose every user in it).
    assert (tmp_path / "user" / "users.json").read_text() == "{not json"


USER_ROUTES = [
    pytest.param("GET", "/settings", 401, id="get-settings"),
    pytest.param("POST", "/settings", 401, id="post-settings"),
    pytest.param("GET", "/settings/Comfy.Locale", 401, id="get-setting"),
    pytest.param("POST", "/settings/Comfy.Locale", 401, id="post-setting"),
    pytest.param("GET", "/userdata?dir=workflows", 403, id="list-userdata"),
    pytest.param("GET", "/v2/userdata", 403, id="browse-userdata"),
    pytest.param("GET", "/userdata/workflows%2Fa.json", 403, id="get-userdata"),
    pytest.param("POST", "/userdata/workflows%2Fa.json", 403, id="post-userdata"),
    pytest.param("DELETE", "/userdata/workflows%2Fa.json", 403, id="delete-userdata"),
    pytest.param("POST", "/userdata/a.json/move/b.json", 403, id="move-userdata"),
]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("method, path, status", USER_ROUTES)
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Comfy-User": "nobody"}, id="unknown"),
        pytest.param({"Comfy-User": ".."}, id="dot-dot"),
        pytest.param({"Comfy-User": "../user"}, id="climbing"),
        pytest.param({"Comfy-User": "/tmp"}, id="absolute"),
    ],
)
def test_multi_user_server_rejects_a_request_whose_user_is_not_listed(multi_user, prefix, method, path, status, headers):
    before = sorted(p.name for p in user_dir(multi_user).iterdir())
    with multi_user.client(headers=headers) as http:
        reply = http.request(method, f"{prefix}{path}", content=b'{"Comfy.Locale": "en"}')
    assert reply.status_code == status
    expected = "401: Unauthorized" if status == 401 else "Invalid user specified in request"
    assert reply.text == expected
    assert sorted(p.name for p in user_dir(multi_user).iterdir()) == before


def test_a_user_id_in_users_json_that_climbs_out_is_never_used_as_a_directory(start_server, tmp_path):
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "users.json").write_text(json.dumps({"..": "climber", "a/b": "nested", "ok": "fine"}))
    server = start_server("--multi-user", base_dir=tmp_path)
    for user_id in ("..", "a/b"):
        with client_as(server, user_id) as http:
            assert http.post("/settings", json={"x": 1}).status_code == 401
            assert http.post("/userdata/escape.txt", content=b"x").status_code == 403
    assert not (tmp_path / "comfy.settings.json").exists()
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "user" / "a").exists()
    with client_as(server, "ok") as http:
        assert http.post("/settings", json={"x": 1}).status_code == 200
