"""`Moderation`: what administrators do to the registry: ban a publisher or a pack, and set a
version's status with a reason. Callers check that the caller is an administrator (the admin
routes with `permissions.require_admin`; `comfyd` commands run on the server's own machine).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.registry import PackRecord, PackVersionRecord, PublisherMemberRecord, PublisherRecord
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.registry import views
from comfyd.platform.registry.catalog import find_pack, find_version
from comfyd.platform.registry.errors import IllegalStatusChange, PackOfAnotherPublisher, PublisherNotFound
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.models import AdminNodeVersionUpdate, NodeVersion
from comfyd.platform.registry.states import PackStatus, PublisherStatus, VersionStatus


class Moderation:
    """Bans and status changes.

    moderation = Moderation(sessions, accounts)
    await moderation.ban_pack("evil-nodes")
    await moderation.set_version_status("ada-nodes", "1.0.0", VersionStatus.ACTIVE, reason="Reviewed.")
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], accounts: AccountService) -> None:
        self._sessions = sessions
        self._accounts = accounts

    async def ban_publisher(self, publisher_id: str) -> list[str]:
        """Ban the publisher, every pack it has, and every user with a role on it (their API keys
        stop working), as the peer does. Returns the banned users' ids; raises `PublisherNotFound`."""
        async with self._sessions.begin() as session:
            publisher = await session.get(PublisherRecord, publisher_id)
            if publisher is None:
                raise PublisherNotFound(publisher_id)
            publisher.status = PublisherStatus.BANNED
            await session.execute(
                update(PackRecord)
                .where(PackRecord.publisher_id == publisher_id, PackRecord.status != PackStatus.DELETED)
                .values(status=PackStatus.BANNED, updated_at=utcnow()),
                execution_options={"synchronize_session": False},
            )
            users = list(
                await session.scalars(
                    select(PublisherMemberRecord.user_id).where(
                        PublisherMemberRecord.publisher_id == publisher_id
                    )
                )
            )
        for user_id in users:
            await self._accounts.ban_user(user_id)
        return users

    async def ban_pack(self, pack_id: str, *, publisher_id: str | None = None) -> None:
        """Ban one pack: it answers 403 wherever it is asked for. Raises `PackNotFound`, and
        `PackOfAnotherPublisher` when `publisher_id` is given and is not the pack's."""
        async with self._sessions.begin() as session:
            pack = await find_pack(session, pack_id, banned_ok=True)
            if publisher_id is not None and pack.publisher_id != publisher_id:
                raise PackOfAnotherPublisher(pack_id, publisher_id)
            pack.status = PackStatus.BANNED
            pack.updated_at = utcnow()

    async def set_version_status(
        self, pack_id: str, version: str, status: VersionStatus, *, reason: str, links: Links | None = None
    ) -> NodeVersion | None:
        """Move a version (by semver) to `status` with `reason`; returns it when `links` are given.

        Raises `PackNotFound`, `VersionNotFound`, and `IllegalStatusChange` for a move the
        lifecycle does not allow (back to `pending`, which only a new upload means).
        """
        return await self.update_version(
            pack_id, version, AdminNodeVersionUpdate(status=status.wire, status_reason=reason), links=links
        )

    async def update_version(
        self, pack_id: str, version: str, body: AdminNodeVersionUpdate, *, links: Links | None = None
    ) -> NodeVersion | None:
        """`PUT /admin/nodes/{id}/versions/{semver}`: status, reason and compatibility fields."""
        async with self._sessions.begin() as session:
            pack = await find_pack(session, pack_id, banned_ok=True)
            record = await _any_version(session, pack.id, version)
            if body.status is not None:
                _move(record, _status(record, body.status))
            for field in (
                "status_reason",
                "supported_os",
                "supported_accelerators",
                "supported_comfyui_version",
                "supported_comfyui_frontend_version",
            ):
                value = getattr(body, field)
                if value is not None:
                    setattr(record, field, value)
            pack.updated_at = utcnow()
            await session.flush()
            return views.node_version(record, links) if links is not None else None


async def _any_version(session: AsyncSession, pack_id: str, version: str) -> PackVersionRecord:
    """Like `find_version`, deleted versions included: moderators may restore them."""
    deleted = await session.scalar(
        select(PackVersionRecord).where(
            PackVersionRecord.pack_id == pack_id,
            PackVersionRecord.version == version,
            PackVersionRecord.status == VersionStatus.DELETED,
        )
    )
    return deleted if deleted is not None else await find_version(session, pack_id, version)


def _status(record: PackVersionRecord, wire: str) -> VersionStatus:
    try:
        return VersionStatus.from_wire(wire)
    except ValueError as exc:
        raise IllegalStatusChange(record.id, VersionStatus(record.status).wire, wire) from exc


def _move(record: PackVersionRecord, status: VersionStatus) -> None:
    current = VersionStatus(record.status)
    if not current.can_move_to(status):
        raise IllegalStatusChange(record.id, current.wire, status.wire)
    record.status = status
