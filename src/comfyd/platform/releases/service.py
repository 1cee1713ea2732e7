"""`ReleaseNotes`: the release notes the Help Center lists, stored per project, version and locale.

`GET /releases` returns every note of a project, newest first, each in the caller's language when
there is one and in English otherwise. It does not drop versions around `current_version`: the
frontend compares versions itself, taking the first note as the latest release (is there an
update?) and the first three for the Help Center, which include the installed one and older ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.releases import ReleaseNoteRecord
from comfyd.platform.registry.semver import InvalidSemver, Semver
from comfyd.platform.releases.errors import (
    InvalidReleaseNote,
    InvalidReleaseQuery,
    ReleaseNoteExists,
    ReleaseNoteNotFound,
)

PROJECTS = ("comfyui", "comfyui_frontend", "desktop", "cloud")
ATTENTION_LEVELS = ("low", "medium", "high")
DEFAULT_LOCALE = "en"
_LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
MAX_VERSION_LENGTH = 64


@dataclass(frozen=True)
class ReleaseNote:
    id: int
    project: str
    version: str
    attention: str
    content: str
    published_at: datetime
    locale: str

    @classmethod
    def of(cls, record: ReleaseNoteRecord) -> ReleaseNote:
        return cls(
            id=record.id,
            project=record.project,
            version=record.version,
            attention=record.attention,
            content=record.content,
            published_at=record.published_at,
            locale=record.locale,
        )


@dataclass(frozen=True)
class NewReleaseNote:
    """A note to store; `check()` validates it and returns it in stored form."""

    project: str
    version: str
    content: str
    attention: str = "medium"
    locale: str = DEFAULT_LOCALE
    published_at: datetime = field(default_factory=utcnow)
    github_release_id: int | None = None

    def check(self) -> NewReleaseNote:
        """This note with its version and locale normalised; raises `InvalidReleaseNote`."""
        if self.project not in PROJECTS:
            raise InvalidReleaseNote(f"Project {self.project!r} is not one of {', '.join(PROJECTS)}.")
        if self.attention not in ATTENTION_LEVELS:
            raise InvalidReleaseNote(
                f"Attention {self.attention!r} is not one of {', '.join(ATTENTION_LEVELS)}."
            )
        locale = self.locale.strip().lower().replace("_", "-")
        if not _LOCALE.match(locale):
            raise InvalidReleaseNote(f"{self.locale!r} is not a locale (such as en, zh or pt-br).")
        version = normalize_version(self.version)
        if version is None:
            raise InvalidReleaseNote(f"{self.version!r} is not a version.")
        return NewReleaseNote(
            self.project,
            version,
            self.content,
            self.attention,
            locale,
            self.published_at,
            self.github_release_id,
        )


def normalize_version(text: str) -> str | None:
    """A version as stored and compared: `v1.2.3` is `1.2.3`; a string that is not a version
    (empty, too long, blanks inside) is None. Tags that are not semver are kept as they are."""
    text = text.strip()
    if not text or len(text) > MAX_VERSION_LENGTH or any(c.isspace() for c in text):
        return None
    if text[0] in "vV":
        try:
            Semver.parse(text)
            return text[1:]
        except InvalidSemver:
            return text
    return text


def locale_preferences(locale: str | None) -> list[str]:
    """The locales to try, best first: `zh-tw` gives zh-tw, zh, en. Anything unusable is English."""
    wanted = (locale or "").strip().lower().replace("_", "-")
    if not _LOCALE.match(wanted):
        return [DEFAULT_LOCALE]
    language = wanted.split("-", 1)[0]
    return list(dict.fromkeys([wanted, language, DEFAULT_LOCALE]))


class ReleaseNotes:
    """Release notes on one database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def for_frontend(
        self, *, project: str | None, current_version: str | None = None, locale: str | None = None
    ) -> list[ReleaseNote]:
        """What `GET /releases` answers: one note per version, in the best locale, newest first.

        Raises `InvalidReleaseQuery` for a missing or unknown project, or a `current_version` that
        is not a version.
        """
        if project not in PROJECTS:
            raise InvalidReleaseQuery(f"project {project!r} is not one of {', '.join(PROJECTS)}")
        if current_version and not _is_version(current_version):
            raise InvalidReleaseQuery(f"current_version {current_version!r} is not a version")
        preferences = locale_preferences(locale)
        query = (
            select(ReleaseNoteRecord)
            .where(ReleaseNoteRecord.project == project, ReleaseNoteRecord.locale.in_(preferences))
            .order_by(ReleaseNoteRecord.published_at.desc(), ReleaseNoteRecord.id.desc())
        )
        async with self._sessions() as session:
            records = list(await session.scalars(query))
        return _best_per_version(records, preferences)

    async def add(self, note: NewReleaseNote) -> ReleaseNote:
        """Store a new note. Raises `InvalidReleaseNote`, or `ReleaseNoteExists` when the project
        already has a note for that version in that locale."""
        note = note.check()
        record = _record(note)
        try:
            async with self._sessions.begin() as session:
                session.add(record)
        except IntegrityError as exc:
            raise ReleaseNoteExists(note.project, note.version, note.locale) from exc
        return ReleaseNote.of(record)

    async def save(self, note: NewReleaseNote) -> ReleaseNote:
        """Store a note, replacing the text and date of the one for the same version and locale
        (a webhook's `edited`, or a delivery sent again). An existing note keeps its attention."""
        note = note.check()
        async with self._sessions.begin() as session:
            record = await session.scalar(
                select(ReleaseNoteRecord).where(
                    ReleaseNoteRecord.project == note.project,
                    ReleaseNoteRecord.version == note.version,
                    ReleaseNoteRecord.locale == note.locale,
                )
            )
            if record is None:
                record = _record(note)
                session.add(record)
            else:
                record.content = note.content
                record.published_at = note.published_at
                record.github_release_id = note.github_release_id
        return ReleaseNote.of(record)

    async def list_notes(self, project: str | None = None) -> list[ReleaseNote]:
        """Every stored note (of one project, if given), every locale, newest first."""
        query = select(ReleaseNoteRecord).order_by(
            ReleaseNoteRecord.published_at.desc(), ReleaseNoteRecord.id.desc()
        )
        if project is not None:
            query = query.where(ReleaseNoteRecord.project == project)
        async with self._sessions() as session:
            return [ReleaseNote.of(r) for r in await session.scalars(query)]

    async def delete(self, note_id: int) -> ReleaseNote:
        """Remove one note; raises `ReleaseNoteNotFound`."""
        async with self._sessions.begin() as session:
            record = await session.get(ReleaseNoteRecord, note_id)
            if record is None:
                raise ReleaseNoteNotFound(note_id)
            await session.delete(record)
        return ReleaseNote.of(record)

    async def delete_github_release(self, github_release_id: int) -> int:
        """Remove the notes a GitHub release wrote; how many there were."""
        statement = delete(ReleaseNoteRecord).where(ReleaseNoteRecord.github_release_id == github_release_id)
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
        return result.rowcount or 0


def _is_version(text: str) -> bool:
    try:
        Semver.parse(text)
    except InvalidSemver:
        return False
    return len(text) <= MAX_VERSION_LENGTH


def _record(note: NewReleaseNote) -> ReleaseNoteRecord:
    return ReleaseNoteRecord(
        project=note.project,
        version=note.version,
        locale=note.locale,
        attention=note.attention,
        content=note.content,
        published_at=note.published_at,
        github_release_id=note.github_release_id,
        created_at=utcnow(),
    )


def _best_per_version(records: list[ReleaseNoteRecord], preferences: list[str]) -> list[ReleaseNote]:
    """One note per version, in the most preferred locale it has; the order of `records` is kept
    (a version sits where its chosen note sits)."""
    rank = {locale: index for index, locale in enumerate(preferences)}
    best: dict[str, ReleaseNoteRecord] = {}
    for record in records:
        current = best.get(record.version)
        if current is None or rank[record.locale] < rank[current.locale]:
            best[record.version] = record
    chosen = {id(record) for record in best.values()}
    return [ReleaseNote.of(record) for record in records if id(record) in chosen]
