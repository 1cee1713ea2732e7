"""The `asset_downloads` table: one row per model or asset download, kept so a restart can resume it.

The bytes already fetched live in the download's `.part` file, not here; a row records what was
asked for, where it goes, and how it ended.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comfyd.db.accounts import UTCDateTime, new_id, utcnow
from comfyd.db.base import Base


class AssetDownloadRecord(Base):
    """A download into a model folder, from the request until it completes, fails or is cancelled."""

    __tablename__ = "asset_downloads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(Text)
    folder: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(1024))
    # The folder path the file goes to (the folder's first path when it was requested), so a
    # resumed download finds its `.part` file even if the folder configuration changed since.
    directory: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The source's ETag or Last-Modified, sent back as If-Range so a changed file restarts from 0.
    validator: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    client_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The requester's workspace when sign-in is required: `/ws` messages reach only its sockets.
    client_scope: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
