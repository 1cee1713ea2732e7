"""The event bus between workers and the servers that hold client sockets.

`EventBus` is the contract; `MemoryEventBus` serves one process, a Redis bus serves a cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from comfyd.jobs.events import Envelope

Subscriber = Callable[[Envelope], None]


class EventBus(Protocol):
    def publish(self, envelope: Envelope) -> None:
        """Deliver `envelope` to every subscriber. Safe from any thread; never blocks."""

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` on the subscribing thread's event loop for each envelope.

        Must be called from inside a running event loop. Returns the unsubscribe function.
        """
