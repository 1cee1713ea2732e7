"""`/`: the official frontend's page, with a policy that keeps it talking only to this server.

The rest of the web root is served by `staticfiles.FrontendFiles`, mounted last at `/`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from comfyd.server.deps import FrontendDep
from comfyd.server.staticfiles import index_response

router = APIRouter()


@router.get("/")
@router.get("/index.html")
def index(request: Request, frontend: FrontendDep) -> Response:
    return index_response(frontend, request.headers.get("host"))
