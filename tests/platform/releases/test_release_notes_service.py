"""`ReleaseNotes` on a real SQLite file: what it stores, and what the frontend is served."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comfyd.platform.releases.errors import (
    InvalidReleaseNote,
    InvalidReleaseQuery,
    ReleaseNoteExists,
    ReleaseNoteNotFound,
)
from comfyd.platform.releases.service import NewReleaseNote, locale_preferences, normalize_version

pytestmark = pytest.mark.anyio


def day(n: int) -> datetime:
    return datetime(2026, 1, n, tzinfo=UTC)


def note(version: str, published: int, **fields) -> NewReleaseNote:
    return NewReleaseNote(
        project=fields.pop("project", "comfyui"),
        version=version,
        content=fields.pop("content", f"notes for {version}"),
        published_at=day(published),
        **fields,
    )


async def test_notes_are_served_newest_first_with_every_version(notes):
    for version, published in [("0.3.63", 1), ("0.3.65", 3), ("0.3.64", 2)]:
        await notes.add(note(version, published))

    served = await notes.for_frontend(project="comfyui", current_version="0.3.64")

    # Older and newer than the current version alike: the frontend compares them itself.
    assert [n.version for n in served] == ["0.3.65", "0.3.64", "0.3.63"]


async def test_each_version_comes_in_the_best_locale_there_is(notes):
    await notes.add(note("1.0.0", 1, content="english one"))
    await notes.add(note("1.0.0", 1, content="chinese one", locale="zh"))
    await notes.add(note("1.1.0", 2, content="english two"))
    await notes.add(note("1.2.0", 3, content="japanese only", locale="ja"))

    chinese = await notes.for_frontend(project="comfyui", locale="zh-TW")
    english = await notes.for_frontend(project="comfyui", locale="en")

    assert [(n.version, n.content) for n in chinese] == [("1.1.0", "english two"), ("1.0.0", "chinese one")]
    assert [(n.version, n.content) for n in english] == [("1.1.0", "english two"), ("1.0.0", "english one")]


async def test_only_the_asked_projects_notes_are_served(notes):
    await notes.add(note("1.0.0", 1, project="desktop"))
    await notes.add(note("0.3.64", 1))
    assert [n.project for n in await notes.for_frontend(project="desktop")] == ["desktop"]
    assert await notes.for_frontend(project="cloud") == []


@pytest.mark.parametrize(
    ("project", "version"),
    [
        pytest.param(None, None, id="no-project"),
        pytest.param("comfy", None, id="unknown-project"),
        pytest.param("comfyui", "not a version", id="bad-version"),
        pytest.param("comfyui", "1.2.3.4", id="four-parts"),
    ],
)
async def test_a_bad_project_or_version_is_refused_with_the_peers_message(notes, project, version):
    with pytest.raises(InvalidReleaseQuery) as refused:
        await notes.for_frontend(project=project, current_version=version)
    assert refused.value.message == "Invalid project or version parameter"


async def test_adding_the_same_version_and_locale_twice_is_refused(notes):
    await notes.add(note("1.0.0", 1))
    with pytest.raises(ReleaseNoteExists):
        await notes.add(note("v1.0.0", 2))
    await notes.add(note("1.0.0", 1, locale="fr"))  # another language of it is fine


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"project": "nope"}, id="project"),
        pytest.param({"attention": "urgent"}, id="attention"),
        pytest.param({"locale": "english please"}, id="locale"),
    ],
)
async def test_a_note_with_bad_fields_is_refused(notes, fields):
    with pytest.raises(InvalidReleaseNote):
        await notes.add(note("1.0.0", 1, **fields))
    assert await notes.list_notes() == []


async def test_save_replaces_the_text_of_an_existing_note_and_keeps_its_attention(notes):
    first = await notes.add(note("1.0.0", 1, attention="high"))
    saved = await notes.save(note("1.0.0", 2, content="edited"))

    assert saved.id == first.id
    assert (saved.content, saved.attention, saved.published_at) == ("edited", "high", day(2))


async def test_delete_removes_one_note_and_refuses_an_unknown_id(notes):
    kept, gone = await notes.add(note("1.0.0", 1)), await notes.add(note("1.1.0", 2))
    await notes.delete(gone.id)
    assert [n.id for n in await notes.list_notes()] == [kept.id]
    with pytest.raises(ReleaseNoteNotFound):
        await notes.delete(gone.id)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("v1.2.3", "1.2.3"), ("1.2.3", "1.2.3"), ("nightly-2026", "nightly-2026"), ("", None), ("a b", None)],
)
def test_versions_are_stored_without_a_leading_v(given, stored):
    assert normalize_version(given) == stored


@pytest.mark.parametrize(
    ("locale", "tried"),
    [("zh-TW", ["zh-tw", "zh", "en"]), ("ja", ["ja", "en"]), (None, ["en"]), ("<script>", ["en"])],
)
def test_locales_fall_back_to_their_language_then_english(locale, tried):
    assert locale_preferences(locale) == tried
