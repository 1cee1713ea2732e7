"""Fixtures for the workspace API: one real `comfyd serve` for the folder, and `Cloud`, a harness
that talks to it as the frontend's workspace client does.

    def test_something(cloud):
        ada, grace = cloud.user(), cloud.user()
        team = cloud.team(ada)                      # a team workspace Ada owns
        cloud.join(ada, team, grace)                # Ada invites Grace, Grace accepts
        with cloud.client(grace, workspace=team) as http:
            http.get("/api/workspace/members")

Users and API keys are made with `AccountService` on the server's own database file, as
`comfyd admin` does (`admin_accounts`); every helper makes fresh ids, so tests share the server
safely.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from admin_accounts import Account, create_account, create_api_key
from comfyd_process import ComfydServer


class Cloud:
    """The workspace API of one server, with helpers that set up users, teams and members."""

    def __init__(self, server: ComfydServer) -> None:
        self.server = server

    def client(
        self, account: Account | None = None, *, workspace: str | None = None, token: str | None = None
    ) -> httpx.Client:
        """A client that signs in with `account`'s API key (or a Bearer `token`), acting in `workspace`."""
        key = account.key if account is not None and token is None else None
        return self.server.client(key=key, token=token, workspace=workspace)

    def request(self, account: Account | None, method: str, path: str, **kwargs) -> httpx.Response:
        workspace = kwargs.pop("workspace", None)
        token = kwargs.pop("token", None)
        with self.client(account, workspace=workspace, token=token) as http:
            return http.request(method, path, **kwargs)

    def user(self, name: str | None = None, *, workspace: str | None = None) -> Account:
        """A new user with an API key (made for `workspace`, if given), on the server's database."""
        return create_account(self.server.database_url, name=name, workspace=workspace)

    def api_key(self, account: Account, *, workspace: str | None) -> Account:
        """`account` with another API key, made for `workspace`."""
        return create_api_key(self.server.database_url, account, workspace=workspace)

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
        return self.server.rows(sql, *params)

    def execute(self, sql: str, *params) -> None:
        self.server.execute(sql, *params)


@pytest.fixture(scope="session")
def workspace_server(tmp_path_factory) -> Iterator[ComfydServer]:
    server = ComfydServer(tmp_path_factory.mktemp("workspaces")).start()
    yield server
    server.stop()


@pytest.fixture
def cloud(workspace_server: ComfydServer) -> Cloud:
    return Cloud(workspace_server)
