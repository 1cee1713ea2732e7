"""What each workspace role may do: `scope:resource:action` permissions and the check.

Owners may do everything; members may read the workspace and its member list. A role is always
read from the database at the time of the action, never from a token the caller holds.
"""

from __future__ import annotations

from enum import StrEnum

from comfyd.db.workspaces import WorkspaceMemberRecord, WorkspaceRecord, WorkspaceRole
from comfyd.platform.workspaces.errors import PermissionDenied


class Permission(StrEnum):
    INVITE_CREATE = "workspace:invite:create"
    INVITE_READ = "workspace:invite:read"
    INVITE_REVOKE = "workspace:invite:revoke"
    MEMBER_READ = "workspace:member:read"
    MEMBER_REMOVE = "workspace:member:remove"
    MEMBER_UPDATE = "workspace:member:update"
    WORKSPACE_DELETE = "workspace:workspace:delete"
    WORKSPACE_READ = "workspace:workspace:read"
    WORKSPACE_UPDATE = "workspace:workspace:update"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    WorkspaceRole.MEMBER: frozenset({Permission.MEMBER_READ, Permission.WORKSPACE_READ}),
    WorkspaceRole.OWNER: frozenset(Permission),
}


def permissions_of(role: str | None) -> list[str]:
    """The permissions of `role`, sorted, as the wire lists them (`permissions: [...]`)."""
    return sorted(ROLE_PERMISSIONS.get(role or "", frozenset()))


def require(workspace: WorkspaceRecord, member: WorkspaceMemberRecord, permission: Permission) -> None:
    """Raise `PermissionDenied` unless `member`'s role in `workspace` grants `permission`."""
    if permission not in ROLE_PERMISSIONS.get(member.role, frozenset()):
        raise PermissionDenied(workspace.id, permission)
