"""`comfyd admin registry`: moderate the node-pack registry from the machine it runs on: ban a
publisher or a pack, set a version's status and reason.

    comfyd admin registry ban-pack evil-nodes
    comfyd admin registry set-version-status ada-nodes 1.0.0 flagged --reason "Calls home at import."

The commands call the same `Moderation` service as the registry's admin routes, on the database
`comfyd serve` and `comfyd registry` use with the same `--base-directory` or `--database-url`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from comfyd.cli.database import BaseDirectory, DatabaseUrl, run_on_database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from comfyd.platform.registry.moderation import Moderation
    from comfyd.platform.registry.states import VersionStatus

registry_admin = typer.Typer(
    help="Moderate the node-pack registry: bans and version statuses.", no_args_is_help=True
)

T = TypeVar("T")
STATUSES = ("active", "flagged", "banned", "deleted")


@registry_admin.command("ban-publisher")
def ban_publisher(
    publisher_id: Annotated[str, typer.Argument(help="the publisher's id")],
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Ban a publisher, every pack it has, and every user with a role on it (their API keys stop
    working)."""

    async def ban(moderation: Moderation) -> list[str]:
        return await moderation.ban_publisher(publisher_id)

    users = _run(ban, database_url, base_directory)
    typer.echo(f"Banned publisher {publisher_id}, its packs and {len(users)} user(s).")


@registry_admin.command("ban-pack")
def ban_pack(
    pack_id: Annotated[str, typer.Argument(help="the pack's id")],
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Ban a pack: it answers 403 wherever it is asked for, and installs of it stop."""

    async def ban(moderation: Moderation) -> None:
        await moderation.ban_pack(pack_id)

    _run(ban, database_url, base_directory)
    typer.echo(f"Banned pack {pack_id}.")


@registry_admin.command("set-version-status")
def set_version_status(
    pack_id: Annotated[str, typer.Argument(help="the pack's id")],
    version: Annotated[str, typer.Argument(help="the version, e.g. 1.0.0")],
    status: Annotated[
        str, typer.Argument(help=f"{', '.join(STATUSES)}, or the wire's name (NodeVersionStatusFlagged)")
    ],
    reason: Annotated[
        str | None, typer.Option("--reason", help="shown to the publisher (default: keep the current one)")
    ] = None,
    database_url: DatabaseUrl = None,
    base_directory: BaseDirectory = None,
) -> None:
    """Set a version's status, and the reason shown with it."""
    wanted = _version_status(status)

    async def move(moderation: Moderation) -> None:
        from comfyd.platform.registry.models import AdminNodeVersionUpdate

        await moderation.update_version(
            pack_id, version, AdminNodeVersionUpdate(status=wanted.wire, status_reason=reason)
        )

    _run(move, database_url, base_directory)
    typer.echo(f"{pack_id} {version} is now {wanted.wire}.")


def _version_status(name: str) -> VersionStatus:
    """The status `name` stands for, as stored (`flagged`) or as on the wire."""
    from comfyd.platform.registry.states import VersionStatus

    for status in VersionStatus:
        if name.lower() == status.value or name == status.wire:
            return status
    raise typer.BadParameter(f"{name!r} is not a version status; use one of {', '.join(STATUSES)}.")


def _run(
    command: Callable[[Moderation], Awaitable[T]], database_url: str | None, base_directory: Path | None
) -> T:
    """Run `command` on the server's registry; a domain error exits with status 1 and its message."""
    from comfyd.platform.accounts.errors import AccountsError
    from comfyd.platform.accounts.service import AccountService
    from comfyd.platform.registry.errors import RegistryError
    from comfyd.platform.registry.moderation import Moderation

    async def on_registry(sessions: async_sessionmaker[AsyncSession]) -> T:
        accounts = AccountService(sessions)
        try:
            return await command(Moderation(sessions, accounts))
        finally:
            await accounts.drain()

    return run_on_database(on_registry, database_url, base_directory, errors=(RegistryError, AccountsError))
