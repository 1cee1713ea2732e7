"""Translating domain exceptions into ComfyUI's error shapes, in one place."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse

from comfyd.files.errors import FileAccessDenied, FileNotFound, InvalidFileRequest, UnknownDirectoryType
from comfyd.jobs.errors import JobNotFound, PromptIdConflict
from comfyd.jobs.prompts import PromptRejected
from comfyd.users.errors import (
    DuplicateUsername,
    InvalidBrowsePath,
    InvalidFilename,
    InvalidUsername,
    PathNotProvided,
    PathOutsideUserRoot,
    UnknownSettingsUser,
    UnknownUser,
    UserDataError,
    UserDataNotFound,
    UserFileExists,
    UsersManagedByAccounts,
)

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
    _install_user_errors(app)

    @app.exception_handler(PromptRejected)
    async def prompt_rejected(_request: Request, exc: PromptRejected) -> JSONResponse:
        return JSONResponse({"error": exc.error, "node_errors": exc.node_errors}, status_code=400)

    @app.exception_handler(PromptIdConflict)
    async def prompt_conflict(_request: Request, exc: PromptIdConflict) -> JSONResponse:
        return JSONResponse({"error": "prompt_id already exists", "prompt_id": exc.prompt_id}, status_code=409)

    @app.exception_handler(JobNotFound)
    async def job_not_found(_request: Request, exc: JobNotFound) -> JSONResponse:
        return JSONResponse({"error": "Job not found"}, status_code=404)

    # ComfyUI's file routes answer these with an empty body; the message helps and breaks nothing.
    @app.exception_handler(InvalidFileRequest)
    async def invalid_file_request(_request: Request, exc: InvalidFileRequest) -> JSONResponse:
        # `/internal/files/{type}` answers exactly this text in ComfyUI.
        message = "Invalid directory type" if isinstance(exc, UnknownDirectoryType) else str(exc)
        return JSONResponse({"error": message}, status_code=400)

    @app.exception_handler(FileAccessDenied)
    async def file_access_denied(_request: Request, exc: FileAccessDenied) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=403)

    @app.exception_handler(FileNotFound)
    async def file_not_found(_request: Request, exc: FileNotFound) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=404)

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


def _install_user_errors(app: FastAPI) -> None:
    """`comfyd.users` errors as ComfyUI answers them: `{"error"}` JSON on /users, short text elsewhere."""

    @app.exception_handler(DuplicateUsername)
    async def duplicate_username(_request: Request, exc: DuplicateUsername) -> JSONResponse:
        return JSONResponse({"error": "Duplicate username."}, status_code=400)

    @app.exception_handler(UsersManagedByAccounts)
    async def users_managed_by_accounts(_request: Request, exc: UsersManagedByAccounts) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(InvalidUsername)
    async def invalid_username(_request: Request, exc: InvalidUsername) -> JSONResponse:
        # ComfyUI answers a missing username with a 500 (KeyError); a client error is what it is.
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(UnknownSettingsUser)
    async def unknown_settings_user(_request: Request, exc: UnknownSettingsUser) -> PlainTextResponse:
        # 401 sends the frontend back to its user picker; the text is aiohttp's HTTPUnauthorized body.
        return PlainTextResponse("401: Unauthorized", status_code=401)

    @app.exception_handler(UnknownUser)
    async def unknown_user(_request: Request, exc: UnknownUser) -> PlainTextResponse:
        # ComfyUI answers this 403 on /v2/userdata and fails with a 500 on the other userdata routes.
        return PlainTextResponse("Invalid user specified in request", status_code=403)

    @app.exception_handler(UserDataError)
    async def user_data_error(_request: Request, exc: UserDataError) -> PlainTextResponse:
        status, text = _user_data_reply(exc)
        return PlainTextResponse(text, status_code=status)


def _user_data_reply(exc: UserDataError) -> tuple[int, str]:
    """ComfyUI's status and text for a user-data error ("Invalid directory", "File already exists")."""
    kind = exc.kind.capitalize()
    match exc:
        case PathNotProvided():
            return 400, f"{kind} not provided"
        case PathOutsideUserRoot():
            return 403, f"Invalid {exc.kind}"
        case InvalidBrowsePath(is_outside=True):
            return 400, "Invalid path requested"
        case InvalidBrowsePath():
            return 400, "Requested path is not a directory"
        case UserDataNotFound():
            return 404, f"{kind} not found"
        case UserFileExists():
            return 409, "File already exists"
        case InvalidFilename():
            return 400, 'Invalid filename. Please avoid special characters like :\\/*?"<>|'
    raise TypeError(f"No reply is defined for {type(exc).__name__}.")
