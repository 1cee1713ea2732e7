"""Dependency aliases: how routes reach the services built in the app factory."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from comfyd.config import ServerConfig
from comfyd.engine.folders import FolderPaths
from comfyd.engine.registry import NodeRegistry
from comfyd.jobs.history import History
from comfyd.jobs.listing import JobListing
from comfyd.jobs.prompts import PromptService
from comfyd.jobs.queue import JobQueue
from comfyd.server.services import Services


def services(request: Request) -> Services:
    return request.app.state.services


def _config(request: Request) -> ServerConfig:
    return services(request).config


def _queue(request: Request) -> JobQueue:
    return services(request).queue


def _history(request: Request) -> History:
    return services(request).history


def _listing(request: Request) -> JobListing:
    return services(request).listing


def _prompts(request: Request) -> PromptService:
    return services(request).prompts


def _registry(request: Request) -> NodeRegistry:
    return services(request).registry


def _folders(request: Request) -> FolderPaths:
    return services(request).folders


def request_user(request: Request) -> str:
    """The user a request acts for: `Comfy-User` with `--multi-user`, else "default" (as ComfyUI)."""
    if not services(request).config.multi_user:
        return "default"
    return request.headers.get("comfy-user") or "default"


def owner_filter(request: Request) -> str | None:
    """Whose jobs a request may see: its own with `--multi-user`, everyone's otherwise."""
    return request_user(request) if services(request).config.multi_user else None


ServicesDep = Annotated[Services, Depends(services)]
Config = Annotated[ServerConfig, Depends(_config)]
Queue = Annotated[JobQueue, Depends(_queue)]
HistoryDep = Annotated[History, Depends(_history)]
Listing = Annotated[JobListing, Depends(_listing)]
Prompts = Annotated[PromptService, Depends(_prompts)]
Registry = Annotated[NodeRegistry, Depends(_registry)]
Folders = Annotated[FolderPaths, Depends(_folders)]
User = Annotated[str, Depends(request_user)]
Owner = Annotated[str | None, Depends(owner_filter)]
