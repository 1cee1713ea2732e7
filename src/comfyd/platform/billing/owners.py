"""Whose money a workspace spends: the one rule that ties workspaces to the credits ledger.

A personal workspace has no purse of its own: its money IS its user's customer balance, so the
credits panel (`/customers/balance`) and the workspace billing panel (`/api/billing/balance`)
show the same number, and a top-up through either lands in both. A team workspace has its own
balance, apart from every member's.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.workspaces import WorkspaceRecord
from comfyd.platform.billing.ledger import Owner


def owner_of(workspace: WorkspaceRecord) -> Owner:
    """The ledger owner of `workspace`: its user for a personal workspace, else the workspace."""
    if workspace.is_personal and workspace.personal_owner_id:
        return Owner.user(workspace.personal_owner_id)
    return Owner.workspace(workspace.id)


class BillingOwners:
    """`owner_of` for code that holds ids rather than rows (the usage tracker, say)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def payer(self, *, user_id: str, workspace_id: str | None) -> Owner:
        """Who pays for what `user_id` runs in `workspace_id`.

        No workspace, or a personal one, bills the user. A workspace that is gone keeps its own
        id: usage that happened in a team is never moved onto a member's personal balance.
        """
        if workspace_id is None:
            return Owner.user(user_id)
        async with self._sessions() as session:
            workspace = await session.get(WorkspaceRecord, workspace_id)
        return owner_of(workspace) if workspace is not None else Owner.workspace(workspace_id)
