"""A real `comfyd serve` for the client tests, with the test node pack in `packs/`, and a
`client` fixture that runs each test with `ComfyClient` and again with `AsyncComfyClient`.

The server process is `comfyd_process.ComfydServer`, the one the route tests use, so the client is
tested against the same real server.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator
from pathlib import Path

import anyio.from_thread
import pytest
from tcp_proxy import TcpProxy

from comfyd.client import AsyncComfyClient, ComfyClient
from comfyd_process import ComfydServer

HERE = Path(__file__).parent
EXTRA_MODEL_PATHS = HERE / "extra_model_paths.yaml"


def start(base_dir: Path, *flags: str) -> ComfydServer:
    """A server whose node registry includes the test pack."""
    return ComfydServer(base_dir, "--extra-model-paths-config", str(EXTRA_MODEL_PATHS), *flags).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ComfydServer]:
    process = start(tmp_path_factory.mktemp("comfyd"))
    yield process
    process.stop()


@pytest.fixture
def start_server(tmp_path_factory) -> Iterator:
    """Start a private server with extra flags (e.g. `--multi-user`); stopped after the test."""
    started: list[ComfydServer] = []

    def start_private(*flags: str) -> ComfydServer:
        started.append(start(tmp_path_factory.mktemp("comfyd"), *flags))
        return started[-1]

    yield start_private
    for process in started:
        process.stop()


@pytest.fixture
def proxy(server) -> Iterator[TcpProxy]:
    """A `TcpProxy` in front of the module's server."""
    front = TcpProxy(server.port)
    yield front
    front.close()


@pytest.fixture
def anyio_backend() -> str:
    # websockets' asyncio client needs asyncio.
    return "asyncio"


class BlockingStream:
    """An `AsyncEventStream` driven through a portal, shaped like `EventStream`."""

    def __init__(self, stream, portal) -> None:
        self._stream = stream
        self._portal = portal

    def __enter__(self) -> BlockingStream:
        self._portal.call(self._stream.__aenter__)
        return self

    def __exit__(self, *exc_info) -> None:
        self._portal.call(self._stream.__aexit__, *exc_info)

    def receive(self, timeout: float | None = None):
        return self._portal.call(self._stream.receive, timeout)

    def __iter__(self) -> BlockingStream:
        return self

    def __next__(self):
        try:
            return self._portal.call(self._stream.__anext__)
        except StopAsyncIteration:
            raise StopIteration from None


class BlockingClient:
    """An `AsyncComfyClient` driven from synchronous test code through an anyio portal (an event
    loop in a thread), so each behaviour test runs against both twins unchanged."""

    def __init__(self, client: AsyncComfyClient, portal) -> None:
        self._client = client
        self._portal = portal

    def events(self, **kwargs) -> BlockingStream:
        return BlockingStream(self._client.events(**kwargs), self._portal)

    def __getattr__(self, name: str):
        attribute = getattr(self._client, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        return lambda *args, **kwargs: self._portal.call(functools.partial(attribute, *args, **kwargs))


@pytest.fixture(params=["sync", "async"])
def twin(request) -> Iterator:
    """`twin(url, **kwargs)`: a `ComfyClient`, then (second run) an `AsyncComfyClient` behind the
    same synchronous surface, for a server the test picks; closed after the test. Other twins
    (`RegistryService`, ...) are picked with `sync=` and `async_=`."""
    with contextlib.ExitStack() as stack:
        portal = (
            stack.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
            if request.param == "async"
            else None
        )

        def connect(url: str, *, sync=ComfyClient, async_=AsyncComfyClient, **kwargs):
            if portal is None:
                return stack.enter_context(sync(url, **kwargs))
            async_client = portal.call(functools.partial(_build, async_, url, **kwargs))
            stack.callback(portal.call, async_client.aclose)
            return BlockingClient(async_client, portal)

        yield connect


async def _build(cls, *args, **kwargs):
    """Build an async client inside the portal's event loop."""
    return cls(*args, **kwargs)


@pytest.fixture(params=["sync", "async"])
def client(request, server) -> Iterator[ComfyClient | BlockingClient]:
    """A `ComfyClient`, then an `AsyncComfyClient` behind the same synchronous surface."""
    if request.param == "sync":
        with ComfyClient(server.url) as sync_client:
            yield sync_client
        return
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        async_client = AsyncComfyClient(server.url)
        yield BlockingClient(async_client, portal)
        portal.call(async_client.aclose)
