"""The public read side over HTTP: list envelopes, casing and enum strings, page clamping, filters
and sorting, search ranking, lookups that 404 or redirect, and the node-class routes.

The module's server holds one publisher's catalogue, built once (see `catalogue`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

PACKS = [
    {"id": "upscale", "name": "Tools", "description": "Assorted tools.", "author": "ada"},
    {"id": "b-pack", "name": "Upscale Nodes", "description": "Nodes.", "author": "ada"},
    {"id": "d-pack", "name": "D", "description": "Can upscale pictures.", "author": "ada"},
    {"id": "e-pack", "name": "E", "description": "Other things.", "author": "upscale-fan"},
    {"id": "ComfyUI-Mixed", "name": "Mixed", "repository": "https://github.com/ada/comfyui-mixed"},
] + [{"id": f"filler-{n:02d}", "name": f"Filler {n:02d}"} for n in range(8)]


@pytest.fixture(scope="module")
def catalogue(registry) -> dict:
    """13 packs without versions, and `c-pack`, whose active 1.0.0 defines `UpscaleImage`."""
    owner = registry.user()
    publisher = registry.publisher(owner, "catalogue")
    with registry.client(owner) as http:
        for pack in PACKS:
            assert http.post(f"/publishers/{publisher}/nodes", json=pack).status_code == 201
    token = registry.token(owner, publisher)
    registry.publish(token, publisher, "c-pack", "1.0.0", registry.node_pack("UpscaleImage"), name="C")
    assert registry.wait_checked("c-pack", "1.0.0")["status"] == "NodeVersionStatusActive"
    return {"publisher": publisher, "owner": owner, "total": len(PACKS) + 1}


def test_list_envelope_and_node_shape(registry, catalogue):
    page = registry.get("/nodes").json()
    assert set(page) == {"total", "nodes", "page", "limit", "totalPages"}
    assert (page["total"], page["page"], page["limit"], page["totalPages"]) == (catalogue["total"], 1, 10, 2)
    node = next(n for n in registry.get("/nodes", params={"node_id": "c-pack"}).json()["nodes"])
    assert node["status"] == "NodeStatusActive"
    assert node["publisher"]["id"] == "catalogue"
    assert node["publisher"]["status"] == "PublisherStatusActive"
    assert "createdAt" in node["publisher"] and "members" not in node["publisher"]
    assert "created_at" in node and (node["rating"], node["downloads"]) == (0, 0)
    latest = node["latest_version"]
    assert {"id", "version", "createdAt", "downloadUrl", "status", "status_reason", "node_id"} <= set(latest)
    assert latest["status"] == "NodeVersionStatusActive"


@pytest.mark.parametrize(
    ("limit", "served"),
    [
        pytest.param(500, 100, id="clamped-to-100"),
        pytest.param(100, 100, id="maximum"),
        pytest.param(0, 10, id="zero-is-default"),
        pytest.param(-3, 10, id="negative-is-default"),
        pytest.param(3, 3, id="small"),
    ],
)
def test_limit_is_clamped_and_echoed(registry, catalogue, limit, served):
    page = registry.get("/nodes", params={"limit": limit}).json()
    assert page["limit"] == served
    assert page["totalPages"] == -(-catalogue["total"] // served)
    assert len(page["nodes"]) == min(served, catalogue["total"])


def test_pages_walk_the_whole_catalogue_once(registry, catalogue):
    seen = []
    for page in (1, 2, 3, 4, 5):
        seen += [n["id"] for n in registry.get("/nodes", params={"page": page, "limit": 3}).json()["nodes"]]
    assert len(seen) == len(set(seen)) == catalogue["total"]


def test_repeated_node_id_filters(registry, catalogue):
    page = registry.get("/nodes", params=[("node_id", "b-pack"), ("node_id", "d-pack")]).json()
    assert sorted(n["id"] for n in page["nodes"]) == ["b-pack", "d-pack"]
    assert page["total"] == 2


def test_sort_by_a_whitelisted_column(registry, catalogue):
    names = [
        n["name"] for n in registry.get("/nodes", params={"sort": "name;desc", "limit": 100}).json()["nodes"]
    ]
    assert names == sorted(names, reverse=True)


@pytest.mark.parametrize("sort", ["password", "name;sideways"])
def test_sort_by_anything_else_is_400(registry, catalogue, sort):
    reply = registry.get("/nodes", params={"sort": sort})
    assert reply.status_code == 400
    assert set(reply.json()) == {"error", "message"}


def test_timestamp_lists_packs_changed_after_it(registry, catalogue):
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert registry.get("/nodes", params={"timestamp": future}).json()["total"] == 0
    assert registry.get("/nodes", params={"timestamp": past}).json()["total"] == catalogue["total"]


def test_unknown_pack_is_404_in_the_platform_shape(registry, catalogue):
    reply = registry.get("/nodes/no-such-pack")
    assert reply.status_code == 404
    assert set(reply.json()) == {"error", "message"}
    assert registry.get("/nodes/no-such-pack/versions").status_code == 404
    assert registry.get("/nodes/c-pack/versions/9.9.9").status_code == 404


def test_an_id_in_another_case_redirects_to_the_canonical_one(registry, catalogue):
    reply = registry.get("/nodes/comfyui-mixed")
    assert reply.status_code == 302
    assert reply.headers["location"].endswith("/nodes/ComfyUI-Mixed")
    followed = registry.get("/nodes/COMFYUI-MIXED", follow_redirects=True)
    assert followed.json()["id"] == "ComfyUI-Mixed"
    install = registry.get("/nodes/C-PACK/install", params={"version": "1.0.0"})
    assert install.status_code == 302
    assert install.headers["location"].endswith("/nodes/c-pack/install?version=1.0.0")


def test_search_ranks_id_then_name_then_node_class_then_description_then_author(registry, catalogue):
    page = registry.get("/nodes/search", params={"search": "upscale"}).json()
    assert [n["id"] for n in page["nodes"]] == ["upscale", "b-pack", "c-pack", "d-pack", "e-pack"]
    assert set(page) == {"total", "nodes", "page", "limit", "totalPages"}


def test_search_by_node_class_name(registry, catalogue):
    page = registry.get("/nodes/search", params={"comfy_node_search": "upscaleimage"}).json()
    assert [n["id"] for n in page["nodes"]] == ["c-pack"]


def test_search_by_repository_url(registry, catalogue):
    page = registry.get("/nodes/search", params={"repository_url_search": "github.com/ada"}).json()
    assert [n["id"] for n in page["nodes"]] == ["ComfyUI-Mixed"]


def test_search_treats_like_wildcards_literally(registry, catalogue):
    assert registry.get("/nodes/search", params={"search": "%"}).json()["total"] == 0


def test_search_accepts_the_seeds_offset(registry, catalogue):
    by_page = registry.get("/nodes/search", params={"search": "upscale", "limit": 2, "page": 2}).json()
    by_offset = registry.get("/nodes/search", params={"search": "upscale", "limit": 2, "offset": 2}).json()
    assert (
        [n["id"] for n in by_offset["nodes"]] == [n["id"] for n in by_page["nodes"]] == ["c-pack", "d-pack"]
    )
    assert by_offset["page"] == 2


def test_search_clamps_its_limit(registry, catalogue):
    assert registry.get("/nodes/search", params={"limit": 1000}).json()["limit"] == 100


def test_comfy_node_routes(registry, catalogue):
    all_nodes = registry.get("/comfy-nodes", params={"pageSize": 1000}).json()
    assert all_nodes["page_size"] == 100
    assert [n["comfy_node_name"] for n in all_nodes["comfy_nodes"]] == ["UpscaleImage"]
    assert registry.get("/comfy-nodes/UpscaleImage/node").json()["id"] == "c-pack"
    assert registry.get("/comfy-nodes/NoSuchClass/node").status_code == 404
    assert registry.get("/nodes/c-pack/versions/1.0.0/comfy-nodes/NoSuchClass").status_code == 404


def test_bulk_versions_report_each_pair(registry, catalogue):
    body = {
        "node_versions": [
            {"node_id": "c-pack", "version": "1.0.0"},
            {"node_id": "c-pack", "version": "9.9.9"},
        ]
    }
    with registry.client() as http:
        results = http.post("/bulk/nodes/versions", json=body).json()["node_versions"]
    assert [r["status"] for r in results] == ["success", "not_found"]
    assert results[0]["node_version"]["version"] == "1.0.0"
    assert results[1]["identifier"] == {"node_id": "c-pack", "version": "9.9.9"}


def test_all_versions_envelope(registry, catalogue):
    page = registry.get("/versions", params={"nodeId": "c-pack", "pageSize": 500}).json()
    assert set(page) == {"total", "versions", "page", "pageSize", "totalPages"}
    assert (page["total"], page["pageSize"], page["versions"][0]["version"]) == (1, 100, "1.0.0")


def test_publisher_listings(registry, catalogue):
    assert [p["id"] for p in registry.get("/publishers").json()] == ["catalogue"]
    capped = registry.get("/publishers/catalogue/nodes").json()
    assert len(capped) == 10
    page = registry.get("/publishers/catalogue/nodes/v2", params={"limit": 5, "page": 3}).json()
    assert (page["total"], page["limit"], page["totalPages"], len(page["nodes"])) == (
        catalogue["total"],
        5,
        3,
        4,
    )
    assert registry.get("/publishers/nobody").status_code == 404
