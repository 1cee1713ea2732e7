"""`Members`: the member list of the current workspace, removing members and changing roles.

Any member may read the list; only owners may remove a member or change a role. A workspace
always keeps at least one owner, and nobody removes themselves (they leave instead).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import UserRecord
from comfyd.db.workspaces import WorkspaceMemberRecord, WorkspaceRole
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.customers.events import EventLog
from comfyd.platform.workspaces.errors import InvalidWorkspaceAction, LastOwner, MemberNotFound
from comfyd.platform.workspaces.events import WorkspaceEvent, record
from comfyd.platform.workspaces.membership import Membership, find_membership, lock_owners, require_current
from comfyd.platform.workspaces.models import ListMembersResponse, Member, Pagination
from comfyd.platform.workspaces.permissions import Permission
from comfyd.platform.workspaces.views import member_view


class Members:
    """The members of workspaces on one database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], events: EventLog) -> None:
        self._sessions = sessions
        self._events = events

    async def list(self, identity: Identity, *, offset: int, limit: int) -> ListMembersResponse:
        """One page of the current workspace's members, in the order they joined."""
        async with self._sessions() as session:
            viewer = await require_current(session, identity, Permission.MEMBER_READ)
            workspace_id = viewer.workspace.id
            total = await session.scalar(
                select(func.count()).where(WorkspaceMemberRecord.workspace_id == workspace_id)
            )
            query = (
                select(WorkspaceMemberRecord, UserRecord)
                .join(UserRecord, UserRecord.id == WorkspaceMemberRecord.user_id)
                .where(WorkspaceMemberRecord.workspace_id == workspace_id)
                .order_by(WorkspaceMemberRecord.joined_at, WorkspaceMemberRecord.user_id)
                .offset(offset)
                .limit(limit)
            )
            rows = (await session.execute(query)).all()
        total = total or 0
        return ListMembersResponse(
            members=[member_view(member, user, viewer=viewer) for member, user in rows],
            pagination=Pagination(
                offset=offset, limit=limit, total=total, has_more=offset + len(rows) < total
            ),
        )

    async def remove(self, identity: Identity, user_id: str) -> None:
        """Remove `user_id` from the current workspace; owners only.

        Their workspace tokens stop working at once: each use checks the membership.
        """
        async with self._sessions.begin() as session:
            owner = await require_current(session, identity, Permission.MEMBER_REMOVE)
            target = await self._other_member(session, owner, user_id)
            await session.delete(target.member)
            record(
                self._events,
                session,
                WorkspaceEvent.MEMBER_REMOVED,
                actor_id=identity.user_id,
                workspace=owner.workspace,
                member_id=user_id,
            )

    async def change_role(self, identity: Identity, user_id: str, role: str) -> Member:
        """Make `user_id` an owner or a member of the current workspace; owners only."""
        async with self._sessions.begin() as session:
            owner = await require_current(session, identity, Permission.MEMBER_UPDATE)
            target = await find_membership(session, workspace_id=owner.workspace.id, user_id=user_id)
            if target is None:
                raise MemberNotFound(owner.workspace.id, user_id)
            if role != WorkspaceRole.OWNER and await lock_owners(session, owner.workspace.id) == [user_id]:
                raise LastOwner(owner.workspace.id)
            if target.member.role != role:
                target.member.role = role
                record(
                    self._events,
                    session,
                    WorkspaceEvent.MEMBER_ROLE_CHANGED,
                    actor_id=identity.user_id,
                    workspace=owner.workspace,
                    member_id=user_id,
                    role=role,
                )
            user = await session.get(UserRecord, user_id)
            return member_view(target.member, user, viewer=owner)

    async def _other_member(self, session: AsyncSession, owner: Membership, user_id: str) -> Membership:
        if user_id == owner.member.user_id:
            raise InvalidWorkspaceAction("You cannot remove yourself from a workspace; leave it instead.")
        target = await find_membership(session, workspace_id=owner.workspace.id, user_id=user_id)
        if target is None:
            raise MemberNotFound(owner.workspace.id, user_id)
        return target
