"""Serving files from disk: the frontend's web root at `/`, and single files the routes found.

The web root is mounted when the app is created, but which folder it is becomes known only when
the services are built at startup, so `FrontendFiles` looks it up per request.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

from comfyd.server.frontend import Frontend

# Browsers refuse to run a module script served with a non-JavaScript type, and some systems'
# MIME tables (the Windows registry, old mime.types) map `.js` and `.webp` badly; pin them.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("image/webp", ".webp")

# ComfyUI sends these with index.html so a browser always revalidates it (it names hashed assets).
NO_CACHE = {"Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "0"}


class FrontendFiles:
    """An ASGI app serving the current `Frontend.root`; mount it last, at `/`, so routes win."""

    def __init__(self) -> None:
        self._apps: dict[Path, StaticFiles] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # A socket to a path no route serves: refuse it as Starlette's router would.
            await WebSocketClose()(scope, receive, send)
            return
        frontend = scope["app"].state.services.frontend
        if frontend is None or frontend.root is None:
            await Response(status_code=404)(scope, receive, send)
        elif scope["method"] in ("GET", "HEAD") and frontend.is_index(_route_path(scope)):
            # The page must never go out without its policy, whatever spelling reached it.
            await index_response(frontend, Headers(scope=scope).get("host"))(scope, receive, send)
        else:
            await self._files(frontend.root)(scope, receive, send)

    def _files(self, root: Path) -> StaticFiles:
        if root not in self._apps:
            # StaticFiles refuses any path that resolves outside its directory (`..`, symlinks).
            self._apps[root] = StaticFiles(directory=root)
        return self._apps[root]


def index_response(frontend: Frontend, host: str | None) -> Response:
    """`index.html`, never cached, with its Content-Security-Policy; 404 without a frontend."""
    page = frontend.index_page(host)
    if page is None:
        return Response(status_code=404)
    headers = {**NO_CACHE, "Content-Security-Policy": page.content_security_policy}
    return Response(page.body, media_type="text/html", headers=headers)


def file_or_404(path: Path | None) -> Response:
    """The file at `path` (type, length, ETag and ranges handled), or an empty 404 like ComfyUI's."""
    return Response(status_code=404) if path is None else FileResponse(path)


def _route_path(scope: Scope) -> str:
    """The request path below the app's root path (what a mount at `/` sees)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
