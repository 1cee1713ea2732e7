"""The registry as an ASGI application: `create_registry_app` builds the FastAPI sub-application,
which runs standalone at the root of its own port (`comfyd registry`) or mounted under a prefix
of `comfyd serve` (`RegistryMount`).

    app = create_registry_app(sessions=sessions, accounts=AccountService(sessions),
                              storage=LocalArchiveStorage(base / "registry" / "archives"))
    uvicorn.run(app, port=8080)

Error bodies are the platform's `{"error", "message"}`, with the peer's status codes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from comfyd.platform.accounts.identity import install_error_handlers
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.registry import routes, routes_admin, routes_archives, routes_publishers
from comfyd.platform.registry.archives import ArchiveLimits
from comfyd.platform.registry.errors import PackMoved, RegistryError
from comfyd.platform.registry.extraction import DEFAULT_TIMEOUT
from comfyd.platform.registry.services import RegistryServices
from comfyd.platform.registry.storage import ArchiveStorage, LocalArchiveStorage

logger = logging.getLogger(__name__)


def create_registry_app(
    *,
    sessions: async_sessionmaker[AsyncSession],
    accounts: AccountService,
    storage: ArchiveStorage,
    base_url: str | None = None,
    upload_secret: bytes | None = None,
    archive_limits: ArchiveLimits | None = None,
    extraction_timeout: float = DEFAULT_TIMEOUT,
) -> FastAPI:
    """The registry app on an already migrated database.

    `base_url` is the registry's public root for the URLs it hands out (`downloadUrl`,
    `signedUrl`); by default each request's own root is used. Run standalone, the app's lifespan
    starts and stops its background checks; mounted, the host calls `registry_lifespan` (Starlette
    does not run a mounted app's lifespan).
    """
    services = RegistryServices.build(
        sessions=sessions,
        accounts=accounts,
        storage=storage,
        base_url=base_url,
        upload_secret=upload_secret,
        archive_limits=archive_limits,
        extraction_timeout=extraction_timeout,
    )
    app = FastAPI(title="comfyd registry", lifespan=registry_lifespan, docs_url=None, redoc_url=None)
    app.state.registry = services
    app.state.accounts = accounts
    install_error_handlers(app)
    _install_error_handlers(app)
    for module in (routes, routes_publishers, routes_archives, routes_admin):
        app.include_router(module.router)
    return app


@contextlib.asynccontextmanager
async def registry_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the registry's background work (re-checking interrupted versions), stop it at the end."""
    services: RegistryServices = app.state.registry
    await services.start()
    try:
        yield
    finally:
        await services.stop()


def create_standalone_app(*, database_url: str, archive_root: Path, base_url: str | None = None) -> FastAPI:
    """The registry on its own database connection (`comfyd registry`): migrations are applied
    at start-up and archives are kept under `archive_root`."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    storage = LocalArchiveStorage(archive_root)
    app = create_registry_app(
        sessions=sessions, accounts=AccountService(sessions), storage=storage, base_url=base_url
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await upgrade(engine)
            async with registry_lifespan(app):
                yield
        finally:
            await engine.dispose()

    app.router.lifespan_context = lifespan
    return app


@contextlib.asynccontextmanager
async def mounted_registry(
    mount: RegistryMount,
    *,
    sessions: async_sessionmaker[AsyncSession],
    accounts: AccountService,
    archive_root: Path,
    base_url: str | None = None,
) -> AsyncIterator[FastAPI]:
    """Build the registry on a host's (migrated) database, serve it through `mount` while the
    block runs, and stop its background work afterwards."""
    app = create_registry_app(
        sessions=sessions,
        accounts=accounts,
        storage=LocalArchiveStorage(archive_root),
        base_url=base_url,
    )
    async with registry_lifespan(app):
        mount.attach(app)
        try:
            yield app
        finally:
            mount.detach()


class RegistryMount:
    """An ASGI app to mount before the registry exists: `comfyd serve` builds the registry in its
    lifespan (the database is ready only then) and hands it over with `attach`. Until then, and
    after `detach`, requests get 503."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    def attach(self, app: FastAPI) -> None:
        self.app = app

    def detach(self) -> None:
        self.app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target: ASGIApp | None = self.app
        if target is None:
            body = {"error": "Service Unavailable", "message": "The registry is starting or stopping."}
            await JSONResponse(body, status_code=503)(scope, receive, send)
            return
        await target(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PackMoved, _pack_moved)
    app.add_exception_handler(RegistryError, _registry_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _server_error)


async def _registry_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistryError)
    status = HTTPStatus(exc.status_code)
    return JSONResponse({"error": status.phrase, "message": exc.message}, status_code=status)


async def _pack_moved(request: Request, exc: Exception) -> RedirectResponse:
    """302 to the same URL with the pack's id in its canonical case (`/nodes/comfyui-lcm` →
    `/nodes/ComfyUI-LCM`), as the peer answers."""
    assert isinstance(exc, PackMoved)
    segments = request.url.path.split("/")
    for index in range(1, len(segments)):
        if segments[index - 1] == "nodes" and segments[index] == exc.requested:
            segments[index] = exc.canonical_id
            break
    return RedirectResponse(str(request.url.replace(path="/".join(segments))), status_code=HTTPStatus.FOUND)


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(_describe(error) for error in exc.errors())
    body = {"error": HTTPStatus.BAD_REQUEST.phrase, "message": f"Invalid request: {problems}"}
    return JSONResponse(body, status_code=HTTPStatus.BAD_REQUEST)


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("Registry request %s %s failed.", request.method, request.url.path, exc_info=exc)
    body = {
        "error": HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
        "message": "The registry failed to answer this request.",
    }
    return JSONResponse(body, status_code=HTTPStatus.INTERNAL_SERVER_ERROR)


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "body", "path"))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid"))
