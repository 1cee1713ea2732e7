"""Who a platform request acts as: the `Identity` dataclass, the `Credentials` a request or
WebSocket handshake carries, and the FastAPI dependencies that turn one into the other.

Credentials are read the way api.comfy.org and Comfy Cloud read them: an `X-API-Key: comfyui-…`
header, or else `Authorization: Bearer <token>`, where the token is a `comfyui-` API key or a JWT
(comfyd's own workspace token, or one from a configured identity provider); when both headers
are sent, `X-API-Key` wins. `Comfy-Workspace-Id` names the workspace to act in. Browsers cannot
set headers on a WebSocket, so a handshake may carry `?token=` and `?workspace_id=` instead, as
the Cloud frontend sends them.

The app's `Authenticator` checks them: `app.state.auth` when the app has one (comfyd.platform.auth,
which knows JWTs and workspaces), else `app.state.accounts`, which knows API keys alone.

    @router.get("/customers/api-keys")
    async def list_keys(identity: RequiredIdentity, ...) -> ...:
        ...
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Annotated, Protocol

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from comfyd.platform.accounts.errors import (
    AccountsError,
    ApiKeyNotFound,
    NoWorkspaceAccess,
    Unauthenticated,
    UserExists,
    UserNotFound,
)

API_KEY_SCHEME = "comfyui-"
WORKSPACE_HEADER = "comfy-workspace-id"


@dataclass(frozen=True)
class Identity:
    """The user a request acts as, and the workspace it acts in (None where nothing chose one).

    `workspace_role` is the user's role there (`owner` or `member`), checked against the database
    when the identity was made. `auth_method` says which credential proved it: `api_key`, `jwt`
    (an external identity provider's token) or `workspace_token` (one comfyd minted).
    """

    user_id: str
    email: str | None
    name: str | None
    is_admin: bool
    workspace_id: str | None = None
    workspace_role: str | None = None
    auth_method: str | None = None

    def in_workspace(self, workspace_id: str, role: str) -> Identity:
        """This identity acting in `workspace_id` with `role`."""
        return replace(self, workspace_id=workspace_id, workspace_role=role)


@dataclass(frozen=True)
class Credentials:
    """What a request presented: an API key, another bearer token, the workspace it names."""

    api_key: str | None = None
    bearer: str | None = None
    workspace_id: str | None = None

    @property
    def is_empty(self) -> bool:
        return self.api_key is None and self.bearer is None


class Authenticator(Protocol):
    """Turns credentials into an identity."""

    async def authenticate(self, credentials: Credentials) -> Identity | None:
        """Who `credentials` belong to, or None when they carry nothing this authenticator checks.

        Raises `Unauthenticated` for a credential it checks and refuses (unknown, revoked,
        expired, wrongly signed, a banned user's); an implementation that knows workspaces may
        also refuse a workspace the user is not a member of with its own permission error.
        """
        ...


# `connection.state` remembers the answer, so a route and its router's dependencies check once.
_STATE_KEY = "comfyd_identity"


def read_credentials(connection: HTTPConnection) -> Credentials:
    """The credentials in a request's headers, or a WebSocket handshake's headers and query.

    An empty header is no header. A token is taken from the query only on a WebSocket: in a
    plain request's URL it would end up in logs and browser history.
    """
    headers = connection.headers
    api_key = headers.get("x-api-key", "").strip() or None
    scheme, _, token = headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    workspace_id = headers.get(WORKSPACE_HEADER, "").strip()
    if connection.scope["type"] == "websocket":
        token = token or connection.query_params.get("token", "").strip()
        workspace_id = workspace_id or connection.query_params.get("workspace_id", "").strip()
    bearer = None
    if token.startswith(API_KEY_SCHEME):
        api_key = api_key or token
    elif token:
        bearer = token
    return Credentials(api_key=api_key, bearer=bearer, workspace_id=workspace_id or None)


async def optional_identity(connection: HTTPConnection) -> Identity | None:
    """The request's identity, or None when it sent no credentials the app checks.

    Credentials that were sent but do not work raise `Unauthenticated` rather than passing as
    anonymous, so a client never mistakes a broken key for a working one. Works on WebSocket
    handshakes too (where a refusal closes the socket with 1008).
    """
    if hasattr(connection.state, _STATE_KEY):
        return getattr(connection.state, _STATE_KEY)
    credentials = read_credentials(connection)
    identity = None
    if not credentials.is_empty:
        identity = await authenticator_of(connection).authenticate(credentials)
    setattr(connection.state, _STATE_KEY, identity)
    return identity


async def require_identity(connection: HTTPConnection) -> Identity:
    """The request's identity; raises `Unauthenticated` when it has none."""
    identity = await optional_identity(connection)
    if identity is None:
        raise Unauthenticated("This request needs an API key, in X-API-Key or as a Bearer token.")
    return identity


def authenticator_of(connection: HTTPConnection) -> Authenticator:
    state = connection.app.state
    return getattr(state, "auth", None) or state.accounts


def presented_api_key(connection: HTTPConnection) -> str | None:
    """The API key the request carries, or None."""
    return read_credentials(connection).api_key


OptionalIdentity = Annotated[Identity | None, Depends(optional_identity)]
RequiredIdentity = Annotated[Identity, Depends(require_identity)]

# Looked up along the exception's MRO, so a subclass inherits its parent's status; anything else answers 400.
_STATUS: dict[type[AccountsError], HTTPStatus] = {
    Unauthenticated: HTTPStatus.UNAUTHORIZED,
    NoWorkspaceAccess: HTTPStatus.FORBIDDEN,
    UserNotFound: HTTPStatus.NOT_FOUND,
    ApiKeyNotFound: HTTPStatus.NOT_FOUND,
    UserExists: HTTPStatus.CONFLICT,
}

# RFC 6455's "policy violation": the close code for a handshake whose credentials are refused.
POLICY_VIOLATION = 1008


def install_error_handlers(app: FastAPI) -> None:
    """Answer the accounts feature's exceptions in the platform shape `{"error", "message"}`, plus
    `code` where the exception has one (Comfy Cloud's clients branch on it)."""
    app.add_exception_handler(AccountsError, _accounts_error)


async def _accounts_error(connection: HTTPConnection, exc: Exception) -> JSONResponse | None:
    status = next((_STATUS[cls] for cls in type(exc).__mro__ if cls in _STATUS), HTTPStatus.BAD_REQUEST)
    if isinstance(connection, WebSocket):
        await close_refused(connection, str(exc))
        return None
    headers = {"WWW-Authenticate": "Bearer"} if status == HTTPStatus.UNAUTHORIZED else None
    body = {"error": status.phrase, "message": str(exc)}
    if getattr(exc, "code", None):
        body["code"] = exc.code
    return JSONResponse(body, status_code=status, headers=headers)


async def close_refused(websocket: WebSocket, reason: str) -> None:
    """Refuse a WebSocket handshake (or close an open socket) with 1008 and a short reason."""
    await websocket.close(code=POLICY_VIOLATION, reason=reason.encode()[:123].decode(errors="ignore"))
