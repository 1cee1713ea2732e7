"""`MemoryEventBus`: in-process delivery onto each subscriber's event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from comfyd.jobs.bus import Subscriber
from comfyd.jobs.events import Envelope


class MemoryEventBus:
    def __init__(self) -> None:
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, Subscriber]] = []
        self._lock = threading.Lock()

    def publish(self, envelope: Envelope) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, callback in subscribers:
            if not loop.is_closed():
                loop.call_soon_threadsafe(callback, envelope)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        entry = (asyncio.get_running_loop(), callback)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe
