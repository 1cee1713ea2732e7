"""Archive transfer: the signed upload URL comfy-cli `PUT`s a pack's zip to, and the download URL
(`downloadUrl`) installers fetch it from. Both are comfyd's own; api.comfy.org uses cloud storage.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from comfyd.platform.registry.deps import CatalogDep, LifecycleDep, Services

router = APIRouter(tags=["Registry archives"])

ZIP = "application/zip"


@router.put("/archives/uploads/{token}")
async def upload_archive(token: str, request: Request, lifecycle: LifecycleDep) -> Response:
    # comfy-cli treats only 200 as success (201 and 204 fail), so the answer is a bare 200.
    await lifecycle.receive_archive(token, request.stream())
    return Response(status_code=200)


@router.get("/archives/{publisher_id}/{node_id}/{file_name}")
async def download_archive(
    publisher_id: str, node_id: str, file_name: str, catalog: CatalogDep, services: Services
) -> Response:
    key = await catalog.archive_key(publisher_id, node_id, file_name)
    path = services.storage.path_for(key)
    if path is not None:
        return FileResponse(path, media_type=ZIP, filename=file_name)
    return StreamingResponse(services.storage.open(key), media_type=ZIP)
