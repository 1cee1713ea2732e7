"""Invites over HTTP: making, listing, revoking and resending them (owners only), and accepting
one, which works once, before it expires, for the invited email only. Tokens are stored hashed."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta


def test_an_owner_invites_by_email_and_the_answer_carries_the_token_once(cloud):
    ada = cloud.user()
    team = cloud.team(ada)

    reply = cloud.request(
        ada, "POST", "/api/workspace/invites", workspace=team, json={"email": "New@Example.com"}
    )

    assert reply.status_code == 201
    invite = reply.json()
    assert set(invite) == {"id", "email", "role", "invited_at", "expires_at", "token"}
    assert (invite["email"], invite["role"]) == ("new@example.com", "member")
    invited = datetime.fromisoformat(invite["invited_at"])
    assert datetime.fromisoformat(invite["expires_at"]) - invited == timedelta(days=7)
    listed = cloud.request(ada, "GET", "/api/workspace/invites", workspace=team).json()["invites"]
    assert listed == [{k: v for k, v in invite.items() if k != "token"}]


def test_invite_tokens_are_stored_only_as_their_sha256(cloud):
    ada = cloud.user()
    team = cloud.team(ada)

    invite = cloud.invite(ada, team, "someone@example.com")

    [(stored,)] = cloud.rows("SELECT token_hash FROM workspace_invites WHERE id = ?", invite["id"])
    assert stored == hashlib.sha256(invite["token"].encode()).hexdigest()
    assert invite["token"].encode() not in cloud.server.database_path.read_bytes()


def test_accepting_an_invite_joins_the_workspace_with_the_invites_role(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada, "Studio")
    token = cloud.invite(ada, team, grace.email.upper(), role="owner")["token"]

    reply = cloud.request(grace, "POST", f"/api/invites/{token}/accept")

    assert reply.status_code == 200
    assert reply.json() == {"workspace_id": team, "workspace_name": "Studio"}
    assert cloud.member_roles(team) == {ada.user_id: "owner", grace.user_id: "owner"}
    assert cloud.request(ada, "GET", "/api/workspace/invites", workspace=team).json() == {"invites": []}


def test_an_invite_works_once(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    token = cloud.invite(ada, team, grace.email)["token"]
    assert cloud.request(grace, "POST", f"/api/invites/{token}/accept").status_code == 200
    cloud.request(ada, "DELETE", f"/api/workspace/members/{grace.user_id}", workspace=team)

    reply = cloud.request(grace, "POST", f"/api/invites/{token}/accept")

    cloud.refused(reply, 409, "invite_already_accepted")
    assert cloud.member_roles(team) == {ada.user_id: "owner"}


def test_a_revoked_invite_cannot_be_accepted(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    invite = cloud.invite(ada, team, grace.email)

    revoked = cloud.request(ada, "DELETE", f"/api/workspace/invites/{invite['id']}", workspace=team)
    reply = cloud.request(grace, "POST", f"/api/invites/{invite['token']}/accept")

    assert revoked.status_code == 204
    cloud.refused(reply, 410, "invite_revoked")
    assert cloud.member_roles(team) == {ada.user_id: "owner"}
    assert cloud.request(ada, "GET", "/api/workspace/invites", workspace=team).json() == {"invites": []}


def test_an_expired_invite_cannot_be_accepted(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    invite = cloud.invite(ada, team, grace.email)
    past = (datetime.now(UTC) - timedelta(minutes=1)).replace(tzinfo=None)
    cloud.execute(
        "UPDATE workspace_invites SET expires_at = ? WHERE id = ?", past.isoformat(" "), invite["id"]
    )

    reply = cloud.request(grace, "POST", f"/api/invites/{invite['token']}/accept")

    cloud.refused(reply, 410, "invite_expired")
    assert cloud.member_roles(team) == {ada.user_id: "owner"}
    assert cloud.rows("SELECT accepted_at FROM workspace_invites WHERE id = ?", invite["id"]) == [(None,)]
    assert cloud.request(ada, "GET", "/api/workspace/invites", workspace=team).json() == {"invites": []}


def test_an_invite_is_only_for_the_invited_email(cloud):
    ada, grace, mallory = cloud.user(), cloud.user(), cloud.user()
    team = cloud.team(ada)
    invite = cloud.invite(ada, team, grace.email)

    reply = cloud.request(mallory, "POST", f"/api/invites/{invite['token']}/accept")

    cloud.refused(reply, 403, "invite_email_mismatch")
    assert cloud.member_roles(team) == {ada.user_id: "owner"}
    # Still pending: the invited person can use it.
    assert cloud.request(grace, "POST", f"/api/invites/{invite['token']}/accept").status_code == 200


def test_an_unknown_token_is_not_found(cloud):
    grace = cloud.user()
    cloud.refused(cloud.request(grace, "POST", "/api/invites/not-a-token/accept"), 404, "invite_not_found")


def test_accepting_needs_a_signed_in_identity(cloud):
    ada = cloud.user()
    team = cloud.team(ada)
    invite = cloud.invite(ada, team, "later@example.com")

    cloud.refused(cloud.request(None, "POST", f"/api/invites/{invite['token']}/accept"), 401)

    assert cloud.rows("SELECT accepted_at FROM workspace_invites WHERE id = ?", invite["id"]) == [(None,)]


def test_resending_an_invite_replaces_its_token(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    invite = cloud.invite(ada, team, grace.email)

    resent = cloud.request(
        ada, "POST", f"/api/workspace/invites/{invite['id']}/resend", workspace=team
    ).json()

    assert resent["id"] == invite["id"] and resent["token"] != invite["token"]
    cloud.refused(
        cloud.request(grace, "POST", f"/api/invites/{invite['token']}/accept"), 404, "invite_not_found"
    )
    assert cloud.request(grace, "POST", f"/api/invites/{resent['token']}/accept").status_code == 200


def test_members_cannot_invite_list_revoke_or_resend(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)
    invite = cloud.invite(ada, team, "pending@example.com")

    attempts = [
        ("POST", "/api/workspace/invites", {"email": "friend@example.com"}),
        ("GET", "/api/workspace/invites", None),
        ("DELETE", f"/api/workspace/invites/{invite['id']}", None),
        ("POST", f"/api/workspace/invites/{invite['id']}/resend", None),
    ]
    for method, path, body in attempts:
        cloud.refused(cloud.request(grace, method, path, workspace=team, json=body), 403, "forbidden")

    query = "SELECT email, revoked_at FROM workspace_invites WHERE workspace_id = ? AND accepted_at IS NULL"
    assert cloud.rows(query, team) == [("pending@example.com", None)]


def test_an_owner_cannot_revoke_another_workspaces_invite(cloud):
    ada, alan = cloud.user(), cloud.user()
    ada_team, alan_team = cloud.team(ada), cloud.team(alan)
    invite = cloud.invite(alan, alan_team, "someone@example.com")

    reply = cloud.request(ada, "DELETE", f"/api/workspace/invites/{invite['id']}", workspace=ada_team)

    cloud.refused(reply, 404, "invite_not_found")
    assert cloud.rows("SELECT revoked_at FROM workspace_invites WHERE id = ?", invite["id"]) == [(None,)]


def test_no_invites_to_a_personal_workspace_or_for_a_member(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    personal = cloud.request(ada, "POST", "/api/workspace/invites", json={"email": "friend@example.com"})
    member = cloud.request(ada, "POST", "/api/workspace/invites", workspace=team, json={"email": grace.email})
    malformed = cloud.request(ada, "POST", "/api/workspace/invites", workspace=team, json={"email": "nobody"})

    cloud.refused(personal, 400, "invalid_action")
    cloud.refused(member, 409, "already_member")
    cloud.refused(malformed, 400, "invalid_request")
    [personal_id] = [w for w in cloud.workspace_ids(ada) if w != team]
    # Only the invite Grace accepted to join.
    assert cloud.rows("SELECT email FROM workspace_invites WHERE workspace_id = ?", team) == [(grace.email,)]
    assert cloud.rows("SELECT id FROM workspace_invites WHERE workspace_id = ?", personal_id) == []


def test_accepting_twice_at_once_adds_the_member_once(cloud):
    """Two accepts racing with one token: one wins; the database never holds a second use."""
    import concurrent.futures

    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    token = cloud.invite(ada, team, grace.email)["token"]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        replies = list(
            pool.map(lambda _: cloud.request(grace, "POST", f"/api/invites/{token}/accept"), range(4))
        )

    assert sorted(r.status_code for r in replies) == [200, 409, 409, 409]
    assert cloud.member_roles(team) == {ada.user_id: "owner", grace.user_id: "member"}
    with sqlite3.connect(cloud.server.database_path) as connection:
        [(uses,)] = connection.execute(
            "SELECT count(*) FROM platform_events WHERE workspace_id = ? AND event_type = 'workspace_invite_accepted'",
            (team,),
        ).fetchall()
    assert uses == 1
