"""Fixtures for workspace billing: `billing`, one real `comfyd serve` per test module, reached
through the `Billing` harness (`billing_harness.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from billing_harness import Billing, server_fixtures


@pytest.fixture(scope="module")
def billing(tmp_path_factory) -> Iterator[Billing]:
    servers = server_fixtures()
    process = servers.ServerProcess(tmp_path_factory.mktemp("billing"), servers.free_port()).start()
    yield Billing(process)
    process.stop()
