"""The lifecycle of one download: stored states, their legal moves, and the `/ws` phases.

    pending ──► running ──► completed
       │           ├──────► failed
       └───────────┴──────► cancelled      (and pending ──► failed, when it cannot even start)

A `running` row left behind by a stopped server stays `running`: the next start resumes it.
"""

from __future__ import annotations

from enum import StrEnum

from comfyd.assets.errors import IllegalDownloadTransition


class DownloadState(StrEnum):
    """What the `asset_downloads.status` column holds."""

    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"
    PENDING = "pending"
    RUNNING = "running"

    @property
    def is_terminal(self) -> bool:
        return self in (DownloadState.COMPLETED, DownloadState.FAILED, DownloadState.CANCELLED)

    def check_move(self, wanted: DownloadState) -> None:
        """Raise `IllegalDownloadTransition` unless the lifecycle allows going to `wanted`."""
        if wanted not in _MOVES[self]:
            raise IllegalDownloadTransition(self.value, wanted.value)


_MOVES: dict[DownloadState, frozenset[DownloadState]] = {
    DownloadState.PENDING: frozenset({DownloadState.RUNNING, DownloadState.FAILED, DownloadState.CANCELLED}),
    DownloadState.RUNNING: frozenset(
        {DownloadState.COMPLETED, DownloadState.FAILED, DownloadState.CANCELLED}
    ),
    DownloadState.COMPLETED: frozenset(),
    DownloadState.FAILED: frozenset(),
    DownloadState.CANCELLED: frozenset(),
}


class DownloadPhase(StrEnum):
    """The `status` of an `asset_download` `/ws` message."""

    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"
    PROGRESS = "progress"
    STARTED = "started"
