"""A real comfyd in a subprocess, for tests over HTTP: `python -m comfyd serve` (`ComfydServer`) or
`python -m comfyd registry` (`RegistryServer`) on a free local port, its base directory, log and
SQLite database in one folder.

    server = ComfydServer(tmp_path, "--multi-user").start()
    with server.client(key=api_key, workspace=team) as http:
        http.get("/api/workspaces/current")
    server.kill()      # SIGKILL, as a crash would
    server.start()     # again, on the same port and base directory
    server.stop()

Folders share one server per module or session through their conftests' fixtures; this module
holds no fixtures, so any test file may import it by name (`tests/` is on `sys.path`).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import httpx

STARTUP_SECONDS = 60
API_KEY_HEADER = "X-API-Key"
WORKSPACE_HEADER = "Comfy-Workspace-Id"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def credentials(*, key: str | None = None, token: str | None = None, workspace: str | None = None) -> dict:
    """The headers that sign in with an API `key` and/or a Bearer `token`, acting in `workspace`."""
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers[API_KEY_HEADER] = key
    if workspace is not None:
        headers[WORKSPACE_HEADER] = workspace
    return headers


class ComfydServer:
    """`comfyd serve --base-directory BASE_DIR --port PORT FLAGS...`; `start()` returns once it answers.

    `scheme="https"` is for `--tls-self-signed`; `verify` is what its clients trust, and may be set
    once the server has made its certificate. The log is appended to across restarts.
    """

    command = "serve"
    ready_path = "/api/features"  # answers without sign-in, even on a server that requires it

    def __init__(
        self,
        base_dir: Path,
        *flags: str,
        port: int | None = None,
        scheme: str = "http",
        verify: ssl.SSLContext | str | bool = True,
    ) -> None:
        self.base_dir = base_dir
        self.flags = flags
        self.port = port or free_port()
        self.scheme = scheme
        self.verify = verify
        self.log_path = base_dir / f"{self.command}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.scheme == 'https' else 'ws'}://127.0.0.1:{self.port}/ws"

    @property
    def database_path(self) -> Path:
        return self.base_dir / "user" / "comfyd.db"

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.database_path}"

    # --- the process ---------------------------------------------------------------------------

    def start(self) -> Self:
        command = [sys.executable, "-m", "comfyd", self.command, "--base-directory", str(self.base_dir)]
        command += ["--port", str(self.port), *self.flags]
        with open(self.log_path, "ab") as log:
            # The child keeps its own copy of the descriptor.
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"comfyd {self.command} exited with {self.process.returncode}:\n{self.log()}")
            if self._answers():
                return
            time.sleep(0.1)
        raise RuntimeError(f"comfyd {self.command} did not start in {STARTUP_SECONDS}s:\n{self.log()}")

    def _answers(self) -> bool:
        try:
            # Unverified only while waiting: over https, the certificate may not exist before the
            # server has made it.
            return httpx.get(f"{self.url}{self.ready_path}", timeout=1, verify=False).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, as an operator would; SIGKILL if it has not stopped 15 s later."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> Self:
        """Stop (if still running) and start again on the same port and base directory."""
        self.stop()
        return self.start()

    # --- HTTP ----------------------------------------------------------------------------------

    def client(
        self,
        *,
        key: str | None = None,
        token: str | None = None,
        workspace: str | None = None,
        headers: dict | None = None,
        **kwargs,
    ) -> httpx.Client:
        """A client for this server, signed in with `key` and/or `token` (see `credentials`)."""
        sent = {**credentials(key=key, token=token, workspace=workspace), **(headers or {})}
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("verify", self.verify)
        return httpx.Client(base_url=self.url, headers=sent, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        token: str | None = None,
        workspace: str | None = None,
        **kwargs,
    ) -> httpx.Response:
        with self.client(key=key, token=token, workspace=workspace) as http:
            return http.request(method, path, **kwargs)

    # --- the database --------------------------------------------------------------------------

    def rows(self, sql: str, *params) -> list[tuple]:
        """Read the server's SQLite database, as another process would."""
        connection = sqlite3.connect(self.database_path, timeout=30)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def execute(self, sql: str, *params) -> None:
        """Change the server's SQLite database behind its back, in one committed transaction."""
        connection = sqlite3.connect(self.database_path, timeout=30)
        try:
            with connection:
                connection.execute(sql, params)
        finally:
            connection.close()


class RegistryServer(ComfydServer):
    """`comfyd registry` (the api.comfy.org registry alone), on a free port like `ComfydServer`.

    Pass `"--database-url", URL` among the flags to run it on another database (PostgreSQL).
    """

    command = "registry"
    ready_path = "/nodes"
