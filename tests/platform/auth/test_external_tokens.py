"""Bearer JWTs from a configured identity provider (as a Firebase project's ID tokens would be),
verified against its JWKS, issuer and audience by a real server. Keys are made in the test and
the JWKS is served by the test's own HTTP server."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def new_sub() -> str:
    return f"uid-{uuid.uuid4().hex}"


def test_a_valid_token_signs_in_and_makes_the_user_on_first_sight(provider, jwt_server):
    sub = new_sub()
    token = provider.token(sub=sub, email=f"{sub}@Example.com", name="Ada")

    first = jwt_server.request("GET", "/api/workspaces", token=token)
    again = jwt_server.request("GET", "/api/workspaces/current", token=token)

    assert first.status_code == 200, first.text
    [personal] = first.json()["workspaces"]
    assert personal["type"] == "personal" and personal["role"] == "owner"
    assert again.json()["id"] == personal["id"] and again.json()["auth_method"] == "jwt"
    assert jwt_server.rows("SELECT id, email, name FROM users WHERE id = ?", sub) == [
        (sub, f"{sub}@example.com", "Ada")
    ]
    assert jwt_server.rows("SELECT count(*) FROM workspaces WHERE personal_owner_id = ?", sub) == [(1,)]


def test_a_token_without_an_email_gets_a_reserved_address(provider, jwt_server):
    sub = new_sub()
    assert jwt_server.request("GET", "/api/workspaces", token=provider.token(sub=sub)).status_code == 200
    assert jwt_server.rows("SELECT email FROM users WHERE id = ?", sub) == [(f"{sub}@users.invalid",)]


def refused_and_unknown(jwt_server, token: str, sub: str) -> None:
    reply = jwt_server.request("GET", "/api/workspaces", token=token)
    assert reply.status_code == 401, reply.text
    assert reply.json()["error"] == "Unauthorized" and reply.headers["www-authenticate"] == "Bearer"
    assert jwt_server.rows("SELECT id FROM users WHERE id = ?", sub) == []


def test_an_expired_token_is_refused(provider, jwt_server):
    sub = new_sub()
    refused_and_unknown(jwt_server, provider.token(sub=sub, lifetime=-timedelta(minutes=5)), sub)


def test_a_token_signed_with_another_key_under_a_known_kid_is_refused(provider, jwt_server):
    sub = new_sub()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused_and_unknown(jwt_server, provider.token(sub=sub, key=forger), sub)


def test_a_token_whose_kid_the_provider_never_published_is_refused(provider, jwt_server):
    sub = new_sub()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused_and_unknown(jwt_server, provider.token(sub=sub, kid="not-published", key=forger), sub)


def test_a_token_from_another_issuer_or_for_another_audience_is_refused(provider, jwt_server):
    sub = new_sub()
    refused_and_unknown(jwt_server, provider.token(sub=sub, issuer="https://elsewhere.test"), sub)
    refused_and_unknown(jwt_server, provider.token(sub=sub, audience="another-app"), sub)


def test_unsigned_and_symmetric_tokens_are_refused(provider, jwt_server):
    sub = new_sub()
    claims = {"iss": provider.issuer, "aud": provider.audience, "sub": sub, "exp": 4_000_000_000}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": provider.kid})
    hmac = jwt.encode(
        claims, "a-shared-secret-of-sufficient-length-0123", algorithm="HS256", headers={"kid": provider.kid}
    )
    refused_and_unknown(jwt_server, unsigned, sub)
    refused_and_unknown(jwt_server, hmac, sub)


def test_a_token_without_expiry_or_subject_is_refused(provider, jwt_server):
    sub = new_sub()
    key = provider.keys[provider.kid]
    claims = {"iss": provider.issuer, "aud": provider.audience, "sub": sub}
    no_exp = jwt.encode(claims, key, algorithm="RS256", headers={"kid": provider.kid})
    no_sub = provider.token(sub="")
    refused_and_unknown(jwt_server, no_exp, sub)
    assert jwt_server.request("GET", "/api/workspaces", token=no_sub).status_code == 401


def test_a_token_whose_email_belongs_to_another_account_is_refused(provider, jwt_server):
    email = f"taken-{uuid.uuid4().hex[:8]}@example.com"
    jwt_server.user_with_key(email=email)
    sub = new_sub()
    refused_and_unknown(jwt_server, provider.token(sub=sub, email=email.upper()), sub)


def test_a_rotated_key_is_picked_up_without_a_restart(provider, jwks, servers):
    # A server of its own: after a miss, the key set is fetched again at most every 30 seconds,
    # and the other tests here send unknown kids on purpose.
    server = servers(
        "--auth-jwks-url", jwks.url, "--auth-issuer", provider.issuer, "--auth-audience", provider.audience
    )
    assert server.request("GET", "/api/workspaces", token=provider.token(sub=new_sub())).status_code == 200
    kid = provider.add_key()

    reply = server.request("GET", "/api/workspaces", token=provider.token(sub=new_sub(), kid=kid))

    assert reply.status_code == 200, reply.text


def test_a_banned_users_token_is_refused(provider, jwt_server):
    sub = new_sub()
    token = provider.token(sub=sub)
    assert jwt_server.request("GET", "/api/workspaces", token=token).status_code == 200
    jwt_server.execute("UPDATE users SET status = 'BANNED' WHERE id = ?", sub)

    assert jwt_server.request("GET", "/api/workspaces", token=token).status_code == 401


def test_an_external_user_exchanges_their_token_for_a_workspace_token(provider, jwt_server):
    sub = new_sub()
    firebase_token = provider.token(sub=sub, email=f"{sub}@example.com")

    exchange = jwt_server.request("POST", "/api/auth/token", token=firebase_token, json={})

    assert exchange.status_code == 200, exchange.text
    body = exchange.json()
    assert body["user_id"] == sub and body["workspace"]["type"] == "personal"
    current = jwt_server.request("GET", "/api/workspaces/current", token=body["token"]).json()
    assert (current["id"], current["auth_method"]) == (body["workspace"]["id"], "workspace_token")
