"""The registry inside `comfyd serve`, under its default prefix `/registry`: the same API, links
that carry the prefix, and a whole publish-to-install round trip through the mount."""

from __future__ import annotations

import httpx


def test_registry_answers_under_the_prefix(mounted_registry, comfyd_server):
    page = mounted_registry.get("/nodes").json()
    assert (page["total"], page["limit"]) == (0, 10)
    assert httpx.get(f"{comfyd_server.url}/api/prompt").status_code == 200  # ComfyUI's routes still answer


def test_publish_and_install_through_the_mount(mounted_registry):
    owner = mounted_registry.user()
    publisher = mounted_registry.publisher(owner)
    token = mounted_registry.token(owner, publisher)
    pack_id = mounted_registry.pack_id()
    archive = mounted_registry.node_pack("Mounted")

    created = mounted_registry.publish(token, publisher, pack_id, "1.0.0", archive)
    assert created["downloadUrl"].startswith(f"{mounted_registry.base}/archives/")
    assert mounted_registry.wait_checked(pack_id, "1.0.0")["status"] == "NodeVersionStatusActive"
    installed = mounted_registry.get(f"/nodes/{pack_id}/install").json()
    assert httpx.get(installed["downloadUrl"]).content == archive
    found = mounted_registry.get("/nodes/search", params={"comfy_node_search": "Mounted"}).json()
    assert [n["id"] for n in found["nodes"]] == [pack_id]


def test_redirects_keep_the_prefix(mounted_registry):
    owner = mounted_registry.user()
    publisher = mounted_registry.publisher(owner)
    pack_id = mounted_registry.pack_id("Cased")
    with mounted_registry.client(owner) as http:
        assert http.post(f"/publishers/{publisher}/nodes", json={"id": pack_id}).status_code == 201
    reply = mounted_registry.get(f"/nodes/{pack_id.lower()}")
    assert reply.status_code == 302
    assert reply.headers["location"] == f"{mounted_registry.base}/nodes/{pack_id}"
