"""`comfyd registry`: serve the Comfy Registry on its own port, at the root, as api.comfy.org does.

    comfyd registry --port 8080              # what comfy-cli's ENVIRONMENT=dev talks to

It uses the same database and base directory as `comfyd serve` (so users and API keys made with
`comfyd admin` work here too); archives are kept under `<base>/registry/archives`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from comfyd.config import ServerConfig

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
