"""`ComfyIdentity`: the identity for ComfyUI's own routes and `/ws`, under the auth mode switch.

With `--auth off` (the default, as ComfyUI) it is None and nothing is checked; with
`--auth required` every request must prove a user, and the identity carries the workspace it
acts in. The same dependency serves HTTP routes and WebSocket handshakes: on a socket the
credentials may also come as `?token=` and `?workspace_id=`, and a refusal closes it with 1008.

    @router.get("/history")
    async def history(identity: ComfyIdentity, ...):
        owner = identity.workspace_id if identity else None
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from comfyd.config import AuthMode, ServerConfig
from comfyd.platform.accounts.identity import Identity, require_identity

logger = logging.getLogger(__name__)

LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1", "localhost"})


def auth_mode(connection: HTTPConnection) -> AuthMode:
    config: ServerConfig | None = getattr(connection.app.state, "config", None)
    return config.auth if config is not None else "off"


async def comfy_identity(connection: HTTPConnection) -> Identity | None:
    """None when auth is off; otherwise the request's identity (`Unauthenticated` without one)."""
    if auth_mode(connection) == "off":
        return None
    return await require_identity(connection)


ComfyIdentity = Annotated[Identity | None, Depends(comfy_identity)]


def warn_if_open(config: ServerConfig) -> None:
    """Log loudly when a server without authentication listens beyond this machine."""
    if config.auth != "off":
        return
    exposed = [address for address in config.listen.split(",") if address.strip() not in LOOPBACK_ADDRESSES]
    if exposed:
        logger.warning(
            "AUTHENTICATION IS OFF while listening on %s: anyone who can reach this address can queue "
            "prompts and read every output. Start with --auth required to ask for an API key or token.",
            ", ".join(exposed),
        )
