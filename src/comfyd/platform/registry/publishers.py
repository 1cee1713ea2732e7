"""`Publishers`: the namespaces packs are published under, and who owns them.

Anyone may read a publisher; its members are listed without their email addresses unless the
reader is a member (the peer leaks them to everyone). The user who creates a publisher becomes its
owner; a user may own at most `MAX_PUBLISHERS_PER_USER`.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import UserRecord, utcnow
from comfyd.db.registry import PackRecord, PublisherMemberRecord, PublisherRecord
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.registry import permissions, search, views
from comfyd.platform.registry.errors import (
    InvalidPublisherId,
    PublisherHasPacks,
    PublisherIdTaken,
    PublisherLimitReached,
    PublisherNotFound,
)
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.models import (
    EditPermission,
    Node,
    NodePage,
    Publisher,
    PublisherMember,
    PublisherUser,
)
from comfyd.platform.registry.paging import Paging
from comfyd.platform.registry.permissions import Permission
from comfyd.platform.registry.states import PublisherStatus, Role

MAX_PUBLISHERS_PER_USER = 5
# `GET /publishers/{id}/nodes` answers at most this many packs, as the peer documents.
UNPAGED_PACKS = 10
_PUBLISHER_ID = re.compile(r"^[a-z][a-z0-9-]*$")


def check_publisher_id(publisher_id: str) -> None:
    """Raises `InvalidPublisherId` unless the id is lowercase letters, digits and hyphens, starting
    with a letter (at most 100 characters)."""
    if len(publisher_id) > 100 or not _PUBLISHER_ID.match(publisher_id):
        raise InvalidPublisherId(publisher_id)


class Publishers:
    """Reading, creating, updating and deleting publishers.

    publishers = Publishers(sessions)
    created = await publishers.create(identity, Publisher(id="ada", name="Ada"))
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list(self) -> list[Publisher]:
        """Every publisher, by id, without members."""
        async with self._sessions() as session:
            rows = await session.scalars(select(PublisherRecord).order_by(PublisherRecord.id))
            return [Publisher.from_record(row) for row in rows]

    async def get(self, publisher_id: str, *, reader: Identity | None = None) -> Publisher:
        """One publisher with its members; raises `PublisherNotFound`."""
        async with self._sessions() as session:
            record = await self._find(session, publisher_id)
            return await self._with_members(session, record, reader)

    async def validate(self, publisher_id: str) -> bool:
        """Whether the id may be taken; raises `InvalidPublisherId` or `PublisherIdTaken` when not,
        since the peer answers those with 400 rather than `isAvailable: false`."""
        check_publisher_id(publisher_id)
        async with self._sessions() as session:
            if await session.get(PublisherRecord, publisher_id) is not None:
                raise PublisherIdTaken(publisher_id)
        return True

    async def for_user(self, identity: Identity) -> list[Publisher]:
        """`GET /users/publishers/`: the publishers the user has any role on."""
        query = (
            select(PublisherRecord)
            .join(PublisherMemberRecord, PublisherMemberRecord.publisher_id == PublisherRecord.id)
            .where(PublisherMemberRecord.user_id == identity.user_id)
            .order_by(PublisherRecord.id)
        )
        async with self._sessions() as session:
            return [Publisher.from_record(row) for row in await session.scalars(query)]

    async def create(self, identity: Identity, body: Publisher) -> Publisher:
        """A new publisher owned by `identity`. Raises `InvalidPublisherId`, `PublisherIdTaken` and
        `PublisherLimitReached`."""
        publisher_id = body.id or ""
        check_publisher_id(publisher_id)
        try:
            async with self._sessions.begin() as session:
                await self._check_limit(session, identity)
                if await session.get(PublisherRecord, publisher_id) is not None:
                    raise PublisherIdTaken(publisher_id)
                record = PublisherRecord(
                    id=publisher_id, status=PublisherStatus.ACTIVE, created_at=utcnow(), updated_at=utcnow()
                )
                _apply(record, body)
                session.add(record)
                await session.flush()
                session.add(
                    PublisherMemberRecord(
                        publisher_id=publisher_id, user_id=identity.user_id, role=Role.OWNER
                    )
                )
        except IntegrityError as exc:
            # Two creations of the same id raced; the other one won.
            raise PublisherIdTaken(publisher_id) from exc
        return await self.get(publisher_id, reader=identity)

    async def update(self, identity: Identity, publisher_id: str, body: Publisher) -> Publisher:
        """Change the publisher's details (its id never changes); owners only."""
        async with self._sessions.begin() as session:
            record = await permissions.require(session, identity, publisher_id, Permission.PUBLISHER_UPDATE)
            _apply(record, body)
        return await self.get(publisher_id, reader=identity)

    async def delete(self, identity: Identity, publisher_id: str) -> None:
        """Delete the publisher with its members and tokens; owners only. Raises `PublisherHasPacks`
        while it still has packs (deleted ones included: their ids stay reserved)."""
        async with self._sessions.begin() as session:
            record = await permissions.require(session, identity, publisher_id, Permission.PUBLISHER_DELETE)
            packs = (
                await session.scalar(select(func.count()).where(PackRecord.publisher_id == publisher_id)) or 0
            )
            if packs:
                raise PublisherHasPacks(publisher_id, packs)
            await session.delete(record)

    async def can_edit(
        self, identity: Identity | None, publisher_id: str, pack_id: str | None = None
    ) -> EditPermission:
        """`GET /publishers/{id}[/nodes/{node}]/permissions`."""
        async with self._sessions() as session:
            await self._find(session, publisher_id)
            allowed = await permissions.can(session, identity, publisher_id, Permission.PACK_UPDATE)
            if allowed and pack_id is not None:
                pack = await session.get(PackRecord, pack_id)
                allowed = pack is not None and pack.publisher_id == publisher_id
        return EditPermission(canEdit=allowed)

    async def packs(self, publisher_id: str, *, include_banned: bool = True, links: Links) -> list[Node]:
        """`GET /publishers/{id}/nodes`: the first `UNPAGED_PACKS` packs, as the peer answers."""
        page = await self.packs_page(
            publisher_id, Paging(1, UNPAGED_PACKS), include_banned=include_banned, links=links
        )
        return page.nodes

    async def packs_page(
        self, publisher_id: str, paging: Paging, *, include_banned: bool = True, links: Links
    ) -> NodePage:
        """`GET /publishers/{id}/nodes/v2`."""
        query = search.listing(search.PackFilter(include_banned=include_banned, publisher_id=publisher_id))
        async with self._sessions() as session:
            await self._find(session, publisher_id)
            total = await session.scalar(search.count_of(query)) or 0
            rows = list(await session.scalars(query.offset(paging.offset).limit(paging.size)))
            found = await views.nodes(session, rows, links)
        return NodePage(
            total=total, nodes=found, page=paging.page, limit=paging.size, totalPages=paging.pages(total)
        )

    async def _check_limit(self, session: AsyncSession, identity: Identity) -> None:
        owned = await session.scalar(
            select(func.count()).where(
                PublisherMemberRecord.user_id == identity.user_id, PublisherMemberRecord.role == Role.OWNER
            )
        )
        if (owned or 0) >= MAX_PUBLISHERS_PER_USER:
            raise PublisherLimitReached(identity.user_id, MAX_PUBLISHERS_PER_USER)

    async def _find(self, session: AsyncSession, publisher_id: str) -> PublisherRecord:
        record = await session.get(PublisherRecord, publisher_id)
        if record is None:
            raise PublisherNotFound(publisher_id)
        return record

    async def _with_members(
        self, session: AsyncSession, record: PublisherRecord, reader: Identity | None
    ) -> Publisher:
        rows = (
            await session.execute(
                select(PublisherMemberRecord, UserRecord)
                .join(UserRecord, UserRecord.id == PublisherMemberRecord.user_id)
                .where(PublisherMemberRecord.publisher_id == record.id)
                .order_by(PublisherMemberRecord.created_at)
            )
        ).all()
        # Members see each other's email addresses; nobody else does.
        show_email = reader is not None and any(member.user_id == reader.user_id for member, _ in rows)
        members = [
            PublisherMember(
                id=member.id,
                role=member.role,
                user=PublisherUser(id=user.id, name=user.name, email=user.email if show_email else None),
            )
            for member, user in rows
        ]
        return Publisher.from_record(record, members=members)


def _apply(record: PublisherRecord, body: Publisher) -> None:
    """Copy the fields a request may set onto the row; absent fields keep their value."""
    for field, column in (
        ("name", "name"),
        ("description", "description"),
        ("website", "website"),
        ("support", "support_email"),
        ("source_code_repo", "source_code_repo"),
        ("logo", "logo_url"),
    ):
        value = getattr(body, field)
        if value is not None:
            setattr(record, column, value)
