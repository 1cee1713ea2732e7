"""`/embeddings`, `/models` and `/experiment/models`: model folders and the files in them.

The handlers are plain functions: listing a folder walks the disk, so FastAPI runs them in its
thread pool rather than on the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from comfyd.server.deps import Catalog

router = APIRouter()


@router.get("/embeddings")
def embeddings(catalog: Catalog) -> list[str]:
    return catalog.embeddings()


@router.get("/models")
def model_types(catalog: Catalog) -> list[str]:
    return catalog.folder_names()


@router.get("/models/{folder}", response_model=None)
def models(folder: str, catalog: Catalog) -> list[str] | Response:
    files = catalog.filenames(folder)
    return Response(status_code=404) if files is None else files


@router.get("/experiment/models")
def model_folders(catalog: Catalog) -> list[dict]:
    return catalog.model_folders()


@router.get("/experiment/models/{folder}", response_model=None)
def model_files(folder: str, catalog: Catalog) -> list[dict] | Response:
    files = catalog.model_files(folder)
    return Response(status_code=404) if files is None else files
