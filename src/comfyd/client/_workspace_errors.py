"""The workspace API's exceptions, as the frontend's `workspaceApi` throws them. A leaf module
beside `_errors.py`, whose tree they join:

    ComfydError
    └── WorkspaceApiError(message, status, code, operation)   any failed `WorkspaceApi` call
        └── NoWorkspaceAccessError                             403 `no_workspace_access`

`status` is None when no answer came (the network failed, or the answer was unreadable).
"""

from __future__ import annotations

from comfyd.client._errors import ComfydError

__all__ = ["NoWorkspaceAccessError", "WorkspaceApiError"]

NO_WORKSPACE_ACCESS = "no_workspace_access"
"""The code of a 403 from a caller who may enter no workspace it asked for."""


class WorkspaceApiError(ComfydError):
    """A workspace or workspace-billing call failed.

    `message` is the server's `message` (else the HTTP failure in words), `status` the HTTP
    status, `code` the server's machine-readable `code` (None when it sent none), and `operation`
    the frontend's name of the call (`list`, `createInvite`, ...).
    """

    def __init__(
        self, message: str, status: int | None = None, code: str | None = None, operation: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.operation = operation

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status}, code={self.code!r})"


class NoWorkspaceAccessError(WorkspaceApiError):
    """The caller is not (or no longer) a member of the workspace it acts in: the frontend sends
    such a user back to workspace selection."""

    def __init__(self, message: str, status: int | None = 403, operation: str | None = None) -> None:
        super().__init__(message, status, NO_WORKSPACE_ACCESS, operation)
