"""`GET /nodes/search` after the registry's own write paths: a version published with a token and
checked, a pack edited by its owner, a version deleted by its publisher or re-statused by a
moderator, a banned pack, a deleted pack; and query text that would be syntax to the index."""

from __future__ import annotations

import pytest


def found(registry, **params) -> list[str]:
    page = registry.get("/nodes/search", params={"limit": 100, **params})
    assert page.status_code == 200, page.text
    return [node["id"] for node in page.json()["nodes"]]


@pytest.fixture
def released(registry) -> dict:
    """A fresh pack whose 1.0.0 was published, uploaded and checked active; its node class names
    are unique to it."""
    owner = registry.user()
    publisher = registry.publisher(owner)
    token = registry.token(owner, publisher)
    stem = registry.pack_id("Comfy-Tiles").split("-")[-1]
    classes = (f"TiledKSampler{stem}", f"TileMerge{stem}")
    pack_id = f"ComfyUI-Tiles-{stem}"
    version = registry.publish(
        token, publisher, pack_id, "1.0.0", registry.node_pack(*classes), description=f"Tiling {stem}."
    )
    assert registry.wait_checked(pack_id, "1.0.0")["status"] == "NodeVersionStatusActive"
    return {"id": pack_id, "owner": owner, "publisher": publisher, "classes": classes, "version": version}


def test_a_checked_version_is_found_by_a_prefix_of_its_class_names(registry, released):
    sampler, merge = released["classes"]
    assert found(registry, search=sampler[:10]) == [released["id"]]
    assert found(registry, search=merge.lower()) == [released["id"]]
    assert found(registry, comfy_node_search=merge) == [released["id"]]
    assert found(registry, search=released["id"].lower()) == [released["id"]]


def test_a_pack_is_found_as_soon_as_its_first_version_is_published(registry):
    owner = registry.user()
    publisher = registry.publisher(owner)
    pack_id = registry.pack_id("Waiting")
    registry.publish(registry.token(owner, publisher), publisher, pack_id, "1.0.0", None)
    assert found(registry, search=pack_id) == [pack_id]


def test_an_owners_edit_is_searchable_at_once(registry, released):
    stem = released["id"].rsplit("-", 1)[1]
    with registry.client(released["owner"]) as http:
        reply = http.put(
            f"/publishers/{released['publisher']}/nodes/{released['id']}",
            json={"name": f"Mosaic {stem}", "description": "Stitches images.", "author": f"grace{stem}"},
        )
    assert reply.status_code == 200, reply.text
    assert found(registry, search=f"tiling {stem}") == []
    assert found(registry, search=f"mosaic {stem}") == [released["id"]]
    assert found(registry, search=f"grace{stem}") == [released["id"]]


def test_a_deleted_version_no_longer_finds_its_pack_by_class(registry, released):
    with registry.client(released["owner"]) as http:
        path = (
            f"/publishers/{released['publisher']}/nodes/{released['id']}/versions/{released['version']['id']}"
        )
        assert http.delete(path).status_code == 204
    assert found(registry, search=released["classes"][0]) == []
    assert found(registry, search=released["id"]) == [released["id"]]


def test_a_moderators_status_change_hides_and_restores_the_classes(registry, released):
    path = f"/admin/nodes/{released['id']}/versions/1.0.0"
    with registry.client(registry.user(admin=True)) as http:
        assert http.put(path, json={"status": "NodeVersionStatusFlagged"}).status_code == 200
        assert found(registry, search=released["classes"][1]) == []
        assert http.put(path, json={"status": "NodeVersionStatusActive"}).status_code == 200
    assert found(registry, search=released["classes"][1]) == [released["id"]]


def test_a_banned_pack_is_found_unless_banned_packs_are_excluded(registry, released):
    with registry.client(registry.user(admin=True)) as http:
        assert http.post(f"/publishers/{released['publisher']}/nodes/{released['id']}/ban").status_code == 204
    assert found(registry, search=released["classes"][0]) == [released["id"]]
    assert found(registry, search=released["classes"][0], include_banned="false") == []


def test_a_deleted_pack_is_never_found(registry, released):
    with registry.client(released["owner"]) as http:
        assert http.delete(f"/publishers/{released['publisher']}/nodes/{released['id']}").status_code == 204
    assert found(registry, search=released["id"]) == []
    assert found(registry, comfy_node_search=released["classes"][0]) == []


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "a\"b'c",
        "lcm*",
        "OR",
        "AND NOT",
        "(",
        "a) OR (b",
        "-x",
        "name:x",
        "{name}:x",
        "x:*",
        "!&|",
        "\\",
        "%_",
    ],
)
def test_query_syntax_in_search_text_is_answered_not_failed(registry, text):
    for params in ({"search": text}, {"comfy_node_search": text}, {"repository_url_search": text}):
        reply = registry.get("/nodes/search", params=params)
        assert reply.status_code == 200, (params, reply.text)
        assert set(reply.json()) == {"total", "nodes", "page", "limit", "totalPages"}
