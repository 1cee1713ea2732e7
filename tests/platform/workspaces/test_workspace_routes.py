"""`/api/workspaces…`, `/api/workspace/leave` and the current workspace, over HTTP against a real
server: the shapes the frontend reads, and every role violation refused with nothing changed."""

from __future__ import annotations

import re

import pytest

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

PROTECTED_ROUTES = [
    ("GET", "/api/workspaces"),
    ("POST", "/api/workspaces"),
    ("GET", "/api/workspaces/current"),
    ("PATCH", "/api/workspaces/some-id"),
    ("DELETE", "/api/workspaces/some-id"),
    ("POST", "/api/workspace/leave"),
    ("GET", "/api/workspace/members"),
    ("DELETE", "/api/workspace/members/some-user"),
    ("PATCH", "/api/workspace/members/some-user"),
    ("GET", "/api/workspace/invites"),
    ("POST", "/api/workspace/invites"),
    ("DELETE", "/api/workspace/invites/some-id"),
    ("POST", "/api/workspace/invites/some-id/resend"),
    ("POST", "/api/invites/some-token/accept"),
    ("POST", "/api/auth/token"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED_ROUTES)
def test_every_workspace_route_needs_an_identity(cloud, method, path):
    body = cloud.refused(cloud.request(None, method, path), 401)
    assert body["error"] == "Unauthorized"


def test_a_new_user_has_exactly_one_personal_workspace_which_they_own(cloud):
    ada = cloud.user("Ada")

    body = cloud.request(ada, "GET", "/api/workspaces").json()

    [personal] = body["workspaces"]
    assert set(personal) == {"id", "name", "type", "role", "created_at", "joined_at"}
    assert (personal["type"], personal["role"]) == ("personal", "owner")
    assert RFC3339_UTC.match(personal["created_at"]) and RFC3339_UTC.match(personal["joined_at"])
    assert body["default_workspace_id"] == personal["id"]
    assert body["can_create_workspace"] is True
    assert cloud.rows("SELECT personal_owner_id FROM workspaces WHERE id = ?", personal["id"]) == [
        (ada.user_id,)
    ]


def test_creating_a_team_workspace_makes_the_caller_its_owner(cloud):
    ada = cloud.user()

    reply = cloud.request(ada, "POST", "/api/workspaces", json={"name": "  Studio  "})

    assert reply.status_code == 201
    team = reply.json()
    assert (team["name"], team["type"], team["role"]) == ("Studio", "team", "owner")
    listed = cloud.request(ada, "GET", "/api/workspaces").json()["workspaces"]
    assert [w["type"] for w in listed] == ["personal", "team"]
    assert listed[1] == team
    assert cloud.member_roles(team["id"]) == {ada.user_id: "owner"}


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, None])
def test_a_workspace_name_must_have_1_to_100_characters(cloud, name):
    ada = cloud.user()

    reply = cloud.request(ada, "POST", "/api/workspaces", json={"name": name})

    cloud.refused(reply, 400, "invalid_request")
    assert "name" in reply.json()["message"]
    assert len(cloud.workspace_ids(ada)) == 1


def test_the_owner_renames_a_workspace(cloud):
    ada = cloud.user()
    team = cloud.team(ada, "Old name")

    reply = cloud.request(ada, "PATCH", f"/api/workspaces/{team}", json={"name": "New name"})

    assert reply.status_code == 200
    assert (reply.json()["id"], reply.json()["name"], reply.json()["role"]) == (team, "New name", "owner")
    assert cloud.rows("SELECT name FROM workspaces WHERE id = ?", team) == [("New name",)]


def test_a_member_cannot_rename_or_delete_the_workspace(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada, "Kept")
    cloud.join(ada, team, grace)

    renamed = cloud.request(grace, "PATCH", f"/api/workspaces/{team}", json={"name": "Taken"})
    deleted = cloud.request(grace, "DELETE", f"/api/workspaces/{team}")

    cloud.refused(renamed, 403, "forbidden")
    cloud.refused(deleted, 403, "forbidden")
    assert cloud.rows("SELECT name FROM workspaces WHERE id = ?", team) == [("Kept",)]
    assert cloud.member_roles(team) == {ada.user_id: "owner", grace.user_id: "member"}


def test_a_non_member_gets_no_workspace_access_and_changes_nothing(cloud):
    ada, mallory = cloud.user(), cloud.user()
    team = cloud.team(ada, "Private")

    for method, body in [("PATCH", {"name": "Mine"}), ("DELETE", None)]:
        reply = cloud.request(mallory, method, f"/api/workspaces/{team}", json=body)
        cloud.refused(reply, 403, "no_workspace_access")
    assert cloud.rows("SELECT name FROM workspaces WHERE id = ?", team) == [("Private",)]


def test_an_unknown_workspace_is_not_found(cloud):
    ada = cloud.user()
    for method, body in [("PATCH", {"name": "x"}), ("DELETE", None)]:
        cloud.refused(
            cloud.request(ada, method, "/api/workspaces/no-such-id", json=body), 404, "workspace_not_found"
        )


def test_the_owner_deletes_a_team_workspace_with_its_members_and_invites(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)
    cloud.invite(ada, team, "someone@example.com")

    reply = cloud.request(ada, "DELETE", f"/api/workspaces/{team}")

    assert reply.status_code == 204
    assert cloud.rows("SELECT id FROM workspaces WHERE id = ?", team) == []
    assert cloud.rows("SELECT user_id FROM workspace_members WHERE workspace_id = ?", team) == []
    assert cloud.rows("SELECT id FROM workspace_invites WHERE workspace_id = ?", team) == []
    assert team not in cloud.workspace_ids(grace)


def test_a_personal_workspace_cannot_be_deleted(cloud):
    ada = cloud.user()
    [personal] = cloud.workspace_ids(ada)

    cloud.refused(cloud.request(ada, "DELETE", f"/api/workspaces/{personal}"), 400, "invalid_action")

    assert cloud.workspace_ids(ada) == [personal]


def test_the_current_workspace_of_an_api_key_is_the_personal_one(cloud):
    ada = cloud.user()
    [personal] = cloud.workspace_ids(ada)

    current = cloud.request(ada, "GET", "/api/workspaces/current").json()

    assert current["id"] == personal
    assert (current["type"], current["role"], current["auth_method"]) == ("personal", "owner", "api_key")
    assert "workspace:workspace:delete" in current["permissions"]


def test_the_workspace_header_chooses_the_current_workspace_and_a_member_sees_their_role(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada, "Shared")
    cloud.join(ada, team, grace)

    current = cloud.request(grace, "GET", "/api/workspaces/current", workspace=team).json()

    assert (current["id"], current["name"], current["type"], current["role"]) == (
        team,
        "Shared",
        "team",
        "member",
    )
    assert current["permissions"] == ["workspace:member:read", "workspace:workspace:read"]


def test_naming_a_workspace_one_is_not_a_member_of_is_refused(cloud):
    ada, mallory = cloud.user(), cloud.user()
    team = cloud.team(ada)

    for path in ["/api/workspaces/current", "/api/workspaces"]:
        cloud.refused(cloud.request(mallory, "GET", path, workspace=team), 403, "no_workspace_access")


def test_an_api_key_made_for_a_team_acts_in_that_team(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)
    grace_in_team = cloud.api_key(grace, workspace=team)

    assert cloud.request(grace_in_team, "GET", "/api/workspaces/current").json()["id"] == team

    cloud.request(ada, "DELETE", f"/api/workspace/members/{grace.user_id}", workspace=team)
    cloud.refused(cloud.request(grace_in_team, "GET", "/api/workspaces/current"), 403, "no_workspace_access")


def test_a_member_leaves_a_team(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    reply = cloud.request(grace, "POST", "/api/workspace/leave", workspace=team)

    assert reply.status_code == 204
    assert cloud.member_roles(team) == {ada.user_id: "owner"}
    assert team not in cloud.workspace_ids(grace)


def test_the_last_owner_cannot_leave(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    cloud.refused(cloud.request(ada, "POST", "/api/workspace/leave", workspace=team), 409, "last_owner")

    assert cloud.member_roles(team) == {ada.user_id: "owner", grace.user_id: "member"}


def test_an_owner_may_leave_when_another_owner_stays(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace, role="owner")

    assert cloud.request(ada, "POST", "/api/workspace/leave", workspace=team).status_code == 204

    assert cloud.member_roles(team) == {grace.user_id: "owner"}


def test_nobody_leaves_their_personal_workspace(cloud):
    ada = cloud.user()
    [personal] = cloud.workspace_ids(ada)

    cloud.refused(cloud.request(ada, "POST", "/api/workspace/leave"), 400, "invalid_action")

    assert cloud.member_roles(personal) == {ada.user_id: "owner"}
