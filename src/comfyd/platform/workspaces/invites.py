"""`Invites`: inviting people to a team workspace by email, and joining with an invite's token.

An invite's token (256 random bits, URL-safe) is shown once, in the answer that made it, for the
owner to pass on; the database keeps only its SHA-256. An invite is single use and expires after
`INVITE_LIFETIME`. It can be accepted only by a signed-in user with the invited email, so a token
that leaks lets nobody else in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import UserRecord, new_id, utcnow
from comfyd.db.workspaces import WorkspaceInviteRecord, WorkspaceMemberRecord, WorkspaceRecord
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.accounts.service import normalize_email
from comfyd.platform.customers.events import EventLog
from comfyd.platform.workspaces.errors import (
    AlreadyMember,
    InvalidWorkspaceAction,
    InviteAlreadyAccepted,
    InviteExpired,
    InviteForAnotherEmail,
    InviteNotFound,
    InviteRevoked,
)
from comfyd.platform.workspaces.events import WorkspaceEvent, record
from comfyd.platform.workspaces.membership import Membership, find_membership, require_current
from comfyd.platform.workspaces.models import (
    AcceptInviteResponse,
    InviteCreate,
    ListInvitesResponse,
    PendingInvite,
)
from comfyd.platform.workspaces.permissions import Permission
from comfyd.platform.workspaces.views import pending_invite

INVITE_LIFETIME = timedelta(days=7)


def hash_invite_token(token: str) -> str:
    """The SHA-256 of `token`, in hex: what `workspace_invites.token_hash` holds."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invites:
    """Invites to workspaces on one database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], events: EventLog) -> None:
        self._sessions = sessions
        self._events = events

    async def list(self, identity: Identity) -> ListInvitesResponse:
        """The current workspace's pending invites, oldest first; owners only."""
        async with self._sessions() as session:
            owner = await require_current(session, identity, Permission.INVITE_READ)
            query = (
                select(WorkspaceInviteRecord)
                .where(
                    WorkspaceInviteRecord.workspace_id == owner.workspace.id,
                    WorkspaceInviteRecord.accepted_at.is_(None),
                    WorkspaceInviteRecord.revoked_at.is_(None),
                    WorkspaceInviteRecord.expires_at > utcnow(),
                )
                .order_by(WorkspaceInviteRecord.invited_at, WorkspaceInviteRecord.id)
            )
            invites = list(await session.scalars(query))
        return ListInvitesResponse(invites=[pending_invite(invite) for invite in invites])

    async def create(self, identity: Identity, body: InviteCreate) -> PendingInvite:
        """Invite `body.email` to the current team workspace; owners only. The answer holds the token."""
        email = normalize_email(body.email)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        async with self._sessions.begin() as session:
            owner = await require_current(session, identity, Permission.INVITE_CREATE)
            if owner.workspace.is_personal:
                raise InvalidWorkspaceAction(
                    "A personal workspace has no other members; invite to a team workspace."
                )
            await self._refuse_members(session, owner, email)
            invite = WorkspaceInviteRecord(
                id=new_id(),
                workspace_id=owner.workspace.id,
                email=email,
                role=body.role,
                token_hash=hash_invite_token(token),
                invited_by=identity.user_id,
                invited_at=now,
                expires_at=now + INVITE_LIFETIME,
            )
            session.add(invite)
            self._record(session, WorkspaceEvent.INVITE_CREATED, identity, owner, invite)
        return pending_invite(invite, token=token)

    async def resend(self, identity: Identity, invite_id: str) -> PendingInvite:
        """A pending invite with a fresh token and expiry (the old token stops working); owners only."""
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            owner = await require_current(session, identity, Permission.INVITE_CREATE)
            invite = await self._pending(session, owner, invite_id)
            invite.token_hash = hash_invite_token(token)
            invite.expires_at = utcnow() + INVITE_LIFETIME
        return pending_invite(invite, token=token)

    async def revoke(self, identity: Identity, invite_id: str) -> None:
        """Revoke a pending invite of the current workspace; owners only."""
        async with self._sessions.begin() as session:
            owner = await require_current(session, identity, Permission.INVITE_REVOKE)
            invite = await self._pending(session, owner, invite_id)
            invite.revoked_at = utcnow()
            self._record(session, WorkspaceEvent.INVITE_REVOKED, identity, owner, invite)

    async def accept(self, identity: Identity, token: str) -> AcceptInviteResponse:
        """Join the invite's workspace as the invite's role, and use the invite up.

        Raises `InviteNotFound`, `InviteRevoked`, `InviteExpired`, `InviteAlreadyAccepted` or
        `InviteForAnotherEmail`; none of them changes anything. A caller who is a member already
        keeps their role, and the invite is used up all the same.
        """
        async with self._sessions.begin() as session:
            invite = await session.scalar(
                select(WorkspaceInviteRecord).where(
                    WorkspaceInviteRecord.token_hash == hash_invite_token(token)
                )
            )
            self._check_usable(invite, identity)
            await self._use(session, invite, identity)
            workspace = await session.get(WorkspaceRecord, invite.workspace_id)
            joined = (
                await find_membership(session, workspace_id=workspace.id, user_id=identity.user_id) is None
            )
            if joined:
                member = WorkspaceMemberRecord(
                    workspace_id=workspace.id, user_id=identity.user_id, role=invite.role, joined_at=utcnow()
                )
                session.add(member)
            params = {"invite_id": invite.id, "email": invite.email, "role": invite.role}
            actor = identity.user_id
            record(
                self._events,
                session,
                WorkspaceEvent.INVITE_ACCEPTED,
                actor_id=actor,
                workspace=workspace,
                **params,
            )
            if joined:
                record(
                    self._events,
                    session,
                    WorkspaceEvent.MEMBER_JOINED,
                    actor_id=actor,
                    workspace=workspace,
                    **params,
                )
        return AcceptInviteResponse(workspace_id=workspace.id, workspace_name=workspace.name)

    @staticmethod
    def _check_usable(invite: WorkspaceInviteRecord | None, identity: Identity) -> None:
        if invite is None:
            raise InviteNotFound()
        if invite.revoked_at is not None:
            raise InviteRevoked()
        if invite.accepted_at is not None:
            raise InviteAlreadyAccepted()
        if utcnow() >= invite.expires_at:
            raise InviteExpired()
        if normalize_email(identity.email or "") != invite.email:
            raise InviteForAnotherEmail()

    @staticmethod
    async def _use(session: AsyncSession, invite: WorkspaceInviteRecord, identity: Identity) -> None:
        """Mark the invite accepted, unless another request did so first (then `InviteAlreadyAccepted`)."""
        statement = (
            update(WorkspaceInviteRecord)
            .where(
                WorkspaceInviteRecord.id == invite.id,
                WorkspaceInviteRecord.accepted_at.is_(None),
                WorkspaceInviteRecord.revoked_at.is_(None),
            )
            .values(accepted_at=utcnow(), accepted_by=identity.user_id)
        )
        result = await session.execute(statement, execution_options={"synchronize_session": False})
        if result.rowcount != 1:
            raise InviteAlreadyAccepted()

    @staticmethod
    async def _pending(session: AsyncSession, owner: Membership, invite_id: str) -> WorkspaceInviteRecord:
        invite = await session.get(WorkspaceInviteRecord, invite_id)
        if invite is None or invite.workspace_id != owner.workspace.id or not invite.is_pending(utcnow()):
            raise InviteNotFound(invite_id)
        return invite

    @staticmethod
    async def _refuse_members(session: AsyncSession, owner: Membership, email: str) -> None:
        query = (
            select(WorkspaceMemberRecord.user_id)
            .join(UserRecord, UserRecord.id == WorkspaceMemberRecord.user_id)
            .where(WorkspaceMemberRecord.workspace_id == owner.workspace.id, UserRecord.email == email)
        )
        if await session.scalar(query) is not None:
            raise AlreadyMember(owner.workspace.id, email)

    def _record(
        self,
        session: AsyncSession,
        event: WorkspaceEvent,
        identity: Identity,
        owner: Membership,
        invite: WorkspaceInviteRecord,
    ) -> None:
        params = {"invite_id": invite.id, "email": invite.email, "role": invite.role}
        record(self._events, session, event, actor_id=identity.user_id, workspace=owner.workspace, **params)
