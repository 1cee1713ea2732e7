"""`ComfyIdentity` under the auth mode switch, on HTTP routes and WebSocket handshakes, through a
small app served by a real uvicorn on a real (migrated SQLite) database: with `auth="off"` it is
None whatever is sent; with `"required"` it needs credentials, in headers or, on a socket, in the
`token` and `workspace_id` query parameters a browser can send."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict

import httpx
import pytest
import websockets
from fastapi import FastAPI, WebSocket

from comfyd.config import ServerConfig
from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.identity import Credentials, install_error_handlers
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.auth.dependencies import ComfyIdentity
from comfyd.platform.auth.service import AuthService
from comfyd.platform.customers.events import EventLog
from comfyd.platform.workspaces.models import WorkspaceCreate
from comfyd.platform.workspaces.service import WorkspaceService
from uvicorn_thread import served


def identity_app(database_url: str, auth: str) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(database_url)
        sessions = session_factory(engine)
        app.state.accounts = AccountService(sessions)
        app.state.workspaces = WorkspaceService(sessions, EventLog(sessions))
        app.state.auth = AuthService.build(
            app.state.config, sessions=sessions, accounts=app.state.accounts, workspaces=app.state.workspaces
        )
        yield
        await app.state.accounts.drain()
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.config = ServerConfig(auth=auth)
    install_error_handlers(app)

    @app.get("/whoami")
    async def whoami(identity: ComfyIdentity) -> dict:
        return {"identity": asdict(identity) if identity else None}

    @app.websocket("/ws")
    async def events(websocket: WebSocket, identity: ComfyIdentity) -> None:
        await websocket.accept()
        await websocket.send_json({"identity": asdict(identity) if identity else None})
        await websocket.close()

    return app


@pytest.fixture
def database_url(database_path) -> str:
    return f"sqlite+aiosqlite:///{database_path}"


@pytest.fixture
def people(database_url):
    """Ada (with an API key) and a team she owns, made on the test's database."""

    async def make() -> dict:
        engine = create_engine(database_url)
        sessions = session_factory(engine)
        accounts = AccountService(sessions)
        workspaces = WorkspaceService(sessions, EventLog(sessions))
        ada = await accounts.create_user(email="ada@example.com")
        key, _ = await accounts.create_api_key(user_id=ada.id)
        personal = await workspaces.personal(ada.id)
        auth = AuthService.build(ServerConfig(), sessions=sessions, accounts=accounts, workspaces=workspaces)
        identity = await auth.authenticate(Credentials(api_key=key))
        team = await workspaces.create(identity, WorkspaceCreate(name="Team"))
        team_token = (await auth.mint(identity, team.id)).token
        await accounts.drain()
        await engine.dispose()
        return {
            "user": ada.id,
            "key": key,
            "personal": personal.workspace.id,
            "team": team.id,
            "token": team_token,
        }

    return asyncio.run(make())


@pytest.fixture
def required(database_url) -> Iterator[str]:
    with served(identity_app(database_url, "required"), ws="websockets-sansio") as address:
        yield address


@pytest.fixture
def off(database_url) -> Iterator[str]:
    with served(identity_app(database_url, "off"), ws="websockets-sansio") as address:
        yield address


async def socket_identity(url: str, **headers) -> dict | None:
    async with websockets.connect(url, additional_headers=headers) as ws:
        return json.loads(await ws.recv())["identity"]


async def refused_handshake(url: str, **headers) -> int:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await socket_identity(url, **headers)
    return refused.value.response.status_code


def test_with_auth_off_there_is_no_identity_whatever_is_sent(off, people):
    for headers in [{}, {"X-API-Key": people["key"]}, {"X-API-Key": "comfyui-" + "0" * 64}]:
        assert httpx.get(f"http://{off}/whoami", headers=headers).json() == {"identity": None}


@pytest.mark.anyio
async def test_with_auth_off_a_socket_opens_without_credentials(off):
    assert await socket_identity(f"ws://{off}/ws") is None


def test_with_auth_required_a_request_needs_credentials(required, people):
    refused = httpx.get(f"http://{required}/whoami")
    bad = httpx.get(f"http://{required}/whoami", headers={"X-API-Key": "comfyui-" + "0" * 64})
    good = httpx.get(f"http://{required}/whoami", headers={"X-API-Key": people["key"]})

    assert refused.status_code == 401 and bad.status_code == 401
    identity = good.json()["identity"]
    assert (identity["user_id"], identity["workspace_id"], identity["workspace_role"]) == (
        people["user"],
        people["personal"],
        "owner",
    )


def test_a_request_names_its_workspace_with_comfy_workspace_id(required, people):
    headers = {"X-API-Key": people["key"], "Comfy-Workspace-Id": people["team"]}
    identity = httpx.get(f"http://{required}/whoami", headers=headers).json()["identity"]
    assert identity["workspace_id"] == people["team"]


@pytest.mark.anyio
async def test_a_socket_signs_in_with_query_parameters(required, people):
    by_key = await socket_identity(f"ws://{required}/ws?token={people['key']}")
    by_key_in_team = await socket_identity(
        f"ws://{required}/ws?token={people['key']}&workspace_id={people['team']}"
    )
    by_token = await socket_identity(f"ws://{required}/ws?token={people['token']}")

    assert (by_key["user_id"], by_key["workspace_id"], by_key["auth_method"]) == (
        people["user"],
        people["personal"],
        "api_key",
    )
    assert by_key_in_team["workspace_id"] == people["team"]
    assert (by_token["workspace_id"], by_token["auth_method"]) == (people["team"], "workspace_token")


@pytest.mark.anyio
async def test_a_socket_signs_in_with_headers_too(required, people):
    identity = await socket_identity(f"ws://{required}/ws", **{"X-API-Key": people["key"]})
    assert identity["user_id"] == people["user"]


@pytest.mark.anyio
async def test_a_socket_without_good_credentials_is_refused_at_the_handshake(required, people):
    assert await refused_handshake(f"ws://{required}/ws") == 403
    assert await refused_handshake(f"ws://{required}/ws?token=comfyui-{'0' * 64}") == 403
    assert await refused_handshake(f"ws://{required}/ws?token={people['key']}&workspace_id=not-mine") == 403
