"""The job lifecycle: `pending → running → completed | failed | cancelled`, plus `lost`.

`lost` is a job whose runner died (the server was killed while it ran, or a worker's lease
expired). It is terminal; the prompt can be queued again as a new job.
"""

from __future__ import annotations

import enum


class JobStatus(enum.StrEnum):
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"
    LOST = "lost"
    PENDING = "pending"
    RUNNING = "running"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def wire(self) -> str:
        """The Jobs API's name: `in_progress` for running, `failed` for lost."""
        return _WIRE.get(self, self.value)

    def can_move_to(self, other: JobStatus) -> bool:
        return other in _MOVES[self]


_TERMINAL = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.LOST}
_WIRE = {JobStatus.RUNNING: "in_progress", JobStatus.LOST: "failed"}
_MOVES = {
    JobStatus.PENDING: {JobStatus.RUNNING, JobStatus.CANCELLED},
    JobStatus.RUNNING: {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.LOST, JobStatus.PENDING},
    JobStatus.COMPLETED: set(),
    JobStatus.FAILED: set(),
    JobStatus.CANCELLED: set(),
    JobStatus.LOST: set(),
}


def statuses_for_wire(names: list[str]) -> set[JobStatus]:
    """Map Jobs API status names to stored states (`failed` includes `lost`)."""
    found: set[JobStatus] = set()
    for name in names:
        if name == "in_progress":
            found.add(JobStatus.RUNNING)
        elif name == "failed":
            found |= {JobStatus.FAILED, JobStatus.LOST}
        else:
            found.add(JobStatus(name))
    return found
