"""Fixtures for authentication: an identity provider made in the test (RSA keys generated here,
their JWKS served by a real local HTTP server), and a real `comfyd serve` that trusts it.

    def test_something(provider, jwt_server):
        token = provider.token(sub="firebase-uid-1", email="ada@example.com")
        httpx.get(f"{jwt_server.url}/api/workspaces", headers={"Authorization": f"Bearer {token}"})
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService

STARTUP_SECONDS = 60
ISSUER = "https://issuer.comfyd.test"
AUDIENCE = "comfyd-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class ComfydServer:
    """`comfyd serve` on a free port with its base directory (and SQLite database) in `base_dir`."""

    def __init__(self, base_dir: Path, *flags: str, scheme: str = "http", verify: str | bool = True) -> None:
        self.base_dir = base_dir
        self.flags = flags
        self.port = free_port()
        self.scheme = scheme
        self.verify = verify
        self.log_path = base_dir / "server.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def database_path(self) -> Path:
        return self.base_dir / "user" / "comfyd.db"

    def start(self) -> ComfydServer:
        command = [sys.executable, "-m", "comfyd", "serve", "--base-directory", str(self.base_dir)]
        command += ["--port", str(self.port), *self.flags]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"comfyd exited with {self.process.returncode}:\n{self.log()}")
            try:
                # Unverified only while waiting: the certificate may not exist before the server made it.
                if httpx.get(f"{self.url}/api/features", timeout=1, verify=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"comfyd did not start in {STARTUP_SECONDS}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def client(
        self, *, token: str | None = None, key: str | None = None, workspace: str | None = None
    ) -> httpx.Client:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["X-API-Key"] = key
        if workspace is not None:
            headers["Comfy-Workspace-Id"] = workspace
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, verify=self.verify)

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        credentials = {name: kwargs.pop(name, None) for name in ("token", "key", "workspace")}
        with self.client(**credentials) as http:
            return http.request(method, path, **kwargs)

    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database_path) as connection:
            return connection.execute(sql, params).fetchall()

    def execute(self, sql: str, *params) -> None:
        connection = sqlite3.connect(self.database_path, timeout=30)
        try:
            with connection:
                connection.execute(sql, params)
        finally:
            connection.close()

    def user_with_key(self, *, email: str | None = None) -> tuple[str, str]:
        """A new user (`user_id`, API key) made on the server's database, as `comfyd admin` does."""
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"

        async def create() -> tuple[str, str]:
            engine = create_engine(f"sqlite+aiosqlite:///{self.database_path}")
            try:
                accounts = AccountService(session_factory(engine))
                user = await accounts.create_user(email=email)
                key, _ = await accounts.create_api_key(user_id=user.id)
                await accounts.drain()
                return user.id, key
            finally:
                await engine.dispose()

        return asyncio.run(create())


def start(base_dir: Path, *flags: str, **options) -> ComfydServer:
    return ComfydServer(base_dir, *flags, **options).start()


@pytest.fixture(scope="session")
def provider() -> Provider:
    return Provider()


@pytest.fixture(scope="session")
def jwks(provider: Provider) -> Iterator[JwksServer]:
    with JwksServer(provider) as server:
        yield server


@pytest.fixture(scope="session")
def jwt_server(tmp_path_factory, jwks: JwksServer) -> Iterator[ComfydServer]:
    """A server that accepts the provider's tokens (its issuer and audience only)."""
    flags = ("--auth-jwks-url", jwks.url, "--auth-issuer", ISSUER, "--auth-audience", AUDIENCE)
    server = start(tmp_path_factory.mktemp("auth"), *flags)
    yield server
    server.stop()


@pytest.fixture
def servers(tmp_path_factory) -> Iterator:
    """Start private servers (`servers(*flags)`); each is stopped after the test."""
    started: list[ComfydServer] = []

    def make(*flags: str, base_dir: Path | None = None, **options) -> ComfydServer:
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
