"""The release notes table: one row per project, version and locale."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comfyd.db.accounts import UTCDateTime, utcnow
from comfyd.db.base import Base


class ReleaseNoteRecord(Base):
    """A release note in one language. `github_release_id` is set for notes a GitHub webhook wrote,
    so an `edited` or `deleted` delivery finds the notes it is about."""

    __tablename__ = "release_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    attention: Mapped[str] = mapped_column(String(8), default="medium")
    content: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    github_release_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("project", "version", "locale"),
        Index("ix_release_notes_published", "project", "published_at"),
        Index("ix_release_notes_github_release_id", "github_release_id"),
    )
