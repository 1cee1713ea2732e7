"""Dependency aliases: how routes reach the services built in the app factory.

Every dependency is `async def`: FastAPI runs a plain `def` dependency in its thread pool, and
a thread hop per lookup costs more than the lookup itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from comfyd.config import ServerConfig
from comfyd.engine.folders import FolderPaths
from comfyd.engine.registry import NodeRegistry
from comfyd.files.uploads import Uploads
from comfyd.files.viewing import FileViewer
from comfyd.jobs.history import History
from comfyd.jobs.listing import JobListing
from comfyd.jobs.prompts import PromptService
from comfyd.jobs.queue import JobQueue
from comfyd.platform.accounts.identity import require_identity
from comfyd.server.catalog import ModelCatalog
from comfyd.server.frontend import Frontend
from comfyd.server.logbuffer import LogBuffer
from comfyd.server.packfiles import PackFiles
from comfyd.server.services import Services
from comfyd.users.directory import UserDirectory, signed_in_key
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


@dataclass(frozen=True)
class RequestScope:
    """Whose data a ComfyUI route acts on.

    `user` names the user directory (settings, userdata); `owner` is stored on the jobs a request
    queues and filters the jobs it may see (None: everyone's, as ComfyUI); `files` scopes the
    input, output and temp folders (None: shared).

    | mode                 | user                  | owner          | files     |
    |----------------------|-----------------------|----------------|-----------|
    | single user          | "default"             | None           | None      |
    | `--multi-user`       | `Comfy-User`          | `Comfy-User`   | None      |
    | `--auth required`    | `<user>@<workspace>`  | workspace id   | workspace |
    """

    user: str
    owner: str | None
    files: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.files is not None

    @property
    def job_owner(self) -> str:
        """What a queued job's `user_id` holds."""
        return self.owner or self.user


_SCOPE_KEY = "comfyd_scope"


async def request_scope(request: Request) -> RequestScope:
    """The request's scope; with sign-in required, its identity's (401 without one).

    Entering the file scope here makes every folder a route or node reads the caller's: the
    context variable set by this dependency lasts for the rest of the request.
    """
    scope = getattr(request.state, _SCOPE_KEY, None)
    if scope is not None:
        return scope
    config = services(request).config
    if config.auth == "required":
        identity = await require_identity(request)
        workspace = identity.workspace_id
        scope = RequestScope(user=signed_in_key(identity.user_id, workspace), owner=workspace, files=workspace)
        services(request).folders.enter_scope(workspace)
    elif config.multi_user:
        user = request.headers.get("comfy-user") or "default"
        scope = RequestScope(user=user, owner=user)
    else:
        scope = RequestScope(user="default", owner=None)
    setattr(request.state, _SCOPE_KEY, scope)
    return scope


async def require_admin_when_signed_in(request: Request) -> None:
    """For what only operators may see once the server has accounts (the server's own log)."""
    if services(request).config.auth == "required":
        identity = await require_identity(request)
        if not identity.is_admin:
            raise HTTPException(status_code=403, detail="Only an administrator may read the server's log.")


async def request_user(request: Request) -> str:
    """The user a request acts for: `Comfy-User` with `--multi-user`, else "default" (as ComfyUI);
    `<user>@<workspace>` when sign-in is required."""
    return (await request_scope(request)).user


async def owner_filter(request: Request) -> str | None:
    """Whose jobs a request may see: its own with `--multi-user` or sign-in, everyone's otherwise."""
    return (await request_scope(request)).owner


async def job_owner(request: Request) -> str:
    """What the jobs a request queues are stored under."""
    return (await request_scope(request)).job_owner


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
JobOwner = Annotated[str, Depends(job_owner)]
Scope = Annotated[RequestScope, Depends(request_scope)]
UserDirectoryDep = Annotated[UserDirectory, Depends(_user_directory)]
SettingsDep = Annotated[UserSettings, Depends(_user_settings)]
UserDataDep = Annotated[UserData, Depends(_user_data)]
Catalog = Annotated[ModelCatalog, Depends(_catalog)]
Packs = Annotated[PackFiles, Depends(_packs)]
FrontendDep = Annotated[Frontend, Depends(_frontend)]
Logs = Annotated[LogBuffer, Depends(_logs)]
