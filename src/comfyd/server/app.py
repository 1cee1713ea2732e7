"""The app factory: builds the services, mounts the ComfyUI routes at `/x` and `/api/x`.

    app = create_app(ServerConfig(base_directory=path))
    uvicorn.run(app, port=8188)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from comfyd.config import ServerConfig
from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from comfyd.jobs.bus.memory import MemoryEventBus
from comfyd.jobs.history import History
from comfyd.jobs.listing import JobListing
from comfyd.jobs.prompts import PromptService
from comfyd.jobs.queue import JobQueue
from comfyd.jobs.worker import Worker
from comfyd.server import errors
from comfyd.server.routes import execution, history, jobs, nodes, prompt, queue, ws
from comfyd.server.services import Services, build_folders, build_registry, cache_factory
from comfyd.server.ws.hub import WebSocketHub

logger = logging.getLogger(__name__)

LOST_REASON = "The server stopped while this prompt was running; queue it again to run it."

# Routers registered as ComfyUI registers its routes: each path at /x and at /api/x.
COMFY_ROUTERS = [prompt.router, queue.router, history.router, jobs.router, execution.router, nodes.router, ws.router]


def create_app(config: ServerConfig) -> FastAPI:
    app = FastAPI(title="comfyd", lifespan=_lifespan, docs_url=None, redoc_url=None)
    app.state.config = config
    errors.install(app)
    for router in COMFY_ROUTERS:
        app.include_router(router)
        app.include_router(router, prefix="/api", include_in_schema=False)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services = await build_services(app.state.config)
    app.state.services = services
    try:
        yield
    finally:
        await shutdown(services)


async def build_services(config: ServerConfig) -> Services:
    layout, pack_dirs = build_folders(config)
    registry = build_registry(config, pack_dirs)
    engine = create_engine(config.effective_database_url)
    await upgrade(engine)
    sessions = session_factory(engine)
    job_queue = JobQueue(sessions)
    await job_queue.start()
    bus = MemoryEventBus()
    worker = None
    if config.run_worker:
        lost = await job_queue.recover_lost(LOST_REASON)
        if lost:
            logger.warning("Marked %d prompt(s) as lost after an unclean stop: %s", len(lost), ", ".join(lost))
        worker = Worker(
            registry=registry,
            database_url=config.effective_database_url,
            bus=bus,
            cache_factory=cache_factory(config),
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
    )
    services.hub = WebSocketHub(
        bus=bus,
        server_flags=services.feature_flags(),
        queue_remaining=job_queue.remaining,
        on_client_interrupt=services.interrupt_for_client,
    )
    services.hub.start()
    if worker is not None:
        worker.start()
    return services


async def shutdown(services: Services) -> None:
    if services.worker is not None:
        services.worker.stop()
    await services.hub.stop()
    await services.engine.dispose()


def _nothing() -> None:
    pass
