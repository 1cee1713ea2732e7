"""`/customers/api-keys` against a real `comfyd serve`: a key is shown once, listed by prefix,
never stored in plain text, and stops working when deleted."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime

import pytest


def database_bytes(platform) -> bytes:
    """The database file and its WAL side files, as they are on disk."""
    path = platform.database_path
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def create_key(platform, account, **body) -> dict:
    with platform.client(account) as http:
        reply = http.post("/customers/api-keys", json={"name": "laptop", **body})
    assert reply.status_code == 201, reply.text
    return reply.json()["api_key"]


def test_creating_a_key_shows_it_once_and_lists_it_by_prefix(platform):
    ada = platform.user()
    created = create_key(platform, ada, description="for the CLI")

    with platform.client(ada) as http:
        listed = http.get("/customers/api-keys").json()["api_keys"]

    plaintext = created.pop("plaintext_key")
    assert plaintext.startswith("comfyui-") and len(plaintext) == len("comfyui-") + 64
    assert created["key_prefix"] == plaintext[:16]
    assert (created["name"], created["description"]) == ("laptop", "for the CLI")
    assert datetime.fromisoformat(created["created_at"]).tzinfo is not None
    assert created in listed
    assert all(set(key) == {"id", "name", "description", "key_prefix", "created_at"} for key in listed)
    assert plaintext not in str(listed)


def test_a_created_key_works_and_is_never_stored_in_plain_text(platform):
    ada = platform.user()
    plaintext = create_key(platform, ada)["plaintext_key"]

    with platform.client(headers={"X-API-Key": plaintext}) as http:
        assert http.post("/customers").json()["id"] == ada.user_id

    stored = database_bytes(platform)
    assert plaintext.encode() not in stored
    assert plaintext[16:].encode() not in stored  # not even the secret part
    with sqlite3.connect(platform.database_path) as connection:
        rows = connection.execute("SELECT prefix, key_hash FROM api_keys WHERE user_id = ?", (ada.user_id,))
        assert plaintext[:16] in [prefix for prefix, _hash in rows]


def test_deleting_a_key_revokes_it(platform):
    ada = platform.user()
    created = create_key(platform, ada)

    with platform.client(ada) as http:
        deleted = http.delete(f"/customers/api-keys/{created['id']}")
        listed = http.get("/customers/api-keys").json()["api_keys"]
        again = http.delete(f"/customers/api-keys/{created['id']}")
    with platform.client(headers={"X-API-Key": created["plaintext_key"]}) as http:
        refused = http.get("/customers/api-keys")

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert created["id"] not in [key["id"] for key in listed]
    assert again.status_code == 404
    assert refused.status_code == 401


def test_a_user_cannot_delete_or_see_another_users_key(platform):
    ada, grace = platform.user(), platform.user()
    graces = create_key(platform, grace)

    with platform.client(ada) as http:
        listed = http.get("/customers/api-keys").json()["api_keys"]
        deleted = http.delete(f"/customers/api-keys/{graces['id']}")
    with platform.client(headers={"X-API-Key": graces["plaintext_key"]}) as http:
        still_works = http.get("/customers/api-keys")

    assert graces["id"] not in [key["id"] for key in listed]
    assert deleted.status_code == 404
    assert still_works.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-name"),
        pytest.param({"name": ""}, id="empty-name"),
        pytest.param({"name": "x" * 256}, id="name-too-long"),
        pytest.param({"name": 5}, id="name-not-text"),
    ],
)
def test_a_key_request_without_a_usable_name_is_refused(platform, body):
    ada = platform.user()
    with platform.client(ada) as http:
        reply = http.post("/customers/api-keys", json=body)
        count = len(http.get("/customers/api-keys").json()["api_keys"])
    assert reply.status_code == 400 and reply.json()["error"] == "Bad Request"
    assert count == 1  # the one the harness made


def test_deleting_with_an_id_that_is_not_a_uuid_is_refused(platform):
    ada = platform.user()
    with platform.client(ada) as http:
        assert http.delete("/customers/api-keys/not-a-uuid").status_code == 400
        assert http.delete(f"/customers/api-keys/{uuid.uuid4()}").status_code == 404
