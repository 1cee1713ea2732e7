"""`Billing`: a harness that talks to a real `comfyd serve` (`comfyd_process.ComfydServer`) as the
frontend's workspace client does.

Users and API keys are made on the server's own database file as `comfyd admin` makes them
(`admin_accounts`); `admin()` runs `comfyd admin` itself, in-process through its typer app, for the
tests of that command. Teams, invites and top-ups go through the HTTP routes.

    def test_something(billing):
        ada, grace = billing.user(), billing.user()
        team = billing.team(ada)                      # a team workspace Ada owns
        billing.join(ada, team, grace)                # Ada invites Grace, Grace accepts
        billing.get(grace, "/api/billing/balance", workspace=team)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
from typer.testing import CliRunner

from admin_accounts import Account, create_account
from comfyd.cli.main import app as comfyd_cli
from comfyd.platform.billing.ledger import MICROS_PER_CENT
from comfyd_process import ComfydServer

WAIT_SECONDS = 60
T = TypeVar("T")


class Billing:
    """One server, its database file, and the calls the tests make on it."""

    @staticmethod
    def token_of(url: str) -> str:
        """The signed token in a billing page URL."""
        return parse_qs(urlsplit(url).query)["token"][0]

    def __init__(self, process: ComfydServer) -> None:
        self.process = process
        self.url = process.url
        self.base_dir: Path = process.base_dir
        self.database_path = process.database_path

    # --- comfyd admin -------------------------------------------------------------------------

    def admin(self, *args: str) -> Any:
        """`comfyd admin ARGS --base-directory <the server's>`, in-process; returns click's result."""
        return CliRunner().invoke(comfyd_cli, ["admin", *args, "--base-directory", str(self.base_dir)])

    def user(self) -> Account:
        """A new user and API key, made on the server's database as `comfyd admin` makes them."""
        return create_account(self.process.database_url)

    # --- HTTP ---------------------------------------------------------------------------------

    def client(
        self, account: Account | None = None, *, workspace: str | None = None, token: str | None = None
    ) -> httpx.Client:
        """A client signed in with `account`'s API key (or a Bearer `token`), acting in `workspace`."""
        key = account.key if account is not None and token is None else None
        return self.process.client(key=key, token=token, workspace=workspace)

    def request(self, account: Account | None, method: str, path: str, **kwargs) -> httpx.Response:
        workspace, token = kwargs.pop("workspace", None), kwargs.pop("token", None)
        with self.client(account, workspace=workspace, token=token) as http:
            return http.request(method, path, **kwargs)

    def get(self, account: Account | None, path: str, **kwargs) -> dict:
        """The JSON of a GET that must succeed."""
        reply = self.request(account, "GET", path, **kwargs)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def team(self, owner: Account, name: str = "Studio") -> str:
        reply = self.request(owner, "POST", "/api/workspaces", json={"name": name})
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def personal(self, account: Account) -> str:
        return self.get(account, "/api/workspaces")["default_workspace_id"]

    def join(self, owner: Account, team: str, member: Account) -> None:
        """`owner` invites `member` to `team` and `member` accepts."""
        invited = self.request(
            owner, "POST", "/api/workspace/invites", workspace=team, json={"email": member.email}
        )
        assert invited.status_code == 201, invited.text
        accepted = self.request(member, "POST", f"/api/invites/{invited.json()['token']}/accept")
        assert accepted.status_code == 200, accepted.text

    def set_role(self, owner: Account, team: str, member: Account, role: str) -> None:
        path = f"/api/workspace/members/{member.user_id}"
        reply = self.request(owner, "PATCH", path, workspace=team, json={"role": role})
        assert reply.status_code == 200, reply.text

    def balance(self, account: Account, workspace: str | None = None) -> int:
        """The balance in micros, as the ledger keeps it; the wire carries cents in every field."""
        reply = self.get(account, "/api/billing/balance", workspace=workspace)
        assert reply["amount_micros"] == reply["amount_cents"] == reply["effective_balance_cents"]
        return round(reply["amount_cents"] * MICROS_PER_CENT)

    def portal_url(self, account: Account, workspace: str | None = None, **body) -> str:
        reply = self.request(account, "POST", "/api/billing/payment-portal", workspace=workspace, json=body)
        assert reply.status_code == 200, reply.text
        return reply.json()["url"]

    def top_up(self, account: Account, workspace: str | None, amount: str) -> httpx.Response:
        """Add credit as an owner does: open the payment portal, submit the page's form (no API key)."""
        token = self.token_of(self.portal_url(account, workspace))
        with httpx.Client(base_url=self.url, timeout=30) as browser:
            return browser.post("/billing/credit", data={"token": token, "amount": amount})

    # --- the database -------------------------------------------------------------------------

    def rows(self, sql: str, *params) -> list[tuple]:
        return self.process.rows(sql, *params)


def wait_for(probe: Callable[[], T | None], what: str) -> T:
    """Poll `probe` until it returns something; fail after a minute (a liveness bound, not a timing)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")
