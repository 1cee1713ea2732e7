"""`comfyd registry mirror`: one real comfyd registry (the source, with packs published and checked)
copied into another (the target, running meanwhile), then again incrementally and in full."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx
import pytest

from comfyd_process import RegistryServer
from registry_harness import Registry

# Every status a version can have, as repeated `statuses` keys.
ALL_STATUSES = [
    ("statuses", f"NodeVersionStatus{name}") for name in ("Active", "Pending", "Flagged", "Banned", "Deleted")
]


@dataclass(frozen=True)
class Source:
    registry: Registry
    process: RegistryServer
    token: str
    publisher: str
    nodes: str  # two active versions with node classes
    flagged: str  # runs a command at import
    pending: str  # published, never uploaded
    banned: str
    archives: dict[str, bytes]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Source:
    process = RegistryServer(tmp_path_factory.mktemp("source")).start()
    try:
        registry = Registry(process.url, process.database_url)
        owner = registry.user()
        publisher = registry.publisher(owner, description="Mirrored publisher")
        token = registry.token(owner, publisher)
        nodes, flagged, pending, banned = (
            registry.pack_id(stem) for stem in ("nodes", "flagged", "pending", "banned")
        )
        archives = {
            "1.0.0": registry.node_pack("MirrorShout"),
            "1.10.0": registry.node_pack("MirrorShout", "MirrorWhisper"),
        }
        for version, archive in archives.items():
            registry.publish(token, publisher, nodes, version, archive, description="Shouting nodes")
        registry.publish(token, publisher, flagged, "0.1.0", registry.pack_running_a_command())
        registry.publish(token, publisher, pending, "0.0.1", None)
        registry.publish(token, publisher, banned, "1.0.0", registry.node_pack("BannedNode"))
        for pack_id, version in [(nodes, "1.0.0"), (nodes, "1.10.0"), (flagged, "0.1.0"), (banned, "1.0.0")]:
            registry.wait_checked(pack_id, version)
        admin = registry.user(admin=True)
        with registry.client(admin) as http:
            assert http.post(f"/publishers/{publisher}/nodes/{banned}/ban").status_code == 204
        yield Source(registry, process, token, publisher, nodes, flagged, pending, banned, archives)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> RegistryServer:
    process = RegistryServer(tmp_path_factory.mktemp("target")).start()
    yield process
    process.stop()


def mirror(source: Source, target: RegistryServer, *args: str) -> subprocess.CompletedProcess:
    command = ["registry", "mirror", "--from", source.process.url, "--base-directory", str(target.base_dir)]
    return subprocess.run(
        [sys.executable, "-m", "comfyd", *command, "--overlap-seconds", "0", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def versions(registry_url: str, pack_id: str) -> list[dict]:
    params = [*ALL_STATUSES, ("include_status_reason", "true")]
    reply = httpx.get(f"{registry_url}/nodes/{pack_id}/versions", params=params)
    assert reply.status_code == 200, reply.text
    return sorted(reply.json(), key=lambda version: version["version"])


def comparable(version: dict) -> dict:
    """A version without what is the serving registry's own (its download URL)."""
    return {key: value for key, value in version.items() if key != "downloadUrl"}


@pytest.fixture(scope="module")
def first_sync(source, target) -> subprocess.CompletedProcess:
    # The sync time is the source's clock to the second; starting in a later second than the last
    # change keeps every published pack out of the next incremental sync.
    time.sleep(1.1)
    return mirror(source, target)


def test_mirror_copies_packs_publishers_and_statuses(source, target, first_sync):
    assert first_sync.returncode == 0, first_sync.stderr
    assert "4 packs, 4 new versions, 3 archives, 3 node classes" in first_sync.stdout

    listed = httpx.get(f"{target.url}/nodes", params={"limit": 100}).json()
    by_id = {node["id"]: node for node in listed["nodes"]}
    assert set(by_id) == {source.nodes, source.flagged, source.pending, source.banned}
    assert by_id[source.nodes]["description"] == "Shouting nodes"
    assert by_id[source.nodes]["latest_version"]["version"] == "1.10.0"
    assert by_id[source.nodes]["publisher"]["id"] == source.publisher
    assert by_id[source.banned]["status"] == "NodeStatusBanned"
    publisher = httpx.get(f"{target.url}/publishers/{source.publisher}").json()
    assert publisher["description"] == "Mirrored publisher"


@pytest.mark.parametrize("pack", ["nodes", "flagged", "pending"])
def test_mirrored_versions_keep_their_ids_numbers_statuses_and_reasons(source, target, first_sync, pack):
    pack_id = getattr(source, pack)

    mirrored = [comparable(version) for version in versions(target.url, pack_id)]

    assert mirrored == [comparable(version) for version in versions(source.process.url, pack_id)]
    assert mirrored, "the pack has versions"


def test_mirrored_archives_are_served_by_the_target(source, target, first_sync):
    for version, archive in source.archives.items():
        installed = httpx.get(
            f"{target.url}/nodes/{source.nodes}/install", params={"version": version}
        ).json()
        assert installed["downloadUrl"].startswith(target.url)
        download = httpx.get(installed["downloadUrl"])
        assert download.status_code == 200
        assert download.content == archive


def test_a_pending_version_is_mirrored_without_an_archive(source, target, first_sync):
    reply = httpx.get(f"{target.url}/nodes/{source.pending}/install", params={"version": "0.0.1"})

    assert reply.status_code == 404


def test_mirrored_node_classes_are_searchable(source, target, first_sync):
    comfy_nodes = httpx.get(f"{target.url}/nodes/{source.nodes}/versions/1.10.0/comfy-nodes").json()
    found = httpx.get(f"{target.url}/nodes/search", params={"comfy_node_search": "MirrorWhisper"}).json()

    upstream = httpx.get(f"{source.process.url}/nodes/{source.nodes}/versions/1.10.0/comfy-nodes").json()
    assert comfy_nodes == upstream
    assert [node["id"] for node in found["nodes"]] == [source.nodes]


def test_the_next_sync_fetches_only_what_changed(source, target, first_sync):
    archive = source.registry.node_pack("MirrorShout", "MirrorWhisper", "MirrorSing")
    source.registry.publish(source.token, source.publisher, source.nodes, "1.11.0", archive)
    source.registry.wait_checked(source.nodes, "1.11.0")

    done = mirror(source, target)

    assert done.returncode == 0, done.stderr
    assert "1 packs, 1 new versions, 1 archives, 3 node classes" in done.stdout
    latest = httpx.get(f"{target.url}/nodes/{source.nodes}").json()["latest_version"]
    assert latest["version"] == "1.11.0"
    state = json.loads((target.base_dir / "registry" / "mirror-state.json").read_text())
    assert source.process.url in state["last_sync"]


def test_a_full_sync_again_changes_nothing(source, target, first_sync):
    before = {pack: versions(target.url, pack) for pack in (source.nodes, source.flagged, source.pending)}

    done = mirror(source, target, "--full")

    assert done.returncode == 0, done.stderr
    assert "4 packs, 0 new versions, 0 archives, 0 node classes" in done.stdout
    after = {pack: versions(target.url, pack) for pack in before}
    assert after == before


def test_a_version_deleted_at_the_source_is_deleted_in_the_mirror(source, target, first_sync):
    admin = source.registry.user(admin=True)
    with source.registry.client(admin) as http:
        reply = http.put(
            f"/admin/nodes/{source.flagged}/versions/0.1.0", json={"status": "NodeVersionStatusDeleted"}
        )
    assert reply.status_code == 200, reply.text

    done = mirror(source, target)

    assert done.returncode == 0, done.stderr
    mirrored = versions(target.url, source.flagged)
    assert [version["status"] for version in mirrored] == ["NodeVersionStatusDeleted"]


def test_mirror_from_an_unreachable_registry_fails_cleanly(target, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "comfyd",
            "registry",
            "mirror",
            "--from",
            "http://127.0.0.1:9",
            "--base-directory",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert "could not be reached" in done.stderr
