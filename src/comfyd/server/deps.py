"""Dependency aliases: how routes reach the services built in the app factory.

Every dependency is `async def`: FastAPI runs a plain `def` dependency in its thread pool, and
a thread hop per lookup costs more than the lookup itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from comfyd.config import ServerConfig
from comfyd.engine.folders import FolderPaths
from comfyd.engine.registry import NodeRegistry
from comfyd.files.uploads import Uploads
from comfyd.files.viewing import FileViewer
from comfyd.jobs.history import History
from comfyd.jobs.listing import JobListing
from comfyd.jobs.prompts import PromptService
from comfyd.jobs.queue import JobQueue
from comfyd.server.catalog import ModelCatalog
from comfyd.server.frontend import Frontend
from comfyd.server.logbuffer import LogBuffer
from comfyd.server.packfiles import PackFiles
from comfyd.server.services import Services
from comfyd.users.directory import UserDirectory
from comfyd.users.settings import UserSettings
from comfyd.users.userdata import UserData


def services(request: Request) -> Services:
    return request.app.state.services


async def _services(request: Request) -> Services:
    return request.app.state.services


async def _config(request: Request) -> ServerConfig:
    return services(request).config


async def _queue(request: Request) -> JobQueue:
    return services(request).queue


async def _history(request: Request) -> History:
    return services(request).history


async def _listing(request: Request) -> JobListing:
    return services(request).listing


async def _prompts(request: Request) -> PromptService:
    return services(request).prompts


async def _registry(request: Request) -> NodeRegistry:
    return services(request).registry


async def _folders(request: Request) -> FolderPaths:
    return services(request).folders


async def _viewer(request: Request) -> FileViewer:
    return services(request).viewer


async def _uploads(request: Request) -> Uploads:
    return services(request).uploads


async def _user_directory(request: Request) -> UserDirectory:
    return services(request).users.directory


async def _user_settings(request: Request) -> UserSettings:
    return services(request).users.settings


async def _user_data(request: Request) -> UserData:
    return services(request).users.data


async def _catalog(request: Request) -> ModelCatalog:
    return services(request).catalog


async def _packs(request: Request) -> PackFiles:
    return services(request).packs


async def _frontend(request: Request) -> Frontend:
    return services(request).frontend


async def _logs(request: Request) -> LogBuffer:
    return services(request).logs


async def request_user(request: Request) -> str:
    """The user a request acts for: `Comfy-User` with `--multi-user`, else "default" (as ComfyUI)."""
    if not services(request).config.multi_user:
        return "default"
    return request.headers.get("comfy-user") or "default"


async def owner_filter(request: Request) -> str | None:
    """Whose jobs a request may see: its own with `--multi-user`, everyone's otherwise."""
    return request_user(request) if services(request).config.multi_user else None


ServicesDep = Annotated[Services, Depends(_services)]
Config = Annotated[ServerConfig, Depends(_config)]
Queue = Annotated[JobQueue, Depends(_queue)]
HistoryDep = Annotated[History, Depends(_history)]
Listing = Annotated[JobListing, Depends(_listing)]
Prompts = Annotated[PromptService, Depends(_prompts)]
Registry = Annotated[NodeRegistry, Depends(_registry)]
Folders = Annotated[FolderPaths, Depends(_folders)]
Viewer = Annotated[FileViewer, Depends(_viewer)]
UploadsDep = Annotated[Uploads, Depends(_uploads)]
User = Annotated[str, Depends(request_user)]
Owner = Annotated[str | None, Depends(owner_filter)]
UserDirectoryDep = Annotated[UserDirectory, Depends(_user_directory)]
SettingsDep = Annotated[UserSettings, Depends(_user_settings)]
UserDataDep = Annotated[UserData, Depends(_user_data)]
Catalog = Annotated[ModelCatalog, Depends(_catalog)]
Packs = Annotated[PackFiles, Depends(_packs)]
FrontendDep = Annotated[Frontend, Depends(_frontend)]
Logs = Annotated[LogBuffer, Depends(_logs)]
