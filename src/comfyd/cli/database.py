"""What the `comfyd admin` commands share: the options that name the server's database, and
running one async command on it.

The database is the one `comfyd serve` uses with the same `--base-directory` or `--database-url`,
brought to the newest schema first, so the commands work before the server has ever started.

    def run(...):
        user = run_on_database(lambda sessions: AccountService(sessions).create_user(...),
                               database_url, base_directory, errors=(AccountsError,))
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from comfyd.config import ServerConfig

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="the server's database (default: under the base directory)"),
]
BaseDirectory = Annotated[
    Path | None,
    typer.Option("--base-directory", help="the server's base directory (default: the current one)"),
]


def server_config(database_url: str | None, base_directory: Path | None) -> ServerConfig:
    """The configuration `comfyd serve` would have with these options."""
    if database_url and base_directory:
        raise typer.BadParameter("give --database-url or --base-directory, not both")
    return ServerConfig(base_directory=base_directory or Path.cwd(), database_url=database_url)


@asynccontextmanager
async def migrated_sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on `database_url`, migrated to the newest schema; the engine is disposed after."""
    # Imported here: SQLAlchemy and Alembic would add half a second to every `comfyd` command.
    from comfyd.db.base import create_engine, session_factory
    from comfyd.db.migrate import upgrade

    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


def run_on_database(
    command: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]],
    database_url: str | None,
    base_directory: Path | None,
    *,
    errors: tuple[type[Exception], ...] = (),
) -> T:
    """Run `command` on the server's database. One of `errors` (domain exceptions, which carry a
    `message`) exits with status 1 and that message instead of a traceback."""
    url = server_config(database_url, base_directory).effective_database_url

    async def run() -> T:
        async with migrated_sessions(url) as sessions:
            return await command(sessions)

    try:
        return asyncio.run(run())
    except errors as exc:
        fail(getattr(exc, "message", str(exc)), exc)


def fail(message: str, exc: Exception | None = None) -> NoReturn:
    """Exit with status 1 and `message` on stderr."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1) from exc
