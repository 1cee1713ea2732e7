"""`/history`: finished prompts, paged from the database."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from comfyd.jobs.history import entry
from comfyd.server.bodies import json_body
from comfyd.server.deps import HistoryDep, Owner
from comfyd.server.errors import InvalidBody
from comfyd.server.schemas import History, documented

router = APIRouter()


def _int(value: str | None, name: str, default: int | None) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidBody(f"{name} must be an integer, not {value!r}") from exc


@router.get("/history", **documented(History))
async def get_history(request: Request, history: HistoryDep, owner: Owner) -> dict:
    max_items = _int(request.query_params.get("max_items"), "max_items", None)
    offset = _int(request.query_params.get("offset"), "offset", -1)
    records = await history.page(max_items=max_items, offset=offset, user_id=owner)
    return {r.id: entry(r) for r in records}


@router.get("/history/{prompt_id}", **documented(History))
async def get_history_item(prompt_id: str, history: HistoryDep, owner: Owner) -> dict:
    record = await history.get(prompt_id, user_id=owner)
    return {} if record is None else {record.id: entry(record)}


@router.post("/history")
async def edit_history(request: Request, history: HistoryDep, owner: Owner) -> Response:
    body = await json_body(request)
    if body.get("clear"):
        await history.delete(None, user_id=owner)
    if isinstance(body.get("delete"), list):
        await history.delete([str(i) for i in body["delete"]], user_id=owner)
    return Response(status_code=200)
