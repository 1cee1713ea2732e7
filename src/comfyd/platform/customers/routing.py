"""A route class for the platform's routers: request validation failures become a domain error.

FastAPI answers a bad query or body with its own 422 shape before the route runs; the peer answers
400 with `{"error", "message"}`, and some routes with a fixed message the frontend expects
("Invalid input, object invalid"). A router built with `route_class=invalid_input_as(SomeError)`
raises `SomeError(details)` instead, which the feature's one error handler translates.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute


def describe(exc: RequestValidationError) -> str:
    """The validation problems as one line: `limit: Input should be a valid integer; ...`."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "body", "path"))
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg")))
    return "; ".join(problems)


def invalid_input_as(error: Callable[[str], Exception]) -> type[APIRoute]:
    """An `APIRoute` subclass whose routes raise `error(details)` for a request that fails validation."""

    class InvalidInputRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def translated(request: Request) -> Response:
                try:
                    return await handler(request)
                except RequestValidationError as exc:
                    raise error(describe(exc)) from exc

            return translated

    return InvalidInputRoute
