"""Fixtures for the engine tests: a registry with the built-in nodes and the conformance pack,
and a client per test whose executor runs under each cache policy, as ComfyUI runs its execution
tests once per cache flag.

The conformance pack lives in `packs/` and is loaded through `extra_model_paths.yaml`, exactly as
ComfyUI's tests load their testing pack; `packs/broken_pack` fails to import on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from comfyd.engine import compat
from comfyd.engine.caches import ClassicCache, LRUCache, NullCache
from comfyd.engine.executor import PromptExecutor
from comfyd.engine.folders import FolderPaths, activate
from comfyd.engine.loader import load_packs
from comfyd.engine.registry import NodeRegistry

compat.install()

from comfy_execution.graph_utils import GraphBuilder  # noqa: E402  (served by compat.install)
from engine_client import EngineClient  # noqa: E402

HERE = Path(__file__).parent
EXTRA_MODEL_PATHS = HERE / "extra_model_paths.yaml"

CACHE_POLICIES = {
    "classic": ClassicCache,
    "lru0": lambda: LRUCache(0),
    "lru100": lambda: LRUCache(100),
    "none": NullCache,
}


@pytest.fixture(scope="session")
def engine_folders(tmp_path_factory):
    """A server layout in a temporary directory, made current for the built-in nodes."""
    base = tmp_path_factory.mktemp("comfyd_engine")
    folders = FolderPaths(base, output_dir=base / "output", temp_dir=base / "temp", input_dir=base / "input")
    folders.ensure_directories()
    previous = activate(folders)
    yield folders
    activate(previous)


@pytest.fixture(scope="session")
def engine_registry(engine_folders):
    """Built-in nodes plus every pack that `extra_model_paths.yaml` points at."""
    from comfyd.nodes import register_builtins

    registry = NodeRegistry()
    register_builtins(registry)
    pack_dirs = engine_folders.load_extra_model_paths(EXTRA_MODEL_PATHS)
    load_packs(registry, pack_dirs)
    return registry


def _client(registry, folders, policy, request):
    executor = PromptExecutor(registry, cache=CACHE_POLICIES[policy]())
    return EngineClient(
        registry,
        executor,
        folders,
        caches_across_prompts=policy != "none",
        test_name=f"engine[{request.node.name}]",
    )


@pytest.fixture(params=list(CACHE_POLICIES))
def cache_policy(request):
    return request.param


@pytest.fixture
def client(engine_registry, engine_folders, cache_policy, request):
    """A client whose executor uses each cache policy in turn."""
    client = _client(engine_registry, engine_folders, cache_policy, request)
    yield client
    client.close()


@pytest.fixture
def classic_client(engine_registry, engine_folders, request):
    """A client with the default (classic) cache, for behaviour no cache policy changes."""
    client = _client(engine_registry, engine_folders, "classic", request)
    yield client
    client.close()


@pytest.fixture
def builder(request):
    """A GraphBuilder whose node ids are named after the test, like ComfyUI's tests' ids."""
    return GraphBuilder(prefix=f"{request.node.originalname}_")


@pytest.fixture
def make_builder():
    """Further GraphBuilders, each with its own id prefix."""
    return lambda prefix: GraphBuilder(prefix=prefix)
