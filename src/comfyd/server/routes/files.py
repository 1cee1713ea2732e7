"""`/view`, `/viewvideo`, `/upload/image`, `/upload/mask`, `/view_metadata` and `/internal/files`.

The rules live in `comfyd.files`; these handlers read the query or form, call a service in a
worker thread (file and image work blocks) and shape the answer. Errors map in `server/errors.py`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from comfyd.files.locations import LocatedFile
from comfyd.files.media import media_type, served_headers
from comfyd.files.uploads import Upload
from comfyd.server.deps import UploadsDep, Viewer
from comfyd.server.schemas import StoredFile, documented

router = APIRouter()
# Mounted once, at /internal (ComfyUI's internal sub-app has no /api copy).
internal_router = APIRouter()


# aiohttp answers HEAD on every GET route; players probe videos with it.
@router.api_route("/view", methods=["GET", "HEAD"])
def view(request: Request, viewer: Viewer) -> Response:
    query = request.query_params
    file = viewer.locate(query.get("filename"), type_name=query.get("type"), subfolder=query.get("subfolder"))
    rendition = viewer.render(file, preview=query.get("preview"), channel=query.get("channel"))
    if rendition is None:
        return _file_response(file)
    return Response(rendition.data, media_type=rendition.media_type, headers=served_headers(file.name))


@router.api_route("/viewvideo", methods=["GET", "HEAD"])
def view_video(request: Request, viewer: Viewer) -> Response:
    """The file `/view` would find, always unchanged, so players can fetch it in ranges."""
    query = request.query_params
    file = viewer.locate(query.get("filename"), type_name=query.get("type"), subfolder=query.get("subfolder"))
    return _file_response(file)


@router.post("/upload/image", **documented(StoredFile))
async def upload_image(request: Request, uploads: UploadsDep) -> dict[str, str]:
    async with request.form() as form:
        stored = await run_in_threadpool(uploads.save_image, _upload(form))
    return stored.to_wire()


@router.post("/upload/mask")
async def upload_mask(request: Request, uploads: UploadsDep) -> dict[str, str]:
    async with request.form() as form:
        original_ref = form.get("original_ref")
        ref_text = original_ref if isinstance(original_ref, str) else None
        stored = await run_in_threadpool(uploads.save_mask, _upload(form), ref_text)
    return stored.to_wire()


@router.get("/view_metadata/{folder_name}")
def view_metadata(folder_name: str, viewer: Viewer, filename: str = "") -> Any:
    return viewer.model_metadata(folder_name, filename)


@internal_router.get("/files/{directory_type}")
def list_files(directory_type: str, viewer: Viewer) -> list[str]:
    return viewer.list_directory(directory_type)


def _file_response(file: LocatedFile) -> FileResponse:
    # Starlette's FileResponse answers Range requests (206, Content-Range) on its own.
    return FileResponse(
        file.path, media_type=media_type(file.name), headers=served_headers(file.name), stat_result=file.stat
    )


def _upload(form: FormData) -> Upload:
    image = form.get("image")
    is_file = isinstance(image, UploadFile)
    return Upload(
        content=image.file if is_file else None,
        filename=image.filename if is_file else None,
        type_name=_text(form, "type"),
        subfolder=_text(form, "subfolder") or "",
        overwrite=_text(form, "overwrite") in ("true", "1"),
    )


def _text(form: FormData, field: str) -> str | None:
    value = form.get(field)
    return value if isinstance(value, str) else None
