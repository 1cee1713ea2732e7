"""`comfyd admin`: manage users and API keys on a server's database, from the machine it runs on
(the options and the database handling all admin commands share are in `cli/database.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from comfyd.cli.credits import credits
from comfyd.cli.database import BaseDirectory, DatabaseUrl, run_on_database
from comfyd.cli.registry_admin import registry_admin
from comfyd.cli.releases import release
from comfyd.platform.accounts.errors import AccountsError, UserNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from comfyd.db.accounts import UserRecord
    from comfyd.platform.accounts.service import AccountService

admin = typer.Typer(help="Manage users and API keys.", no_args_is_help=True)
admin.add_typer(release, name="release")
admin.add_typer(credits, name="credits")
admin.add_typer(registry_admin, name="registry")

T = TypeVar("T")


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
    from comfyd.platform.accounts.service import AccountService

    async def on_accounts(sessions: async_sessionmaker[AsyncSession]) -> T:
        return await command(AccountService(sessions))

    return run_on_database(on_accounts, database_url, base_directory, errors=(AccountsError,))
