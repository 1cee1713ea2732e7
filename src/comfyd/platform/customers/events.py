"""`EventLog`: the append-only log of what happened to a customer's or a workspace's account.

It is what `GET /customers/events` (and the workspace twin, `/api/billing/events`) pages through,
newest first. Features write to it as they act: customers (`account_created`), the credits ledger
(`credit_added`, usage charges), workspaces. An event is never changed after it is written.

    log = EventLog(sessions)
    await log.record(EventType.ACCOUNT_CREATED, {}, user_id=user.id)
    page = await log.page(EventQuery(limit=7), user_id=user.id)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import new_id, utcnow
from comfyd.db.customers import PlatformEventRecord
from comfyd.platform.customers.errors import InvalidEventQuery

MAX_PAGE_SIZE = 100


class EventType(StrEnum):
    """The event types the frontend knows (its `EventType` enum); other features may add their own
    strings, which the frontend shows as they are."""

    ACCOUNT_CREATED = "account_created"
    API_USAGE_COMPLETED = "api_usage_completed"
    API_USAGE_STARTED = "api_usage_started"
    CREDIT_ADDED = "credit_added"


@dataclass(frozen=True)
class Event:
    id: str
    event_type: str
    params: dict[str, Any]
    created_at: datetime
    user_id: str | None
    workspace_id: str | None

    @classmethod
    def of(cls, record: PlatformEventRecord) -> Event:
        return cls(
            id=record.id,
            event_type=record.event_type,
            params=dict(record.params),
            created_at=record.created_at,
            user_id=record.user_id,
            workspace_id=record.workspace_id,
        )


@dataclass(frozen=True)
class EventQuery:
    """Which events to list: a type, a time window (both ends included) and a 1-based page.

    Raises `InvalidEventQuery` for a page below 1, a size outside 1..100, or a window that ends
    before it starts.
    """

    event_type: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    limit: int = 10

    def __post_init__(self) -> None:
        if self.page < 1:
            raise InvalidEventQuery(f"page must be 1 or more, not {self.page}.")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidEventQuery(f"limit must be between 1 and {MAX_PAGE_SIZE}, not {self.limit}.")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidEventQuery("start_date is after end_date.")


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return -(-self.total // self.limit)


class EventLog:
    """The event log on one database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(
        self, event_type: str, params: dict[str, Any], *, user_id: str | None, workspace_id: str | None = None
    ) -> Event:
        """Write one event in a transaction of its own and return it."""
        async with self._sessions.begin() as session:
            record = self.add(session, event_type, params, user_id=user_id, workspace_id=workspace_id)
        return Event.of(record)

    def add(
        self,
        session: AsyncSession,
        event_type: str,
        params: dict[str, Any],
        *,
        user_id: str | None,
        workspace_id: str | None = None,
    ) -> PlatformEventRecord:
        """Add an event to the caller's transaction, so it is written with (and only with) the change
        it describes: a balance and its `credit_added` commit together or not at all."""
        record = PlatformEventRecord(
            id=new_id(),
            user_id=user_id,
            workspace_id=workspace_id,
            event_type=str(event_type),
            params=params,
            created_at=utcnow(),
        )
        session.add(record)
        return record

    async def page(
        self, query: EventQuery, *, user_id: str | None = None, workspace_id: str | None = None
    ) -> EventPage:
        """One page of a user's personal events (`user_id`) or of a workspace's (`workspace_id`),
        newest first. Exactly one of the two must be given."""
        if (user_id is None) == (workspace_id is None):
            raise ValueError("page() lists the events of a user or of a workspace: give exactly one.")
        where = self._where(query, user_id=user_id, workspace_id=workspace_id)
        rows = where.order_by(PlatformEventRecord.seq.desc())
        rows = rows.offset((query.page - 1) * query.limit).limit(query.limit)
        count = select(func.count()).select_from(where.subquery())
        async with self._sessions() as session:
            total = await session.scalar(count) or 0
            records = list(await session.scalars(rows))
        return EventPage([Event.of(r) for r in records], total=total, page=query.page, limit=query.limit)

    @staticmethod
    def _where(
        query: EventQuery, *, user_id: str | None, workspace_id: str | None
    ) -> Select[tuple[PlatformEventRecord]]:
        statement = select(PlatformEventRecord)
        if workspace_id is not None:
            statement = statement.where(PlatformEventRecord.workspace_id == workspace_id)
        else:
            statement = statement.where(
                PlatformEventRecord.user_id == user_id, PlatformEventRecord.workspace_id.is_(None)
            )
        if query.event_type is not None:
            statement = statement.where(PlatformEventRecord.event_type == query.event_type)
        if query.start is not None:
            statement = statement.where(PlatformEventRecord.created_at >= query.start)
        if query.end is not None:
            statement = statement.where(PlatformEventRecord.created_at <= query.end)
        return statement
