"""What custom node packs give the frontend: web extensions, translations, example workflows, blueprints.

`router` is mounted at `/x` and `/api/x`. `files` serves the packs' files and is mounted once:
`/extensions/<pack>/...` without the `/api` twin, `/api/workflow_templates/<pack>/...` only with it,
as ComfyUI registers them. Handlers that scan folders are plain functions, so they run in the
thread pool.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from comfyd.server.deps import FrontendDep, Packs
from comfyd.server.staticfiles import file_or_404

router = APIRouter()
files = APIRouter()


@router.get("/extensions")
def extensions(frontend: FrontendDep, packs: Packs) -> list[str]:
    """The frontend's own `extensions/**/*.js`, then every pack's web `.js` files."""
    return frontend.core_extension_urls() + packs.extension_urls()


@router.get("/i18n")
def translations(packs: Packs) -> dict:
    return packs.translations()


@router.get("/workflow_templates")
def workflow_templates(packs: Packs) -> dict[str, list[str]]:
    return packs.workflow_templates()


@router.get("/global_subgraphs")
def subgraphs(packs: Packs) -> dict:
    return packs.subgraphs()


@router.get("/global_subgraphs/{blueprint_id}")
def subgraph(blueprint_id: str, packs: Packs) -> JSONResponse:
    """One blueprint with its workflow text in `data`; `null` for an unknown id, as ComfyUI."""
    return JSONResponse(packs.subgraph(blueprint_id))


@files.get("/extensions/{pack}/{path:path}")
def extension_file(pack: str, path: str, packs: Packs, frontend: FrontendDep) -> Response:
    """A pack's web file; names that are not packs fall through to the frontend's own folder."""
    if packs.has_web_directory(pack):
        return file_or_404(packs.web_file(pack, path))
    return file_or_404(frontend.extension_file(f"{pack}/{path}"))


@files.get("/api/workflow_templates/{pack}/{path:path}")
def workflow_template_file(pack: str, path: str, packs: Packs) -> Response:
    return file_or_404(packs.workflow_template_file(pack, path))
