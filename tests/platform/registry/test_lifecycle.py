"""A version's life after publishing: comfyd's checks move it from pending to active or flagged
(with a reason), extract its node classes, never leave it pending; moderators ban and re-status.

The HTTP tests run against `comfyd registry`; the last ones drive the services in-process, on a
migrated database, for what HTTP cannot arrange (an archive that vanished from the storage).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.registry.archives import ArchiveLimits
from comfyd.platform.registry.errors import ArchiveTooLarge, IllegalStatusChange, PackBanned
from comfyd.platform.registry.lifecycle import MISSING_ARCHIVE
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.models import Node, NodeVersion, Publisher, PublishNodeVersionRequest
from comfyd.platform.registry.services import RegistryServices
from comfyd.platform.registry.states import VersionStatus
from comfyd.platform.registry.storage import LocalArchiveStorage

LINKS = Links("http://registry.test")


@pytest.fixture(scope="module")
def publisher(registry):
    owner = registry.user()
    publisher_id = registry.publisher(owner)
    return owner, publisher_id, registry.token(owner, publisher_id)


def publish_checked(registry, publisher, archive: bytes, version: str = "1.0.0") -> tuple[str, dict]:
    _owner, publisher_id, token = publisher
    pack_id = registry.pack_id()
    registry.publish(token, publisher_id, pack_id, version, archive)
    return pack_id, registry.wait_checked(pack_id, version)


def test_a_clean_pack_becomes_active_with_its_node_classes(registry, publisher):
    pack_id, version = publish_checked(registry, publisher, registry.node_pack("Shout", "Whisper"))

    assert version["status"] == "NodeVersionStatusActive"
    assert version["status_reason"] == "Passed automated checks"
    assert version["comfy_node_extract_status"] == "success"
    page = registry.get(f"/nodes/{pack_id}/versions/1.0.0/comfy-nodes").json()
    assert page["totalNumberOfPages"] == 1
    assert [node["comfy_node_name"] for node in page["comfy_nodes"]] == ["Shout", "Whisper"]
    shout = registry.get(f"/nodes/{pack_id}/versions/1.0.0/comfy-nodes/Shout").json()
    assert json.loads(shout["input_types"]) == {"required": {"text": ["STRING", {"default": "hi"}]}}
    assert (json.loads(shout["return_types"]), json.loads(shout["return_names"])) == (["STRING"], ["loud"])
    assert (shout["category"], shout["function"], shout["output_is_list"]) == ("text/tests", "run", [False])
    assert shout["policy"] == "ComfyNodePolicyActive"


def test_a_pack_running_a_command_at_import_is_flagged_with_its_finding(registry, publisher):
    _pack_id, version = publish_checked(registry, publisher, registry.pack_running_a_command())

    assert version["status"] == "NodeVersionStatusFlagged"
    assert "__init__.py:3" in version["status_reason"]
    assert "subprocess" in version["status_reason"]
    assert version["comfy_node_extract_status"] == "failed"


def test_an_upload_that_is_not_a_zip_is_flagged_not_left_pending(registry, publisher):
    _pack_id, version = publish_checked(registry, publisher, b"this is not a zip archive")

    assert version["status"] == "NodeVersionStatusFlagged"
    assert "not a zip" in version["status_reason"]


def test_an_archive_escaping_its_folder_is_flagged(registry, publisher):
    _pack_id, version = publish_checked(registry, publisher, registry.zip_of({"../evil.py": "x = 1\n"}))

    assert version["status"] == "NodeVersionStatusFlagged"
    assert ".." in version["status_reason"]


def test_a_pack_that_fails_to_import_is_active_with_failed_extraction(registry, publisher):
    broken = registry.zip_of({"__init__.py": "raise ImportError('needs a GPU library')\n"})
    pack_id, version = publish_checked(registry, publisher, broken)

    assert version["status"] == "NodeVersionStatusActive"
    assert version["comfy_node_extract_status"] == "failed"
    assert version["status_reason"].startswith("Passed automated checks. Node classes:")
    assert registry.get(f"/nodes/{pack_id}/versions/1.0.0/comfy-nodes").json() == {
        "comfy_nodes": None,
        "totalNumberOfPages": 0,
    }


def test_admin_sets_a_version_status_with_a_reason(registry, publisher):
    pack_id, _version = publish_checked(registry, publisher, registry.pack_running_a_command())
    admin = registry.user(admin=True)
    with registry.client(admin) as http:
        reply = http.put(
            f"/admin/nodes/{pack_id}/versions/1.0.0",
            json={"status": "NodeVersionStatusActive", "status_reason": "Reviewed: the command is harmless."},
        )
    assert reply.status_code == 200, reply.text
    assert (reply.json()["status"], reply.json()["status_reason"]) == (
        "NodeVersionStatusActive",
        "Reviewed: the command is harmless.",
    )
    assert registry.get(f"/nodes/{pack_id}").json()["latest_version"]["version"] == "1.0.0"


def test_admin_cannot_send_a_version_back_to_pending(registry, publisher):
    pack_id, _version = publish_checked(registry, publisher, registry.node_pack())
    with registry.client(registry.user(admin=True)) as http:
        reply = http.put(
            f"/admin/nodes/{pack_id}/versions/1.0.0", json={"status": "NodeVersionStatusPending"}
        )
    assert reply.status_code == 400


def test_only_admins_moderate(registry, publisher):
    owner, publisher_id, token = publisher
    pack_id = registry.pack_id()
    registry.publish(token, publisher_id, pack_id, "1.0.0", None)
    with registry.client(owner) as http:
        assert http.post(f"/publishers/{publisher_id}/nodes/{pack_id}/ban").status_code == 403
        assert http.post(f"/publishers/{publisher_id}/ban").status_code == 403
        reply = http.put(f"/admin/nodes/{pack_id}/versions/1.0.0", json={"status": "NodeVersionStatusActive"})
        assert reply.status_code == 403
        assert reply.json()["message"] == "User is not admin"


def test_a_banned_pack_answers_403_where_one_pack_is_asked_for(registry):
    owner = registry.user()
    publisher_id = registry.publisher(owner)
    pack_id = registry.pack_id()
    registry.publish(registry.token(owner, publisher_id), publisher_id, pack_id, "1.0.0", None)
    with registry.client(registry.user(admin=True)) as http:
        assert http.post(f"/publishers/{publisher_id}/nodes/{pack_id}/ban").status_code == 204

    for path in ("", "/install", "/versions", "/versions/1.0.0", "/versions/1.0.0/comfy-nodes"):
        reply = registry.get(f"/nodes/{pack_id}{path}")
        assert reply.status_code == 403, path
        assert reply.json()["message"] == "Node Banned"
    listed = registry.get("/nodes", params={"node_id": pack_id}).json()["nodes"]
    assert [node["status"] for node in listed] == ["NodeStatusBanned"]
    assert (
        registry.get("/nodes", params={"node_id": pack_id, "include_banned": "false"}).json()["nodes"] == []
    )


def test_banning_a_publisher_bans_its_packs_and_its_users(registry):
    owner = registry.user()
    publisher_id = registry.publisher(owner)
    pack_id = registry.pack_id()
    registry.publish(registry.token(owner, publisher_id), publisher_id, pack_id, "1.0.0", None)
    with registry.client(registry.user(admin=True)) as http:
        assert http.post(f"/publishers/{publisher_id}/ban").status_code == 204

    assert registry.get(f"/publishers/{publisher_id}").json()["status"] == "PublisherStatusBanned"
    assert registry.get(f"/nodes/{pack_id}").status_code == 403
    with registry.client(owner) as http:
        assert http.get("/users").status_code == 401


# ---- In-process: the services on a migrated database -----------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[RegistryServices]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'comfyd.db'}")
    await upgrade(engine)
    sessions = session_factory(engine)
    built = RegistryServices.build(
        sessions=sessions,
        accounts=AccountService(sessions),
        storage=LocalArchiveStorage(tmp_path / "archives"),
    )
    yield built
    await built.stop()
    await engine.dispose()


async def published(services: RegistryServices) -> tuple[str, NodeVersion]:
    """A pending version of a new pack, its upload token issued; returns (signed URL, version)."""
    user = await services.accounts.create_user(email="ada@example.com", name="Ada")
    ada = Identity(user_id=user.id, email=user.email, name=user.name, is_admin=False)
    await services.publishers.create(ada, Publisher(id="ada"))
    token = await services.tokens.create(ada, "ada", name="cli")
    request = PublishNodeVersionRequest(
        personal_access_token=token, node=Node(id="ada-nodes"), node_version=NodeVersion(version="1.0.0")
    )
    reply = await services.publishing.publish("ada", "ada-nodes", request, links=LINKS)
    return reply.signedUrl, reply.node_version


async def chunks_of(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.mark.anyio
async def test_a_version_whose_archive_vanished_is_deleted_not_left_pending(services):
    signed_url, version = await published(services)
    token = signed_url.rsplit("/", 1)[1]
    await services.lifecycle.receive_archive(token, chunks_of(b"PK\x05\x06" + b"\0" * 18))
    await services.lifecycle.stop()  # the scheduled check must not run before the archive goes
    services.storage.delete("ada/ada-nodes/1.0.0.zip")

    await services.lifecycle.check(version.id)

    deleted = await services.catalog.list_versions(
        "ada-nodes", statuses=["NodeVersionStatusDeleted"], include_status_reason=True, links=LINKS
    )
    assert [(v.id, v.status_reason) for v in deleted] == [(version.id, MISSING_ARCHIVE)]


@pytest.mark.anyio
async def test_resume_checks_versions_a_stop_interrupted(services):
    signed_url, version = await published(services)
    await services.lifecycle.receive_archive(signed_url.rsplit("/", 1)[1], chunks_of(b"not a zip"))
    await services.lifecycle.stop()
    assert (
        await services.catalog.get_version("ada-nodes", "1.0.0", links=LINKS)
    ).status == "NodeVersionStatusPending"

    assert await services.lifecycle.resume() == 1
    await services.lifecycle.drain()

    assert (
        await services.catalog.get_version("ada-nodes", "1.0.0", links=LINKS)
    ).status == "NodeVersionStatusFlagged"


@pytest.mark.anyio
async def test_set_version_status_records_the_reason_and_refuses_pending(services):
    _signed_url, _version = await published(services)

    changed = await services.moderation.set_version_status(
        "ada-nodes", "1.0.0", VersionStatus.BANNED, reason="Malware.", links=LINKS
    )
    assert (changed.status, changed.status_reason) == ("NodeVersionStatusBanned", "Malware.")
    with pytest.raises(IllegalStatusChange):
        await services.moderation.set_version_status(
            "ada-nodes", "1.0.0", VersionStatus.PENDING, reason="again"
        )


@pytest.mark.anyio
async def test_ban_pack_and_ban_publisher_services(services):
    await published(services)

    await services.moderation.ban_pack("ada-nodes")
    with pytest.raises(PackBanned):
        await services.catalog.get_pack("ada-nodes", links=LINKS)
    banned_users = await services.moderation.ban_publisher("ada")

    assert len(banned_users) == 1
    assert (await services.publishers.get("ada")).status == "PublisherStatusBanned"
    assert (await services.accounts.get_user(banned_users[0])).is_banned


@pytest.mark.anyio
async def test_an_archive_over_the_size_limit_is_refused(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'comfyd.db'}")
    await upgrade(engine)
    sessions = session_factory(engine)
    small = RegistryServices.build(
        sessions=sessions,
        accounts=AccountService(sessions),
        storage=LocalArchiveStorage(tmp_path / "archives"),
        archive_limits=ArchiveLimits(max_archive_bytes=10),
    )
    try:
        signed_url, _version = await published(small)
        with pytest.raises(ArchiveTooLarge):
            await small.lifecycle.receive_archive(signed_url.rsplit("/", 1)[1], chunks_of(b"x" * 11))
        assert (
            await small.catalog.get_version("ada-nodes", "1.0.0", links=LINKS)
        ).status == "NodeVersionStatusPending"
    finally:
        await small.stop()
        await engine.dispose()
