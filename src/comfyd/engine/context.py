"""What node code can reach while it runs: the current run and the current node.

Both are context variables, so concurrent async nodes each see their own node, and code outside a
run (a pack's import, a test) sees none. The compatibility modules (`comfy.utils.ProgressBar`,
`comfy.model_management`, `comfy_api`) are thin layers over the functions here.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from comfyd.engine.errors import InterruptProcessingException

if TYPE_CHECKING:
    from comfyd.engine.run import Run


class NodeContext(NamedTuple):
    """The node whose code is running, as ComfyUI's `ExecutionContext`."""

    prompt_id: str
    node_id: str
    list_index: int | None


_current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar("comfyd_run", default=None)
_current_node: contextvars.ContextVar[NodeContext | None] = contextvars.ContextVar(
    "comfyd_node", default=None
)
_active_runs: set[Run] = set()
_active_lock = threading.Lock()


def current_run() -> Run | None:
    return _current_run.get()


def current_node() -> NodeContext | None:
    return _current_node.get()


@contextmanager
def running(run: Run) -> Iterator[None]:
    """Make `run` the current run for the code inside the block."""
    token = _current_run.set(run)
    with _active_lock:
        _active_runs.add(run)
    try:
        yield
    finally:
        with _active_lock:
            _active_runs.discard(run)
        _current_run.reset(token)


@contextmanager
def executing_node(prompt_id: str, node_id: str, list_index: int | None) -> Iterator[None]:
    token = _current_node.set(NodeContext(prompt_id, node_id, list_index))
    try:
        yield
    finally:
        _current_node.reset(token)


def interrupt_all(value: bool = True) -> None:
    """ComfyUI's global interrupt: interrupts every run in progress (or clears the flag)."""
    run = current_run()
    targets = [run] if run is not None else None
    if targets is None:
        with _active_lock:
            targets = list(_active_runs)
    for target in targets:
        target.interrupted = value


def is_interrupted() -> bool:
    run = current_run()
    if run is not None:
        return run.interrupted
    with _active_lock:
        return any(r.interrupted for r in _active_runs)


def check_interrupt() -> None:
    """Raise `InterruptProcessingException` if the current run was asked to stop."""
    if is_interrupted():
        raise InterruptProcessingException()


def report_progress(
    value: float,
    total: float,
    preview: Any = None,
    *,
    prompt_id: str | None = None,
    node_id: str | None = None,
) -> None:
    """Report a node's progress (and optionally a preview); raises if the run was interrupted.

    This is what `comfy.utils.ProgressBar` calls. Outside a run it does nothing but the check.
    """
    check_interrupt()
    run = current_run()
    node = current_node()
    if run is None:
        return
    if node_id is None:
        node_id = node.node_id if node is not None else run.last_node_id
    if node_id is None:
        return
    run.progress.update(node_id, value, total, preview, legacy=True, prompt_id=prompt_id)


def set_progress(value: float, max_value: float, *, node_id: str | None = None, preview: Any = None) -> None:
    """`comfy_api`'s progress call: updates `progress_state` only, with no legacy `progress`."""
    run = current_run()
    node = current_node()
    if run is None:
        return
    node_id = node_id or (node.node_id if node is not None else run.last_node_id)
    if node_id is not None:
        run.progress.update(node_id, value, max_value, preview, legacy=False)


def send_progress_text(text: str, node_id: str | None = None) -> None:
    """Show `text` on a node in the UI."""
    run = current_run()
    node = current_node()
    if run is None:
        return
    node_id = node_id or (node.node_id if node is not None else run.last_node_id)
    if node_id is not None:
        run.send_progress_text(text, node_id)
