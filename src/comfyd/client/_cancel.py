"""`CancelToken`, the SDK's AbortController: one object a caller cancels, from any thread, to
end the calls it was given to. The helpers here turn a cancellation into what each kind of call
needs: the async one cancels the awaiting task; the sync transport (`_transport.py`) shuts the
call's socket down.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from comfyd.client._errors import Cancelled

__all__ = ["CancelToken"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CancelToken:
    """Cancels the SDK calls it is passed to, like the frontend's `AbortController.signal`.

        token = CancelToken()
        threading.Timer(5, token.cancel).start()
        packs = registry.search(search="controlnet", cancel=token)   # None if cancelled in time

    `cancel()` is thread-safe and idempotent. A call that is running when it fires ends at once
    and releases its connection; a call started with a cancelled token never sends anything.
    Client calls then raise `Cancelled`; service calls return None and leave `error` unset.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], object]] = {}
        self._next_id = 0
        self.reason: str | None = None

    @property
    def is_cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str = "The call was cancelled.") -> None:
        """Cancel every call using this token now; later calls with it end before they start."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one call's clean-up must not stop the others'
                logger.exception("A cancellation callback failed")

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled(self.reason or "The call was cancelled.")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or `timeout` seconds pass; whether it was cancelled."""
        return self._event.wait(timeout)

    def on_cancel(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Run `callback` (in the cancelling thread) when the token is cancelled, or now if it
        already is; returns a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                key = self._next_id
                self._next_id += 1
                self._callbacks[key] = callback
                return lambda: self._forget(key)
        callback()
        return _nothing

    def _forget(self, key: int) -> None:
        with self._lock:
            self._callbacks.pop(key, None)

    def __repr__(self) -> str:
        return f"<CancelToken {'cancelled' if self.is_cancelled else 'active'}>"


async def cancellable(awaitable: Awaitable[T], cancel: CancelToken | None) -> T:
    """Await `awaitable`, ending it with `Cancelled` when `cancel` fires (from any thread).

    The work runs as a child task so that a token cancellation is told apart from a cancellation
    of the caller's own task, which propagates as usual.
    """
    if cancel is None:
        return await awaitable
    if cancel.is_cancelled:
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never started; closing it spares a "never awaited" warning
        cancel.raise_if_cancelled()
    task = asyncio.ensure_future(awaitable)
    loop = asyncio.get_running_loop()
    forget = cancel.on_cancel(lambda: loop.call_soon_threadsafe(task.cancel))
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if cancel.is_cancelled and (current is None or not current.cancelling()):
            raise Cancelled(cancel.reason or "The call was cancelled.") from None
        raise
    finally:
        forget()


def _nothing() -> None:
    pass
