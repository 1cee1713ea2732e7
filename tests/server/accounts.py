"""Users for the server tests: create them through `POST /users` and talk to the server as them.

    user_id = create_user(server, "Ada")
    with client_as(server, user_id) as http:
        http.post("/userdata/workflows%2Fa.json", content=b"{}")
    user_root(server, user_id)        # <base>/user/<user_id>, where that file now lives
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from comfyd_process import ComfydServer

PREFIXES = ["", "/api"]


def create_user(server: ComfydServer, name: str | None = None) -> str:
    """A new user on a `--multi-user` server; a random name unless one is given."""
    with server.client() as http:
        reply = http.post("/users", json={"username": name or f"user {uuid.uuid4().hex[:8]}"})
    assert reply.status_code == 200, reply.text
    return reply.json()


def client_as(server: ComfydServer, user_id: str) -> httpx.Client:
    return server.client(headers={"Comfy-User": user_id})


def user_dir(server: ComfydServer) -> Path:
    return server.base_dir / "user"


def user_root(server: ComfydServer, user_id: str) -> Path:
    return user_dir(server) / user_id
