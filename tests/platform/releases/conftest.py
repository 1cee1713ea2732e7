"""Fixtures for release notes: `ReleaseNotes` on a migrated SQLite file per test, and a real
`comfyd serve` per test module whose release webhook secret is `SECRET` (`Releases` signs
deliveries with it and runs `comfyd admin release` on the server's base directory).

    def test_something(releases):
        releases.admin("add", "--version", "0.3.65", "--content", "Faster queue")
        releases.get(project="comfyui").json()[0]["version"]          # "0.3.65"
        releases.deliver(releases.payload("published", tag="v0.3.66"))
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.releases.service import ReleaseNotes
from comfyd.platform.releases.webhook import SECRET_VARIABLE
from comfyd_process import ComfydServer

SECRET = "a webhook secret for the tests"


class Releases:
    """One `comfyd serve`, spoken to as the frontend, GitHub and an administrator do."""

    def __init__(self, process: ComfydServer) -> None:
        self.process = process
        self.url = process.url
        self.base_dir = process.base_dir

    @staticmethod
    def sign(body: bytes, secret: str = SECRET) -> str:
        """`X-Hub-Signature-256` as GitHub computes it."""
        return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    def get(self, **params) -> httpx.Response:
        return httpx.get(f"{self.url}/releases", params=params, timeout=30)

    def deliver(
        self, payload: dict, *, event: str = "release", secret: str | None = SECRET, **params
    ) -> httpx.Response:
        """POST a webhook delivery as GitHub sends it: signed with `secret` (None: unsigned)."""
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "1",
        }
        if secret is not None:
            headers["X-Hub-Signature-256"] = self.sign(body, secret)
        return httpx.post(f"{self.url}/releases", content=body, headers=headers, params=params, timeout=30)

    @staticmethod
    def payload(
        action: str,
        *,
        tag: str,
        release_id: int | None = None,
        body: str | None = "Notes",
        repository: str = "ComfyUI",
        draft: bool = False,
        prerelease: bool = False,
        published_at: str | None = "2026-01-02T03:04:05Z",
    ) -> dict:
        """A GitHub `release` payload with the fields GitHub always sends."""
        release_id = release_id or uuid.uuid4().int % 10**12
        return {
            "action": action,
            "release": {
                "id": release_id,
                "node_id": f"RE_{release_id}",
                "url": f"https://api.github.com/repos/Comfy-Org/{repository}/releases/{release_id}",
                "html_url": f"https://github.com/Comfy-Org/{repository}/releases/tag/{tag}",
                "tag_name": tag,
                "target_commitish": "master",
                "name": tag,
                "body": body,
                "draft": draft,
                "prerelease": prerelease,
                "created_at": "2026-01-01T00:00:00Z",
                "published_at": published_at,
                "author": {"login": "comfy", "id": 1},
                "tarball_url": "https://example.invalid/t.tar.gz",
                "zipball_url": "https://example.invalid/t.zip",
                "assets": [],
            },
            "repository": {"id": 2, "name": repository, "full_name": f"Comfy-Org/{repository}"},
            "sender": {"login": "comfy", "id": 1},
        }

    def admin(self, *args: str) -> subprocess.CompletedProcess:
        """`comfyd admin release ARGS --base-directory <the server's>`."""
        command = [sys.executable, "-m", "comfyd", "admin", "release", *args]
        where = ["--base-directory", str(self.base_dir)]
        return subprocess.run([*command, *where], capture_output=True, text=True, timeout=120)


def start(base_dir: Path, secret: str | None) -> ComfydServer:
    """A server whose release webhook secret is `secret` (None: none at all)."""
    with pytest.MonkeyPatch.context() as patch:
        if secret is None:
            patch.delenv(SECRET_VARIABLE, raising=False)
        else:
            patch.setenv(SECRET_VARIABLE, secret)  # the server process inherits it
        return ComfydServer(base_dir).start()


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> Iterator[Releases]:
    process = start(tmp_path_factory.mktemp("comfyd"), SECRET)
    yield Releases(process)
    process.stop()


@pytest.fixture(scope="module")
def unconfigured(tmp_path_factory) -> Iterator[Releases]:
    """A server started with no webhook secret at all."""
    process = start(tmp_path_factory.mktemp("comfyd"), None)
    yield Releases(process)
    process.stop()


@pytest.fixture
async def notes(database_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{database_path}")
    yield ReleaseNotes(session_factory(engine))
    await engine.dispose()
