"""`comfyd nodes`: install node packs from a registry into `<base>/custom_nodes`, list and remove them.

    comfyd nodes install comfyui-impact-pack            # the latest active version
    comfyd nodes install ada-nodes@1.2.0 --registry http://127.0.0.1:8188/registry
    comfyd nodes list
    comfyd nodes uninstall ada-nodes

The registry is `--registry`, else `$COMFYD_REGISTRY_URL`, else api.comfy.org. A running server
loads new packs when it restarts. The work is `comfyd.packs`; this module only parses and prints.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from comfyd.config import ServerConfig

if TYPE_CHECKING:
    from comfyd.packs.installer import InstallOutcome, PackInstaller

T = TypeVar("T")

nodes = typer.Typer(help="Install, list and remove custom node packs.", no_args_is_help=True)

DEFAULT_REGISTRY = "https://api.comfy.org"  # remote.DEFAULT_REGISTRY_URL, without importing httpx here
RegistryUrl = Annotated[
    str,
    typer.Option(
        "--registry", envvar="COMFYD_REGISTRY_URL", help="an api.comfy.org-compatible registry's root URL"
    ),
]
BaseDirectory = Annotated[
    Path | None,
    typer.Option("--base-directory", help="the server's base directory (default: the current one)"),
]


@nodes.command("install")
def install(
    pack: Annotated[str, typer.Argument(help="the pack id, optionally with @version (ada-nodes@1.2.0)")],
    registry_url: RegistryUrl = DEFAULT_REGISTRY,
    base_directory: BaseDirectory = None,
    with_deps: Annotated[
        bool, typer.Option("--with-deps", help="also `pip install -r` the pack's requirements.txt")
    ] = False,
    allow_flagged: Annotated[
        bool, typer.Option("--allow-flagged", help="install a version the registry flagged")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="reinstall, or replace a folder comfyd did not install")
    ] = False,
) -> None:
    """Download, check and unpack a pack into custom_nodes/<pack>."""
    from comfyd.packs.installer import parse_spec

    pack_id, version = _guarded(lambda: parse_spec(pack))

    async def run(installer: PackInstaller) -> InstallOutcome:
        return await installer.install(
            pack_id, version, with_deps=with_deps, allow_flagged=allow_flagged, force=force
        )

    outcome = _run(run, registry_url, base_directory)
    if outcome.unchanged:
        typer.echo(f"{outcome.pack_id} {outcome.version} is already installed in {outcome.path}.")
        return
    replaced = f" (replacing {outcome.replaced})" if outcome.replaced else ""
    typer.echo(f"Installed {outcome.pack_id} {outcome.version} into {outcome.path}{replaced}.")
    if not with_deps and (outcome.path / "requirements.txt").is_file():
        typer.echo("It has a requirements.txt; install it with --with-deps, or with pip.", err=True)
    typer.echo("Restart the server to load it.", err=True)


@nodes.command("list")
def list_packs(base_directory: BaseDirectory = None) -> None:
    """Show the packs in custom_nodes, their versions and who installed them."""
    from rich.console import Console
    from rich.table import Table

    from comfyd.packs.records import installed_packs

    folder = _custom_nodes(base_directory)
    packs = installed_packs(folder)
    if not packs:
        typer.echo(f"No packs are installed in {folder}.")
        return
    table = Table(title=str(folder))
    for column in ("Pack", "Version", "Installed by", "Registry"):
        table.add_column(column)
    for pack in packs:
        table.add_row(pack.name, pack.version or "-", pack.installed_by, pack.registry or "-")
    Console(width=200).print(table)


@nodes.command("uninstall")
def uninstall(
    pack: Annotated[str, typer.Argument(help="the pack id (its folder in custom_nodes)")],
    base_directory: BaseDirectory = None,
    force: Annotated[bool, typer.Option("--force", help="remove a folder comfyd did not install")] = False,
) -> None:
    """Remove a pack comfyd installed from custom_nodes."""
    from comfyd.packs.installer import uninstall_pack

    removed = _guarded(lambda: uninstall_pack(_custom_nodes(base_directory), pack, force=force))
    typer.echo(f"Removed {removed}.")


def _custom_nodes(base_directory: Path | None) -> Path:
    config = ServerConfig(base_directory=base_directory) if base_directory else ServerConfig()
    return config.base_directory.resolve() / "custom_nodes"


def _run(
    command: Callable[[PackInstaller], Awaitable[T]], registry_url: str, base_directory: Path | None
) -> T:
    """Run `command` on an installer for the registry; a `PackError` exits with status 1."""
    # Imported here: httpx, SQLAlchemy (the wire models) and the archive code would slow every command.
    from comfyd.packs.installer import PackInstaller
    from comfyd.platform.registry.remote import RemoteRegistry

    async def run() -> T:
        async with RemoteRegistry(registry_url) as remote:
            return await command(PackInstaller(_custom_nodes(base_directory), remote))

    return _guarded(lambda: asyncio.run(run()))


def _guarded(action: Callable[[], T]) -> T:
    from comfyd.packs.errors import PackError

    try:
        return action()
    except PackError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
