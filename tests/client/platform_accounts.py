"""Users, API keys and credit on a running `comfyd serve`, made with `comfyd admin` against its
base directory (as an operator would), for the platform services' SDK tests; and the small
helpers those tests share: running a blocking call in a thread, and a twin's public surface.

    ada = new_account(server, customer=True)    # a user, an API key, and a customer
    comfyd_admin(server.base_dir, "credits", "add", "--email", ada.email, "--amount-usd", "5")
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx


def comfyd_admin(base: Path, *args: str) -> str:
    """Run `comfyd admin ARGS --base-directory BASE`; its last line of output."""
    done = subprocess.run(
        [sys.executable, "-m", "comfyd", "admin", *args, "--base-directory", str(base)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    key: str


def new_account(server, *, customer: bool = False) -> Account:
    """A new user with an API key; with `customer`, also a customer (`POST /customers`), which
    writes their `account_created` event."""
    email = f"sdk-{uuid.uuid4().hex[:10]}@example.com"
    user_id = comfyd_admin(server.base_dir, "create-user", "--email", email)
    key = comfyd_admin(server.base_dir, "create-api-key", "--email", email)
    account = Account(user_id, email, key)
    if customer:
        reply = httpx.post(
            f"{server.url}/customers", headers={"X-API-Key": key}, json={"signup_source": "localhost"}
        )
        assert reply.status_code == 201, reply.text
    return account


def in_thread(function: Callable, *args, **kwargs) -> tuple[threading.Thread, dict]:
    """Run `function` in a thread; the dict gets its `result` or its `error`."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = function(*args, **kwargs)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def surface(cls: type) -> dict[str, list[tuple]]:
    """A class's public methods and their parameters (name, kind, default)."""
    methods = {
        name: getattr(cls, name)
        for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name))
    }
    return {
        name: [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]
        for name, method in methods.items()
    }


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])
