"""`GET /releases` against a real `comfyd serve`, with notes added by `comfyd admin release`."""

from __future__ import annotations

from datetime import datetime

import pytest


def added(releases, *args: str) -> int:
    done = releases.admin("add", *args)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


def test_a_note_added_with_the_admin_cli_is_served_with_the_peers_fields(releases):
    options = {
        "--project": "desktop",
        "--version": "v0.4.60",
        "--content": "**Faster** start",
        "--attention": "high",
    }
    note_id = added(releases, *[part for pair in options.items() for part in pair])

    reply = releases.get(project="desktop", current_version="0.4.59", form_factor="desktop-mac", locale="en")

    assert reply.status_code == 200
    [note] = reply.json()
    assert set(note) == {"id", "project", "version", "attention", "content", "published_at"}
    assert (note["id"], note["project"], note["version"]) == (note_id, "desktop", "0.4.60")
    assert (note["attention"], note["content"]) == ("high", "**Faster** start")
    assert datetime.fromisoformat(note["published_at"]).tzinfo is not None


def test_notes_come_newest_first_and_in_the_callers_language_with_english_fallback(releases):
    for version, day in [("1.50.0", "01"), ("1.52.0", "03"), ("1.51.0", "02")]:
        added(
            releases,
            *("--project", "comfyui_frontend", "--version", version, "--content", f"en {version}"),
            *("--published-at", f"2026-02-{day}T00:00:00Z"),
        )
    added(
        releases,
        *("--project", "comfyui_frontend", "--version", "1.51.0", "--locale", "zh", "--content", "zh 1.51.0"),
        *("--published-at", "2026-02-02T00:00:00Z"),
    )

    chinese = releases.get(project="comfyui_frontend", current_version="1.51.0", locale="zh").json()
    english = releases.get(project="comfyui_frontend", current_version="1.51.0").json()

    assert [n["content"] for n in chinese] == ["en 1.52.0", "zh 1.51.0", "en 1.50.0"]
    assert [n["content"] for n in english] == ["en 1.52.0", "en 1.51.0", "en 1.50.0"]


def test_the_admin_cli_lists_and_deletes_notes(releases):
    note_id = added(releases, "--project", "cloud", "--version", "2.0.0", "--content", "gone soon")

    listed = releases.admin("list", "--project", "cloud")
    deleted = releases.admin("delete", str(note_id))
    missing = releases.admin("delete", str(note_id))

    assert listed.returncode == 0 and f"{note_id}\tcloud\t2.0.0\ten\tmedium\t" in listed.stdout
    assert deleted.returncode == 0
    assert releases.get(project="cloud").json() == []
    assert missing.returncode == 1 and f"Release note {note_id} was not found." in missing.stderr


def test_the_admin_cli_refuses_a_bad_note(releases):
    done = releases.admin("add", "--project", "nope", "--version", "1.0.0", "--content", "x")
    assert done.returncode == 1 and "Project 'nope'" in done.stderr


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="no-project"),
        pytest.param({"project": "comfy"}, id="unknown-project"),
        pytest.param({"project": "comfyui", "current_version": "latest!"}, id="bad-version"),
    ],
)
def test_a_bad_project_or_version_is_400_with_the_peers_message(releases, params):
    reply = releases.get(**params)
    assert reply.status_code == 400
    assert reply.json() == {"error": "Bad Request", "message": "Invalid project or version parameter"}


def test_releases_need_no_identity_and_an_unknown_locale_gets_english(releases):
    added(releases, "--project", "comfyui", "--version", "0.3.70", "--content", "english")
    reply = releases.get(project="comfyui", locale="tlh-XX", current_version="0.3.64")
    assert reply.status_code == 200 and "english" in [n["content"] for n in reply.json()]
