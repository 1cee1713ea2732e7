"""The event types workspaces write to the platform event log (`customers.events.EventLog`).

Each is written in the transaction that makes the change it describes, scoped to the workspace
(so `/api/billing/events` lists it) and naming the member who acted. Params name the people and
the workspace involved, never an invite's token.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from comfyd.db.workspaces import WorkspaceRecord
from comfyd.platform.customers.events import EventLog


class WorkspaceEvent(StrEnum):
    INVITE_ACCEPTED = "workspace_invite_accepted"
    INVITE_CREATED = "workspace_invite_created"
    INVITE_REVOKED = "workspace_invite_revoked"
    MEMBER_JOINED = "workspace_member_joined"
    MEMBER_LEFT = "workspace_member_left"
    MEMBER_REMOVED = "workspace_member_removed"
    MEMBER_ROLE_CHANGED = "workspace_member_role_changed"
    WORKSPACE_CREATED = "workspace_created"
    WORKSPACE_DELETED = "workspace_deleted"


def record(
    events: EventLog,
    session: AsyncSession,
    event: WorkspaceEvent,
    *,
    actor_id: str,
    workspace: WorkspaceRecord,
    **params: Any,
) -> None:
    """Add `event` to the transaction of `session`, scoped to `workspace` and done by `actor_id`."""
    params = {"workspace_id": workspace.id, "workspace_name": workspace.name, **params}
    events.add(session, event, params, user_id=actor_id, workspace_id=workspace.id)
