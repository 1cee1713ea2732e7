"""`/templates/...`: the core workflow templates, from the `comfyui-workflow-templates` package.

Mounted once, without `/api` (the frontend fetches these as plain files). Without the package
the template index is empty, which the frontend shows as "no templates", rather than a 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from comfyd.server.deps import FrontendDep
from comfyd.server.staticfiles import file_or_404

router = APIRouter()


@router.get("/templates/{path:path}")
def template_file(path: str, frontend: FrontendDep) -> Response:
    found = frontend.template_file(path)
    if found is None and (empty := frontend.empty_template_index(path)) is not None:
        return JSONResponse(empty)
    return file_or_404(found)
