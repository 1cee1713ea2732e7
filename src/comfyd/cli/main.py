"""`comfyd`: serve the API, or run a workflow against a server."""

from __future__ import annotations

import logging

import typer

from comfyd.cli.admin import admin
from comfyd.cli.models import models
from comfyd.cli.nodes import nodes
from comfyd.cli.registry import registry
from comfyd.cli.run import run
from comfyd.cli.serve_args import config_from_args

app = typer.Typer(help="comfyd: a durable, multi-user server for the ComfyUI frontend's APIs.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """comfyd command line."""


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def serve(ctx: typer.Context) -> None:
    """Start the server. Takes ComfyUI's launch flags (`comfyd serve --help` lists them)."""
    import uvicorn

    from comfyd.platform.auth.dependencies import warn_if_open
    from comfyd.platform.auth.tls import with_self_signed_tls
    from comfyd.server.app import create_app

    config = config_from_args(list(ctx.args))
    logging.basicConfig(level=config.verbose, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = with_self_signed_tls(config)
    warn_if_open(config)
    host = config.listen.split(",")[0]
    uvicorn.run(
        create_app(config),
        host=host,
        port=config.port,
        ssl_keyfile=str(config.tls_keyfile) if config.tls_keyfile else None,
        ssl_certfile=str(config.tls_certfile) if config.tls_certfile else None,
        log_level=config.verbose.lower(),
        # A line per request costs more than serving a small one; ComfyUI logs none either.
        access_log=config.verbose == "DEBUG",
        ws_max_size=config.max_upload_size,
    )


app.command(name="run")(run)
app.add_typer(admin, name="admin")
app.add_typer(models, name="models")
app.add_typer(registry, name="registry")
app.add_typer(nodes, name="nodes")

if __name__ == "__main__":
    app()
