"""A real comfyd server for HTTP and WebSocket tests: `comfyd serve` in a subprocess on a free port.

`server` is one server shared by a test module; `start_server(*flags)` starts a private one
(for flags such as `--multi-user`, or for tests that kill it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    base_dir: Path
    port: int
    flags: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.base_dir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> ServerProcess:
        command = [sys.executable, "-m", "comfyd", "serve", "--base-directory", str(self.base_dir), "--port", str(self.port), *self.flags]
        with open(self.log_path, "ab") as log:
            # The child keeps its own copy of the descriptor.
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"comfyd exited with {self.process.returncode}:\n{self.log()}")
            try:
                # /features answers without sign-in, even on a server that requires it.
                if httpx.get(f"{self.url}/api/features", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"comfyd did not start in {STARTUP_SECONDS}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> ServerProcess:
        self.port = self.port or free_port()
        return self.start()

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


def _starter(tmp_path_factory) -> Iterator:
    started: list[ServerProcess] = []

    def start(*flags: str, base_dir: Path | None = None) -> ServerProcess:
        base = base_dir or tmp_path_factory.mktemp("comfyd")
        server = ServerProcess(base, free_port(), tuple(flags)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def start_server(tmp_path_factory) -> Iterator:
    yield from _starter(tmp_path_factory)


@pytest.fixture(scope="module")
def start_module_server(tmp_path_factory) -> Iterator:
    """`start_server` for a server that a whole test module shares (stopped after the module)."""
    yield from _starter(tmp_path_factory)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("comfyd"), free_port()).start()
    yield process
    process.stop()


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
