"""Tables. Row classes end in `Record` so a row is never mistaken for a wire shape."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from comfyd.db.base import Base


class JobRecord(Base):
    """One queued prompt through its whole life: the queue entry and, once done, its history."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[float] = mapped_column(Float)
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128), default="default")
    client_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    prompt: Mapped[dict[str, Any]]
    extra_data: Mapped[dict[str, Any]]
    # Tokens the frontend passes for API nodes; needed while the job runs, wiped when it ends.
    secrets: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    outputs_to_execute: Mapped[list[str]]
    node_errors: Mapped[dict[str, Any]]
    workflow_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    finished_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    messages: Mapped[list[Any] | None] = mapped_column(nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)

    __table_args__ = (
        Index("ix_jobs_queue", "status", "number", "seq"),
        Index("ix_jobs_finished", "status", "finished_at"),
        Index("ix_jobs_user_created", "user_id", "created_at"),
    )
