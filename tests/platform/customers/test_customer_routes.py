"""`/customers`, `/customers/me` and `/customers/balance` against a real `comfyd serve`, and the
401 every customer route answers without an identity."""

from __future__ import annotations

from datetime import datetime

import pytest

ROUTES = [
    ("POST", "/customers"),
    ("GET", "/customers/me"),
    ("GET", "/customers/balance"),
    ("GET", "/customers/events"),
    ("GET", "/customer/events"),
    ("GET", "/customers/api-keys"),
    ("POST", "/customers/api-keys"),
    ("DELETE", "/customers/api-keys/00000000-0000-0000-0000-000000000000"),
    ("POST", "/customers/billing"),
    ("POST", "/customers/credit"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_customer_route_needs_an_identity(platform, method, path):
    with platform.client() as http:
        reply = http.request(method, path, json={})
    assert reply.status_code == 401
    assert reply.json()["error"] == "Unauthorized"


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_customer_route_refuses_an_unknown_key(platform, method, path):
    with platform.client(headers={"X-API-Key": "comfyui-" + "0" * 64}) as http:
        assert http.request(method, path, json={}).status_code == 401


def test_post_customers_creates_the_customer_once_201_then_200(platform):
    ada = platform.user(name="Ada")
    with platform.client(ada) as http:
        created = http.post("/customers", json={"signup_source": "localhost"})
        again = http.post("/customers", json={"signup_source": "localhost"})

    assert (created.status_code, again.status_code) == (201, 200)
    body = created.json()
    assert body["id"] == ada.user_id and body["email"] == ada.email and body["name"] == "Ada"
    assert (body["is_admin"], body["has_fund"]) == (False, False)
    assert datetime.fromisoformat(body["createdAt"]).tzinfo is not None
    assert again.json() == body


def test_post_customers_takes_no_body_and_a_bearer_key(platform):
    ada = platform.user()
    with platform.client(headers={"Authorization": f"Bearer {ada.key}"}) as http:
        reply = http.post("/customers")
    assert reply.status_code == 201 and reply.json()["id"] == ada.user_id


def test_post_customers_refuses_a_body_that_is_not_the_request(platform):
    ada = platform.user()
    with platform.client(ada) as http:
        reply = http.post("/customers", json={"signup_source": ["not", "text"]})
        me = http.get("/customers/me")
    assert reply.status_code == 400
    assert set(reply.json()) == {"error", "message"} and reply.json()["error"] == "Bad Request"
    assert me.status_code == 404


def test_an_admin_customer_says_so(platform):
    admin = platform.user(admin=True)
    with platform.client(admin) as http:
        assert http.post("/customers").json()["is_admin"] is True


def test_me_and_balance_are_404_before_the_customer_exists(platform):
    ada = platform.user()
    with platform.client(ada) as http:
        me = http.get("/customers/me")
        balance = http.get("/customers/balance")
        events = http.get("/customers/events")
    assert (me.status_code, balance.status_code, events.status_code) == (404, 404, 404)
    assert me.json()["error"] == "Not Found"


def test_me_returns_the_callers_customer(platform):
    ada, grace = platform.customer(name="Ada"), platform.customer(name="Grace")
    with platform.client(ada) as http:
        me = http.get("/customers/me").json()
    assert (me["id"], me["name"]) == (ada.user_id, "Ada")
    assert grace.user_id != me["id"]


def test_a_new_customer_has_a_zero_usd_balance(platform):
    ada = platform.customer()
    with platform.client(ada) as http:
        reply = http.get("/customers/balance")
    assert reply.status_code == 200
    assert reply.json()["amount_micros"] == 0 and reply.json()["currency"] == "usd"
