"""The app factory: builds the services, mounts the ComfyUI routes at `/x` and `/api/x`.

    app = create_app(ServerConfig(base_directory=path))
    uvicorn.run(app, port=8188)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI

from comfyd.config import ServerConfig
from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from comfyd.files.uploads import Uploads
from comfyd.files.viewing import FileViewer
from comfyd.jobs.bus.memory import MemoryEventBus
from comfyd.jobs.history import History
from comfyd.jobs.listing import JobListing
from comfyd.jobs.prompts import PromptService
from comfyd.jobs.queue import JobQueue, QueueCounts
from comfyd.jobs.worker import Worker
from comfyd.platform.accounts.identity import install_error_handlers as install_accounts_errors
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.auth import routes as auth_routes
from comfyd.platform.auth.service import AuthService
from comfyd.platform.billing import routes as billing_routes
from comfyd.platform.billing import routes_page as billing_page
from comfyd.platform.billing import routes_workspace as workspace_billing
from comfyd.platform.customers import routes as customer_routes
from comfyd.platform.customers import routes_keys as customer_keys
from comfyd.platform.registry.app import RegistryMount, mounted_registry
from comfyd.platform.releases import routes as release_routes
from comfyd.platform.workspaces import routes as workspace_routes
from comfyd.platform.workspaces.deps import WorkspaceServices
from comfyd.server import errors, middleware
from comfyd.server.catalog import ModelCatalog
from comfyd.server.deps import request_scope
from comfyd.server.downloads import build_asset_downloads
from comfyd.server.frontend import Frontend
from comfyd.server.limits import BodySizeLimit
from comfyd.server.logbuffer import LogBuffer
from comfyd.server.packfiles import PackFiles
from comfyd.server.routes import (
    assets,
    execution,
    extensions,
    files,
    frontend,
    history,
    internal,
    jobs,
    models,
    nodes,
    prompt,
    queue,
    system,
    templates,
    users,
    ws,
)
from comfyd.server.services import Services, build_folders, build_registry, cache_factory, customer_services
from comfyd.server.staticfiles import FrontendFiles
from comfyd.server.usage import UsageTracker
from comfyd.server.ws.hub import WebSocketHub
from comfyd.users.service import UserServices

logger = logging.getLogger(__name__)

LOST_REASON = "The server stopped while this prompt was running; queue it again to run it."

# Routers registered as ComfyUI registers its routes: each path at /x and at /api/x.
COMFY_ROUTERS = [prompt.router, queue.router, history.router, jobs.router, execution.router, nodes.router, files.router, users.router, system.router, models.router]
# Routes that hold nobody's data, answered without sign-in even when the server requires it (the
# page needs them to start); `/ws` checks its identity itself (a browser cannot set its headers).
PUBLIC_COMFY_ROUTERS = [extensions.router, system.public_router, ws.router]

# The platform's routes (api.comfy.org's `/customers`, `/releases`; Comfy Cloud's `/api/workspaces`,
# `/api/billing`, ...), mounted once at their own paths: the frontend reaches them through
# `comfy_api_base_url` / `comfy_cloud_base_url`, which `/api/features` points at this server.
PLATFORM_ROUTERS: list = [
    customer_routes.router,
    customer_routes.events_router,
    customer_keys.router,
    billing_routes.router,
    billing_page.router,
    workspace_billing.router,
    release_routes.router,
    auth_routes.router,
    workspace_routes.router,
]


def create_app(config: ServerConfig) -> FastAPI:
    app = FastAPI(title="comfyd", lifespan=_lifespan, docs_url=None, redoc_url=None)
    app.state.config = config
    errors.install(app)
    install_accounts_errors(app)
    customer_routes.install_error_handlers(app)
    billing_routes.install_error_handlers(app)
    release_routes.install_error_handlers(app)
    workspace_routes.install_error_handlers(app)
    assets.install_error_handlers(app)
    # Every data route resolves the request's scope first: with sign-in required that is where a
    # request without an identity is refused, and where its folders become its workspace's.
    scoped = [Depends(request_scope)]
    for router in COMFY_ROUTERS:
        app.include_router(router, dependencies=scoped)
        app.include_router(router, prefix="/api", include_in_schema=False, dependencies=scoped)
    for router in PUBLIC_COMFY_ROUTERS:
        app.include_router(router)
        app.include_router(router, prefix="/api", include_in_schema=False)
    app.include_router(files.internal_router, prefix="/internal", dependencies=scoped)
    app.add_middleware(BodySizeLimit, max_size=config.max_upload_size)
    app.include_router(internal.router, prefix="/internal", dependencies=scoped)
    for router in PLATFORM_ROUTERS:
        app.include_router(router)
    # Under /api only: `/assets/*` at the root is the frontend's static files.
    app.include_router(assets.router, prefix="/api")
    # Mounted once: pack files, templates and the page itself have no /api twin in ComfyUI.
    app.include_router(extensions.files)
    app.include_router(templates.router)
    app.include_router(frontend.router)
    middleware.install(app, config)
    if config.registry_prefix:
        # Filled in by the lifespan, once the database it needs is ready.
        app.state.registry_mount = RegistryMount()
        app.mount(config.registry_prefix, app.state.registry_mount, name="registry")
    # Last: the web root matches every path, so it must come after every route.
    app.mount("/", FrontendFiles(), name="frontend")
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services = await build_services(app.state.config)
    app.state.services = services
    app.state.accounts = services.accounts  # read by the platform's identity dependencies
    app.state.auth = services.auth  # the identity dependencies' authenticator: JWTs and workspaces too
    app.state.workspaces = services.workspaces
    try:
        async with _registry(app, services) as registry_app:
            if registry_app is not None:
                registry_app.state.auth = services.auth  # the same identities in the registry
            yield
    finally:
        await shutdown(services)


def _registry(app: FastAPI, services: Services) -> contextlib.AbstractAsyncContextManager:
    """The registry sub-application on the server's database, while the server runs."""
    mount = getattr(app.state, "registry_mount", None)
    if mount is None:
        return contextlib.nullcontext()
    config = services.config
    return mounted_registry(
        mount, sessions=services.sessions, accounts=services.accounts, archive_root=config.registry_archive_root
    )


async def build_services(config: ServerConfig) -> Services:
    log_buffer = LogBuffer()
    log_buffer.install()  # first, so the terminal panel shows start-up (pack imports included)
    layout, pack_dirs = build_folders(config)
    registry = build_registry(config, pack_dirs)
    engine = create_engine(config.effective_database_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    # Counts live in memory when this process's worker is the only other writer (embedded mode).
    counts = QueueCounts() if config.run_worker else None
    job_queue = JobQueue(sessions, counts)
    await job_queue.start()
    bus = MemoryEventBus()
    worker = None
    lost: list[str] = []
    if config.run_worker:
        lost = await job_queue.recover_lost(LOST_REASON)
        if lost:
            logger.warning("Marked %d prompt(s) as lost after an unclean stop: %s", len(lost), ", ".join(lost))
        worker = Worker(
            registry=registry,
            database_url=config.effective_database_url,
            bus=bus,
            cache_factory=cache_factory(config),
            counts=counts,
            scoped=config.auth == "required",
        )
    services = Services(
        config=config,
        folders=layout,
        registry=registry,
        engine=engine,
        sessions=sessions,
        queue=job_queue,
        history=History(sessions),
        listing=JobListing(sessions),
        bus=bus,
        hub=None,  # type: ignore[arg-type]  (set just below; it needs the services' callbacks)
        prompts=PromptService(registry=registry, queue=job_queue, on_queued=worker.wake if worker else _nothing),
        worker=worker,
        users=UserServices.open(
            config.user_root, multi_user=config.multi_user, signed_in=config.auth == "required"
        ),
        viewer=FileViewer(layout),
        uploads=Uploads(layout),
        catalog=ModelCatalog(layout),
        packs=PackFiles(folders=layout, registry=registry),
        frontend=Frontend.locate(config.front_end_root),
        logs=log_buffer,
        accounts=AccountService(sessions),
        **customer_services(sessions),
    )
    services.hub = WebSocketHub(
        bus=bus,
        server_flags=services.feature_flags(),
        queue_remaining=job_queue.remaining,
        on_client_interrupt=services.interrupt_for_client,
    )
    services.hub.start()
    log_buffer.stream_to(services.hub)
    services.workspaces = WorkspaceServices.build(sessions, services.events)
    services.auth = AuthService.build(
        config, sessions=sessions, accounts=services.accounts, workspaces=services.workspaces.workspaces
    )
    await services.auth.start()
    services.assets = build_asset_downloads(config, folders=layout, sessions=sessions, hub=services.hub)
    await services.assets.resume_unfinished()
    if services.events is not None and services.credits is not None and services.billing_owners is not None:
        services.usage = UsageTracker(
            queue=job_queue,
            registry=registry,
            events=services.events,
            ledger=services.credits,
            owners=services.billing_owners,
        )
        services.usage.start()
        bus.subscribe(services.usage)
    await _tell_owners_of_lost_prompts(services, lost)
    if worker is not None:
        worker.start()
    return services


async def _tell_owners_of_lost_prompts(services: Services, lost: list[str]) -> None:
    """Queue a `notification` for each lost prompt's client; it arrives when the client reconnects."""
    for prompt_id in lost:
        record = await services.queue.get(prompt_id)
        if record is not None and record.client_id:
            services.hub.notify(
                f"Prompt {prompt_id} was lost: {LOST_REASON}", client_id=record.client_id, id=f"lost:{prompt_id}"
            )


async def shutdown(services: Services) -> None:
    if services.worker is not None:
        services.worker.stop()
    if services.assets is not None:
        await services.assets.close()  # before the engine goes: stopping tasks may still write rows
    await services.hub.stop()
    if services.usage is not None:
        await services.usage.stop()
    if services.accounts is not None:
        await services.accounts.drain()
    await services.engine.dispose()
    if services.logs is not None:
        services.logs.uninstall()


def _nothing() -> None:
    pass
