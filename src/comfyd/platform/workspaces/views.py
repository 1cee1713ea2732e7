"""Rows to wire shapes: what a workspace, a member or an invite looks like to the frontend."""

from __future__ import annotations

from comfyd.db.accounts import UserRecord
from comfyd.db.workspaces import WorkspaceInviteRecord, WorkspaceMemberRecord, WorkspaceRecord, WorkspaceRole
from comfyd.platform.workspaces.membership import Membership
from comfyd.platform.workspaces.models import (
    Member,
    MemberCapabilities,
    PendingInvite,
    WorkspaceSummary,
    WorkspaceWithRole,
)


def workspace_with_role(membership: Membership) -> WorkspaceWithRole:
    workspace, member = membership.workspace, membership.member
    return WorkspaceWithRole(
        id=workspace.id,
        name=workspace.name,
        type=workspace.type,
        role=member.role,
        created_at=workspace.created_at,
        joined_at=member.joined_at,
    )


def workspace_summary(workspace: WorkspaceRecord) -> WorkspaceSummary:
    return WorkspaceSummary(id=workspace.id, name=workspace.name, type=workspace.type)


def member_view(member: WorkspaceMemberRecord, user: UserRecord, *, viewer: Membership) -> Member:
    """`member` as `viewer` sees it: `capabilities` say what the viewer may do to them."""
    may_manage = viewer.role == WorkspaceRole.OWNER and member.user_id != viewer.member.user_id
    return Member(
        id=user.id,
        name=user.name or user.email.split("@", 1)[0],
        email=user.email,
        role=member.role,
        joined_at=member.joined_at,
        is_original_owner=user.id == viewer.workspace.created_by,
        capabilities=MemberCapabilities(can_change_role=may_manage, can_remove=may_manage),
    )


def pending_invite(invite: WorkspaceInviteRecord, *, token: str | None = None) -> PendingInvite:
    return PendingInvite(
        id=invite.id,
        email=invite.email,
        role=invite.role,
        invited_at=invite.invited_at,
        expires_at=invite.expires_at,
        token=token,
    )
