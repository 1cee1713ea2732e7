"""Fixtures for the registry's HTTP tests: a real `comfyd registry` in a subprocess on a free port,
and `Registry`, a harness that makes users, publishers, tokens and published versions on it.

    def test_something(registry):
        ada = registry.user()
        publisher = registry.publisher(ada)
        token = registry.token(ada, publisher)
        registry.publish(token, publisher, "ada-nodes", "1.0.0", registry.node_pack("Shout"))
        registry.wait_checked("ada-nodes", "1.0.0")["status"]     # "NodeVersionStatusActive"

Users and API keys are made with `AccountService` on the server's own database file, as
`comfyd admin` does. The server is shared by a test module (`registry`), so every helper makes
fresh ids.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.accounts.service import AccountService

STARTUP_SECONDS = 60
CHECK_SECONDS = 120
TESTS = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    key: str


class RegistryProcess:
    """`comfyd registry` on a free port, with its base directory (and database) in `base_dir`."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.port = free_port()
        self.log_path = base_dir / "registry.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.base_dir / 'user' / 'comfyd.db'}"

    def start(self) -> RegistryProcess:
        command = [
            sys.executable,
            "-m",
            "comfyd",
            "registry",
            "--port",
            str(self.port),
            "--base-directory",
            str(self.base_dir),
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"comfyd registry exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/nodes", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"comfyd registry did not start in {STARTUP_SECONDS}s:\n{self.log()}")

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


class Registry:
    """Talks to one registry server (`base` is its root URL, the mount prefix included) the way
    publishers, comfy-cli and installers do."""

    def __init__(self, base: str, database_url: str) -> None:
        self.base = base.rstrip("/")
        self.database_url = database_url

    def client(self, account: Account | None = None, **kwargs) -> httpx.Client:
        headers = {"X-API-Key": account.key} if account is not None else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        with self.client() as http:
            return http.get(path, **kwargs)

    def user(self, *, admin: bool = False, name: str | None = None) -> Account:
        """A new user with an API key, made directly on the server's database."""
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"

        async def create() -> Account:
            engine = create_engine(self.database_url)
            try:
                accounts = AccountService(session_factory(engine))
                user = await accounts.create_user(
                    email=email, name=name or email.split("@")[0], is_admin=admin
                )
                key, _record = await accounts.create_api_key(user_id=user.id, name="tests")
                return Account(user.id, email, key)
            finally:
                await engine.dispose()

        return asyncio.run(create())

    def publisher(self, owner: Account, publisher_id: str | None = None, **fields) -> str:
        publisher_id = publisher_id or f"pub-{uuid.uuid4().hex[:10]}"
        with self.client(owner) as http:
            reply = http.post("/publishers", json={"id": publisher_id, "name": publisher_id, **fields})
        assert reply.status_code == 201, reply.text
        return publisher_id

    def token(self, owner: Account, publisher_id: str) -> str:
        with self.client(owner) as http:
            reply = http.post(f"/publishers/{publisher_id}/tokens", json={"name": "cli"})
        assert reply.status_code == 201, reply.text
        return reply.json()["token"]

    def pack_id(self, stem: str = "nodes") -> str:
        return f"{stem}-{uuid.uuid4().hex[:10]}"

    def publish_request(
        self, token: str, publisher_id: str, pack_id: str, version: str, **node
    ) -> httpx.Response:
        """`POST .../versions` exactly as comfy-cli sends it (no Authorization header)."""
        body = {
            "personal_access_token": token,
            "node": {
                "id": pack_id,
                "name": node.pop("name", pack_id),
                "license": '{"file": "LICENSE"}',
                **node,
            },
            "node_version": {"version": version, "dependencies": [], "changelog": f"release {version}"},
        }
        with self.client() as http:
            return http.post(f"/publishers/{publisher_id}/nodes/{pack_id}/versions", json=body)

    def publish(
        self, token: str, publisher_id: str, pack_id: str, version: str, archive: bytes | None, **node
    ) -> dict:
        """Publish a version and upload its archive (None: leave it pending, never uploaded)."""
        reply = self.publish_request(token, publisher_id, pack_id, version, **node)
        assert reply.status_code == 201, reply.text
        if archive is not None:
            upload = httpx.put(
                reply.json()["signedUrl"],
                content=archive,
                headers={"Content-Type": "application/zip"},
                timeout=60,
            )
            assert upload.status_code == 200, upload.text
        return reply.json()["node_version"]

    def wait_checked(self, pack_id: str, version: str, timeout: float = CHECK_SECONDS) -> dict:
        """The version once comfyd's checks have moved it out of pending."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.get(f"/nodes/{pack_id}/versions/{version}").json()
            if found["status"] != "NodeVersionStatusPending":
                return found
            time.sleep(0.2)
        raise AssertionError(f"{pack_id} {version} was still pending after {timeout}s")

    @staticmethod
    def zip_of(files: dict[str, str]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        return buffer.getvalue()

    @classmethod
    def node_pack(cls, *class_names: str) -> bytes:
        """A pack whose `__init__.py` defines a small string node per class name."""
        classes = "\n".join(_NODE_CLASS.format(name=name) for name in class_names or ("Shout",))
        mapping = ", ".join(f'"{name}": {name}' for name in class_names or ("Shout",))
        source = f"{classes}\n\nNODE_CLASS_MAPPINGS = {{{mapping}}}\n"
        return cls.zip_of({"__init__.py": source, "pyproject.toml": '[project]\nname = "pack"\n'})

    @classmethod
    def pack_running_a_command(cls) -> bytes:
        """A pack that runs a shell command the moment it is imported."""
        source = 'import subprocess\n\nsubprocess.run(["echo", "installing"])\n\nNODE_CLASS_MAPPINGS = {}\n'
        return cls.zip_of({"__init__.py": source})


_NODE_CLASS = '''
class {name}:
    """Upper-cases its text."""

    CATEGORY = "text/tests"
    FUNCTION = "run"
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("loud",)

    @classmethod
    def INPUT_TYPES(cls):
        return {{"required": {{"text": ("STRING", {{"default": "hi"}})}}}}

    def run(self, text):
        return (text.upper(),)
'''


@pytest.fixture(scope="module")
def registry_process(tmp_path_factory) -> Iterator[RegistryProcess]:
    process = RegistryProcess(tmp_path_factory.mktemp("registry")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def registry(registry_process: RegistryProcess) -> Registry:
    return Registry(registry_process.url, registry_process.database_url)


def _server_fixtures():
    """`tests/server/conftest.py`, loaded by path, for the `comfyd serve` process it defines."""
    spec = importlib.util.spec_from_file_location("comfyd_server_fixtures", TESTS / "server" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def comfyd_server(tmp_path_factory) -> Iterator:
    """`comfyd serve` with the registry mounted at its default prefix, `/registry`."""
    servers = sys.modules.get("comfyd_server_fixtures") or _server_fixtures()
    process = servers.ServerProcess(tmp_path_factory.mktemp("comfyd"), servers.free_port()).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def mounted_registry(comfyd_server) -> Registry:
    database_url = f"sqlite+aiosqlite:///{comfyd_server.base_dir / 'user' / 'comfyd.db'}"
    return Registry(f"{comfyd_server.url}/registry", database_url)
