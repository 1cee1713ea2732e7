"""comfyd's own workspace tokens (`POST /api/auth/token`) over HTTP: their shape, using them as
`Authorization: Bearer`, and every way an old, forged or misused one is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def team_with_member(server) -> tuple[str, str, str, str]:
    """`(owner_key, member_id, member_key, team_id)`: a team whose owner invited a member."""
    _, owner_key = server.user_with_key()
    member_id, member_key = server.user_with_key()
    team = server.request("POST", "/api/workspaces", key=owner_key, json={"name": "Team"}).json()["id"]
    [(email,)] = server.rows("SELECT email FROM users WHERE id = ?", member_id)
    invite = server.request(
        "POST", "/api/workspace/invites", key=owner_key, workspace=team, json={"email": email}
    )
    accepted = server.request("POST", f"/api/invites/{invite.json()['token']}/accept", key=member_key)
    assert accepted.status_code == 200, accepted.text
    return owner_key, member_id, member_key, team


def mint(server, key: str, workspace_id: str | None = None) -> dict:
    body = {"workspace_id": workspace_id} if workspace_id else {}
    reply = server.request("POST", "/api/auth/token", key=key, json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_minting_answers_the_cloud_shape_and_the_token_acts_in_its_workspace(jwt_server):
    _, member_id, member_key, team = team_with_member(jwt_server)

    minted = mint(jwt_server, member_key, team)

    assert set(minted) == {"token", "expires_at", "workspace", "role", "permissions", "user_id"}
    assert minted["workspace"] == {"id": team, "name": "Team", "type": "team"}
    assert (minted["role"], minted["user_id"]) == ("member", member_id)
    assert minted["permissions"] == ["workspace:member:read", "workspace:workspace:read"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", minted["expires_at"])
    expires = datetime.fromisoformat(minted["expires_at"])
    assert timedelta(minutes=55) < expires - datetime.now(UTC) <= timedelta(hours=1)
    claims = jwt.decode(minted["token"], options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["workspace_id"], claims["role"]) == (
        "urn:comfyd",
        member_id,
        team,
        "member",
    )
    current = jwt_server.request("GET", "/api/workspaces/current", token=minted["token"]).json()
    assert (current["id"], current["role"], current["auth_method"]) == (team, "member", "workspace_token")


def test_minting_without_a_workspace_gives_the_personal_one(jwt_server):
    user_id, key = jwt_server.user_with_key()
    minted = jwt_server.request("POST", "/api/auth/token", key=key).json()
    assert minted["workspace"]["type"] == "personal" and minted["role"] == "owner"
    assert jwt_server.rows(
        "SELECT personal_owner_id FROM workspaces WHERE id = ?", minted["workspace"]["id"]
    ) == [(user_id,)]


def test_minting_for_a_workspace_one_is_not_in_or_that_does_not_exist_is_refused(jwt_server, refused):
    _, _, _, team = team_with_member(jwt_server)
    _, stranger_key = jwt_server.user_with_key()

    refused(
        jwt_server.request("POST", "/api/auth/token", key=stranger_key, json={"workspace_id": team}),
        403,
        "no_workspace_access",
    )
    refused(
        jwt_server.request("POST", "/api/auth/token", key=stranger_key, json={"workspace_id": "missing"}),
        404,
        "workspace_not_found",
    )
    refused(jwt_server.request("POST", "/api/auth/token", json={"workspace_id": team}), 401)


def test_a_removed_members_old_token_is_refused_and_changes_nothing(jwt_server, refused):
    owner_key, member_id, member_key, team = team_with_member(jwt_server)
    old_token = mint(jwt_server, member_key, team)["token"]
    removed = jwt_server.request(
        "DELETE", f"/api/workspace/members/{member_id}", key=owner_key, workspace=team
    )
    assert removed.status_code == 204

    for method, path in [
        ("GET", "/api/workspaces/current"),
        ("GET", "/api/workspace/members"),
        ("POST", "/api/workspace/leave"),
        ("POST", "/api/auth/token"),
    ]:
        refused(jwt_server.request(method, path, token=old_token), 403, "no_workspace_access")

    assert jwt_server.rows("SELECT user_id FROM workspace_members WHERE workspace_id = ?", team) != []
    assert (
        jwt_server.rows(
            "SELECT user_id FROM workspace_members WHERE workspace_id = ? AND user_id = ?", team, member_id
        )
        == []
    )


def test_a_demoted_owners_token_carries_their_new_role_not_the_minted_one(jwt_server, refused):
    owner_key, member_id, member_key, team = team_with_member(jwt_server)
    promote = {"role": "owner"}
    jwt_server.request(
        "PATCH", f"/api/workspace/members/{member_id}", key=owner_key, workspace=team, json=promote
    )
    owner_token = mint(jwt_server, member_key, team)["token"]
    demote = {"role": "member"}
    jwt_server.request(
        "PATCH", f"/api/workspace/members/{member_id}", key=owner_key, workspace=team, json=demote
    )

    refused(jwt_server.request("DELETE", f"/api/workspaces/{team}", token=owner_token), 403, "forbidden")

    assert jwt_server.rows("SELECT id FROM workspaces WHERE id = ?", team) == [(team,)]


def stored_signing_key(server) -> tuple[str, ec.EllipticCurvePrivateKey]:
    [(kid, pem)] = server.rows("SELECT id, private_key FROM auth_signing_keys")
    return kid, serialization.load_pem_private_key(pem.encode(), password=None)


def forged(key, kid: str, **claims) -> str:
    now = datetime.now(UTC)
    body = {
        "iss": "urn:comfyd",
        "aud": "urn:comfyd:workspace",
        "iat": now,
        "exp": now + timedelta(hours=1),
        **claims,
    }
    return jwt.encode(body, key, algorithm="ES256", headers={"kid": kid})


def test_an_expired_workspace_token_is_refused(jwt_server, refused):
    user_id, key = jwt_server.user_with_key()
    workspace = mint(jwt_server, key)["workspace"]["id"]
    kid, signing_key = stored_signing_key(jwt_server)
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = forged(
        signing_key, kid, sub=user_id, workspace_id=workspace, iat=past, exp=past + timedelta(hours=1)
    )
    fresh = forged(signing_key, kid, sub=user_id, workspace_id=workspace)

    refused(jwt_server.request("GET", "/api/workspaces/current", token=expired), 401)
    assert jwt_server.request("GET", "/api/workspaces/current", token=fresh).status_code == 200


def test_a_workspace_token_signed_by_another_key_is_refused(jwt_server, refused):
    user_id, key = jwt_server.user_with_key()
    workspace = mint(jwt_server, key)["workspace"]["id"]
    kid, _ = stored_signing_key(jwt_server)
    other = ec.generate_private_key(ec.SECP256R1())

    for token in [
        forged(other, kid, sub=user_id, workspace_id=workspace),
        forged(other, "unknown-kid", sub=user_id, workspace_id=workspace),
    ]:
        refused(jwt_server.request("GET", "/api/workspaces/current", token=token), 401)


def test_a_workspace_token_cannot_be_pointed_at_another_workspace(jwt_server, refused):
    owner_key, _, member_key, team = team_with_member(jwt_server)
    personal_token = mint(jwt_server, member_key)["token"]

    reply = jwt_server.request("GET", "/api/workspace/members", token=personal_token, workspace=team)

    refused(reply, 403, "no_workspace_access")


def test_tokens_are_never_stored_and_the_signing_key_is_made_once(jwt_server):
    _, key = jwt_server.user_with_key()
    token = mint(jwt_server, key)["token"]

    database = b"".join(p.read_bytes() for p in jwt_server.database_path.parent.glob("comfyd.db*"))
    assert token.encode() not in database
    assert key.encode() not in database
    [(algorithm, pem)] = jwt_server.rows("SELECT algorithm, private_key FROM auth_signing_keys")
    assert algorithm == "ES256" and pem.startswith("-----BEGIN PRIVATE KEY-----")


def test_a_token_stays_valid_across_a_restart(servers):
    server = servers()
    _, key = server.user_with_key()
    token = mint(server, key)["token"]

    server.stop()
    server.start()

    assert server.request("GET", "/api/workspaces/current", token=token).status_code == 200
    assert len(server.rows("SELECT id FROM auth_signing_keys")) == 1
