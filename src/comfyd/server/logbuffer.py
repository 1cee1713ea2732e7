"""`LogBuffer`: the server's recent log lines, for the frontend's terminal panel.

A `logging.Handler` on the root logger keeps the last 300 records as ComfyUI's `{t, m}` entries
(`/internal/logs`, `/internal/logs/raw`) and streams new ones as `/ws` `logs` messages to the
clients that subscribed through `PATCH /internal/logs/subscribe`. It captures what goes through
`logging`, not bare writes to stdout.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import shutil
import threading
from datetime import datetime
from typing import Any, Protocol

CAPACITY = 300
LINE_FORMAT = "%(levelname)s %(name)s: %(message)s"
FALLBACK_TERMINAL_SIZE = (80, 24)

Entry = dict[str, str]


class LogSink(Protocol):
    """Where new entries go: the `/ws` hub, which owns the set of subscribed client ids."""

    log_subscribers: set[str]

    def send_logs(self, entries: list[dict[str, Any]], size: dict[str, int] | None) -> None: ...


class LogBuffer(logging.Handler):
    """A ring buffer of formatted log records that forwards new ones to a `LogSink`.

    >>> logs = LogBuffer()
    >>> logs.install()                  # on the root logger
    >>> logs.stream_to(hub)             # from the server's event loop
    >>> logs.entries()[-1]              # {"t": "2025-01-01T12:00:00.000001", "m": "INFO x: ...\\n"}
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter(LINE_FORMAT))
        self._entries: collections.deque[Entry] = collections.deque(maxlen=capacity)
        self._unsent: collections.deque[Entry] = collections.deque(maxlen=capacity)
        # Records arrive from any thread (the worker's included); this lock guards both deques
        # and the scheduling flag. It is never held while calling into the sink or the loop.
        self._guard = threading.Lock()
        self._flush_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sink: LogSink | None = None
        self._size: dict[str, int] | None = None

    # -- wiring -------------------------------------------------------------------------------

    def install(self, logger: logging.Logger | None = None) -> None:
        (logger or logging.getLogger()).addHandler(self)

    def uninstall(self, logger: logging.Logger | None = None) -> None:
        (logger or logging.getLogger()).removeHandler(self)
        self._sink = self._loop = None

    def stream_to(self, sink: LogSink) -> None:
        """Forward new entries to `sink` on the running event loop (call it from that loop)."""
        self._loop = asyncio.get_running_loop()
        self._sink = sink

    def subscribe(self, client_id: str, enabled: bool) -> None:
        """Start or stop sending `logs` messages to one `/ws` client id."""
        if self._sink is None:
            return
        if enabled:
            self._sink.log_subscribers.add(client_id)
        else:
            self._sink.log_subscribers.discard(client_id)

    # -- reading ------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        with self._guard:
            return list(self._entries)

    def text(self) -> str:
        """Every entry as ComfyUI's `/internal/logs` joins them: "t - m", back to back."""
        return "".join(f"{entry['t']} - {entry['m']}" for entry in self.entries())

    def terminal_size(self) -> dict[str, int]:
        """The server console's size (80x24 when it has none), remembered for `size_change`."""
        columns, rows = shutil.get_terminal_size(FALLBACK_TERMINAL_SIZE)
        self._size = {"cols": columns, "rows": rows}
        return self._size

    def size_change(self) -> dict[str, int] | None:
        """The console size if it changed since it was last reported, else `None` (as ComfyUI)."""
        previous = self._size
        current = self.terminal_size()
        return None if current == previous else current

    # -- logging.Handler ----------------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        try:
            entry = {"t": datetime.fromtimestamp(record.created).isoformat(), "m": self.format(record) + "\n"}
        except Exception:
            self.handleError(record)
            return
        with self._guard:
            self._entries.append(entry)
            if self._sink is None or self._loop is None:
                return
            self._unsent.append(entry)
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
            loop = self._loop
        try:
            # One wake-up per burst: records logged before the flush runs ride along with it.
            loop.call_soon_threadsafe(self._flush)
        except RuntimeError:  # the loop has closed; the server is shutting down
            pass

    def _flush(self) -> None:
        """Send what arrived since the last flush (runs on the server's event loop)."""
        with self._guard:
            entries = list(self._unsent)
            self._unsent.clear()
            self._flush_scheduled = False
        sink = self._sink
        if entries and sink is not None and sink.log_subscribers:
            sink.send_logs(entries, self.size_change())
