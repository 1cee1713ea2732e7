"""`PackInstaller` in-process against a real `comfyd registry`: the limits and the all-or-nothing
behaviour that the command line cannot easily provoke."""

from __future__ import annotations

import json

import pytest

from comfyd.packs.errors import ArchiveUnsafe, NotInstalledByComfyd, PackUnavailable, RegistryUnavailable
from comfyd.packs.installer import PackInstaller, uninstall_pack
from comfyd.packs.records import RECORD_FILE, describe, read_record
from comfyd.platform.registry.archives import ArchiveLimits
from comfyd.platform.registry.remote import RemoteRegistry
from comfyd_process import RegistryServer, free_port
from registry_harness import Registry


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A registry with one pack: 1.0.0 is a good pack, 2.0.0 a zip-slip archive (flagged)."""
    process = RegistryServer(tmp_path_factory.mktemp("registry")).start()
    try:
        registry = Registry(process.url, process.database_url)
        owner = registry.user()
        publisher = registry.publisher(owner)
        token = registry.token(owner, publisher)
        pack_id = registry.pack_id()
        registry.publish(token, publisher, pack_id, "1.0.0", registry.node_pack("Kept"))
        slip = registry.zip_of({"__init__.py": "NODE_CLASS_MAPPINGS = {}\n", "../../escaped.py": "x = 1\n"})
        registry.publish(token, publisher, pack_id, "2.0.0", slip)
        registry.wait_checked(pack_id, "1.0.0")
        assert registry.wait_checked(pack_id, "2.0.0")["status"] == "NodeVersionStatusFlagged"
        yield process.url, pack_id
    finally:
        process.stop()


@pytest.mark.anyio
async def test_a_download_over_the_size_limit_is_refused_and_leaves_nothing(published, tmp_path):
    url, pack_id = published
    custom_nodes = tmp_path / "custom_nodes"

    async with RemoteRegistry(url) as remote:
        installer = PackInstaller(custom_nodes, remote, limits=ArchiveLimits(max_archive_bytes=64))
        with pytest.raises(ArchiveUnsafe, match="larger than"):
            await installer.install(pack_id, "1.0.0")

    assert list(custom_nodes.iterdir()) == []


@pytest.mark.anyio
async def test_a_refused_upgrade_keeps_the_installed_version(published, tmp_path):
    url, pack_id = published
    custom_nodes = tmp_path / "custom_nodes"

    async with RemoteRegistry(url) as remote:
        installer = PackInstaller(custom_nodes, remote)
        first = await installer.install(pack_id, "1.0.0")
        with pytest.raises(ArchiveUnsafe, match="climbs out"):
            await installer.install(pack_id, "2.0.0", allow_flagged=True)

    assert first.path == custom_nodes / pack_id
    assert read_record(first.path).version == "1.0.0"
    assert "Kept" in (first.path / "__init__.py").read_text()
    assert sorted(entry.name for entry in custom_nodes.iterdir()) == [pack_id]
    assert not (tmp_path / "escaped.py").exists()


@pytest.mark.anyio
async def test_an_unknown_version_is_unavailable(published, tmp_path):
    url, pack_id = published
    async with RemoteRegistry(url) as remote:
        with pytest.raises(PackUnavailable) as refused:
            await PackInstaller(tmp_path, remote).install(pack_id, "3.0.0")
    assert refused.value.version == "3.0.0"


@pytest.mark.anyio
async def test_an_unreachable_registry_is_unavailable(tmp_path):
    async with RemoteRegistry(f"http://127.0.0.1:{free_port()}") as remote:
        with pytest.raises(RegistryUnavailable):
            await PackInstaller(tmp_path, remote).install("anything")


def test_a_damaged_record_is_not_taken_for_a_comfyd_install(tmp_path):
    folder = tmp_path / "custom_nodes" / "pack"
    folder.mkdir(parents=True)
    (folder / RECORD_FILE).write_text("{not json")

    assert read_record(folder) is None
    assert describe(folder).installed_by == "other"


def test_uninstall_unlinks_a_link_only_when_forced_and_never_follows_it(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / RECORD_FILE).write_text(
        json.dumps({"id": "p", "version": "1", "version_id": "x", "registry": "r", "installed_at": "t"})
    )
    custom_nodes = tmp_path / "custom_nodes"
    custom_nodes.mkdir()
    (custom_nodes / "linked").symlink_to(elsewhere, target_is_directory=True)

    with pytest.raises(NotInstalledByComfyd):
        uninstall_pack(custom_nodes, "linked")
    uninstall_pack(custom_nodes, "linked", force=True)

    assert not (custom_nodes / "linked").exists()
    assert (elsewhere / RECORD_FILE).is_file()
