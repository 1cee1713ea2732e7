"""Tables for accounts: the people who use a server and the API keys they act with.

An API key's secret is never stored; a row keeps its SHA-256 and a short prefix to show in lists.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from comfyd.db.base import Base


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC `datetime` on every backend.

    SQLite has no time zones and hands back naive values, so this stores UTC and marks what it
    reads as UTC; naive values are refused on the way in rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; comfyd stores aware UTC datetimes.")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UserStatus(StrEnum):
    """The stored status strings, as the registry stores them (`ACTIVE|BANNED`)."""

    ACTIVE = "ACTIVE"
    BANNED = "BANNED"


class UserRecord(Base):
    """A person known to this server."""

    __tablename__ = "users"

    # 128 characters, not 36: users signed in elsewhere (a Firebase UID) keep that provider's id.
    id: Mapped[str] = mapped_column(String(128), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_banned(self) -> bool:
        return self.status == UserStatus.BANNED


class ApiKeyRecord(Base):
    """One API key of a user. `key_hash` is the SHA-256 (hex) of the whole key."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(128), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(1024), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The workspace a key was made for (`db/workspaces.py`); None means its user's personal one.
    workspace_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("workspaces.id", ondelete="SET NULL"), nullable=True
    )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
