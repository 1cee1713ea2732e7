"""Finding a user's membership of a workspace inside a transaction, and the checks every
workspace action starts with: is the caller a member, and does their role allow the action."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from comfyd.db.workspaces import WorkspaceMemberRecord, WorkspaceRecord, WorkspaceRole
from comfyd.platform.accounts.errors import NoWorkspaceAccess
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.workspaces.errors import WorkspaceNotFound
from comfyd.platform.workspaces.permissions import Permission, require


@dataclass(frozen=True)
class Membership:
    """A workspace and one user's membership of it."""

    workspace: WorkspaceRecord
    member: WorkspaceMemberRecord

    @property
    def role(self) -> str:
        return self.member.role


async def find_membership(session: AsyncSession, *, workspace_id: str, user_id: str) -> Membership | None:
    """The user's membership of the workspace, or None when either is missing or they are not one."""
    query = (
        select(WorkspaceRecord, WorkspaceMemberRecord)
        .join(WorkspaceMemberRecord, WorkspaceMemberRecord.workspace_id == WorkspaceRecord.id)
        .where(WorkspaceRecord.id == workspace_id, WorkspaceMemberRecord.user_id == user_id)
    )
    row = (await session.execute(query)).first()
    return Membership(*row) if row else None


async def find_personal(session: AsyncSession, user_id: str) -> Membership | None:
    """The user's personal workspace and their (owner's) membership of it, or None if not made yet."""
    query = (
        select(WorkspaceRecord, WorkspaceMemberRecord)
        .join(WorkspaceMemberRecord, WorkspaceMemberRecord.workspace_id == WorkspaceRecord.id)
        .where(WorkspaceRecord.personal_owner_id == user_id, WorkspaceMemberRecord.user_id == user_id)
    )
    row = (await session.execute(query)).first()
    return Membership(*row) if row else None


async def require_membership(
    session: AsyncSession, *, workspace_id: str, user_id: str, permission: Permission
) -> Membership:
    """The user's membership of `workspace_id`, with `permission` required of their role.

    Raises `WorkspaceNotFound` when there is no such workspace, `NoWorkspaceAccess` when the user
    is not a member, and `PermissionDenied` when their role lacks the permission.
    """
    membership = await find_membership(session, workspace_id=workspace_id, user_id=user_id)
    if membership is None:
        if await session.get(WorkspaceRecord, workspace_id) is None:
            raise WorkspaceNotFound(workspace_id)
        raise NoWorkspaceAccess(workspace_id)
    require(membership.workspace, membership.member, permission)
    return membership


async def require_current(session: AsyncSession, identity: Identity, permission: Permission) -> Membership:
    """The caller's membership of the workspace they act in, with `permission` required.

    Checked again here, not taken from the identity: a member removed since the request was
    authenticated (or since their token was minted) gets `NoWorkspaceAccess`.
    """
    if identity.workspace_id is None:
        raise NoWorkspaceAccess(None)
    membership = await find_membership(session, workspace_id=identity.workspace_id, user_id=identity.user_id)
    if membership is None:
        raise NoWorkspaceAccess(identity.workspace_id)
    require(membership.workspace, membership.member, permission)
    return membership


async def lock_owners(session: AsyncSession, workspace_id: str) -> list[str]:
    """The ids of the workspace's owners, locked until the transaction ends (on PostgreSQL;
    SQLite has one writer at a time anyway), so two owners leaving at once cannot leave none."""
    query = (
        select(WorkspaceMemberRecord.user_id)
        .where(
            WorkspaceMemberRecord.workspace_id == workspace_id,
            WorkspaceMemberRecord.role == WorkspaceRole.OWNER,
        )
        .with_for_update()
    )
    return list(await session.scalars(query))


async def count_members(session: AsyncSession, workspace_id: str) -> int:
    query = select(func.count()).where(WorkspaceMemberRecord.workspace_id == workspace_id)
    return await session.scalar(query) or 0
