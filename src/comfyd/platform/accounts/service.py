"""`AccountService`: users, their API keys, and turning a key into an `Identity`.

An API key is `comfyui-` and 64 hex digits (256 random bits). It is shown once, when it is made;
the database keeps only its SHA-256, which is enough for a secret with that much entropy (a slow
password hash would only slow every request down), and its first 16 characters to show in lists.

Every user is made with a personal workspace (`db/workspaces.py`), in the same transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import ApiKeyRecord, UserRecord, UserStatus, new_id, utcnow
from comfyd.db.workspaces import personal_workspace
from comfyd.platform.accounts.errors import ApiKeyNotFound, Unauthenticated, UserExists, UserNotFound
from comfyd.platform.accounts.identity import API_KEY_SCHEME, Credentials, Identity

logger = logging.getLogger(__name__)

PREFIX_LENGTH = 16
# A key used again within this long keeps its recorded last use: one write per key per minute at
# most, however busy the key is.
USAGE_RESOLUTION = timedelta(minutes=1)


def hash_api_key(key: str) -> str:
    """The SHA-256 of `key`, in hex: what `api_keys.key_hash` holds."""
    return hashlib.sha256(key.encode()).hexdigest()


def normalize_email(email: str) -> str:
    """Emails are compared without regard to case, so they are stored lower-cased."""
    return email.strip().lower()


@dataclass(frozen=True)
class ApiKeyMatch:
    """A working API key's identity, and the workspace the key was made for (None: personal)."""

    identity: Identity
    workspace_id: str | None


class AccountService:
    """Users and API keys on one database.

    For example:

        accounts = AccountService(sessions)
        user = await accounts.create_user(email="ada@example.com")
        key, record = await accounts.create_api_key(user_id=user.id, name="laptop")
        identity = await accounts.authenticate_api_key(key)   # Identity(user_id=user.id, ...)
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._usage_writes: dict[str, asyncio.Task[None]] = {}

    async def create_user(
        self, *, email: str, name: str | None = None, is_admin: bool = False, user_id: str | None = None
    ) -> UserRecord:
        """A new active user with a personal workspace; a new id unless `user_id` is given.

        Raises `UserExists` when another user has `email` (in any case), or has `user_id`.
        """
        email = normalize_email(email)
        now = utcnow()
        user = UserRecord(
            id=user_id or new_id(),
            email=email,
            name=name,
            is_admin=is_admin,
            status=UserStatus.ACTIVE,
            created_at=now,
        )
        try:
            async with self._sessions.begin() as session:
                # One row at a time: without relationships, the unit of work does not order the
                # inserts by their foreign keys (the workspace refers to the user, its owner to both).
                for row in [user, *personal_workspace(user.id, now=now)]:
                    session.add(row)
                    await session.flush()
        except IntegrityError as exc:
            raise UserExists(email) from exc
        return user

    async def ensure_user(self, *, user_id: str, email: str, name: str | None = None) -> UserRecord:
        """The user `user_id`, made on first sight: how a user signed in elsewhere (a verified
        JWT's `sub`) becomes one of ours. Their email is taken only when they are made.

        Raises `UserExists` when the user is new but another user already has `email`: an
        account is never joined to another by email alone.
        """
        async with self._sessions() as session:
            user = await session.get(UserRecord, user_id)
        if user is not None:
            return user
        try:
            return await self.create_user(email=email, name=name, user_id=user_id)
        except UserExists:
            async with self._sessions() as session:
                user = await session.get(UserRecord, user_id)  # made by a request that came at once
            if user is None:
                raise
            return user

    async def get_user(self, user_id: str) -> UserRecord:
        """The user with `user_id`; raises `UserNotFound` when there is none."""
        async with self._sessions() as session:
            user = await session.get(UserRecord, user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

    async def find_user_by_email(self, email: str) -> UserRecord | None:
        """The user with `email` (in any case), or None."""
        async with self._sessions() as session:
            return await session.scalar(select(UserRecord).where(UserRecord.email == normalize_email(email)))

    async def list_users(self) -> list[UserRecord]:
        """Every user, oldest first."""
        async with self._sessions() as session:
            return list(await session.scalars(select(UserRecord).order_by(UserRecord.created_at)))

    async def ban_user(self, user_id: str) -> UserRecord:
        """Mark a user banned: their keys stop working. Raises `UserNotFound`."""
        async with self._sessions.begin() as session:
            user = await session.get(UserRecord, user_id)
            if user is None:
                raise UserNotFound(user_id)
            user.status = UserStatus.BANNED
        return user

    async def create_api_key(
        self, *, user_id: str, name: str = "", description: str = "", workspace_id: str | None = None
    ) -> tuple[str, ApiKeyRecord]:
        """A new key for the user and its row. The key itself is returned here and never again.

        A key acts in `workspace_id` (None: the user's personal workspace); membership there is
        checked each time the key is used, not here. Raises `UserNotFound` when there is no such user.
        """
        key = API_KEY_SCHEME + secrets.token_hex(32)
        record = ApiKeyRecord(
            id=new_id(),
            user_id=user_id,
            name=name,
            description=description,
            prefix=key[:PREFIX_LENGTH],
            key_hash=hash_api_key(key),
            created_at=utcnow(),
            workspace_id=workspace_id,
        )
        async with self._sessions.begin() as session:
            if await session.get(UserRecord, user_id) is None:
                raise UserNotFound(user_id)
            session.add(record)
        return key, record

    async def list_api_keys(self, user_id: str) -> list[ApiKeyRecord]:
        """The user's keys that still work, oldest first; revoked keys are left out."""
        query = (
            select(ApiKeyRecord)
            .where(ApiKeyRecord.user_id == user_id, ApiKeyRecord.revoked_at.is_(None))
            .order_by(ApiKeyRecord.created_at)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def revoke_api_key(self, *, user_id: str, key_id: str) -> ApiKeyRecord:
        """Stop a key from working. Raises `ApiKeyNotFound` unless the user has a live key `key_id`."""
        async with self._sessions.begin() as session:
            record = await session.get(ApiKeyRecord, key_id)
            if record is None or record.user_id != user_id or record.is_revoked:
                raise ApiKeyNotFound(key_id)
            record.revoked_at = utcnow()
        return record

    async def authenticate(self, credentials: Credentials) -> Identity | None:
        """The `Authenticator` of an app that knows API keys alone: other tokens are not its to check.

        Raises `Unauthenticated` for a key that does not work.
        """
        if credentials.api_key is None:
            return None
        identity = await self.authenticate_api_key(credentials.api_key)
        if identity is None:
            raise Unauthenticated(
                "The API key is not valid: it is unknown or revoked, or its user is banned."
            )
        return identity

    async def authenticate_api_key(self, key: str) -> Identity | None:
        """Who `key` belongs to, or None when it is unknown, revoked, or its user is banned."""
        match = await self.match_api_key(key)
        return match.identity if match else None

    async def match_api_key(self, key: str) -> ApiKeyMatch | None:
        """The identity of a working `key` and the workspace it was made for; None as above.

        Records the key's use in the background: a failed or slow write never reaches the caller.
        """
        if not key.startswith(API_KEY_SCHEME):
            return None
        digest = hash_api_key(key)
        query = (
            select(ApiKeyRecord, UserRecord)
            .join(UserRecord, UserRecord.id == ApiKeyRecord.user_id)
            .where(ApiKeyRecord.key_hash == digest)
        )
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        if row is None:
            return None
        api_key, user = row
        # The database matched the hash already; comparing again in constant time keeps the final
        # word with us, whatever collation or index the database used to find the row.
        if not hmac.compare_digest(api_key.key_hash, digest) or api_key.is_revoked or user.is_banned:
            return None
        self._note_use(api_key)
        identity = Identity(user_id=user.id, email=user.email, name=user.name, is_admin=user.is_admin)
        return ApiKeyMatch(identity=identity, workspace_id=api_key.workspace_id)

    async def drain(self) -> None:
        """Wait for the last-use writes still in flight; call it before disposing of the engine."""
        await asyncio.gather(*self._usage_writes.values())

    def _note_use(self, api_key: ApiKeyRecord) -> None:
        now = utcnow()
        if api_key.last_used_at is not None and now - api_key.last_used_at < USAGE_RESOLUTION:
            return
        if api_key.id in self._usage_writes:
            return
        key_id = api_key.id
        task = asyncio.create_task(self._record_use(key_id, now))
        self._usage_writes[key_id] = task
        task.add_done_callback(lambda _: self._usage_writes.pop(key_id, None))

    async def _record_use(self, key_id: str, at: datetime) -> None:
        # Its own short transaction, after the request has what it needs. SKIP LOCKED (PostgreSQL;
        # SQLite ignores it) lets a row another transaction holds keep its older time instead of
        # making this one wait for it.
        locked = (
            select(ApiKeyRecord.id).where(ApiKeyRecord.id == key_id).with_for_update(skip_locked=True)
        ).scalar_subquery()
        try:
            async with self._sessions.begin() as session:
                statement = update(ApiKeyRecord).where(ApiKeyRecord.id == locked).values(last_used_at=at)
                await session.execute(statement, execution_options={"synchronize_session": False})
        except Exception:
            # Bookkeeping only: whatever went wrong, the request that used the key must not fail.
            logger.exception("Could not record the use of API key %s.", key_id)
