"""`/system_stats`, `/features`, `/info` and `/config`: what the server says about itself."""

from __future__ import annotations

from fastapi import APIRouter, Request

from comfyd.server import system
from comfyd.server.deps import Config, ServicesDep

router = APIRouter()
# Answered without sign-in even when the server requires it: the frontend reads it before anyone
# can sign in.
public_router = APIRouter()


@router.get("/system_stats")
async def system_stats() -> dict:
    return system.system_stats()


@public_router.get("/features")
async def features(services: ServicesDep, request: Request) -> dict:
    """The `/ws` feature flags plus the remote config the frontend reads at boot."""
    https_origin = str(request.base_url).rstrip("/") if request.url.scheme == "https" else None
    return system.features(services.feature_flags(), https_origin)


@router.get("/info")
async def info() -> dict:
    return system.server_info()


@router.get("/config")
async def config(config: Config) -> dict:
    """The effective configuration, secrets left out."""
    return config.public()
