"""An ASGI app on a real uvicorn in a thread of the test process, for tests of HTTP and WebSocket
behaviour that need a real socket but not a whole `comfyd serve`.

    with served(app, ws="websockets-sansio") as address:      # "127.0.0.1:PORT"
        httpx.get(f"http://{address}/whoami")
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

STARTUP_SECONDS = 30


@contextlib.contextmanager
def served(app, *, ws: str = "none") -> Iterator[str]:
    """`app` on uvicorn (with its lifespan, and `ws`, uvicorn's WebSocket implementation) on a
    socket bound before it starts, so there is no race for the port; yields `host:port`."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", ws=ws, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
