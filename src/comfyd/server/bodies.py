"""Reading request bodies the way ComfyUI's handlers do."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from comfyd.server.errors import InvalidBody


async def json_body(request: Request, *, default: Any = ..., expect: type | None = dict) -> Any:
    """The JSON body; `default` (if given) stands in for an empty or unparsable one."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        if default is not ...:
            return default
        raise InvalidBody(f"The body is not valid JSON: {exc}") from exc
    if data is None:
        if default is not ...:
            return default
        raise InvalidBody("The body is empty; a JSON object was expected.")
    if expect is not None and not isinstance(data, expect):
        if default is not ...:
            return default
        raise InvalidBody(f"Expected a JSON {expect.__name__}, got {type(data).__name__}.")
    return data


async def json_value(request: Request) -> Any:
    """The JSON body as any value, `null` included (`POST /settings/{id}` may store it)."""
    raw = await request.body()
    if not raw.strip():
        raise InvalidBody("The body is empty; a JSON value was expected.")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InvalidBody(f"The body is not valid JSON: {exc}") from exc
