"""`OptionalIdentity`, `RequiredIdentity` and the platform error shape, through a small FastAPI app.

Every test runs twice: in-process through `httpx.ASGITransport`, and over TCP against the same app
served by a real uvicorn in a thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import asdict

import httpx
import pytest
from fastapi import FastAPI

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.errors import UserExists, UserNotFound
from comfyd.platform.accounts.identity import OptionalIdentity, RequiredIdentity, install_error_handlers
from comfyd.platform.accounts.service import AccountService
from uvicorn_thread import served

pytestmark = pytest.mark.anyio


def identity_app(database_url: str) -> FastAPI:
    """An app with one route per dependency, and routes that raise accounts errors."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(database_url)
        app.state.accounts = AccountService(session_factory(engine))
        yield
        await app.state.accounts.drain()
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)

    @app.get("/whoami")
    async def whoami(identity: OptionalIdentity) -> dict:
        return {"identity": asdict(identity) if identity else None}

    @app.get("/private")
    async def private(identity: RequiredIdentity) -> dict:
        return asdict(identity)

    @app.get("/users/{user_id}")
    async def user(user_id: str) -> dict:
        raise UserNotFound(user_id)

    @app.post("/users")
    async def create_user() -> dict:
        raise UserExists("ada@example.com")

    return app


@pytest.fixture(params=["asgi", "uvicorn"])
async def client(request, database_url) -> AsyncIterator[httpx.AsyncClient]:
    app = identity_app(database_url)
    if request.param == "asgi":
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://comfyd.test") as http:
                yield http
    else:
        with served(app) as address:
            async with httpx.AsyncClient(base_url=f"http://{address}") as http:
                yield http


@pytest.fixture
async def ada_key(accounts, ada) -> str:
    return (await accounts.create_api_key(user_id=ada.id))[0]


@pytest.fixture
async def grace_key(accounts, grace) -> str:
    return (await accounts.create_api_key(user_id=grace.id))[0]


def assert_unauthorized(reply: httpx.Response) -> None:
    assert reply.status_code == 401
    body = reply.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == "Unauthorized" and body["message"]


async def test_a_request_without_a_key_is_anonymous_where_identity_is_optional(client):
    reply = await client.get("/whoami")
    assert reply.status_code == 200 and reply.json() == {"identity": None}


async def test_a_request_without_a_key_is_refused_with_401_where_identity_is_required(client):
    reply = await client.get("/private")

    assert_unauthorized(reply)
    assert reply.json()["message"] == "This request needs an API key, in X-API-Key or as a Bearer token."
    assert reply.headers["www-authenticate"] == "Bearer"


async def test_an_x_api_key_header_authenticates_the_request(client, ada, ada_key):
    reply = await client.get("/private", headers={"X-API-Key": ada_key})

    assert reply.status_code == 200
    assert reply.json() == {
        "user_id": ada.id,
        "email": "ada@example.com",
        "name": "Ada",
        "is_admin": False,
        # An app with accounts alone knows no workspaces (comfyd.platform.auth resolves them).
        "workspace_id": None,
        "workspace_role": None,
        "auth_method": None,
    }


async def test_a_bearer_api_key_authenticates_the_request(client, ada, ada_key):
    for path in ["/private", "/whoami"]:
        reply = await client.get(path, headers={"Authorization": f"Bearer {ada_key}"})
        assert reply.status_code == 200
        assert ada.id in reply.text


async def test_x_api_key_wins_over_bearer_when_both_are_sent(client, ada, ada_key, grace_key):
    reply = await client.get(
        "/private", headers={"X-API-Key": ada_key, "Authorization": f"Bearer {grace_key}"}
    )
    assert reply.status_code == 200 and reply.json()["user_id"] == ada.id


async def test_a_bad_x_api_key_is_refused_even_when_a_good_bearer_key_is_sent(client, grace_key):
    headers = {"X-API-Key": "comfyui-" + "0" * 64, "Authorization": f"Bearer {grace_key}"}
    assert_unauthorized(await client.get("/whoami", headers=headers))


BAD_KEYS = [
    pytest.param(header, kind, id=f"{kind}-in-{header}")
    for header in ["X-API-Key", "Authorization"]
    for kind in ["unknown", "revoked", "banned-user", "not-a-comfyui-key"]
    # A Bearer token that is not a comfyui- key is no key at all (the next test).
    if (header, kind) != ("Authorization", "not-a-comfyui-key")
]


@pytest.mark.parametrize(("header", "kind"), BAD_KEYS)
async def test_a_bad_key_is_refused_rather_than_treated_as_anonymous(client, accounts, ada, header, kind):
    key, record = await accounts.create_api_key(user_id=ada.id)
    if kind == "unknown":
        key = "comfyui-" + "f" * 64
    elif kind == "revoked":
        await accounts.revoke_api_key(user_id=ada.id, key_id=record.id)
    elif kind == "banned-user":
        await accounts.ban_user(ada.id)
    else:
        key = key.removeprefix("comfyui-")
    value = f"Bearer {key}" if header == "Authorization" else key

    for path in ["/whoami", "/private"]:
        assert_unauthorized(await client.get(path, headers={header: value}))


async def test_a_bearer_token_that_is_not_an_api_key_counts_as_no_key(client):
    headers = {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}  # a Firebase ID token, say

    assert (await client.get("/whoami", headers=headers)).json() == {"identity": None}
    assert_unauthorized(await client.get("/private", headers=headers))


async def test_an_empty_x_api_key_header_counts_as_no_key(client, ada, ada_key):
    headers = {"X-API-Key": "", "Authorization": f"Bearer {ada_key}"}
    assert (await client.get("/whoami", headers=headers)).json()["identity"]["user_id"] == ada.id


@pytest.mark.parametrize(
    ("method", "path", "status", "error", "message"),
    [
        pytest.param("GET", "/users/nobody", 404, "Not Found", "User nobody was not found.", id="not-found"),
        pytest.param(
            "POST",
            "/users",
            409,
            "Conflict",
            "A user with email ada@example.com already exists.",
            id="exists",
        ),
    ],
)
async def test_accounts_errors_answer_in_the_platform_shape(client, method, path, status, error, message):
    reply = await client.request(method, path)
    assert reply.status_code == status
    assert reply.json() == {"error": error, "message": message}
