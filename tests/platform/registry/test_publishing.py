"""Publishing over HTTP, as a publisher's owners and comfy-cli do it: publishers, personal access
tokens, packs, and `POST .../versions` with the token in the body, then the signed upload."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture(scope="module")
def owner(registry):
    return registry.user(name="Owner")


@pytest.fixture(scope="module")
def publisher(registry, owner) -> str:
    return registry.publisher(owner)


@pytest.fixture(scope="module")
def token(registry, owner, publisher) -> str:
    return registry.token(owner, publisher)


def test_publish_upload_check_and_install_round_trip(registry, publisher, token):
    pack_id = registry.pack_id()
    archive = registry.node_pack("LoudText")

    reply = registry.publish_request(token, publisher, pack_id, "1.0.0", description="Loud text.")
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert set(created) == {"node_version", "signedUrl"}
    assert created["node_version"]["status"] == "NodeVersionStatusPending"
    assert created["node_version"]["node_id"] == pack_id
    upload = httpx.put(created["signedUrl"], content=archive, headers={"Content-Type": "application/zip"})
    assert upload.status_code == 200, upload.text

    checked = registry.wait_checked(pack_id, "1.0.0")
    assert checked["status"] == "NodeVersionStatusActive", checked
    assert checked["comfy_node_extract_status"] == "success"
    installed = registry.get(f"/nodes/{pack_id}/install").json()
    assert installed["version"] == "1.0.0"
    assert installed["id"] == created["node_version"]["id"]
    download = httpx.get(installed["downloadUrl"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.content == archive


def test_publish_creates_the_pack_from_the_body(registry, publisher, token):
    pack_id = registry.pack_id()
    registry.publish(
        token, publisher, pack_id, "0.1.0", None, name="Display Name", repository="https://example.com/r"
    )

    node = registry.get(f"/nodes/{pack_id}").json()
    assert node["name"] == "Display Name"
    assert node["repository"] == "https://example.com/r"
    assert node["publisher"]["id"] == publisher
    assert "latest_version" not in node  # only pending so far


def test_publish_with_a_wrong_token_is_400(registry, publisher):
    reply = registry.publish_request("not-a-token", publisher, registry.pack_id(), "1.0.0")
    assert reply.status_code == 400
    assert reply.json()["message"] == "Invalid personal access token"


def test_publish_with_another_publishers_token_is_400(registry, publisher):
    other = registry.user()
    other_publisher = registry.publisher(other)
    other_token = registry.token(other, other_publisher)
    reply = registry.publish_request(other_token, publisher, registry.pack_id(), "1.0.0")
    assert reply.status_code == 400
    assert reply.json()["message"] == "Invalid personal access token"


def test_publish_to_a_pack_of_another_publisher_is_403(registry, publisher, token):
    pack_id = registry.pack_id()
    registry.publish(token, publisher, pack_id, "1.0.0", None)
    other = registry.user()
    other_publisher = registry.publisher(other)
    reply = registry.publish_request(
        registry.token(other, other_publisher), other_publisher, pack_id, "1.0.1"
    )
    assert reply.status_code == 403


def test_publish_rejects_an_existing_version(registry, publisher, token):
    pack_id = registry.pack_id()
    registry.publish(
        token, publisher, pack_id, "1.0.0", registry.zip_of({"__init__.py": "NODE_CLASS_MAPPINGS = {}\n"})
    )
    reply = registry.publish_request(token, publisher, pack_id, "1.0.0")
    assert reply.status_code == 400
    assert "already exists" in reply.json()["message"]


def test_publish_again_before_upload_issues_a_new_upload_url(registry, publisher, token):
    pack_id = registry.pack_id()
    first = registry.publish_request(token, publisher, pack_id, "1.0.0").json()
    second = registry.publish_request(token, publisher, pack_id, "1.0.0")
    assert second.status_code == 201
    assert second.json()["node_version"]["id"] == first["node_version"]["id"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [pytest.param("v1.2", "1.2.0", id="lenient"), pytest.param("2.0.0-rc.1", "2.0.0-rc.1", id="prerelease")],
)
def test_publish_stores_the_canonical_version(registry, publisher, token, given, stored):
    version = registry.publish(token, publisher, registry.pack_id(), given, None)
    assert version["version"] == stored


def test_publish_rejects_a_version_that_is_not_semver(registry, publisher, token):
    reply = registry.publish_request(token, publisher, registry.pack_id(), "latest")
    assert reply.status_code == 400


def test_publish_rejects_a_body_naming_another_pack(registry, publisher, token):
    pack_id = registry.pack_id()
    reply = registry.publish_request(token, publisher, pack_id, "1.0.0", id="something-else")
    assert reply.status_code == 400


def test_upload_url_works_once(registry, publisher, token):
    reply = registry.publish_request(token, publisher, registry.pack_id(), "1.0.0").json()
    archive = registry.zip_of({"__init__.py": "NODE_CLASS_MAPPINGS = {}\n"})
    assert httpx.put(reply["signedUrl"], content=archive).status_code == 200
    again = httpx.put(reply["signedUrl"], content=archive)
    assert again.status_code == 403


def test_upload_url_with_a_forged_signature_is_refused(registry, publisher, token):
    reply = registry.publish_request(token, publisher, registry.pack_id(), "1.0.0").json()
    forged = reply["signedUrl"][:-4] + ("AAAA" if not reply["signedUrl"].endswith("AAAA") else "BBBB")
    answer = httpx.put(forged, content=b"zip")
    assert answer.status_code == 403
    assert set(answer.json()) == {"error", "message"}


def test_publisher_creator_becomes_owner_and_members_emails_stay_private(registry):
    ada = registry.user(name="Ada")
    publisher_id = registry.publisher(ada)

    public = registry.get(f"/publishers/{publisher_id}").json()
    assert public["status"] == "PublisherStatusActive"
    assert [(m["role"], m["user"]["id"]) for m in public["members"]] == [("owner", ada.user_id)]
    assert "email" not in public["members"][0]["user"]
    with registry.client(ada) as http:
        own = http.get(f"/publishers/{publisher_id}").json()
        assert own["members"][0]["user"]["email"] == ada.email
        assert [p["id"] for p in http.get("/users/publishers/").json()] == [publisher_id]


def test_a_user_may_own_at_most_five_publishers(registry):
    ada = registry.user()
    for _ in range(5):
        registry.publisher(ada)
    with registry.client(ada) as http:
        reply = http.post("/publishers", json={"id": "one-too-many-" + ada.user_id[:8]})
    assert reply.status_code == 403
    assert reply.json()["message"] == "User has reached the maximum number of publishers."


def test_create_publisher_needs_an_api_key(registry):
    with registry.client() as http:
        assert http.post("/publishers", json={"id": "nobody"}).status_code == 401


@pytest.mark.parametrize("publisher_id", ["Upper", "1abc", "has_underscore", ""])
def test_create_publisher_rejects_invalid_ids(registry, publisher_id):
    with registry.client(registry.user()) as http:
        reply = http.post("/publishers", json={"id": publisher_id})
    assert reply.status_code == 400


def test_create_publisher_rejects_a_taken_id(registry, publisher):
    with registry.client(registry.user()) as http:
        reply = http.post("/publishers", json={"id": publisher})
    assert reply.status_code == 400
    assert reply.json()["message"] == "Publisher ID already exists."


def test_validate_publisher_answers_available_or_400(registry, publisher):
    assert registry.get("/publishers/validate", params={"username": "free-name-xyz"}).json() == {
        "isAvailable": True
    }
    assert registry.get("/publishers/validate", params={"username": publisher}).status_code == 400
    assert registry.get("/publishers/validate", params={"username": "Bad Name"}).status_code == 400


def test_only_owners_update_or_delete_a_publisher(registry):
    ada, mallory = registry.user(), registry.user()
    publisher_id = registry.publisher(ada)
    with registry.client(mallory) as http:
        assert http.put(f"/publishers/{publisher_id}", json={"name": "Taken"}).status_code == 403
        assert http.delete(f"/publishers/{publisher_id}").status_code == 403
    with registry.client(ada) as http:
        updated = http.put(
            f"/publishers/{publisher_id}", json={"name": "Renamed", "support": "help@example.com"}
        )
        assert updated.status_code == 200
        assert (updated.json()["name"], updated.json()["support"]) == ("Renamed", "help@example.com")
        assert http.delete(f"/publishers/{publisher_id}").status_code == 204
    assert registry.get(f"/publishers/{publisher_id}").status_code == 404


def test_tokens_are_shown_once_and_listed_masked(registry):
    ada = registry.user()
    publisher_id = registry.publisher(ada)
    with registry.client(ada) as http:
        created = http.post(
            f"/publishers/{publisher_id}/tokens", json={"name": "laptop", "description": "cli"}
        )
        assert created.status_code == 201
        token = created.json()["token"]
        listed = http.get(f"/publishers/{publisher_id}/tokens").json()
        assert len(listed) == 1
        assert listed[0]["token"] == token[:4] + "***"
        assert (listed[0]["name"], listed[0]["description"]) == ("laptop", "cli")
        assert http.delete(f"/publishers/{publisher_id}/tokens/{listed[0]['id']}").status_code == 204
        assert http.get(f"/publishers/{publisher_id}/tokens").json() == []
    reply = registry.publish_request(token, publisher_id, registry.pack_id(), "1.0.0")
    assert reply.status_code == 400


def test_non_owners_cannot_see_or_make_tokens(registry, publisher):
    with registry.client(registry.user()) as http:
        assert http.get(f"/publishers/{publisher}/tokens").status_code == 403
        assert http.post(f"/publishers/{publisher}/tokens", json={"name": "x"}).status_code == 403


def test_owner_creates_updates_and_deletes_packs(registry, owner, publisher):
    pack_id = registry.pack_id()
    with registry.client(owner) as http:
        created = http.post(
            f"/publishers/{publisher}/nodes", json={"id": pack_id, "name": "Mine", "tags": ["text"]}
        )
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "NodeStatusActive"
        updated = http.put(f"/publishers/{publisher}/nodes/{pack_id}", json={"description": "Now described."})
        assert updated.json()["description"] == "Now described."
        assert http.get(f"/publishers/{publisher}/nodes/{pack_id}/permissions").json() == {"canEdit": True}
        assert http.delete(f"/publishers/{publisher}/nodes/{pack_id}").status_code == 204
    assert registry.get(f"/nodes/{pack_id}").status_code == 404


def test_non_owner_cannot_create_or_delete_packs(registry, owner, publisher):
    pack_id = registry.pack_id()
    with registry.client(owner) as http:
        assert http.post(f"/publishers/{publisher}/nodes", json={"id": pack_id}).status_code == 201
    with registry.client(registry.user()) as http:
        assert http.post(f"/publishers/{publisher}/nodes", json={"id": registry.pack_id()}).status_code == 403
        assert http.delete(f"/publishers/{publisher}/nodes/{pack_id}").status_code == 403
        assert http.put(f"/publishers/{publisher}/nodes/{pack_id}", json={"name": "x"}).status_code == 403
        assert http.get(f"/publishers/{publisher}/nodes/{pack_id}/permissions").json() == {"canEdit": False}
    assert registry.get(f"/nodes/{pack_id}").status_code == 200


def test_pack_ids_are_unique_regardless_of_case(registry, owner, publisher):
    pack_id = registry.pack_id("Mixed-Case")
    with registry.client(owner) as http:
        assert http.post(f"/publishers/{publisher}/nodes", json={"id": pack_id}).status_code == 201
        again = http.post(f"/publishers/{publisher}/nodes", json={"id": pack_id.lower()})
    assert again.status_code == 400


def test_owner_updates_and_deletes_a_version_by_its_uuid(registry, owner, publisher, token):
    pack_id = registry.pack_id()
    version = registry.publish(token, publisher, pack_id, "1.0.0", None)
    base = f"/publishers/{publisher}/nodes/{pack_id}/versions/{version['id']}"
    with registry.client(owner) as http:
        updated = http.put(base, json={"changelog": "better words", "deprecated": True})
        assert updated.status_code == 200
        assert (updated.json()["changelog"], updated.json()["deprecated"]) == ("better words", True)
        assert (
            http.put(f"/publishers/{publisher}/nodes/{pack_id}/versions/not-a-uuid", json={}).status_code
            == 404
        )
        assert http.delete(base).status_code == 204
    assert registry.get(f"/nodes/{pack_id}/versions/1.0.0").status_code == 404
