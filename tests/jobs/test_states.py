"""The job lifecycle: which moves are allowed, which states are terminal, and their wire names."""

from __future__ import annotations

import pytest

from comfyd.jobs.states import JobStatus, statuses_for_wire

ALLOWED = {
    (JobStatus.PENDING, JobStatus.RUNNING),
    (JobStatus.PENDING, JobStatus.CANCELLED),
    (JobStatus.RUNNING, JobStatus.COMPLETED),
    (JobStatus.RUNNING, JobStatus.FAILED),
    (JobStatus.RUNNING, JobStatus.CANCELLED),
    (JobStatus.RUNNING, JobStatus.LOST),
    (JobStatus.RUNNING, JobStatus.PENDING),
}


@pytest.mark.parametrize("source", list(JobStatus), ids=str)
@pytest.mark.parametrize("target", list(JobStatus), ids=str)
def test_can_move_to_allows_exactly_the_lifecycles_links(source, target):
    assert source.can_move_to(target) == ((source, target) in ALLOWED)


def test_terminal_states_are_the_ones_a_job_never_leaves():
    terminal = {s for s in JobStatus if s.is_terminal}
    assert terminal == {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.LOST}
    assert all(not any(s.can_move_to(t) for t in JobStatus) for s in terminal)


def test_wire_names_follow_the_jobs_api():
    assert {s: s.wire for s in JobStatus} == {
        JobStatus.CANCELLED: "cancelled",
        JobStatus.COMPLETED: "completed",
        JobStatus.FAILED: "failed",
        JobStatus.LOST: "failed",
        JobStatus.PENDING: "pending",
        JobStatus.RUNNING: "in_progress",
    }


def test_statuses_for_wire_maps_names_back_and_failed_includes_lost():
    assert statuses_for_wire(["in_progress", "pending"]) == {JobStatus.RUNNING, JobStatus.PENDING}
    assert statuses_for_wire(["failed"]) == {JobStatus.FAILED, JobStatus.LOST}
    assert statuses_for_wire([]) == set()
    with pytest.raises(ValueError):
        statuses_for_wire(["bogus"])
