"""`Reviews`: star ratings of packs. A user has one review per pack; reviewing again changes its
stars. The pack keeps the sum and the count, so `rating` (their mean) costs nothing to read."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.registry import PackRecord, ReviewRecord
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.registry import views
from comfyd.platform.registry.catalog import find_pack
from comfyd.platform.registry.errors import InvalidStar
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.models import Node

MIN_STAR, MAX_STAR = 1, 5


class Reviews:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def post(self, identity: Identity, pack_id: str, star: int, *, links: Links) -> Node:
        """Record the user's `star` (1 to 5) for the pack and return the pack with its new rating.

        Raises `InvalidStar`, `PackNotFound` and `PackBanned`.
        """
        if not MIN_STAR <= star <= MAX_STAR:
            raise InvalidStar(star)
        async with self._sessions.begin() as session:
            pack = await find_pack(session, pack_id)
            review = await session.scalar(
                select(ReviewRecord).where(
                    ReviewRecord.pack_id == pack.id, ReviewRecord.user_id == identity.user_id
                )
            )
            if review is None:
                session.add(
                    ReviewRecord(pack_id=pack.id, user_id=identity.user_id, star=star, created_at=utcnow())
                )
                added_stars, added_reviews = star, 1
            else:
                added_stars, added_reviews = star - review.star, 0
                review.star = star
            # Sums change in one statement, so concurrent reviews of a pack never lose each other.
            await session.execute(
                update(PackRecord)
                .where(PackRecord.id == pack.id)
                .values(
                    total_star=PackRecord.total_star + added_stars,
                    total_review=PackRecord.total_review + added_reviews,
                ),
                execution_options={"synchronize_session": False},
            )
            await session.refresh(pack)
            return await views.node(session, pack, links)
