"""A real `comfyd serve` for the CLI tests, with the client tests' node pack (it has a node that
fails at run time)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from comfyd_process import ComfydServer

TESTS = Path(__file__).parents[1]
EXTRA_MODEL_PATHS = TESTS / "client" / "extra_model_paths.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ComfydServer]:
    flags = ("--extra-model-paths-config", str(EXTRA_MODEL_PATHS))
    process = ComfydServer(tmp_path_factory.mktemp("comfyd"), *flags).start()
    yield process
    process.stop()
