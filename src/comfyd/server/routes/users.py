"""`/users`, `/settings` and `/userdata`: what ComfyUI keeps per user (the rules are in `comfyd.users`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from comfyd.server.bodies import json_body, json_value
from comfyd.server.deps import SettingsDep, User, UserDataDep, UserDirectoryDep
from comfyd.users.models import FileInfo

router = APIRouter()


@router.get("/users")
async def get_users(directory: UserDirectoryDep, user: User) -> dict:
    if directory.is_signed_in:
        # The accounts are not listed to each other: a signed-in caller sees only itself.
        return {"storage": "server", "users": {user: user}}
    if directory.is_multi_user:
        return {"storage": "server", "users": directory.users}
    return {"storage": "server", "migrated": directory.is_migrated}


@router.post("/users")
async def add_user(request: Request, directory: UserDirectoryDep) -> JSONResponse:
    body = await json_body(request)
    return JSONResponse(directory.add(body.get("username")))


@router.get("/settings")
async def get_settings(settings: SettingsDep, user: User) -> dict:
    return settings.read(user)


@router.get("/settings/{setting_id}")
async def get_setting(setting_id: str, settings: SettingsDep, user: User) -> JSONResponse:
    return JSONResponse(settings.get(user, setting_id))


@router.post("/settings")
async def update_settings(request: Request, settings: SettingsDep, user: User) -> Response:
    settings.update(user, await json_body(request))
    return Response(status_code=200)


@router.post("/settings/{setting_id}")
async def put_setting(setting_id: str, request: Request, settings: SettingsDep, user: User) -> Response:
    settings.put(user, setting_id, await json_value(request))
    return Response(status_code=200)


@router.get("/userdata")
async def list_userdata(
    data: UserDataDep,
    user: User,
    directory: Annotated[str, Query(alias="dir")] = "",
    recurse: str = "",
    full_info: str = "",
    split: str = "",
) -> list:
    files = data.list_files(user, directory, recurse=_is_true(recurse))
    if _is_true(full_info):
        return [f.as_dict() for f in files]
    if _is_true(split):
        return [[f.path, *f.path.split("/")] for f in files]
    return [f.path for f in files]


@router.get("/v2/userdata")
async def browse_userdata(data: UserDataDep, user: User, path: str = "") -> list:
    return [entry.as_dict() for entry in data.browse(user, path)]


# `{file}` is one URL segment in ComfyUI (clients send "/" as %2F); see `_segments` for why these
# routes match the rest of the path and split the raw path themselves.
@router.get("/userdata/{file:path}")
async def get_userdata(request: Request, data: UserDataDep, user: User) -> FileResponse:
    [name] = _segments(request, shape=1)
    return FileResponse(data.read(user, name))


@router.delete("/userdata/{file:path}")
async def delete_userdata(request: Request, data: UserDataDep, user: User) -> Response:
    [name] = _segments(request, shape=1)
    data.delete(user, name)
    return Response(status_code=204)


@router.post("/userdata/{file:path}")
async def post_userdata(request: Request, data: UserDataDep, user: User) -> JSONResponse:
    """`POST /userdata/{file}` stores the raw body; `POST /userdata/{file}/move/{dest}` renames."""
    overwrite = request.query_params.get("overwrite", "true") != "false"  # only "false" turns it off
    segments = _segments(request, shape=None)
    if len(segments) == 1:
        stored = data.write(user, segments[0], await request.body(), overwrite=overwrite)
    elif len(segments) == 3 and segments[1] == "move":
        stored = data.move(user, segments[0], segments[2], overwrite=overwrite)
    else:
        raise HTTPException(status_code=404)
    return JSONResponse(_stored(stored, full_info=_is_true(request.query_params.get("full_info", ""))))


def _segments(request: Request, *, shape: int | None) -> list[str]:
    """The path segments after `userdata/`, each percent-decoded once.

    aiohttp matches `{file}` against the undecoded path, so `workflows%2Fa.json` is one segment.
    Starlette matches the decoded path, where that is two, so these routes take the whole rest of
    the path and split the raw one here. `shape` is the number of segments the route needs.
    """
    raw = request.scope.get("raw_path") or request.url.path.encode()
    parts = raw.decode("ascii", "replace").split("/")
    prefix = 3 if request.url.path.startswith("/api/") else 2  # "", ["api",] "userdata"
    segments = [unquote(part) for part in parts[prefix:]]
    if not segments or (shape is not None and len(segments) != shape):
        raise HTTPException(status_code=404)
    return segments


def _stored(info: FileInfo, *, full_info: bool) -> Any:
    return info.as_dict() if full_info else info.path


def _is_true(flag: str) -> bool:
    return flag.lower() == "true"
