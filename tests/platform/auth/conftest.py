"""Fixtures for authentication: an identity provider made in the test (RSA keys generated here,
their JWKS served by a real local HTTP server), and a real `comfyd serve` that trusts it.

    def test_something(provider, jwt_server):
        token = provider.token(sub="firebase-uid-1", email="ada@example.com")
        httpx.get(f"{jwt_server.url}/api/workspaces", headers={"Authorization": f"Bearer {token}"})
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from admin_accounts import create_account
from comfyd_process import ComfydServer

ISSUER = "https://issuer.comfyd.test"
AUDIENCE = "comfyd-tests"


class Provider:
    """An OIDC-style identity provider: signing keys, and their public half as a JWKS document."""

    issuer = ISSUER
    audience = AUDIENCE

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.kid = self.add_key()

    def add_key(self) -> str:
        kid = uuid.uuid4().hex
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def jwks(self) -> dict:
        documents = []
        for kid, key in self.keys.items():
            document = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            documents.append({**document, "kid": kid, "alg": "RS256", "use": "sig"})
        return {"keys": documents}

    def token(
        self,
        *,
        sub: str,
        email: str | None = None,
        name: str | None = None,
        lifetime: timedelta = timedelta(hours=1),
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **claims,
    ) -> str:
        """A token as the provider signs it; any part can be made wrong for a test."""
        kid = kid or self.kid
        now = datetime.now(UTC)
        body = {"iss": issuer, "aud": audience, "sub": sub, "iat": now, "exp": now + lifetime, **claims}
        if email is not None:
            body["email"] = email
        if name is not None:
            body["name"] = name
        return jwt.encode(body, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})


class JwksServer:
    """Serves `provider.jwks()` at `/jwks.json` on a free local port, read afresh on every fetch."""

    def __init__(self, provider: Provider) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(outer.provider.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.provider = provider
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"

    def __enter__(self) -> JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class AuthServer(ComfydServer):
    """`comfyd serve` (see `comfyd_process.ComfydServer`) whose tests make users with API keys."""

    def user_with_key(self, *, email: str | None = None) -> tuple[str, str]:
        """A new user (`user_id`, API key) made on the server's database, as `comfyd admin` does."""
        account = create_account(self.database_url, email=email)
        return account.user_id, account.key


def start(base_dir: Path, *flags: str, **options) -> AuthServer:
    return AuthServer(base_dir, *flags, **options).start()


@pytest.fixture(scope="session")
def provider() -> Provider:
    return Provider()


@pytest.fixture(scope="session")
def jwks(provider: Provider) -> Iterator[JwksServer]:
    with JwksServer(provider) as server:
        yield server


@pytest.fixture(scope="session")
def jwt_server(tmp_path_factory, jwks: JwksServer) -> Iterator[AuthServer]:
    """A server that accepts the provider's tokens (its issuer and audience only)."""
    flags = ("--auth-jwks-url", jwks.url, "--auth-issuer", ISSUER, "--auth-audience", AUDIENCE)
    server = start(tmp_path_factory.mktemp("auth"), *flags)
    yield server
    server.stop()


@pytest.fixture
def servers(tmp_path_factory) -> Iterator:
    """Start private servers (`servers(*flags)`); each is stopped after the test."""
    started: list[AuthServer] = []

    def make(*flags: str, base_dir: Path | None = None, **options) -> AuthServer:
        server = start(base_dir or tmp_path_factory.mktemp("comfyd"), *flags, **options)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def refused(reply: httpx.Response, status: int, code: str | None = None) -> None:
    assert reply.status_code == status, reply.text
    if code is not None:
        assert reply.json()["code"] == code


@pytest.fixture(name="refused")
def refused_fixture():
    """`refused(reply, status, code=None)`: assert a platform error."""
    return refused
