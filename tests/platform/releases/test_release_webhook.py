"""`POST /releases`, GitHub's release webhook, against a real `comfyd serve`: only deliveries
signed with the configured secret are taken, and they publish, edit and remove notes."""

from __future__ import annotations

import json

import httpx
import pytest


def versions(releases, project: str = "comfyui", **params) -> dict[str, dict]:
    reply = releases.get(project=project, **params)
    assert reply.status_code == 200, reply.text
    return {note["version"]: note for note in reply.json()}


def test_a_signed_published_release_becomes_a_note(releases):
    reply = releases.deliver(releases.payload("published", tag="v0.3.80", body="## What changed"))

    assert reply.status_code == 200
    assert reply.json() == {"outcome": "saved", "project": "comfyui", "version": "0.3.80"}
    note = versions(releases)["0.3.80"]
    assert (note["content"], note["attention"]) == ("## What changed", "medium")
    assert note["published_at"].startswith("2026-01-02T03:04:05")


def test_editing_a_release_replaces_its_note_and_deleting_it_removes_it(releases):
    payload = releases.payload("published", tag="v0.3.81", release_id=81, body="first")
    releases.deliver(payload)
    first_id = versions(releases)["0.3.81"]["id"]

    edited = releases.deliver(releases.payload("edited", tag="v0.3.81", release_id=81, body="second"))
    note = versions(releases)["0.3.81"]
    deleted = releases.deliver(releases.payload("deleted", tag="v0.3.81", release_id=81))

    assert edited.json()["outcome"] == "saved" and (note["id"], note["content"]) == (first_id, "second")
    assert deleted.json()["outcome"] == "deleted"
    assert "0.3.81" not in versions(releases)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"draft": True}, id="draft"),
        pytest.param({"prerelease": True}, id="prerelease"),
        pytest.param({"action": "created"}, id="created"),
    ],
)
def test_drafts_prereleases_and_creations_are_ignored(releases, payload):
    action = payload.pop("action", "published")
    reply = releases.deliver(releases.payload(action, tag="v9.9.9", **payload))
    assert reply.status_code == 200 and reply.json()["outcome"] == "ignored"
    assert "9.9.9" not in versions(releases)


def test_the_project_comes_from_the_repository_or_the_webhook_url(releases):
    frontend = releases.deliver(releases.payload("published", tag="v1.60.0", repository="ComfyUI_frontend"))
    desktop = releases.deliver(
        releases.payload("released", tag="v0.5.0", repository="electron-app"), project="desktop"
    )
    unknown = releases.deliver(releases.payload("published", tag="v1.0.0", repository="something-else"))

    assert frontend.json()["project"] == "comfyui_frontend"
    assert "1.60.0" in versions(releases, "comfyui_frontend")
    assert desktop.json()["project"] == "desktop" and "0.5.0" in versions(releases, "desktop")
    assert unknown.status_code == 400 and "?project=" in unknown.json()["message"]


@pytest.mark.parametrize(
    ("secret", "status"),
    [
        pytest.param(None, 401, id="missing-signature"),
        pytest.param("the wrong secret", 401, id="wrong-secret"),
    ],
)
def test_an_unsigned_or_wrongly_signed_delivery_is_refused_and_changes_nothing(releases, secret, status):
    reply = releases.deliver(releases.payload("published", tag="v6.6.6"), secret=secret)

    assert reply.status_code == status and reply.json()["error"] == "Unauthorized"
    assert "6.6.6" not in versions(releases)


def test_a_signature_over_other_bytes_is_refused(releases):
    signed = json.dumps(releases.payload("published", tag="v6.6.7")).encode()
    tampered = signed.replace(b"v6.6.7", b"v6.6.8")
    headers = {"X-GitHub-Event": "release", "X-Hub-Signature-256": releases.sign(signed)}

    reply = httpx.post(f"{releases.url}/releases", content=tampered, headers=headers)

    assert reply.status_code == 401
    assert "6.6.8" not in versions(releases)


def test_a_ping_is_answered_and_other_events_are_refused(releases):
    ping = releases.deliver({"zen": "Keep it logically awesome.", "hook_id": 1}, event="ping")
    push = releases.deliver({"ref": "refs/heads/master"}, event="push")
    assert ping.status_code == 200 and ping.json()["outcome"] == "pong"
    assert push.status_code == 400


def test_a_signed_body_that_is_not_a_release_payload_is_refused(releases):
    reply = releases.deliver({"action": "published", "release": {"tag_name": "v1"}})
    assert reply.status_code == 400 and reply.json()["error"] == "Bad Request"


def test_a_server_without_a_secret_refuses_every_delivery(unconfigured):
    signed = unconfigured.deliver(unconfigured.payload("published", tag="v0.3.90"))
    unsigned = unconfigured.deliver(unconfigured.payload("published", tag="v0.3.90"), secret=None)

    assert (signed.status_code, unsigned.status_code) == (403, 403)
    assert "COMFYD_RELEASE_WEBHOOK_SECRET" in signed.json()["message"]
    assert versions(unconfigured) == {}
