"""`/settings` and `/settings/{id}`: per-user frontend settings, against a real server."""

from __future__ import annotations

import json

import pytest
from accounts import PREFIXES, client_as, create_user, user_root

SETTINGS_FILE = "comfy.settings.json"


@pytest.fixture(scope="module")
def multi_user(start_module_server):
    return start_module_server("--multi-user")


@pytest.fixture
def user_id(multi_user) -> str:
    """A fresh user, so every test starts with no settings."""
    return create_user(multi_user)


@pytest.fixture
def http(multi_user, user_id):
    with client_as(multi_user, user_id) as client:
        yield client


@pytest.fixture
def settings_file(multi_user, user_id):
    return user_root(multi_user, user_id) / SETTINGS_FILE


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_new_user_has_no_settings(http, prefix):
    reply = http.get(f"{prefix}/settings")
    assert reply.status_code == 200
    assert reply.json() == {}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_settings_merges_shallowly_and_saves_with_indent_4(http, settings_file, prefix):
    assert http.post(f"{prefix}/settings", json={"a": {"x": 1}, "b": 1}).status_code == 200
    reply = http.post(f"{prefix}/settings", json={"a": {"y": 2}, "c": [1, 2]})
    assert reply.status_code == 200
    assert reply.content == b""
    expected = {"a": {"y": 2}, "b": 1, "c": [1, 2]}
    assert http.get(f"{prefix}/settings").json() == expected
    assert settings_file.read_text() == json.dumps(expected, indent=4)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("1.58.1", id="string"),
        pytest.param(True, id="bool"),
        pytest.param(None, id="null"),
        pytest.param([1, {"a": 2}], id="list"),
        pytest.param({"nested": {"deep": 1.5}}, id="object"),
    ],
)
def test_post_setting_stores_any_json_value_that_get_setting_returns(http, settings_file, prefix, value):
    reply = http.post(f"{prefix}/settings/Comfy.InstalledVersion", content=json.dumps(value))
    assert reply.status_code == 200
    assert http.get(f"{prefix}/settings/Comfy.InstalledVersion").json() == value
    assert json.loads(settings_file.read_text()) == {"Comfy.InstalledVersion": value}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_setting_keeps_the_other_settings(http, prefix):
    http.post(f"{prefix}/settings", json={"Comfy.Locale": "fr", "Comfy.Theme": "dark"})
    http.post(f"{prefix}/settings/Comfy.Locale", json="de")
    assert http.get(f"{prefix}/settings").json() == {"Comfy.Locale": "de", "Comfy.Theme": "dark"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_setting_answers_null_for_a_setting_that_is_not_set(http, prefix):
    reply = http.get(f"{prefix}/settings/Comfy.Missing")
    assert reply.status_code == 200
    assert reply.json() is None


def test_setting_ids_are_percent_decoded(http):
    http.post("/settings/Comfy.Some%20Setting", json=3)
    assert http.get("/settings").json() == {"Comfy.Some Setting": 3}


@pytest.mark.parametrize(
    "path, content",
    [
        pytest.param("/settings", b"[1, 2]", id="settings-list"),
        pytest.param("/settings", b"not json", id="settings-garbage"),
        pytest.param("/settings", b"", id="settings-empty"),
        pytest.param("/settings/Comfy.Locale", b"", id="setting-empty"),
        pytest.param("/settings/Comfy.Locale", b"{oops", id="setting-garbage"),
    ],
)
def test_a_body_that_is_not_the_json_needed_answers_400_and_changes_nothing(http, settings_file, path, content):
    http.post("/settings", json={"Comfy.Locale": "en"})
    before = settings_file.read_bytes()
    reply = http.post(path, content=content)
    assert reply.status_code == 400
    assert settings_file.read_bytes() == before


@pytest.mark.parametrize("corrupt", [b"{not json", b'["a list"]', b"\xff\xfe"], ids=["garbage", "list", "bytes"])
def test_a_corrupt_settings_file_reads_as_empty_and_the_next_save_replaces_it(http, settings_file, corrupt):
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_bytes(corrupt)
    assert http.get("/settings").json() == {}
    assert http.get("/settings/anything").json() is None
    assert http.post("/settings/Comfy.Locale", json="en").status_code == 200
    assert json.loads(settings_file.read_text()) == {"Comfy.Locale": "en"}


def test_a_settings_file_that_links_outside_the_user_directory_is_neither_read_nor_written(http, settings_file, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('{"secret": 1}')
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.symlink_to(outside)
    assert http.get("/settings").status_code == 403
    assert http.post("/settings", json={"x": 1}).status_code == 403
    assert http.post("/settings/x", json=1).status_code == 403
    assert outside.read_text() == '{"secret": 1}'


def test_two_users_never_see_each_others_settings(start_server):
    server = start_server("--multi-user")
    alice, bob = create_user(server, "alice"), create_user(server, "bob")
    with client_as(server, alice) as as_alice, client_as(server, bob) as as_bob:
        as_alice.post("/settings", json={"Comfy.Theme": "dark"})
        as_bob.post("/api/settings/Comfy.Theme", json="light")
        assert as_alice.get("/settings").json() == {"Comfy.Theme": "dark"}
        assert as_bob.get("/api/settings").json() == {"Comfy.Theme": "light"}
        assert as_alice.get("/api/settings/Comfy.Theme").json() == "dark"
    assert json.loads((user_root(server, alice) / SETTINGS_FILE).read_text()) == {"Comfy.Theme": "dark"}
    assert json.loads((user_root(server, bob) / SETTINGS_FILE).read_text()) == {"Comfy.Theme": "light"}


def test_single_user_server_keeps_settings_in_the_default_user_directory(server):
    with server.client() as http:
        assert http.post("/api/settings", json={"Test.SingleUser": "yes"}).status_code == 200
        assert http.get("/settings/Test.SingleUser").json() == "yes"
    saved = json.loads((user_root(server, "default") / SETTINGS_FILE).read_text())
    assert saved["Test.SingleUser"] == "yes"
