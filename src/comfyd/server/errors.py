"""Translating domain exceptions into ComfyUI's error shapes, in one place."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from comfyd.jobs.errors import JobNotFound, PromptIdConflict
from comfyd.jobs.prompts import PromptRejected

logger = logging.getLogger(__name__)


def prompt_error(type_: str, message: str, details: str = "") -> dict:
    """ComfyUI's `POST /prompt` error body."""
    return {"error": {"type": type_, "message": message, "details": details, "extra_info": {}}, "node_errors": {}}


class InvalidBody(Exception):
    """A request body that is not the JSON the route needs."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


def install(app: FastAPI) -> None:
    @app.exception_handler(PromptRejected)
    async def prompt_rejected(_request: Request, exc: PromptRejected) -> JSONResponse:
        return JSONResponse({"error": exc.error, "node_errors": exc.node_errors}, status_code=400)

    @app.exception_handler(PromptIdConflict)
    async def prompt_conflict(_request: Request, exc: PromptIdConflict) -> JSONResponse:
        return JSONResponse({"error": "prompt_id already exists", "prompt_id": exc.prompt_id}, status_code=409)

    @app.exception_handler(JobNotFound)
    async def job_not_found(_request: Request, exc: JobNotFound) -> JSONResponse:
        return JSONResponse({"error": "Job not found"}, status_code=404)

    @app.exception_handler(InvalidBody)
    async def invalid_body(_request: Request, exc: InvalidBody) -> JSONResponse:
        return JSONResponse(prompt_error("invalid_json", "Invalid request body", exc.details), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": "Invalid request", "details": _describe(exc)}, status_code=400)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("Unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": {"type": "server_error", "message": "Internal server error", "details": str(exc)}}, status_code=500)


def _describe(exc: RequestValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
