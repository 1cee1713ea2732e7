"""A real `comfyd serve` for the CLI tests, with the client tests' node pack (it has a node that
fails at run time). The server process comes from `tests/server/conftest.py`, loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parents[1]
EXTRA_MODEL_PATHS = TESTS / "client" / "extra_model_paths.yaml"


def _server_fixtures():
    spec = importlib.util.spec_from_file_location("comfyd_server_fixtures", TESTS / "server" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


_servers = _server_fixtures()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator:
    flags = ("--extra-model-paths-config", str(EXTRA_MODEL_PATHS))
    process = _servers.ServerProcess(tmp_path_factory.mktemp("comfyd"), _servers.free_port(), flags).start()
    yield process
    process.stop()
