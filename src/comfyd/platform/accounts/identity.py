"""Who a platform request acts as: the `Identity` dataclass and the FastAPI dependencies that find it.

Credentials are read the way api.comfy.org reads them (`ApiKeyAuth`): an `X-API-Key: comfyui-…`
header, or else `Authorization: Bearer comfyui-…`; when both are sent, `X-API-Key` wins.

    @router.get("/customers/api-keys")
    async def list_keys(identity: RequiredIdentity, ...) -> ...:
        ...
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from comfyd.platform.accounts.errors import (
    AccountsError,
    ApiKeyNotFound,
    Unauthenticated,
    UserExists,
    UserNotFound,
)

if TYPE_CHECKING:
    from comfyd.platform.accounts.service import AccountService


@dataclass(frozen=True)
class Identity:
    """The user a request acts as."""

    user_id: str
    email: str | None
    name: str | None
    is_admin: bool


# `request.state` remembers the answer, so a route and its router's dependencies check a key once.
_STATE_KEY = "comfyd_identity"


async def optional_identity(request: Request) -> Identity | None:
    """The request's identity, or None when it sent no API key.

    A key that was sent but does not work (unknown, revoked, a banned user's) raises
    `Unauthenticated` rather than passing as anonymous, so a client never mistakes a broken key for
    a working one. A Bearer token that is not a `comfyui-` key (a Firebase ID token, say) is not
    comfyd's to check, and counts as no key.
    """
    if hasattr(request.state, _STATE_KEY):
        return getattr(request.state, _STATE_KEY)
    key = presented_api_key(request)
    identity = None
    if key is not None:
        accounts: AccountService = request.app.state.accounts
        identity = await accounts.authenticate_api_key(key)
        if identity is None:
            raise Unauthenticated("The API key is not valid: it is unknown or revoked, or its user is banned.")
    setattr(request.state, _STATE_KEY, identity)
    return identity


async def require_identity(request: Request) -> Identity:
    """The request's identity; raises `Unauthenticated` when it has none."""
    identity = await optional_identity(request)
    if identity is None:
        raise Unauthenticated("This request needs an API key, in X-API-Key or as a Bearer token.")
    return identity


def presented_api_key(request: Request) -> str | None:
    """The API key the request carries, or None. An empty header is no header."""
    key = request.headers.get("x-api-key", "").strip()
    if key:
        return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token.startswith("comfyui-"):
        return token
    return None


OptionalIdentity = Annotated[Identity | None, Depends(optional_identity)]
RequiredIdentity = Annotated[Identity, Depends(require_identity)]

# Looked up along the exception's MRO, so a subclass inherits its parent's status; anything else answers 400.
_STATUS: dict[type[AccountsError], HTTPStatus] = {
    Unauthenticated: HTTPStatus.UNAUTHORIZED,
    UserNotFound: HTTPStatus.NOT_FOUND,
    ApiKeyNotFound: HTTPStatus.NOT_FOUND,
    UserExists: HTTPStatus.CONFLICT,
}


def install_error_handlers(app: FastAPI) -> None:
    """Answer the accounts feature's exceptions in the platform shape `{"error", "message"}`."""
    app.add_exception_handler(AccountsError, _accounts_error)


async def _accounts_error(_request: Request, exc: Exception) -> JSONResponse:
    status = next((_STATUS[cls] for cls in type(exc).__mro__ if cls in _STATUS), HTTPStatus.BAD_REQUEST)
    headers = {"WWW-Authenticate": "Bearer"} if status == HTTPStatus.UNAUTHORIZED else None
    body = {"error": status.phrase, "message": str(exc)}
    return JSONResponse(body, status_code=status, headers=headers)
