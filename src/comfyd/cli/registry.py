"""`comfyd registry`: serve the Comfy Registry on its own port, at the root, as api.comfy.org does.

    comfyd registry --port 8080              # what comfy-cli's ENVIRONMENT=dev talks to
    comfyd registry mirror --from https://api.comfy.org    # copy another registry into this one

It uses the same database and base directory as `comfyd serve` (so users and API keys made with
`comfyd admin` work here too); archives are kept under `<base>/registry/archives`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from comfyd.config import ServerConfig

if TYPE_CHECKING:
    from comfyd.platform.registry.mirror import MirrorReport

registry = typer.Typer(
    help="Serve the node-pack registry (api.comfy.org's registry API).", invoke_without_command=True
)


@registry.callback()
def serve_registry(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", help="the port to listen on")] = 8080,
    listen: Annotated[str, typer.Option("--listen", help="the address to listen on")] = "127.0.0.1",
    base_directory: Annotated[
        Path | None,
        typer.Option("--base-directory", help="the server's base directory (default: the current one)"),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="the database (default: the one `comfyd serve` uses)")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="the public root URL for download and upload links (default: as requested)"
        ),
    ] = None,
    verbose: Annotated[str, typer.Option("--verbose", help="log level")] = "INFO",
) -> None:
    """Serve the registry at the root of its own port (migrations are applied at start)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from comfyd.platform.registry.app import create_standalone_app

    values: dict = {"database_url": database_url}
    if base_directory is not None:
        values["base_directory"] = base_directory
    config = ServerConfig(**values)
    logging.basicConfig(level=verbose.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_standalone_app(
        database_url=config.effective_database_url,
        archive_root=config.registry_archive_root,
        base_url=base_url,
    )
    uvicorn.run(app, host=listen, port=port, log_level=verbose.lower())


@registry.command("mirror")
def mirror(
    source: Annotated[
        str, typer.Option("--from", help="the root URL of the registry to copy (api.comfy.org-compatible)")
    ],
    base_directory: Annotated[
        Path | None,
        typer.Option("--base-directory", help="this registry's base directory (default: the current one)"),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="this registry's database (default: under the base)")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="copy every pack, not only those changed since the last sync")
    ] = False,
    overlap_seconds: Annotated[
        float, typer.Option("--overlap-seconds", help="look again this far before the last sync")
    ] = 60.0,
) -> None:
    """Copy packs, versions, node classes and archives from another registry into this one.

    Incremental: only packs the source changed since the last successful sync are fetched; the
    sync time per source is kept in `<base>/registry/mirror-state.json`.
    """
    import asyncio

    from comfyd.platform.registry.remote import RemoteRegistryError

    values: dict = {"database_url": database_url}
    if base_directory is not None:
        values["base_directory"] = base_directory
    config = ServerConfig(**values)
    try:
        report = asyncio.run(_mirror(config, source, full=full, overlap_seconds=overlap_seconds))
    except RemoteRegistryError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    since = report.since.isoformat() if report.since else "the beginning"
    typer.echo(
        f"Mirrored {report.source} (changes since {since}): {report.packs} packs, "
        f"{report.new_versions} new versions, {report.archives} archives, {report.comfy_nodes} node classes."
    )
    for item in report.skipped:
        typer.echo(f"skipped {item}", err=True)
    for item in report.failures:
        typer.echo(f"failed {item}", err=True)
    if report.failures:
        raise typer.Exit(1)


async def _mirror(config: ServerConfig, source: str, *, full: bool, overlap_seconds: float) -> MirrorReport:
    from datetime import timedelta

    from comfyd.db.base import create_engine, session_factory
    from comfyd.db.migrate import upgrade
    from comfyd.platform.registry.mirror import Mirror, MirrorState
    from comfyd.platform.registry.remote import RemoteRegistry
    from comfyd.platform.registry.storage import LocalArchiveStorage

    engine = create_engine(config.effective_database_url)
    try:
        await upgrade(engine)
        state = MirrorState(config.registry_archive_root.parent / "mirror-state.json")
        async with RemoteRegistry(source) as remote:
            mirror = Mirror(
                session_factory(engine),
                LocalArchiveStorage(config.registry_archive_root),
                remote,
                state=state,
                overlap=timedelta(seconds=overlap_seconds),
            )
            return await mirror.sync(full=full)
    finally:
        await engine.dispose()
