"""Tables for customers and their money: the customer row of a user, the event log the credits panel
reads, the credit balance of each owner (a user or a workspace), and server-held secrets.

Amounts are integers in micros (a millionth of the currency unit), never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from comfyd.db.accounts import UTCDateTime, new_id, utcnow
from comfyd.db.base import Base

# SQLite numbers rows itself only for a column declared exactly INTEGER PRIMARY KEY.
SequenceInteger = BigInteger().with_variant(Integer(), "sqlite")


class CustomerRecord(Base):
    """A user who has become a customer (`POST /customers`); the customer id is the user id."""

    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(128), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    signup_source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PlatformEventRecord(Base):
    """One entry of the event log (`account_created`, `credit_added`, ...).

    `seq` orders the log: two events in the same microsecond still come back in the order they
    were written. `id` is the public `event_id`. `workspace_id` is None for a user's personal
    events; it is not a foreign key, so the log outlives a deleted workspace.
    """

    __tablename__ = "platform_events"

    seq: Mapped[int] = mapped_column(SequenceInteger, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    workspace_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    event_type: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_platform_events_user", "user_id", "workspace_id", "seq"),
        Index("ix_platform_events_workspace", "workspace_id", "seq"),
    )


class CreditBalanceRecord(Base):
    """The credit balance of one owner: `owner_kind` is `user` or `workspace`."""

    __tablename__ = "credit_balances"

    owner_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    amount_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(8), default="usd")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ServerSecretRecord(Base):
    """A random secret the server made for itself at first use (the billing links' signing key).

    Kept in the database, not in a file, so every process of a cluster signs with the same key.
    """

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def insert_ignoring_conflicts(dialect_name: str, model: type[Base]):
    """`INSERT ... ON CONFLICT DO NOTHING` into `model`'s table, for PostgreSQL or SQLite.

    It lets a transaction begin with a write: SQLite then takes its write lock at once instead of
    upgrading a read later, which fails with SQLITE_BUSY when another writer got in between.
    """
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(model).on_conflict_do_nothing()
