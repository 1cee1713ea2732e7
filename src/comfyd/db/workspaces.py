"""Tables for workspaces: the workspaces, their members, pending invites, and the keys that sign
workspace tokens.

Every user has one personal workspace (`personal_owner_id` is theirs, unique); team workspaces
have none. An invite's secret is never stored: a row keeps its SHA-256, as `api_keys` does.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comfyd.db.accounts import UTCDateTime, new_id, utcnow
from comfyd.db.base import Base

PERSONAL_WORKSPACE_NAME = "Personal workspace"


class WorkspaceType(StrEnum):
    PERSONAL = "personal"
    TEAM = "team"


class WorkspaceRole(StrEnum):
    MEMBER = "member"
    OWNER = "owner"


class WorkspaceRecord(Base):
    """A workspace: a user's personal one, or a team's."""

    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    # The user whose personal workspace this is; None for a team workspace.
    personal_owner_id: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    # Who created it: the member shown as `is_original_owner`.
    created_by: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_personal(self) -> bool:
        return self.type == WorkspaceType.PERSONAL


class WorkspaceMemberRecord(Base):
    """A user's membership of a workspace, with their role in it."""

    __tablename__ = "workspace_members"

    workspace_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_owner(self) -> bool:
        return self.role == WorkspaceRole.OWNER


class WorkspaceInviteRecord(Base):
    """An invitation to join a workspace. `token_hash` is the SHA-256 (hex) of the invite token.

    It is pending until it is accepted, revoked or past `expires_at`; each of those ends it for good.
    """

    __tablename__ = "workspace_invites"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_by: Mapped[str | None] = mapped_column(
        String(128), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def is_pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class SigningKeyRecord(Base):
    """A private key comfyd signs its own workspace tokens with, as PEM; `id` is the token's `kid`.

    Kept in the database so that every server of a cluster signs and verifies with the same keys.
    """

    __tablename__ = "auth_signing_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    algorithm: Mapped[str] = mapped_column(String(16))
    private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def personal_workspace(
    user_id: str, *, now: datetime | None = None
) -> list[WorkspaceRecord | WorkspaceMemberRecord]:
    """The rows of a new personal workspace for `user_id`: the workspace and its owner's membership."""
    now = now or utcnow()
    workspace = WorkspaceRecord(
        id=new_id(),
        name=PERSONAL_WORKSPACE_NAME,
        type=WorkspaceType.PERSONAL,
        personal_owner_id=user_id,
        created_by=user_id,
        created_at=now,
    )
    owner = WorkspaceMemberRecord(
        workspace_id=workspace.id, user_id=user_id, role=WorkspaceRole.OWNER, joined_at=now
    )
    return [workspace, owner]
