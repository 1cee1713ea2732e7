"""Helpers for the SDK's twin tests: a class's public surface (to show that a sync class and its
async twin match), a blocking call run in a thread (to cancel it, or hold its answer, from the
test), and the port of a server's URL (to put a `TcpProxy` in front of it).

    sync, async_ = surface(ComfyClient), surface(AsyncComfyClient)
    assert sync.pop("close") == async_.pop("aclose") and sync == async_
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable


def surface(cls: type) -> dict[str, list[tuple]]:
    """A class's public methods and their parameters (name, kind, default)."""
    methods = {
        name: getattr(cls, name)
        for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name))
    }
    return {
        name: [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]
        for name, method in methods.items()
    }


def in_thread(function: Callable, *args, **kwargs) -> tuple[threading.Thread, dict]:
    """Run `function` in a thread; the dict gets its `result` or its `error`."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = function(*args, **kwargs)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])
