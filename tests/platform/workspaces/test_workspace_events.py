"""Workspace actions write the platform event log (the one `/api/billing/events` pages through),
in order, scoped to the workspace, naming who acted; refused actions write nothing."""

from __future__ import annotations

import asyncio

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.customers.events import EventLog, EventQuery


def workspace_events(cloud, team: str) -> list[tuple[str, str, dict]]:
    """`(event_type, user_id, params)` of the team's events, oldest first, read with `EventLog`."""

    async def read():
        engine = create_engine(f"sqlite+aiosqlite:///{cloud.server.database_path}")
        try:
            page = await EventLog(session_factory(engine)).page(EventQuery(limit=100), workspace_id=team)
        finally:
            await engine.dispose()
        return [(e.event_type, e.user_id, e.params) for e in reversed(page.events)]

    return asyncio.run(read())


def test_a_teams_life_is_written_to_its_event_log_in_order(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada, "Studio")
    invite = cloud.invite(ada, team, grace.email)
    cloud.request(grace, "POST", f"/api/invites/{invite['token']}/accept")
    dropped = cloud.invite(ada, team, "dropped@example.com")
    cloud.request(ada, "DELETE", f"/api/workspace/invites/{dropped['id']}", workspace=team)
    cloud.request(
        ada, "PATCH", f"/api/workspace/members/{grace.user_id}", workspace=team, json={"role": "owner"}
    )
    cloud.request(ada, "POST", "/api/workspace/leave", workspace=team)
    cloud.request(grace, "DELETE", f"/api/workspaces/{team}")

    events = workspace_events(cloud, team)

    assert [(kind, who) for kind, who, _ in events] == [
        ("workspace_created", ada.user_id),
        ("workspace_invite_created", ada.user_id),
        ("workspace_invite_accepted", grace.user_id),
        ("workspace_member_joined", grace.user_id),
        ("workspace_invite_created", ada.user_id),
        ("workspace_invite_revoked", ada.user_id),
        ("workspace_member_role_changed", ada.user_id),
        ("workspace_member_left", ada.user_id),
        ("workspace_deleted", grace.user_id),
    ]
    assert all(
        params["workspace_id"] == team and params["workspace_name"] == "Studio" for _, _, params in events
    )
    assert events[1][2]["email"] == grace.email and events[1][2]["invite_id"] == invite["id"]
    assert all(invite["token"] not in str(params) for _, _, params in events)


def test_removing_a_member_is_written_and_a_refused_removal_is_not(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)
    before = len(workspace_events(cloud, team))

    cloud.request(
        grace, "DELETE", f"/api/workspace/members/{ada.user_id}", workspace=team
    )  # refused: a member
    assert len(workspace_events(cloud, team)) == before
    cloud.request(ada, "DELETE", f"/api/workspace/members/{grace.user_id}", workspace=team)

    kind, who, params = workspace_events(cloud, team)[-1]
    assert (kind, who, params["member_id"]) == ("workspace_member_removed", ada.user_id, grace.user_id)
