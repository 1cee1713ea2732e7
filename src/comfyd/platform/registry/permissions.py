"""Who may do what to a publisher and its packs.

Permissions follow `scope:resource:action`; a role grants a set of them. The peer's authorization
chain only knows `owner`, and every publisher-side operation needs it, so for now `member` grants
nothing beyond being listed. Services call `require` inside their own transaction, so the check
and the change it guards see the same rows.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from comfyd.db.registry import PublisherMemberRecord, PublisherRecord
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.registry.errors import NotAdmin, NotPublisherOwner, PublisherBanned, PublisherNotFound
from comfyd.platform.registry.states import PublisherStatus, Role


class Permission(enum.StrEnum):
    PACK_CREATE = "registry:pack:create"
    PACK_DELETE = "registry:pack:delete"
    PACK_UPDATE = "registry:pack:update"
    PUBLISHER_DELETE = "registry:publisher:delete"
    PUBLISHER_UPDATE = "registry:publisher:update"
    TOKEN_CREATE = "registry:token:create"
    TOKEN_DELETE = "registry:token:delete"
    TOKEN_LIST = "registry:token:list"
    VERSION_DELETE = "registry:version:delete"
    VERSION_UPDATE = "registry:version:update"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MEMBER: frozenset(),
}


async def role_on(session: AsyncSession, *, publisher_id: str, user_id: str) -> Role | None:
    """The user's role on the publisher, or None when they have none."""
    query = select(PublisherMemberRecord.role).where(
        PublisherMemberRecord.publisher_id == publisher_id, PublisherMemberRecord.user_id == user_id
    )
    role = await session.scalar(query)
    return Role(role) if role is not None else None


async def can(
    session: AsyncSession, identity: Identity | None, publisher_id: str, permission: Permission
) -> bool:
    """Whether `identity` holds `permission` on the publisher (False for anonymous requests)."""
    if identity is None:
        return False
    role = await role_on(session, publisher_id=publisher_id, user_id=identity.user_id)
    return role is not None and permission in ROLE_PERMISSIONS[role]


async def require(
    session: AsyncSession, identity: Identity, publisher_id: str, permission: Permission
) -> PublisherRecord:
    """The publisher, once `identity` is known to hold `permission` on it.

    Raises `PublisherNotFound`, `NotPublisherOwner`, or `PublisherBanned` for a banned publisher
    (a banned publisher changes nothing, whoever asks). Administrators act through the admin
    operations (`Moderation`), not as owners of every publisher, as on the peer.
    """
    publisher = await session.get(PublisherRecord, publisher_id)
    if publisher is None:
        raise PublisherNotFound(publisher_id)
    if not await can(session, identity, publisher_id, permission):
        raise NotPublisherOwner(publisher_id, identity.user_id)
    if publisher.status == PublisherStatus.BANNED:
        raise PublisherBanned(publisher_id)
    return publisher


def require_admin(identity: Identity) -> None:
    """Raises `NotAdmin` unless the user is an administrator."""
    if not identity.is_admin:
        raise NotAdmin(identity.user_id)
