"""Fixtures for the workspace API: one real `comfyd serve` for the folder, and `Cloud`, a harness
that talks to it as the frontend's workspace client does.

    def test_something(cloud):
        ada, grace = cloud.user(), cloud.user()
        team = cloud.team(ada)                      # a team workspace Ada owns
        cloud.join(ada, team, grace)                # Ada invites Grace, Grace accepts
        with cloud.client(grace, workspace=team) as http:
            http.get("/api/workspace/members")

Users and API keys are made with `AccountService` on the server's own database file, as
`comfyd admin` does; every helper makes fresh ids, so tests share the server safely.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService

STARTUP_SECONDS = 60
WORKSPACE_HEADER = "Comfy-Workspace-Id"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ComfydServer:
    """`comfyd serve` on a free port, its base directory (and SQLite database) in `base_dir`."""

    def __init__(self, base_dir: Path, *flags: str) -> None:
        self.base_dir = base_dir
        self.flags = flags
        self.port = free_port()
        self.log_path = base_dir / "server.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
                if httpx.get(f"{self.url}/api/features", timeout=1).status_code == 200:
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


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    key: str


class Cloud:
    """The workspace API of one server, with helpers that set up users, teams and members."""

    def __init__(self, server: ComfydServer) -> None:
        self.server = server

    def client(
        self, account: Account | None = None, *, workspace: str | None = None, token: str | None = None
    ) -> httpx.Client:
        """A client that signs in with `account`'s API key (or a Bearer `token`), acting in `workspace`."""
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif account is not None:
            headers["X-API-Key"] = account.key
        if workspace is not None:
            headers[WORKSPACE_HEADER] = workspace
        return httpx.Client(base_url=self.server.url, headers=headers, timeout=30)

    def request(self, account: Account | None, method: str, path: str, **kwargs) -> httpx.Response:
        workspace = kwargs.pop("workspace", None)
        token = kwargs.pop("token", None)
        with self.client(account, workspace=workspace, token=token) as http:
            return http.request(method, path, **kwargs)

    def user(self, name: str | None = None, *, workspace: str | None = None) -> Account:
        """A new user with an API key (made for `workspace`, if given), on the server's database."""
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"

        async def create() -> Account:
            engine = create_engine(f"sqlite+aiosqlite:///{self.server.database_path}")
            try:
                accounts = AccountService(session_factory(engine))
                user = await accounts.create_user(email=email, name=name)
                key, _ = await accounts.create_api_key(user_id=user.id, workspace_id=workspace)
                await accounts.drain()
                return Account(user.id, email, key)
            finally:
                await engine.dispose()

        return asyncio.run(create())

    def api_key(self, account: Account, *, workspace: str | None) -> Account:
        """`account` with another API key, made for `workspace`."""

        async def create() -> str:
            engine = create_engine(f"sqlite+aiosqlite:///{self.server.database_path}")
            try:
                accounts = AccountService(session_factory(engine))
                key, _ = await accounts.create_api_key(user_id=account.user_id, workspace_id=workspace)
                return key
            finally:
                await engine.dispose()

        return Account(account.user_id, account.email, asyncio.run(create()))

    def team(self, owner: Account, name: str = "Team") -> str:
        reply = self.request(owner, "POST", "/api/workspaces", json={"name": name})
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def invite(self, owner: Account, team: str, email: str, role: str = "member") -> dict:
        reply = self.request(
            owner, "POST", "/api/workspace/invites", workspace=team, json={"email": email, "role": role}
        )
        assert reply.status_code == 201, reply.text
        return reply.json()

    def join(self, owner: Account, team: str, member: Account, role: str = "member") -> None:
        token = self.invite(owner, team, member.email, role)["token"]
        reply = self.request(member, "POST", f"/api/invites/{token}/accept")
        assert reply.status_code == 200, reply.text

    def workspace_token(self, account: Account, team: str) -> str:
        reply = self.request(account, "POST", "/api/auth/token", json={"workspace_id": team})
        assert reply.status_code == 200, reply.text
        return reply.json()["token"]

    def workspace_ids(self, account: Account) -> list[str]:
        reply = self.request(account, "GET", "/api/workspaces")
        assert reply.status_code == 200, reply.text
        return [w["id"] for w in reply.json()["workspaces"]]

    def member_roles(self, team: str) -> dict[str, str]:
        """`{user_id: role}` of the team, read from the database."""
        rows = self.rows("SELECT user_id, role FROM workspace_members WHERE workspace_id = ?", team)
        return dict(rows)

    @staticmethod
    def refused(reply: httpx.Response, status: int, code: str | None = None) -> dict:
        """Assert `reply` is a platform error with `status` (and `code`); returns its body."""
        assert reply.status_code == status, reply.text
        body = reply.json()
        assert body["error"] and body["message"]
        if code is not None:
            assert body["code"] == code
        return body

    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.server.database_path) as connection:
            return connection.execute(sql, params).fetchall()

    def execute(self, sql: str, *params) -> None:
        connection = sqlite3.connect(self.server.database_path, timeout=30)
        try:
            with connection:
                connection.execute(sql, params)
        finally:
            connection.close()


@pytest.fixture(scope="session")
def workspace_server(tmp_path_factory) -> Iterator[ComfydServer]:
    server = ComfydServer(tmp_path_factory.mktemp("workspaces")).start()
    yield server
    server.stop()


@pytest.fixture
def cloud(workspace_server: ComfydServer) -> Cloud:
    return Cloud(workspace_server)
