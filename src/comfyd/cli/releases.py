"""`comfyd admin release`: add, list and delete the release notes `GET /releases` serves (the
frontend's Help Center), on the server's database, from the machine it runs on.

    comfyd admin release add --version 0.3.65 --content-file NOTES.md --attention high
    comfyd admin release add --version 0.3.65 --locale zh --content "..."
    comfyd admin release list --project comfyui
    comfyd admin release delete 7
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from comfyd.cli.database import BaseDirectory, DatabaseUrl, run_on_database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from comfyd.platform.releases.service import ReleaseNote, ReleaseNotes

release = typer.Typer(help="Manage the release notes the frontend's Help Center shows.", no_args_is_help=True)

T = TypeVar("T")


@release.command("add")
def add(
    version: Annotated[str, typer.Option("--version", help="the release's version, e.g. 0.3.65")],
    content: Annotated[str | None, typer.Option("--content", help="the note, in Markdown")] = None,
    content_file: Annotated[
        Path | None, typer.Option("--content-file", help="a Markdown file holding the note", exists=True)
    ] = None,
    project: Annotated[
        str, typer.Option("--project", help="comfyui, comfyui_frontend, desktop or cloud")
    ] = "comfyui",
    attention: Annotated[str, typer.Option("--attention", help="low, medium or high")] = "medium",
    locale: Annotated[str, typer.Option("--locale", help="the note's language (en, zh, ...)")] = "en",
    published_at: Annotated[
        datetime | None, typer.Option("--published-at", help="when it was published (default: now)")
    ] = None,
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Add a release note and print its id."""
    from comfyd.platform.releases.service import NewReleaseNote

    if (content is None) == (content_file is None):
        raise typer.BadParameter("give the note as either --content or --content-file")
    text = content if content is not None else content_file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    note = NewReleaseNote(
        project=project,
        version=version,
        content=text,
        attention=attention,
        locale=locale,
        published_at=_aware(published_at or datetime.now(UTC)),
    )

    async def store(notes: ReleaseNotes) -> ReleaseNote:
        return await notes.add(note)

    typer.echo(_run(store, database_url, base_directory).id)


@release.command("list")
def list_notes(
    project: Annotated[str | None, typer.Option("--project", help="only this project's notes")] = None,
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Print every note, newest first: id, project, version, locale, attention, published (tab-separated)."""

    async def list_all(notes: ReleaseNotes) -> list[ReleaseNote]:
        return await notes.list_notes(project)

    for note in _run(list_all, database_url, base_directory):
        fields = [str(note.id), note.project, note.version, note.locale, note.attention]
        typer.echo("\t".join([*fields, note.published_at.isoformat()]))


@release.command("delete")
def delete(
    note_id: Annotated[int, typer.Argument(help="the note's id, as `list` prints it")],
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Delete one release note."""

    async def remove(notes: ReleaseNotes) -> ReleaseNote:
        return await notes.delete(note_id)

    removed = _run(remove, database_url, base_directory)
    typer.echo(f"Deleted the {removed.locale} note of {removed.project} {removed.version}.", err=True)


def _aware(moment: datetime) -> datetime:
    """A time given without a zone is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _run(
    command: Callable[[ReleaseNotes], Awaitable[T]], database_url: str | None, base_directory: Path | None
) -> T:
    """Run `command` on the server's release notes; a domain error exits with status 1 and its message."""
    from comfyd.platform.releases.errors import ReleasesError
    from comfyd.platform.releases.service import ReleaseNotes

    async def on_notes(sessions: async_sessionmaker[AsyncSession]) -> T:
        return await command(ReleaseNotes(sessions))

    return run_on_database(on_notes, database_url, base_directory, errors=(ReleasesError,))
