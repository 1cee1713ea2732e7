"""The registry in cluster mode: `comfyd registry --database-url postgresql+asyncpg://...` on a
fresh PostgreSQL database, migrated from nothing at its start, then published to, checked,
searched, listed and moderated over HTTP; and the migrated tables match the record classes.

The database is made for this module through PostgreSQL's `postgres` maintenance database and
dropped at the end (the module is skipped when PostgreSQL is unreachable).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from search_databases import postgres_database

import comfyd.db.registry as registry_tables
from comfyd.db.base import Base, create_engine
from comfyd_process import RegistryServer
from migrating import record_differences, table_of
from registry_harness import Registry

REGISTRY_TABLES = {
    value.__tablename__
    for value in vars(registry_tables).values()
    if isinstance(value, type) and issubclass(value, Base) and value is not Base
}


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database("registry") as url:
        yield url


@pytest.fixture(scope="module")
def pg_registry(tmp_path_factory, database_url: str) -> Iterator[Registry]:
    base_dir = tmp_path_factory.mktemp("pg_registry")
    process = RegistryServer(base_dir, "--database-url", database_url).start()
    try:
        yield Registry(process.url, database_url)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def published(pg_registry) -> dict:
    """A pack whose 1.0.0 was published with a personal access token, uploaded and checked."""
    owner = pg_registry.user()
    publisher = pg_registry.publisher(owner)
    token = pg_registry.token(owner, publisher)
    pack_id = pg_registry.pack_id("ComfyUI-Tiles")
    archive = pg_registry.node_pack("TiledKSampler", "TileMerge")
    pg_registry.publish(token, publisher, pack_id, "1.0.0", archive, description="Tiled sampling.")
    checked = pg_registry.wait_checked(pack_id, "1.0.0")
    return {
        "pack_id": pack_id,
        "publisher": publisher,
        "owner": owner,
        "checked": checked,
        "archive": archive,
    }


@pytest.mark.anyio
async def test_the_migrated_registry_tables_match_the_record_classes(pg_registry, database_url):
    engine = create_engine(database_url)
    try:
        found = await record_differences(engine, lambda diff: table_of(diff, REGISTRY_TABLES) in REGISTRY_TABLES)
    finally:
        await engine.dispose()
    assert found == []


def test_registry_constraint_and_index_names_fit_postgresql():
    names = [
        str(item.name)
        for table in Base.metadata.tables.values()
        if table.name in REGISTRY_TABLES
        for item in (*table.constraints, *table.indexes)
    ]
    assert names and all(len(name) <= 63 for name in names), [n for n in names if len(n) > 63]


def test_a_published_version_is_checked_and_installable(pg_registry, published):
    assert published["checked"]["status"] == "NodeVersionStatusActive", published["checked"]
    assert published["checked"]["comfy_node_extract_status"] == "success"
    installed = pg_registry.get(f"/nodes/{published['pack_id']}/install").json()
    assert httpx.get(installed["downloadUrl"]).content == published["archive"]
    classes = pg_registry.get(f"/nodes/{published['pack_id']}/versions/1.0.0/comfy-nodes").json()
    assert [node["comfy_node_name"] for node in classes["comfy_nodes"]] == ["TileMerge", "TiledKSampler"]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"search": "tiledksampl"}, id="node-class-prefix"),
        pytest.param({"search": "tiles"}, id="id-word"),
        pytest.param({"search": "sampling"}, id="description"),
        pytest.param({"comfy_node_search": "TileMerge"}, id="comfy-node-search"),
    ],
)
def test_search_finds_the_pack_on_postgresql(pg_registry, published, params):
    page = pg_registry.get("/nodes/search", params=params).json()
    assert [node["id"] for node in page["nodes"]] == [published["pack_id"]]
    assert page["total"] == 1


def test_search_ranks_an_exact_id_first_on_postgresql(pg_registry, published):
    owner = pg_registry.user()
    publisher = pg_registry.publisher(owner)
    exact = pg_registry.pack_id("Stitch")
    with pg_registry.client(owner) as http:
        for pack in (
            {"id": pg_registry.pack_id("other"), "name": f"{exact} helpers"},
            {"id": exact, "name": "Something"},
        ):
            assert http.post(f"/publishers/{publisher}/nodes", json=pack).status_code == 201
    page = pg_registry.get("/nodes/search", params={"search": exact}).json()
    assert [node["id"] for node in page["nodes"]][0] == exact
    assert page["total"] == 2


def test_listing_pages_and_sorts_on_postgresql(pg_registry, published):
    page = pg_registry.get("/nodes", params={"sort": "name;desc", "limit": 100}).json()
    names = [node["name"] for node in page["nodes"]]
    assert names == sorted(names, reverse=True) and page["total"] == len(names) >= 1
    assert pg_registry.get("/nodes", params={"limit": 1000}).json()["limit"] == 100


def test_a_banned_pack_answers_403_and_leaves_filtered_search_on_postgresql(pg_registry):
    owner = pg_registry.user()
    publisher = pg_registry.publisher(owner)
    pack_id = pg_registry.pack_id("Banned")
    pg_registry.publish(pg_registry.token(owner, publisher), publisher, pack_id, "1.0.0", None)
    with pg_registry.client(pg_registry.user(admin=True)) as http:
        assert http.post(f"/publishers/{publisher}/nodes/{pack_id}/ban").status_code == 204

    assert pg_registry.get(f"/nodes/{pack_id}").status_code == 403
    found = pg_registry.get("/nodes/search", params={"search": pack_id}).json()["nodes"]
    assert [node["status"] for node in found] == ["NodeStatusBanned"]
    hidden = pg_registry.get("/nodes/search", params={"search": pack_id, "include_banned": "false"}).json()
    assert hidden["nodes"] == [] and hidden["total"] == 0
