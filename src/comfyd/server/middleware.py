"""ComfyUI's cross-cutting HTTP behaviour: the origin check (or CORS headers) and cache headers.

By default a request whose `Origin` names a different site than its loopback `Host` is refused:
a web page cannot make the browser queue prompts on a server at 127.0.0.1. With
`--enable-cors-header [ORIGIN]` comfyd instead allows that origin, as ComfyUI does. All three
are plain ASGI middleware, so they also see `/ws` handshakes and never buffer a response body.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import urllib.parse

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from comfyd.config import ServerConfig

logger = logging.getLogger(__name__)

ONE_HOUR = 3600
ONE_DAY = 86400
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
CACHEABLE_STATUSES = frozenset({200, 201, 202, 203, 204, 205, 206, 301, 308})
TEMPORARY_REDIRECTS = frozenset({302, 303, 307})
# ComfyUI's, plus what the frontend's platform calls send when this server is their base
# (frontend.md §3): PATCH for workspaces, `X-API-KEY`, `Comfy-Env`, and `Comfy-Workspace-Id`.
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "POST, GET, DELETE, PUT, PATCH, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Authorization, X-API-KEY, Comfy-Env, Comfy-Workspace-Id",
    "Access-Control-Allow-Credentials": "true",
}
_LOOPBACK_CACHE_LIMIT = 256


def install(app: FastAPI, config: ServerConfig) -> None:
    """Add the middleware in ComfyUI's order: cache headers outermost, then CORS or the origin check."""
    if config.enable_cors_header is not None:
        app.add_middleware(CorsHeaders, allowed_origin=config.enable_cors_header)
    else:
        app.add_middleware(OriginCheck)
    app.add_middleware(CacheControl)  # added last, so it runs first and sees every answer


class CacheControl:
    """`no-cache` for scripts, styles and `index*.json`; a day (hits) or an hour (404s) for images.

    A `Cache-Control` the route set itself is kept.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = cache_control_for(path, message["status"])
                if value is not None:
                    MutableHeaders(scope=message).setdefault("Cache-Control", value)
            await send(message)

        await self.app(scope, receive, send_with_cache_control)


def cache_control_for(path: str, status: int) -> str | None:
    """The `Cache-Control` ComfyUI's cache middleware gives this path and status, if any."""
    filename = path.rsplit("/", 1)[-1]
    if path.endswith((".js", ".css")) or (filename.startswith("index") and filename.endswith(".json")):
        return "no-cache"
    if not path.lower().endswith(IMAGE_EXTENSIONS):
        return None
    if status == 404:
        return f"public, max-age={ONE_HOUR}"
    if status in CACHEABLE_STATUSES:
        return f"public, max-age={ONE_DAY}"
    if status in TEMPORARY_REDIRECTS:
        return "no-cache"
    return None


class OriginCheck:
    """ComfyUI's default guard: 403 when a loopback Host and the Origin name different sites.

    It only applies when the Host is a loopback address, so a server behind a proxy or on a LAN
    name is not affected; `OPTIONS` is answered 200 with no body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._loopback_names: dict[str, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if await self._is_cross_site(headers.get("host"), headers.get("origin")):
            logger.warning(
                "Refusing a request whose Origin %s does not match its Host %s (403).",
                headers.get("origin"),
                headers.get("host"),
            )
            refusal = Response(status_code=403) if scope["type"] == "http" else WebSocketClose(code=1008)
            await refusal(scope, receive, send)
            return
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            await Response(status_code=200)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _is_cross_site(self, host: str | None, origin: str | None) -> bool:
        if not host or not origin:
            return False
        host_value = host.lower()
        host_parts = urllib.parse.urlsplit("//" + host_value)
        origin_parts = urllib.parse.urlparse(origin)
        try:
            # Like ComfyUI: a side that names no port is compared by host name alone.
            host_name = host_parts.hostname if origin_parts.port is None else host_value
            origin_name = origin_parts.hostname if host_parts.port is None else origin_parts.netloc.lower()
        except ValueError:  # a malformed port in either header
            return False
        if not host_name or not origin_name or host_name == origin_name:
            return False
        return await self._is_loopback(host_parts.hostname)

    async def _is_loopback(self, hostname: str | None) -> bool:
        if not hostname:
            return False
        try:
            return ipaddress.ip_address(hostname).is_loopback
        except ValueError:
            pass
        if hostname not in self._loopback_names:
            if len(self._loopback_names) >= _LOOPBACK_CACHE_LIMIT:
                self._loopback_names.clear()
            self._loopback_names[hostname] = await resolves_to_loopback(hostname)
        return self._loopback_names[hostname]


async def resolves_to_loopback(hostname: str) -> bool:
    """Whether a host name resolves, and only to loopback addresses (`localhost`, hosts aliases)."""
    loop = asyncio.get_running_loop()
    addresses = set()
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            for *_, sockaddr in await loop.getaddrinfo(hostname, None, family=family, type=socket.SOCK_STREAM):
                addresses.add(sockaddr[0])
        except socket.gaierror:
            continue
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


class CorsHeaders:
    """`--enable-cors-header`: allow one origin (`*` by default) and answer preflights with 200."""

    def __init__(self, app: ASGIApp, allowed_origin: str) -> None:
        self.app = app
        self.headers = {"Access-Control-Allow-Origin": allowed_origin, **CORS_HEADERS}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await Response(status_code=200, headers=self.headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_cors)
