"""`/api/assets/download*`: download a model file into a model folder, follow it, cancel it.

Mounted under `/api` only: `/assets/...` at the root is where the frontend's own static files
live. Every route needs an API key (`X-API-Key` or `Authorization: Bearer comfyui-...`): a
download makes the server fetch a URL and write into folders every user shares, so starting one
is for administrators, and a download is visible to administrators and to whoever started it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from comfyd.assets.errors import (
    AssetDownloadError,
    DownloadConflict,
    DownloadNotFound,
    DownloadPermissionDenied,
    IllegalDownloadTransition,
)
from comfyd.assets.models import AssetDownload, AssetDownloadCreate
from comfyd.assets.service import AssetDownloads
from comfyd.platform.accounts.identity import Identity, RequiredIdentity

router = APIRouter(prefix="/assets", tags=["assets"])


async def _downloads(request: Request) -> AssetDownloads:
    return request.app.state.services.assets


Downloads = Annotated[AssetDownloads, Depends(_downloads)]


def requesting_client(body: AssetDownloadCreate, request: Request) -> str | None:
    """The `/ws` client to tell: the body's `client_id`, else `Comfy-Client-Id`, else `?clientId=`."""
    return (
        body.client_id
        or request.headers.get("comfy-client-id")
        or request.query_params.get("clientId")
        or None
    )


def client_scope(identity: Identity, request: Request) -> str | None:
    """The workspace whose sockets may hear about the download when sign-in is required (as a
    prompt's events reach only its workspace's sockets); None otherwise."""
    return identity.workspace_id if request.app.state.config.auth == "required" else None


@router.post("/download", status_code=HTTPStatus.ACCEPTED)
async def start_download(
    body: AssetDownloadCreate, request: Request, identity: RequiredIdentity, downloads: Downloads
) -> AssetDownload:
    return await downloads.start(
        body,
        owner_id=identity.user_id,
        is_admin=identity.is_admin,
        client_id=requesting_client(body, request),
        client_scope=client_scope(identity, request),
    )


@router.get("/downloads")
async def list_downloads(identity: RequiredIdentity, downloads: Downloads) -> list[AssetDownload]:
    return await downloads.visible_to(user_id=identity.user_id, is_admin=identity.is_admin)


@router.get("/download/{download_id}")
async def get_download(download_id: str, identity: RequiredIdentity, downloads: Downloads) -> AssetDownload:
    return await downloads.get(download_id, user_id=identity.user_id, is_admin=identity.is_admin)


@router.post("/download/{download_id}/cancel")
@router.delete("/download/{download_id}")
async def cancel_download(
    download_id: str, identity: RequiredIdentity, downloads: Downloads
) -> AssetDownload:
    return await downloads.cancel(download_id, user_id=identity.user_id, is_admin=identity.is_admin)


# Looked up along the exception's MRO; everything else (invalid requests, refused sources) is a 400.
_STATUS: dict[type[AssetDownloadError], HTTPStatus] = {
    DownloadPermissionDenied: HTTPStatus.FORBIDDEN,
    DownloadNotFound: HTTPStatus.NOT_FOUND,
    DownloadConflict: HTTPStatus.CONFLICT,
    IllegalDownloadTransition: HTTPStatus.CONFLICT,
}


def install_error_handlers(app: FastAPI) -> None:
    """Answer download errors as the platform routes do: `{"error": <phrase>, "message": ...}`."""
    app.add_exception_handler(AssetDownloadError, _download_error)


async def _download_error(_request: Request, exc: Exception) -> JSONResponse:
    status = next((_STATUS[cls] for cls in type(exc).__mro__ if cls in _STATUS), HTTPStatus.BAD_REQUEST)
    return JSONResponse({"error": status.phrase, "message": str(exc)}, status_code=status)
