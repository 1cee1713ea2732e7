"""Tables for the Comfy Registry: publishers, their members and tokens, node packs, pack versions,
the node classes each version defines, and reviews.

The api.comfy.org wire calls a pack a "Node" and a node class a "ComfyNode"; the tables use
comfyd's words (`PackRecord`, `ComfyNodeRecord`) so a row is never mistaken for a wire shape.
Status columns hold the stored strings (`active`, `ACTIVE`...); `platform/registry/states.py` maps
them to the wire's enum strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comfyd.db.accounts import UTCDateTime, new_id, utcnow
from comfyd.db.base import Base


class PublisherRecord(Base):
    """A publisher: the namespace packs are published under (`id` is akin to a username)."""

    __tablename__ = "registry_publishers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(1024), default="")
    support_email: Mapped[str] = mapped_column(String(320), default="")
    source_code_repo: Mapped[str] = mapped_column(String(1024), default="")
    logo_url: Mapped[str] = mapped_column(String(1024), default="")
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PublisherMemberRecord(Base):
    """A user's role (`owner` or `member`) on a publisher."""

    __tablename__ = "registry_publisher_members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    publisher_id: Mapped[str] = mapped_column(
        String(100), ForeignKey("registry_publishers.id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(String(128), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("publisher_id", "user_id"),)


class PersonalAccessTokenRecord(Base):
    """A publisher's token for `comfy node publish`. Only the SHA-256 of the token is kept, and its
    first characters to show in the masked listing."""

    __tablename__ = "registry_personal_access_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # Named here: the naming convention's name would pass PostgreSQL's 63-character limit.
    publisher_id: Mapped[str] = mapped_column(
        String(100),
        ForeignKey(
            "registry_publishers.id",
            ondelete="CASCADE",
            name="fk_registry_personal_access_tokens_publisher_id",
        ),
        index=True,
    )
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PackRecord(Base):
    """A node pack (the wire's `Node`). `normalized_id` is the lower-cased id: ids are unique
    without regard to case, and a request in another case is redirected to this one."""

    __tablename__ = "registry_packs"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    normalized_id: Mapped[str] = mapped_column(String(100), unique=True)
    publisher_id: Mapped[str] = mapped_column(String(100), ForeignKey("registry_publishers.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(255), default="")
    author: Mapped[str] = mapped_column(String(255), default="")
    license: Mapped[str] = mapped_column(Text, default="")
    repository_url: Mapped[str] = mapped_column(String(1024), default="")
    icon_url: Mapped[str] = mapped_column(String(1024), default="")
    banner_url: Mapped[str] = mapped_column(String(1024), default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    tags_admin: Mapped[list[str]] = mapped_column(default=list)
    supported_os: Mapped[list[str]] = mapped_column(default=list)
    supported_accelerators: Mapped[list[str]] = mapped_column(default=list)
    supported_comfyui_version: Mapped[str] = mapped_column(String(255), default="")
    supported_comfyui_frontend_version: Mapped[str] = mapped_column(String(255), default="")
    preempted_comfy_node_names: Mapped[list[str]] = mapped_column(default=list)
    # Lower ranks first in search; packs without one come after every ranked pack.
    search_ranking: Mapped[int | None] = mapped_column(Integer, nullable=True)
    github_stars: Mapped[int] = mapped_column(Integer, default=0)
    total_install: Mapped[int] = mapped_column(Integer, default=0)
    total_star: Mapped[int] = mapped_column(Integer, default=0)
    total_review: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_registry_packs_updated_at", "updated_at"),)

    @property
    def rating(self) -> float:
        """The mean of the reviews' stars; 0 before the first review."""
        return self.total_star / self.total_review if self.total_review else 0.0


class PackVersionRecord(Base):
    """One published version of a pack and where its archive is (`archive_key` in the storage)."""

    __tablename__ = "registry_pack_versions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pack_id: Mapped[str] = mapped_column(String(100), ForeignKey("registry_packs.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(255))
    changelog: Mapped[str] = mapped_column(Text, default="")
    dependencies: Mapped[list[str]] = mapped_column(default=list)
    deprecated: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    comfy_node_extract_status: Mapped[str] = mapped_column(String(16), default="pending")
    tags: Mapped[list[str]] = mapped_column(default=list)
    tags_admin: Mapped[list[str]] = mapped_column(default=list)
    supported_os: Mapped[list[str]] = mapped_column(default=list)
    supported_accelerators: Mapped[list[str]] = mapped_column(default=list)
    supported_comfyui_version: Mapped[str] = mapped_column(String(255), default="")
    supported_comfyui_frontend_version: Mapped[str] = mapped_column(String(255), default="")
    archive_key: Mapped[str] = mapped_column(String(1024))
    archive_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    archive_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("pack_id", "version"),
        Index("ix_registry_pack_versions_status", "status", "pack_id"),
    )

    @property
    def is_uploaded(self) -> bool:
        return self.uploaded_at is not None


class ComfyNodeRecord(Base):
    """One node class a pack version defines, as extracted from the pack. The JSON-carrying
    fields are stored as the wire sends them: JSON-encoded strings."""

    __tablename__ = "registry_comfy_nodes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    version_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("registry_pack_versions.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(255), index=True)
    category: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    input_types: Mapped[str] = mapped_column(Text, default="")
    return_types: Mapped[str] = mapped_column(Text, default="")
    return_names: Mapped[str] = mapped_column(Text, default="")
    output_is_list: Mapped[list[Any]] = mapped_column(default=list)
    function: Mapped[str] = mapped_column(String(255), default="")
    deprecated: Mapped[bool] = mapped_column(Boolean, default=False)
    experimental: Mapped[bool] = mapped_column(Boolean, default=False)
    policy: Mapped[str] = mapped_column(String(16), default="active")

    __table_args__ = (UniqueConstraint("version_id", "name"),)


class ReviewRecord(Base):
    """One user's star rating of a pack; a user has at most one per pack."""

    __tablename__ = "registry_reviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pack_id: Mapped[str] = mapped_column(String(100), ForeignKey("registry_packs.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(128), ForeignKey("users.id", ondelete="CASCADE"))
    star: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("pack_id", "user_id"),)
