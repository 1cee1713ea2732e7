"""A sync httpx transport whose in-flight requests can be aborted from another thread.

A blocking socket read cannot be interrupted from outside except by shutting the socket down.
`AbortableTransport` wraps every socket httpcore opens; while a cancellable call runs, the
sockets it reads or writes are bound to it (`abortable()`), and cancelling its token shuts them
down. httpcore then fails the request and closes that connection instead of pooling it, so a
cancelled call ends at once and leaves no half-read connection behind.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import ssl
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from comfyd.client._cancel import CancelToken

__all__: list[str] = []

_current: contextvars.ContextVar[_CallSockets | None] = contextvars.ContextVar(
    "comfyd_call_sockets", default=None
)


class _CallSockets:
    """The sockets one cancellable call has used; shut down together when its token fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[_AbortableStream] = []
        self.is_aborted = False
        self.is_finished = False

    def bind(self, stream: _AbortableStream) -> None:
        with self._lock:
            if self.is_finished:
                return
            self._streams.append(stream)
            aborted = self.is_aborted
        if aborted:
            stream.abort()

    def abort(self) -> None:
        with self._lock:
            # A call that already has its answer keeps it; its connection may be back in the pool.
            if self.is_finished:
                return
            self.is_aborted = True
            streams = list(self._streams)
        for stream in streams:
            stream.abort()

    def finish(self) -> None:
        with self._lock:
            self.is_finished = True
            self._streams.clear()


@contextlib.contextmanager
def abortable(cancel: CancelToken | None) -> Iterator[_CallSockets | None]:
    """Bind the sockets used inside the block to `cancel`. Yields the binding (None without a
    token) so the caller can tell an abort from a genuine network failure."""
    if cancel is None:
        yield None
        return
    call = _CallSockets()
    reset = _current.set(call)
    forget = cancel.on_cancel(call.abort)
    try:
        yield call
    finally:
        call.finish()
        forget()
        _current.reset(reset)


class _AbortableStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, sock: socket.socket) -> None:
        self._inner = inner
        self._socket = sock
        self._bound_to: _CallSockets | None = None

    def _bind(self) -> None:
        call = _current.get()
        if call is not None and call is not self._bound_to:
            self._bound_to = call
            call.bind(self)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._bind()
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._bind()
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # TLS runs over the same descriptor, so shutting the plain socket down still aborts it.
        return _AbortableStream(self._inner.start_tls(ssl_context, server_hostname, timeout), self._socket)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AbortableBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _AbortableStream(stream, stream.get_extra_info("socket"))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return _AbortableStream(stream, stream.get_extra_info("socket"))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class AbortableTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool built on the abortable backend.

    httpx does not take a network backend, so the pool it builds is replaced by an equivalent
    one (TLS verification on, httpx's default limits). Pass your own `transport=` to a client to
    use other settings; calls through it are then cancelled only between network operations.
    """

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        super().__init__()
        limits = limits or httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
        )
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_AbortableBackend(),
        )

    @property
    def connections(self) -> list[httpcore.ConnectionInterface]:
        """The pool's open connections (for checks that a cancelled call left none behind)."""
        return list(self._pool.connections)
