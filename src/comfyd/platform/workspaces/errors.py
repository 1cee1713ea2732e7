"""Exceptions of the workspaces feature, each with its HTTP status and a machine-readable code.

    WorkspaceError
    ├── WorkspaceNotFound          404  no workspace has that id
    ├── PermissionDenied           403  the caller's role lacks the permission
    ├── InvalidWorkspaceAction     400  what no role may do: delete or leave a personal workspace,
    │                                   invite to one, remove yourself instead of leaving
    ├── LastOwner                  409  the action would leave a workspace without an owner
    ├── MemberNotFound             404  the user is not a member of the workspace
    ├── AlreadyMember              409  the invited email is a member already
    └── InviteError
        ├── InviteNotFound         404  no pending invite has that id or token
        ├── InviteExpired          410  the invite is past its expiry
        ├── InviteRevoked          410  an owner revoked the invite
        ├── InviteAlreadyAccepted  409  the invite was used already (each is single use)
        └── InviteForAnotherEmail  403  the invite names another email than the caller's

A caller who is not a member of the workspace at all gets `NoWorkspaceAccess` (403,
`no_workspace_access`) from the accounts feature, the same error the identity layer raises.
"""

from __future__ import annotations

from http import HTTPStatus


class WorkspaceError(Exception):
    """Base class: `status` and `code` say how the platform answers it."""

    status: HTTPStatus = HTTPStatus.BAD_REQUEST
    code: str = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkspaceNotFound(WorkspaceError):
    status, code = HTTPStatus.NOT_FOUND, "workspace_not_found"

    def __init__(self, workspace_id: str) -> None:
        super().__init__(f"Workspace {workspace_id} was not found.")
        self.workspace_id = workspace_id


class PermissionDenied(WorkspaceError):
    status, code = HTTPStatus.FORBIDDEN, "forbidden"

    def __init__(self, workspace_id: str, permission: str) -> None:
        super().__init__(f"Your role in workspace {workspace_id} does not allow {permission}.")
        self.workspace_id = workspace_id
        self.permission = permission


class InvalidWorkspaceAction(WorkspaceError):
    status, code = HTTPStatus.BAD_REQUEST, "invalid_action"


class LastOwner(WorkspaceError):
    status, code = HTTPStatus.CONFLICT, "last_owner"

    def __init__(self, workspace_id: str) -> None:
        super().__init__(f"Workspace {workspace_id} needs another owner first: it would be left with none.")
        self.workspace_id = workspace_id


class MemberNotFound(WorkspaceError):
    status, code = HTTPStatus.NOT_FOUND, "member_not_found"

    def __init__(self, workspace_id: str, user_id: str) -> None:
        super().__init__(f"User {user_id} is not a member of workspace {workspace_id}.")
        self.workspace_id = workspace_id
        self.user_id = user_id


class AlreadyMember(WorkspaceError):
    status, code = HTTPStatus.CONFLICT, "already_member"

    def __init__(self, workspace_id: str, email: str) -> None:
        super().__init__(f"{email} is already a member of workspace {workspace_id}.")
        self.workspace_id = workspace_id
        self.email = email


class InviteError(WorkspaceError):
    """An invite that cannot be used or changed."""


class InviteNotFound(InviteError):
    status, code = HTTPStatus.NOT_FOUND, "invite_not_found"

    def __init__(self, invite: str = "") -> None:
        super().__init__(f"Invite {invite} was not found." if invite else "The invite was not found.")
        self.invite = invite


class InviteExpired(InviteError):
    status, code = HTTPStatus.GONE, "invite_expired"

    def __init__(self) -> None:
        super().__init__("The invite has expired; ask for a new one.")


class InviteRevoked(InviteError):
    status, code = HTTPStatus.GONE, "invite_revoked"

    def __init__(self) -> None:
        super().__init__("The invite was revoked.")


class InviteAlreadyAccepted(InviteError):
    status, code = HTTPStatus.CONFLICT, "invite_already_accepted"

    def __init__(self) -> None:
        super().__init__("The invite was accepted already; each invite can be used once.")


class InviteForAnotherEmail(InviteError):
    status, code = HTTPStatus.FORBIDDEN, "invite_email_mismatch"

    def __init__(self) -> None:
        super().__init__("The invite was sent to another email address than yours.")
