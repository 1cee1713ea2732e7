"""Registry search on both databases: what the full-text index finds, how it ranks, that it follows
every change to packs, versions and node classes, and that no query text is read as syntax.

Each test runs on a migrated SQLite file and on a fresh PostgreSQL database copied from a
migrated template. Rows are written straight into the tables, as a mirror or a bulk load may:
the index must follow whatever writes (the HTTP write paths are in `test_search_routes.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from search_databases import Shelf, migrate, postgres_copy, postgres_database

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.registry.moderation import Moderation
from comfyd.platform.registry.states import VersionStatus

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def postgres_template() -> Iterator[str]:
    with postgres_database("search_template") as url:
        migrate(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, database_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{database_path}"
        return
    with postgres_copy(request.getfixturevalue("postgres_template")) as url:
        yield url


@pytest.fixture
async def shelf(database_url: str) -> AsyncIterator[Shelf]:
    engine = create_engine(database_url)
    yield Shelf(session_factory(engine))
    await engine.dispose()


@pytest.mark.parametrize(
    ("query", "columns"),
    [
        pytest.param("lcm", {}, id="id-word-prefix"),
        pytest.param("ComfyUI-LCM", {}, id="whole-id"),
        pytest.param("latent", {"name": "Latent Consistency"}, id="name"),
        pytest.param("sampl", {"description": "Fast sampling in four steps."}, id="description"),
        pytest.param("ada", {"author": "Ada Lovelace"}, id="author"),
    ],
)
async def test_finds_a_pack_by_a_prefix_of_a_word_of_its_id_name_description_or_author(shelf, query, columns):
    await shelf.pack("ComfyUI-LCM", **columns)
    await shelf.pack("other-pack", name="Other", description="Nothing alike.", author="grace")
    assert await shelf.found(query) == ["ComfyUI-LCM"]


async def test_finds_a_pack_by_a_prefix_of_a_node_class_of_its_active_version(shelf):
    await shelf.pack("samplers")
    await shelf.version("samplers", "1.0.0", nodes=["KSamplerAdvanced", "LatentUpscale"])
    await shelf.pack("other-pack")
    assert await shelf.found("KSampl") == ["samplers"]
    assert await shelf.found("latentupscale") == ["samplers"]
    assert await shelf.found("ksampler", include_banned=False) == ["samplers"]


async def test_every_word_must_match_somewhere(shelf):
    await shelf.pack("ComfyUI-LCM", description="Fast sampling.")
    assert await shelf.found("lcm fast") == ["ComfyUI-LCM"]
    assert await shelf.found("lcm slow") == []


async def test_words_run_together_find_one_class_name(shelf):
    await shelf.pack("loaders")
    await shelf.version("loaders", "1.0.0", nodes=["LoadImage"])
    assert await shelf.found("Load Image") == ["loaders"]
    assert await shelf.found("load image", comfy_node="load image") == ["loaders"]


async def test_ranks_id_then_name_then_id_words_then_node_class_then_description_then_author(shelf):
    # Every pack but the first is more popular than those ranked above it, so only the field
    # that matched can explain the order.
    await shelf.pack("upscale", name="Tools", total_install=1)
    await shelf.pack("exact-name", name="Upscale", total_install=2)
    await shelf.pack("in-name", name="Upscale Nodes", total_install=3)
    await shelf.pack("upscale-tools", name="Tools", total_install=4)
    await shelf.pack("in-class", name="C", total_install=5)
    await shelf.version("in-class", "1.0.0", nodes=["UpscaleImage"])
    await shelf.pack("in-description", name="D", description="Can upscale pictures.", total_install=6)
    await shelf.pack("in-author", name="E", author="upscale-fan", total_install=7)
    await shelf.pack("spread", name="Upscaling", description="Made by a fan.", total_install=8)
    await shelf.pack("unrelated", name="Other", total_install=9)

    assert await shelf.found("upscale") == [
        "upscale",
        "exact-name",
        "in-name",
        "upscale-tools",
        "in-class",
        "in-description",
        "in-author",
    ]
    assert await shelf.found("upscal fan") == ["in-author", "spread"]


async def test_ties_go_to_search_ranking_then_installs_then_rating(shelf):
    await shelf.pack("unranked-popular", description="tiling", total_install=1000)
    await shelf.pack("ranked-second", description="tiling", search_ranking=2)
    await shelf.pack("ranked-first", description="tiling", search_ranking=1)
    await shelf.pack("installed", description="tiling", total_install=50, total_star=5, total_review=5)
    await shelf.pack("rated", description="tiling", total_install=10, total_star=10, total_review=2)
    await shelf.pack("unrated", description="tiling", total_install=10)
    assert await shelf.found("tiling") == [
        "ranked-first",
        "ranked-second",
        "unranked-popular",
        "installed",
        "rated",
        "unrated",
    ]


async def test_search_counts_and_pages_the_matches(shelf):
    for n in range(7):
        await shelf.pack(f"tile-{n}", name=f"Tiles {n}")
    await shelf.pack("other")
    first = await shelf.search("tiles", limit=3)
    last = await shelf.search("tiles", limit=3, page=3)
    assert (first.total, first.totalPages, len(first.nodes)) == (7, 3, 3)
    assert [node.id for node in last.nodes] == ["tile-6"]


@pytest.mark.parametrize("status", ["pending", "flagged", "banned", "deleted"])
async def test_node_classes_of_versions_that_are_not_active_are_not_found(shelf, status):
    await shelf.pack("samplers")
    version = await shelf.version("samplers", "1.0.0", status=status, nodes=["KSamplerAdvanced"])
    assert await shelf.found("ksampleradvanced") == []

    await shelf.set_version_status(version, "active")
    assert await shelf.found("ksampleradvanced") == ["samplers"]

    await shelf.set_version_status(version, status)
    assert await shelf.found("ksampleradvanced") == []


async def test_node_classes_of_every_active_version_are_found(shelf):
    await shelf.pack("samplers")
    old = await shelf.version("samplers", "1.0.0", nodes=["OldSampler"])
    await shelf.version("samplers", "2.0.0", nodes=["NewSampler"])
    assert await shelf.found("oldsampler") == await shelf.found("newsampler") == ["samplers"]
    await shelf.delete_version_row(old)
    assert await shelf.found("oldsampler") == []
    assert await shelf.found("newsampler") == ["samplers"]


async def test_a_re_extraction_replaces_the_classes_found(shelf):
    await shelf.pack("samplers")
    version = await shelf.version("samplers", "1.0.0", nodes=["KSamplerAdvanced"])
    await shelf.replace_nodes(version, ["TiledSampler"])
    assert await shelf.found("ksampler") == []
    assert await shelf.found("tiledsampler") == ["samplers"]


@pytest.mark.parametrize("field", ["name", "description", "author"])
async def test_editing_one_field_of_a_pack_reindexes_it(shelf, field):
    await shelf.pack("edited", **{field: "former words"})
    await shelf.update_pack("edited", **{field: "fresh words"})
    assert await shelf.found("former") == []
    assert await shelf.found("fresh") == ["edited"]


async def test_removing_the_classes_of_a_version_unindexes_them(shelf):
    await shelf.pack("samplers")
    version = await shelf.version("samplers", "1.0.0", nodes=["KSamplerAdvanced", "TiledSampler"])
    await shelf.replace_nodes(version, [])
    assert await shelf.found("ksampler") == await shelf.found("tiledsampler") == []
    assert await shelf.found("samplers") == ["samplers"]


async def test_renaming_or_moving_a_class_reindexes_both_packs(shelf):
    await shelf.pack("first")
    first = await shelf.version("first", "1.0.0", nodes=["KSamplerAdvanced"])
    await shelf.pack("second")
    second = await shelf.version("second", "1.0.0", nodes=["TiledSampler"])

    await shelf.update_node(first, "KSamplerAdvanced", name="KSamplerTurbo")
    assert await shelf.found("ksampleradvanced") == []
    assert await shelf.found("ksamplerturbo") == ["first"]

    await shelf.update_node(first, "KSamplerTurbo", version_id=second)
    assert await shelf.found("ksamplerturbo") == ["second"]


async def test_installs_and_reviews_reorder_results_without_touching_the_index(shelf):
    await shelf.pack("first", description="tiling")
    await shelf.pack("second", description="tiling")
    assert await shelf.found("tiling") == ["first", "second"]
    await shelf.update_pack("second", total_install=5)
    assert await shelf.found("tiling") == ["second", "first"]


async def test_a_removed_pack_leaves_the_index_and_its_id_can_come_back(shelf):
    await shelf.pack("gone", name="Vanishing")
    await shelf.version("gone", "1.0.0", nodes=["VanishingNode"])
    await shelf.delete_pack_row("gone")
    assert await shelf.found("vanishing") == []

    await shelf.pack("gone", name="Returning")
    assert await shelf.found("vanishing") == []
    assert await shelf.found("returning") == ["gone"]


async def test_deleted_packs_are_never_found_and_banned_ones_only_when_included(shelf, database_url):
    await shelf.pack("deleted", description="tiling", status="deleted")
    await shelf.pack("banned", description="tiling")
    await shelf.pack("active", description="tiling")
    engine = create_engine(database_url)
    try:
        await Moderation(session_factory(engine), AccountService(session_factory(engine))).ban_pack("banned")
    finally:
        await engine.dispose()
    assert await shelf.found("tiling") == ["active", "banned"]
    assert await shelf.found("tiling", include_banned=False) == ["active"]


async def test_a_moderators_status_change_updates_the_classes_found(shelf, database_url):
    await shelf.pack("samplers")
    await shelf.version("samplers", "1.0.0", nodes=["KSamplerAdvanced"])
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        moderation = Moderation(sessions, AccountService(sessions))
        await moderation.set_version_status("samplers", "1.0.0", VersionStatus.FLAGGED, reason="Looks odd.")
        assert await shelf.found("ksampler") == []
        await moderation.set_version_status("samplers", "1.0.0", VersionStatus.ACTIVE, reason="Reviewed.")
        assert await shelf.found("ksampler") == ["samplers"]
    finally:
        await engine.dispose()


async def test_comfy_node_search_finds_class_prefixes_and_ranks_the_exact_class_first(shelf):
    await shelf.pack("longer", total_install=100)
    await shelf.version("longer", "1.0.0", nodes=["KSamplerAdvanced"])
    await shelf.pack("exact")
    await shelf.version("exact", "1.0.0", nodes=["KSampler"])
    await shelf.pack("named-ksampler", name="KSampler tools")
    assert await shelf.found(comfy_node="KSampler") == ["exact", "longer"]
    assert await shelf.found(comfy_node="ksamp") == ["longer", "exact"]
    assert await shelf.found("tools", comfy_node="ksampler") == []


# Query text with the index's syntax in it, and what it finds: its letters and digits only.
HOSTILE_QUERIES = {
    "open-quote": ('"lcm', ["ComfyUI-LCM"]),
    "quote-inside": ('l"cm', ["ComfyUI-LCM"]),
    "star": ("lcm*", ["ComfyUI-LCM"]),
    "star-alone": ("*", []),
    "leading-hyphen": ("-lcm", ["ComfyUI-LCM"]),
    "trailing-hyphen": ("comfyui-", ["ComfyUI-LCM"]),
    "or": ("OR", ["or-pack"]),
    "or-between": ("lcm OR zebra", []),
    "and": ("AND", []),
    "not": ("NOT lcm", []),
    "open-parenthesis": ("(lcm", ["ComfyUI-LCM"]),
    "close-parenthesis": ("lcm)", ["ComfyUI-LCM"]),
    "near": ("NEAR(lcm sampler)", []),
    "column-filter": ("name:lcm", []),
    "column-set": ("{name}: lcm", []),
    "caret": ("^lcm", ["ComfyUI-LCM"]),
    "tsquery-prefix": ("lcm:*", ["ComfyUI-LCM"]),
    "tsquery-operators": ("lcm & !fast | x <-> y", []),
    "single-quotes": ("'lcm'", ["ComfyUI-LCM"]),
    "backslash": ("\\", []),
    "like-wildcard": ("%", []),
    "nul": ("LCM\x00", ["ComfyUI-LCM"]),
    "many-words": ("lcm " * 40, ["ComfyUI-LCM"]),
    "non-ascii": ("ÜBER", ["umlaut"]),
}


async def test_query_text_is_never_read_as_syntax(shelf):
    await shelf.pack("ComfyUI-LCM", description="sampler")
    await shelf.pack("or-pack", name="Or")
    await shelf.pack("umlaut", name="Über Nodes")
    for case, (query, expected) in HOSTILE_QUERIES.items():
        assert await shelf.found(query) == expected, case
        assert await shelf.found(comfy_node=query) == [], case
