"""`WorkspaceService`: workspaces, and the caller's place in them.

Every user has a personal workspace, made with the user (`AccountService.create_user`), or here
on first need for a user who predates workspaces. Team workspaces are made by any user, who
becomes their owner. Actions on "the current workspace" act where the caller's identity acts
(`Identity.workspace_id`); their role there is read again in each action's transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import new_id, utcnow
from comfyd.db.workspaces import (
    WorkspaceMemberRecord,
    WorkspaceRecord,
    WorkspaceRole,
    WorkspaceType,
    personal_workspace,
)
from comfyd.platform.accounts.errors import UserNotFound
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.customers.events import EventLog
from comfyd.platform.workspaces.errors import InvalidWorkspaceAction, LastOwner
from comfyd.platform.workspaces.events import WorkspaceEvent, record
from comfyd.platform.workspaces.membership import (
    Membership,
    find_membership,
    find_personal,
    lock_owners,
    require_current,
    require_membership,
)
from comfyd.platform.workspaces.models import (
    CurrentWorkspaceResponse,
    ListWorkspacesResponse,
    WorkspaceCreate,
    WorkspaceUpdate,
    WorkspaceWithRole,
)
from comfyd.platform.workspaces.permissions import Permission, permissions_of
from comfyd.platform.workspaces.views import workspace_with_role


class WorkspaceService:
    """Workspaces on one database; workspace events go to `events`.

    For example:

        workspaces = WorkspaceService(sessions, EventLog(sessions))
        team = await workspaces.create(identity, WorkspaceCreate(name="Studio"))
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], events: EventLog) -> None:
        self._sessions = sessions
        self._events = events

    async def membership(self, *, workspace_id: str, user_id: str) -> Membership | None:
        """The user's membership of the workspace, or None when they are not a member (or it is gone)."""
        async with self._sessions() as session:
            return await find_membership(session, workspace_id=workspace_id, user_id=user_id)

    async def exists(self, workspace_id: str) -> bool:
        async with self._sessions() as session:
            return await session.get(WorkspaceRecord, workspace_id) is not None

    async def personal(self, user_id: str) -> Membership:
        """The user's personal workspace, made now if the user has none yet.

        Raises `UserNotFound` when there is no such user.
        """
        async with self._sessions() as session:
            found = await find_personal(session, user_id)
        if found is not None:
            return found
        try:
            async with self._sessions.begin() as session:
                for row in personal_workspace(user_id):
                    session.add(row)
                    await session.flush()  # the workspace before its member: no relationship orders them
        except IntegrityError:
            pass  # made by a request that came at once, or there is no such user (told apart below)
        async with self._sessions() as session:
            found = await find_personal(session, user_id)
        if found is None:
            raise UserNotFound(user_id)
        return found

    async def list(self, identity: Identity) -> ListWorkspacesResponse:
        """Every workspace the caller is a member of: the personal one first, then by age."""
        personal = await self.personal(identity.user_id)
        query = (
            select(WorkspaceRecord, WorkspaceMemberRecord)
            .join(WorkspaceMemberRecord, WorkspaceMemberRecord.workspace_id == WorkspaceRecord.id)
            .where(WorkspaceMemberRecord.user_id == identity.user_id)
            .order_by(
                WorkspaceRecord.type != WorkspaceType.PERSONAL, WorkspaceRecord.created_at, WorkspaceRecord.id
            )
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return ListWorkspacesResponse(
            workspaces=[workspace_with_role(Membership(*row)) for row in rows],
            can_create_workspace=True,
            default_workspace_id=personal.workspace.id,
        )

    async def create(self, identity: Identity, body: WorkspaceCreate) -> WorkspaceWithRole:
        """A new team workspace with the caller as its owner."""
        now = utcnow()
        workspace = WorkspaceRecord(
            id=new_id(), name=body.name, type=WorkspaceType.TEAM, created_by=identity.user_id, created_at=now
        )
        owner = WorkspaceMemberRecord(
            workspace_id=workspace.id, user_id=identity.user_id, role=WorkspaceRole.OWNER, joined_at=now
        )
        async with self._sessions.begin() as session:
            session.add(workspace)
            await session.flush()
            session.add(owner)
            record(
                self._events,
                session,
                WorkspaceEvent.WORKSPACE_CREATED,
                actor_id=identity.user_id,
                workspace=workspace,
            )
        return workspace_with_role(Membership(workspace, owner))

    async def update(self, identity: Identity, workspace_id: str, body: WorkspaceUpdate) -> WorkspaceWithRole:
        """Rename a workspace; owners only."""
        async with self._sessions.begin() as session:
            membership = await require_membership(
                session,
                workspace_id=workspace_id,
                user_id=identity.user_id,
                permission=Permission.WORKSPACE_UPDATE,
            )
            if body.name is not None:
                membership.workspace.name = body.name
        return workspace_with_role(membership)

    async def delete(self, identity: Identity, workspace_id: str) -> None:
        """Delete a team workspace with its memberships and invites; owners only.

        Raises `InvalidWorkspaceAction` for a personal workspace, which lives as long as its user.
        """
        async with self._sessions.begin() as session:
            membership = await require_membership(
                session,
                workspace_id=workspace_id,
                user_id=identity.user_id,
                permission=Permission.WORKSPACE_DELETE,
            )
            if membership.workspace.is_personal:
                raise InvalidWorkspaceAction("A personal workspace cannot be deleted.")
            record(
                self._events,
                session,
                WorkspaceEvent.WORKSPACE_DELETED,
                actor_id=identity.user_id,
                workspace=membership.workspace,
            )
            await session.execute(delete(WorkspaceRecord).where(WorkspaceRecord.id == workspace_id))

    async def current(self, identity: Identity) -> CurrentWorkspaceResponse:
        """The workspace the caller acts in, their role there and what it allows."""
        async with self._sessions() as session:
            membership = await require_current(session, identity, Permission.WORKSPACE_READ)
        workspace = membership.workspace
        return CurrentWorkspaceResponse(
            id=workspace.id,
            name=workspace.name,
            type=workspace.type,
            auth_method=identity.auth_method or "api_key",
            role=membership.role,
            permissions=permissions_of(membership.role),
        )

    async def leave(self, identity: Identity) -> None:
        """Leave the current workspace.

        Raises `InvalidWorkspaceAction` for a personal workspace and `LastOwner` for its only owner.
        """
        async with self._sessions.begin() as session:
            membership = await require_current(session, identity, Permission.WORKSPACE_READ)
            workspace = membership.workspace
            if workspace.is_personal:
                raise InvalidWorkspaceAction("You cannot leave your personal workspace.")
            if membership.member.role == WorkspaceRole.OWNER and await lock_owners(session, workspace.id) == [
                identity.user_id
            ]:
                raise LastOwner(workspace.id)
            await session.delete(membership.member)
            record(
                self._events,
                session,
                WorkspaceEvent.MEMBER_LEFT,
                actor_id=identity.user_id,
                workspace=workspace,
                member_id=identity.user_id,
            )
