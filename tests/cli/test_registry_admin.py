"""`comfyd admin registry` as a subprocess on the database of a running `comfyd serve`, whose
mounted registry (`/registry`) then answers for the bans and statuses over HTTP."""

from __future__ import annotations

import subprocess
import sys

import pytest

from registry_harness import Registry


@pytest.fixture(scope="module")
def registry(server):
    return Registry(f"{server.url}/registry", server.database_url)


@pytest.fixture
def moderate(server):
    """Runs `comfyd admin registry <args>` on the server's base directory."""

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "comfyd", "admin", "registry", *args]
        return subprocess.run(
            [*command, "--base-directory", str(server.base_dir)], capture_output=True, text=True, timeout=120
        )

    return run


@pytest.fixture
def pack(registry) -> dict:
    """A new publisher with one pack, whose 1.0.0 was published, uploaded and checked active."""
    owner = registry.user()
    publisher = registry.publisher(owner)
    pack_id = registry.pack_id()
    token = registry.token(owner, publisher)
    registry.publish(token, publisher, pack_id, "1.0.0", registry.node_pack("Shout"))
    assert registry.wait_checked(pack_id, "1.0.0")["status"] == "NodeVersionStatusActive"
    return {"id": pack_id, "publisher": publisher, "owner": owner}


def test_ban_pack_makes_the_pack_answer_403(registry, moderate, pack):
    done = moderate("ban-pack", pack["id"])

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Banned pack {pack['id']}."
    for path in ("", "/install", "/versions"):
        reply = registry.get(f"/nodes/{pack['id']}{path}")
        assert (reply.status_code, reply.json()["message"]) == (403, "Node Banned"), path
    listed = registry.get("/nodes", params={"node_id": pack["id"], "include_banned": "false"}).json()
    assert listed["nodes"] == []


def test_ban_publisher_bans_its_packs_and_its_users(registry, moderate, pack):
    done = moderate("ban-publisher", pack["publisher"])

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Banned publisher {pack['publisher']}, its packs and 1 user(s)."
    assert registry.get(f"/publishers/{pack['publisher']}").json()["status"] == "PublisherStatusBanned"
    assert registry.get(f"/nodes/{pack['id']}").status_code == 403
    with registry.client(pack["owner"]) as http:
        assert http.get("/users").status_code == 401


def test_set_version_status_flags_with_a_reason_and_restores(registry, moderate, pack):
    done = moderate("set-version-status", pack["id"], "1.0.0", "flagged", "--reason", "Calls home at import.")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{pack['id']} 1.0.0 is now NodeVersionStatusFlagged."
    version = registry.get(f"/nodes/{pack['id']}/versions/1.0.0").json()
    assert (version["status"], version["status_reason"]) == (
        "NodeVersionStatusFlagged",
        "Calls home at import.",
    )
    assert registry.get(f"/nodes/{pack['id']}/install").status_code == 404  # no active version left

    done = moderate("set-version-status", pack["id"], "1.0.0", "NodeVersionStatusActive")

    assert done.returncode == 0, done.stderr
    version = registry.get(f"/nodes/{pack['id']}/versions/1.0.0").json()
    assert (version["status"], version["status_reason"]) == (
        "NodeVersionStatusActive",
        "Calls home at import.",
    )
    assert registry.get(f"/nodes/{pack['id']}/install").json()["version"] == "1.0.0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("ban-pack", "no-such-pack"), "no-such-pack", id="unknown-pack"),
        pytest.param(("ban-publisher", "no-such-publisher"), "no-such-publisher", id="unknown-publisher"),
        pytest.param(("set-version-status", "{pack}", "9.9.9", "flagged"), "9.9.9", id="unknown-version"),
        pytest.param(
            ("set-version-status", "{pack}", "1.0.0", "pending"), "NodeVersionStatusPending", id="to-pending"
        ),
    ],
)
def test_a_refused_change_exits_1_with_the_reason_and_changes_nothing(
    registry, moderate, pack, args, message
):
    done = moderate(*(arg.format(pack=pack["id"]) for arg in args))

    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and message in done.stderr
    assert registry.get(f"/nodes/{pack['id']}/versions/1.0.0").json()["status"] == "NodeVersionStatusActive"


def test_an_unknown_status_is_a_usage_error(moderate, pack):
    done = moderate("set-version-status", pack["id"], "1.0.0", "sideways")
    assert done.returncode == 2
    assert "'sideways' is not a version status" in done.stderr
