"""`latest_version` and installs: the highest semver among active versions, never a pending or
flagged one, and what `GET /nodes/{id}/install` hands out (and counts)."""

from __future__ import annotations

import httpx
import pytest

from comfyd.platform.registry.semver import newest


@pytest.fixture(scope="module")
def pack(registry) -> str:
    """A pack with active 1.9.0 and 1.10.0, a flagged 1.11.0 and a pending (never uploaded) 2.0.0."""
    owner = registry.user()
    publisher = registry.publisher(owner)
    token = registry.token(owner, publisher)
    pack_id = registry.pack_id()
    for version in ("1.10.0", "1.9.0"):
        registry.publish(token, publisher, pack_id, version, registry.node_pack("Shout"))
    registry.publish(token, publisher, pack_id, "1.11.0", registry.pack_running_a_command())
    registry.publish(token, publisher, pack_id, "2.0.0", None)
    for version in ("1.9.0", "1.10.0", "1.11.0"):
        registry.wait_checked(pack_id, version)
    return pack_id


def test_latest_version_is_the_highest_active_semver(registry, pack):
    node = registry.get(f"/nodes/{pack}").json()
    assert node["latest_version"]["version"] == "1.10.0"
    assert node["latest_version"]["status"] == "NodeVersionStatusActive"


def test_listing_embeds_the_same_latest_version(registry, pack):
    listed = registry.get("/nodes", params={"node_id": pack}).json()["nodes"]
    assert [node["latest_version"]["version"] for node in listed] == ["1.10.0"]


def test_install_without_a_version_gives_the_latest(registry, pack):
    installed = registry.get(f"/nodes/{pack}/install").json()
    assert installed["version"] == "1.10.0"
    assert installed["downloadUrl"].endswith(f"/{pack}/1.10.0.zip")


def test_install_counts_each_call_as_a_download(registry, pack):
    before = registry.get(f"/nodes/{pack}").json()["downloads"]
    registry.get(f"/nodes/{pack}/install")
    registry.get(f"/nodes/{pack}/install", params={"version": "1.9.0"})
    assert registry.get(f"/nodes/{pack}").json()["downloads"] == before + 2


def test_install_a_pinned_version(registry, pack):
    installed = registry.get(f"/nodes/{pack}/install", params={"version": "1.9.0"}).json()
    assert installed["version"] == "1.9.0"
    assert httpx.get(installed["downloadUrl"]).status_code == 200


@pytest.mark.parametrize("version", ["1.9", "v1.9.0", "latest"])
def test_install_rejects_a_version_that_is_not_major_minor_patch(registry, pack, version):
    reply = registry.get(f"/nodes/{pack}/install", params={"version": version})
    assert reply.status_code == 400
    assert set(reply.json()) == {"error", "message"}


def test_install_of_an_unknown_version_is_404(registry, pack):
    assert registry.get(f"/nodes/{pack}/install", params={"version": "9.9.9"}).status_code == 404


def test_versions_are_listed_newest_semver_first(registry, pack):
    versions = registry.get(f"/nodes/{pack}/versions").json()
    assert [v["version"] for v in versions] == ["2.0.0", "1.11.0", "1.10.0", "1.9.0"]


def test_versions_filter_by_repeated_statuses(registry, pack):
    params = [("statuses", "NodeVersionStatusActive"), ("statuses", "NodeVersionStatusPending")]
    versions = registry.get(f"/nodes/{pack}/versions", params=params).json()
    assert [(v["version"], v["status"]) for v in versions] == [
        ("2.0.0", "NodeVersionStatusPending"),
        ("1.10.0", "NodeVersionStatusActive"),
        ("1.9.0", "NodeVersionStatusActive"),
    ]


def test_versions_reject_an_unknown_status(registry, pack):
    assert registry.get(f"/nodes/{pack}/versions", params={"statuses": "active"}).status_code == 400


def test_status_reason_is_blank_unless_asked_for(registry, pack):
    plain = {v["version"]: v for v in registry.get(f"/nodes/{pack}/versions").json()}
    assert plain["1.11.0"]["status_reason"] == ""
    detailed = {
        v["version"]: v
        for v in registry.get(f"/nodes/{pack}/versions", params={"include_status_reason": "true"}).json()
    }
    assert "subprocess" in detailed["1.11.0"]["status_reason"]


def test_a_pack_with_only_pending_versions_has_no_latest_and_no_install(registry):
    owner = registry.user()
    publisher = registry.publisher(owner)
    pack_id = registry.pack_id()
    registry.publish(registry.token(owner, publisher), publisher, pack_id, "1.0.0", None)
    assert "latest_version" not in registry.get(f"/nodes/{pack_id}").json()
    assert registry.get(f"/nodes/{pack_id}/install").status_code == 404


def test_a_pinned_version_whose_archive_never_arrived_is_not_installable(registry, pack):
    assert registry.get(f"/nodes/{pack}/install", params={"version": "2.0.0"}).status_code == 404


@pytest.mark.parametrize(
    ("versions", "highest"),
    [
        pytest.param(["1.9.0", "1.10.0", "1.2.0"], "1.10.0", id="numeric-not-text"),
        pytest.param(["1.0.0-rc.1", "1.0.0", "1.0.0-beta"], "1.0.0", id="release-above-prereleases"),
        pytest.param(["1.0.0-rc.2", "1.0.0-rc.10"], "1.0.0-rc.10", id="numeric-prerelease-parts"),
        pytest.param(["1.0.0-alpha", "1.0.0-1"], "1.0.0-alpha", id="words-above-numbers"),
        pytest.param([], None, id="none"),
    ],
)
def test_semver_precedence(versions, highest):
    assert newest(versions) == highest
