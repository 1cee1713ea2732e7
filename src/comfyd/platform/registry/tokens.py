"""`PersonalAccessTokens`: the tokens a publisher's owners make for `comfy node publish`.

A token is shown once, when it is made. The database keeps its SHA-256 and its first four
characters, which is all the listing shows (`abcd***`, as the peer masks it). A token carries 256
random bits, so a plain hash is enough; a slow password hash would only slow publishing down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.registry import PersonalAccessTokenRecord
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.registry import permissions
from comfyd.platform.registry.errors import InvalidPersonalAccessToken, TokenNotFound
from comfyd.platform.registry.models import PersonalAccessToken
from comfyd.platform.registry.permissions import Permission

SHOWN_PREFIX = 4


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def check_token(session: AsyncSession, *, publisher_id: str, token: str) -> PersonalAccessTokenRecord:
    """The publisher's token row that `token` is; raises `InvalidPersonalAccessToken`.

    Records the use in the same transaction as the publish it authorizes: a publish is a write
    anyway, so this adds no lock that a read would not otherwise take.
    """
    digest = hash_token(token)
    record = await session.scalar(
        select(PersonalAccessTokenRecord).where(PersonalAccessTokenRecord.token_hash == digest)
    )
    # The lookup matched the hash already; comparing again in constant time keeps the final word
    # here, whatever collation the database used to find the row.
    if (
        record is None
        or record.publisher_id != publisher_id
        or not hmac.compare_digest(record.token_hash, digest)
    ):
        raise InvalidPersonalAccessToken(publisher_id)
    await session.execute(
        update(PersonalAccessTokenRecord)
        .where(PersonalAccessTokenRecord.id == record.id)
        .values(last_used_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return record


class PersonalAccessTokens:
    """Create, list and delete a publisher's tokens; every call needs an owner of the publisher."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, identity: Identity, publisher_id: str, *, name: str, description: str = "") -> str:
        """A new token, returned this once. Raises what `permissions.require` raises."""
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            await permissions.require(session, identity, publisher_id, Permission.TOKEN_CREATE)
            session.add(
                PersonalAccessTokenRecord(
                    publisher_id=publisher_id,
                    name=name,
                    description=description,
                    prefix=token[:SHOWN_PREFIX],
                    token_hash=hash_token(token),
                    created_at=utcnow(),
                )
            )
        return token

    async def list(self, identity: Identity, publisher_id: str) -> list[PersonalAccessToken]:
        """The publisher's tokens, masked, oldest first."""
        async with self._sessions() as session:
            await permissions.require(session, identity, publisher_id, Permission.TOKEN_LIST)
            rows = await session.scalars(
                select(PersonalAccessTokenRecord)
                .where(PersonalAccessTokenRecord.publisher_id == publisher_id)
                .order_by(PersonalAccessTokenRecord.created_at, PersonalAccessTokenRecord.id)
            )
            return [PersonalAccessToken.masked(row) for row in rows]

    async def delete(self, identity: Identity, publisher_id: str, token_id: str) -> None:
        """Revoke a token; raises `TokenNotFound` unless the publisher has it."""
        async with self._sessions.begin() as session:
            await permissions.require(session, identity, publisher_id, Permission.TOKEN_DELETE)
            record = await session.get(PersonalAccessTokenRecord, token_id)
            if record is None or record.publisher_id != publisher_id:
                raise TokenNotFound(publisher_id, token_id)
            await session.delete(record)
