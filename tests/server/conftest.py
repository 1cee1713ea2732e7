"""A real comfyd server for HTTP and WebSocket tests: `comfyd serve` in a subprocess on a free port
(`comfyd_process.ComfydServer`).

`server` is one server shared by a test module; `start_server(*flags)` starts a private one
(for flags such as `--multi-user`, or for tests that kill it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from comfyd_process import ComfydServer


def _starter(tmp_path_factory) -> Iterator:
    started: list[ComfydServer] = []

    def start(*flags: str, base_dir: Path | None = None) -> ComfydServer:
        server = ComfydServer(base_dir or tmp_path_factory.mktemp("comfyd"), *flags).start()
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
def server(tmp_path_factory) -> Iterator[ComfydServer]:
    process = ComfydServer(tmp_path_factory.mktemp("comfyd")).start()
    yield process
    process.stop()


@pytest.fixture
def http(server: ComfydServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
