"""`comfyd admin`: manage users and API keys on a server's database, from the machine it runs on.

The database is the one `comfyd serve` uses with the same `--base-directory` or `--database-url`,
brought to the newest schema first, so these commands work before the server has ever started.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from comfyd.cli.credits import credits
from comfyd.cli.registry_admin import registry_admin
from comfyd.cli.releases import release
from comfyd.config import ServerConfig
from comfyd.platform.accounts.errors import AccountsError, UserNotFound

if TYPE_CHECKING:
    from comfyd.db.accounts import UserRecord
    from comfyd.platform.accounts.service import AccountService

admin = typer.Typer(help="Manage users and API keys.", no_args_is_help=True)
admin.add_typer(release, name="release")
admin.add_typer(credits, name="credits")
admin.add_typer(registry_admin, name="registry")

T = TypeVar("T")

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="the server's database (default: under the base directory)")
]
BaseDirectory = Annotated[
    Path | None, typer.Option("--base-directory", help="the server's base directory (default: the current one)")
]


@admin.command("create-user")
def create_user(
    email: Annotated[str, typer.Option("--email", help="the user's email; unique")],
    name: Annotated[str | None, typer.Option("--name", help="a display name")] = None,
    is_admin: Annotated[bool, typer.Option("--admin", help="make the user an administrator")] = False,
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Create a user and print their id."""

    async def create(accounts: AccountService) -> UserRecord:
        return await accounts.create_user(email=email, name=name, is_admin=is_admin)

    user = _run(create, database_url, base_directory)
    typer.echo(user.id)


@admin.command("create-api-key")
def create_api_key(
    email: Annotated[str, typer.Option("--email", help="the email of the key's owner")],
    name: Annotated[str, typer.Option("--name", help="a name to tell the key apart")] = "",
    description: Annotated[str, typer.Option("--description")] = "",
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Create an API key for a user and print it. It is shown this once and cannot be recovered."""

    async def create(accounts: AccountService) -> str:
        user = await accounts.find_user_by_email(email)
        if user is None:
            raise UserNotFound(email)
        key, _record = await accounts.create_api_key(user_id=user.id, name=name, description=description)
        return key

    key = _run(create, database_url, base_directory)
    typer.echo(key)
    typer.echo("Store this key now: comfyd keeps only its hash and cannot show it again.", err=True)


@admin.command("list-users")
def list_users(database_url: DatabaseUrl = None, base_directory: BaseDirectory = None) -> None:
    """Print every user, one a line: id, email, name, admin, status (tab-separated)."""

    async def list_all(accounts: AccountService) -> list[UserRecord]:
        return await accounts.list_users()

    for user in _run(list_all, database_url, base_directory):
        role = "admin" if user.is_admin else "-"
        typer.echo("\t".join([user.id, user.email, user.name or "-", role, user.status]))


def _run(
    command: Callable[[AccountService], Awaitable[T]], database_url: str | None, base_directory: Path | None
) -> T:
    """Run `command` on the server's accounts; a domain error exits with status 1 and its message."""
    config = _config(database_url, base_directory)

    async def run() -> T:
        async with _accounts(config.effective_database_url) as accounts:
            return await command(accounts)

    try:
        return asyncio.run(run())
    except AccountsError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(1) from exc


def _config(database_url: str | None, base_directory: Path | None) -> ServerConfig:
    if database_url and base_directory:
        raise typer.BadParameter("give --database-url or --base-directory, not both")
    if base_directory is not None:
        return ServerConfig(base_directory=base_directory, database_url=database_url)
    return ServerConfig(database_url=database_url)


@asynccontextmanager
async def _accounts(database_url: str) -> AsyncIterator[AccountService]:
    # Imported here: SQLAlchemy, Alembic and FastAPI would add half a second to every `comfyd` command.
    from comfyd.db.base import create_engine, session_factory
    from comfyd.db.migrate import upgrade
    from comfyd.platform.accounts.service import AccountService

    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        yield AccountService(session_factory(engine))
    finally:
        await engine.dispose()
