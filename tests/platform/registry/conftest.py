"""Fixtures for the registry's HTTP tests: a real `comfyd registry` in a subprocess on a free port
(`registry_process`), a `comfyd serve` that mounts it at `/registry` (`comfyd_server`), and the
`Registry` harness (`registry_harness.py`) on each (`registry`, `mounted_registry`).

    def test_something(registry):
        ada = registry.user()
        publisher = registry.publisher(ada)
        token = registry.token(ada, publisher)
        registry.publish(token, publisher, "ada-nodes", "1.0.0", registry.node_pack("Shout"))
        registry.wait_checked("ada-nodes", "1.0.0")["status"]     # "NodeVersionStatusActive"

The servers are shared by a test module, so every helper makes fresh ids.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from comfyd_process import ComfydServer, RegistryServer
from registry_harness import Registry


@pytest.fixture(scope="module")
def registry_process(tmp_path_factory) -> Iterator[RegistryServer]:
    process = RegistryServer(tmp_path_factory.mktemp("registry")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def registry(registry_process: RegistryServer) -> Registry:
    return Registry(registry_process.url, registry_process.database_url)


@pytest.fixture(scope="module")
def comfyd_server(tmp_path_factory) -> Iterator[ComfydServer]:
    """`comfyd serve` with the registry mounted at its default prefix, `/registry`."""
    process = ComfydServer(tmp_path_factory.mktemp("comfyd")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def mounted_registry(comfyd_server: ComfydServer) -> Registry:
    return Registry(f"{comfyd_server.url}/registry", comfyd_server.database_url)
