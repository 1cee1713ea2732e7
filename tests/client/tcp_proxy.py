"""A TCP proxy in front of a real server, for the network failures tests cannot ask a server for.

`hold()` stops forwarding the server's bytes (they pile up in the proxy, as in a stalled
network) so a request is "slow"; `cut()` drops every connection and whatever it held, as a
broken network path does: the server believes those bytes were delivered, the client never
sees them. `connections()` counts the live connections, which is how tests see from the
server's side that a client closed what it opened.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable


class _Pair:
    """One client connection and its upstream connection."""

    def __init__(self, proxy: TcpProxy, downstream: socket.socket, upstream: socket.socket) -> None:
        self.proxy = proxy
        self.downstream = downstream
        self.upstream = upstream
        self.first_bytes = b""
        self.is_open = True

    def start(self) -> None:
        threading.Thread(target=self._client_to_server, daemon=True).start()
        threading.Thread(target=self._server_to_client, daemon=True).start()

    def _client_to_server(self) -> None:
        try:
            while data := self.downstream.recv(65536):
                if not self.first_bytes:
                    self.first_bytes = data[:64]
                self.upstream.sendall(data)
        except OSError:
            pass
        self.close()

    def _server_to_client(self) -> None:
        try:
            while data := self.upstream.recv(65536):
                if not self.proxy.forward(self, data):
                    self.downstream.sendall(data)
        except OSError:
            pass
        # While holding, the server's closing is held back too: the client must not learn of it.
        if not self.proxy.forward(self, b""):
            self.close()

    def close(self, *, reset: bool = False) -> None:
        with self.proxy.changed:
            if not self.is_open:
                return
            self.is_open = False
            self.proxy.changed.notify_all()
        if reset:  # RST instead of FIN: the client sees the connection fail, not end
            with contextlib.suppress(OSError):
                self.downstream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for sock in (self.downstream, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class TcpProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.changed = threading.Condition()
        self._pairs: list[_Pair] = []
        self._held: list[tuple[_Pair, bytes]] = []
        self._holding = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            pair = _Pair(self, downstream, upstream)
            with self.changed:
                self._pairs.append(pair)
            pair.start()

    def forward(self, pair: _Pair, data: bytes) -> bool:
        """Keep `data` back while holding (True), else let the pair send it (False)."""
        with self.changed:
            if not self._holding:
                return False
            self._held.append((pair, data))
            self.changed.notify_all()
            return True

    @property
    def held_bytes(self) -> int:
        with self.changed:
            return sum(len(data) for _pair, data in self._held)

    def hold(self) -> None:
        with self.changed:
            self._holding = True

    def release(self) -> None:
        """Forward what was held, in order, and stop holding."""
        with self.changed:
            self._holding = False
            held, self._held = self._held, []
        for pair, data in held:
            if not data:  # the server had closed this connection
                pair.close()
            with contextlib.suppress(OSError):
                pair.downstream.sendall(data)

    def cut(self) -> None:
        """Drop every connection and every byte held for it."""
        with self.changed:
            pairs, self._pairs = self._pairs, []
            self._held = []
            self._holding = False
        for pair in pairs:
            pair.close(reset=True)

    def connections(self, *, starting_with: bytes = b"") -> int:
        """Live client connections (whose first bytes start with `starting_with`)."""
        with self.changed:
            return sum(1 for p in self._pairs if p.is_open and p.first_bytes.startswith(starting_with))

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.changed.wait(min(remaining, 0.05))

    def close(self) -> None:
        self._listener.close()
        self.cut()
