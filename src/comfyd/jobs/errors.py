"""Exceptions of the jobs layer.

    JobsError
    ├── JobNotFound            no job has that id (or the caller may not see it)
    ├── PromptIdConflict       a client-supplied prompt_id is already taken
    └── IllegalTransition      a job was asked to move between states that are not linked
"""

from __future__ import annotations


class JobsError(Exception):
    """Base class of the jobs layer's exceptions."""


class JobNotFound(JobsError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job {job_id} was not found.")
        self.job_id = job_id


class PromptIdConflict(JobsError):
    def __init__(self, prompt_id: str) -> None:
        super().__init__(f"A prompt with id {prompt_id} already exists.")
        self.prompt_id = prompt_id


class IllegalTransition(JobsError):
    def __init__(self, job_id: str, current: str, requested: str) -> None:
        super().__init__(f"Job {job_id} cannot move from {current} to {requested}.")
        self.job_id = job_id
        self.current = current
        self.requested = requested
