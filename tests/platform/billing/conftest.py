"""Fixtures for workspace billing: `billing`, one real `comfyd serve` per test module, reached
through the `Billing` harness (`billing_harness.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from billing_harness import Billing

from comfyd_process import ComfydServer


@pytest.fixture(scope="module")
def billing(tmp_path_factory) -> Iterator[Billing]:
    process = ComfydServer(tmp_path_factory.mktemp("billing")).start()
    yield Billing(process)
    process.stop()
