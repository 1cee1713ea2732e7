"""`MemoryEventBus`: in-process delivery onto each subscriber's event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from comfyd.jobs.bus import Subscriber
from comfyd.jobs.events import Envelope


class MemoryEventBus:
    def __init__(self) -> None:
        self._subscribers: list[_Subscription] = []
        self._lock = threading.Lock()

    def publish(self, envelope: Envelope) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.deliver(envelope)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        subscription = _Subscription(asyncio.get_running_loop(), callback)
        with self._lock:
            self._subscribers.append(subscription)

        def unsubscribe() -> None:
            with self._lock:
                if subscription in self._subscribers:
                    self._subscribers.remove(subscription)

        return unsubscribe


class _Subscription:
    """One subscriber's envelopes, in order, handed to its loop in bursts.

    A prompt publishes a dozen events in a millisecond or two from the worker's thread. Waking
    the subscriber's loop for each one costs a system call, and a fight for the GIL with the
    worker each time; instead the loop is woken once, and takes whatever has piled up by then.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Subscriber) -> None:
        self.loop = loop
        self.callback = callback
        self._lock = threading.Lock()
        self._pending: list[Envelope] = []

    def deliver(self, envelope: Envelope) -> None:
        if self.loop.is_closed():
            return
        with self._lock:
            self._pending.append(envelope)
            if len(self._pending) > 1:  # a drain is already on its way
                return
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop closed just now: nobody is left to tell
            pass

    def _drain(self) -> None:
        with self._lock:
            envelopes, self._pending = self._pending, []
        for envelope in envelopes:
            try:
                self.callback(envelope)
            except Exception as exc:  # one bad envelope must not swallow the ones behind it
                self.loop.call_exception_handler({"message": "Event bus subscriber failed", "exception": exc})
