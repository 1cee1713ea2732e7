"""`ReleaseService` and `AsyncReleaseService`: the frontend's release-notes service (the Help
Center's "what's new") for Python, and the `ReleaseNote` it reads.

They call `GET /releases` on an api.comfy.org-compatible platform (comfyd serves it; no sign-in).
As in the frontend, a failed call returns None and leaves its message in `error`, and
`is_loading` is True while a call runs.

    with ReleaseService("http://127.0.0.1:8188") as releases:
        notes = releases.get_releases(project="comfyui", current_version="0.3.64")
        latest = notes[0] if notes else None        # newest first
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from comfyd.client._calls import Endpoint
from comfyd.client._cancel import CancelToken
from comfyd.client._services import (
    AsyncService,
    Failure,
    Operation,
    ServiceBase,
    ServiceCall,
    SyncService,
    describe_api_error,
)

__all__ = ["AsyncReleaseService", "ReleaseNote", "ReleaseService"]


class ReleaseNote(BaseModel):
    """A release of a project. `content` is Markdown; `attention` is `low`, `medium` or `high`;
    `project` is `comfyui`, `comfyui_frontend`, `desktop` or `cloud`. Every field is required,
    as in the frontend's type; unknown ones are kept."""

    model_config = ConfigDict(extra="allow")

    id: int
    project: str
    version: str
    attention: str
    content: str
    published_at: datetime


GET_RELEASES = Operation(
    Endpoint(
        "GET", "releases", list[ReleaseNote], query=("project", "current_version", "form_factor", "locale")
    ),
    "Failed to get releases",
    {400: "Invalid project or version parameter"},
)
OPERATIONS = [GET_RELEASES]
"""Every route the release services call (the drift test's list)."""


class _ReleaseCalls(ServiceBase):
    """What both twins do without I/O."""

    def describe(self, call: ServiceCall[Any], failure: Failure) -> str:
        # The release service's own copy of the shared wording has no case for 409: it gets the
        # context, as every other unlisted status does.
        if failure.status == 409:
            return f"{call.operation.context}: {failure.message or failure.reason}"
        return describe_api_error(failure, call.operation.context, call.errors)

    @staticmethod
    def _releases(
        project: str, current_version: str, form_factor: str | None, locale: str | None
    ) -> ServiceCall[list[ReleaseNote]]:
        params = {
            "project": project,
            "current_version": current_version,
            "form_factor": form_factor,
            "locale": locale,
        }
        return GET_RELEASES.call(params=params)


class ReleaseService(_ReleaseCalls, SyncService):
    """The release-notes service, blocking. `base_url` is the platform's root (default
    https://api.comfy.org). The frontend also sends `Comfy-Env: <deploy environment>` when it
    knows one; pass it in `headers=` to do the same.

    `get_releases` returns None on failure, with the frontend's message in `error`, and on
    cancellation, with `error` unset. Safe to share between threads.
    """

    def get_releases(
        self,
        *,
        project: str,
        current_version: str,
        form_factor: str | None = None,
        locale: str | None = None,
        cancel: CancelToken | None = None,
    ) -> list[ReleaseNote] | None:
        """The project's release notes, newest first, in `locale` where the platform has it
        (else English). `form_factor` is the frontend's `desktop-windows`, `git-linux`, ...."""
        return self._execute(self._releases(project, current_version, form_factor, locale), cancel)


class AsyncReleaseService(_ReleaseCalls, AsyncService):
    """The async twin of `ReleaseService`: the same methods, awaited."""

    async def get_releases(
        self,
        *,
        project: str,
        current_version: str,
        form_factor: str | None = None,
        locale: str | None = None,
        cancel: CancelToken | None = None,
    ) -> list[ReleaseNote] | None:
        return await self._execute(self._releases(project, current_version, form_factor, locale), cancel)
