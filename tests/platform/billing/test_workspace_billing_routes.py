"""Comfy Cloud's workspace billing routes against a real `comfyd serve`: the shapes the frontend's
zod schemas require, for personal and team workspaces, and who may call what."""

from __future__ import annotations

import pytest
from wire_schemas import (
    BILLING_BALANCE_RESPONSE,
    BILLING_CAPABILITIES_RESPONSE,
    BILLING_EVENTS_RESPONSE,
    BILLING_PLANS_RESPONSE,
    BILLING_STATUS_RESPONSE,
    PAYMENT_PORTAL_RESPONSE,
    check,
)

READS = {
    "/api/billing/status": BILLING_STATUS_RESPONSE,
    "/api/billing/balance": BILLING_BALANCE_RESPONSE,
    "/api/billing/plans": BILLING_PLANS_RESPONSE,
    "/api/billing/capabilities": BILLING_CAPABILITIES_RESPONSE,
    "/api/billing/events": BILLING_EVENTS_RESPONSE,
}
PORTALS = ["/api/billing/payment-portal", "/api/billing/portal"]
EVERY_ROUTE = [("GET", path) for path in READS] + [("POST", path) for path in PORTALS]


def refused(reply, status: int, code: str | None = None) -> dict:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["error"] and body["message"]
    if code is not None:
        assert body["code"] == code
    return body


@pytest.mark.parametrize("kind", ["personal", "team"])
def test_every_billing_read_answers_the_shape_the_frontend_parses(billing, kind):
    ada = billing.user()
    workspace = billing.personal(ada) if kind == "personal" else billing.team(ada)
    billing.top_up(ada, workspace, "3.50")  # so that the event list has an entry to check

    for path, schema in READS.items():
        check(billing.get(ada, path, workspace=workspace), schema, path)
    for path in PORTALS:
        reply = billing.request(ada, "POST", path, workspace=workspace, json={})
        assert reply.status_code == 200, reply.text
        check(reply.json(), PAYMENT_PORTAL_RESPONSE, path)


def test_a_personal_workspace_is_on_the_self_hosted_plan_with_one_seat(billing):
    ada = billing.user()

    status = billing.get(ada, "/api/billing/status")
    [plan] = billing.get(ada, "/api/billing/plans")["plans"]
    capabilities = billing.get(ada, "/api/billing/capabilities")

    assert status["is_active"] is True and status["plan_slug"] == "self-hosted"
    assert status["has_funds"] is False and (status["max_seats"], status["occupied_seats"]) == (1, 1)
    assert (
        plan["slug"] == "self-hosted" and plan["price_cents"] == 0 and plan["seat_summary"]["seat_count"] == 1
    )
    assert capabilities["resolved_for"] == {"user_id": ada.user_id, "workspace_id": billing.personal(ada)}
    allowed = {name for name, value in capabilities["capabilities"].items() if value}
    # No subscriptions or seats to change, nobody to invite to a personal workspace, nothing to
    # leave or delete; its owner tops up and opens the billing page ("manage subscription").
    assert allowed == {
        "can_top_up", "can_manage_billing", "can_manage_subscription", "can_open_plans",
        "can_run_workflows", "can_view_own_usage",
    }


def test_a_teams_status_counts_its_members_and_has_funds_after_a_top_up(billing):
    ada, grace = billing.user(), billing.user()
    team = billing.team(ada)
    billing.join(ada, team, grace)

    before = billing.get(grace, "/api/billing/status", workspace=team)
    billing.top_up(ada, team, "1")
    after = billing.get(grace, "/api/billing/status", workspace=team)

    assert before["occupied_seats"] == 2 and before["has_funds"] is False
    assert after["has_funds"] is True and after["max_seats"] > 2


@pytest.mark.parametrize("method,path", EVERY_ROUTE)
def test_every_billing_route_needs_an_identity(billing, method, path):
    reply = billing.request(None, method, path)

    refused(reply, 401)
    assert reply.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("method,path", EVERY_ROUTE)
def test_a_workspace_the_caller_is_not_a_member_of_is_refused_with_no_workspace_access(billing, method, path):
    ada, eve = billing.user(), billing.user()
    team = billing.team(ada)

    refused(billing.request(eve, method, path, workspace=team), 403, "no_workspace_access")
    refused(billing.request(eve, method, path, workspace=billing.personal(ada)), 403, "no_workspace_access")


def test_members_read_the_billing_but_only_owners_open_the_payment_portal(billing):
    ada, grace = billing.user(), billing.user()
    team = billing.team(ada)
    billing.join(ada, team, grace)

    for path in READS:
        billing.get(grace, path, workspace=team)
    for path in PORTALS:
        body = refused(billing.request(grace, "POST", path, workspace=team, json={}), 403, "forbidden")
        assert "workspace:billing:manage" in body["message"]
    member = billing.get(grace, "/api/billing/capabilities", workspace=team)["capabilities"]
    owner = billing.get(ada, "/api/billing/capabilities", workspace=team)["capabilities"]
    assert (member["can_top_up"], member["can_invite_members"]) == (False, False)
    assert (owner["can_top_up"], owner["can_invite_members"]) == (True, True)
    assert (member["can_manage_subscription"], member["can_manage_members"]) == (False, False)
    assert (owner["can_manage_subscription"], owner["can_manage_members"]) == (True, True)
    assert member["can_leave_workspace"] and member["can_view_team_usage"] and not member["can_delete_workspace"]
    assert billing.portal_url(ada, team).startswith(f"{billing.url}/billing?token=")


def test_a_member_made_owner_may_open_the_portal_and_one_made_member_may_not(billing):
    ada, grace = billing.user(), billing.user()
    team = billing.team(ada)
    billing.join(ada, team, grace)

    billing.set_role(ada, team, grace, "owner")
    assert billing.portal_url(grace, team)
    billing.set_role(grace, team, ada, "member")
    refused(billing.request(ada, "POST", PORTALS[0], workspace=team, json={}), 403, "forbidden")


def test_a_workspace_token_acts_in_its_own_workspace(billing):
    ada = billing.user()
    team = billing.team(ada)
    billing.top_up(ada, team, "2")
    minted = billing.request(ada, "POST", "/api/auth/token", json={"workspace_id": team})
    assert minted.status_code == 200, minted.text

    balance = billing.get(None, "/api/billing/balance", token=minted.json()["token"])

    assert balance["amount_micros"] == balance["amount_cents"] == 200  # cents, as the frontend reads both
    assert billing.balance(ada) == 0  # the key alone acts in the personal workspace


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"limit": 0}, id="limit-zero"),
        pytest.param({"limit": 101}, id="limit-too-big"),
        pytest.param({"page": 0}, id="page-zero"),
        pytest.param({"page": "two"}, id="page-not-a-number"),
    ],
)
def test_events_refuse_bad_paging_parameters(billing, query):
    ada = billing.user()

    refused(billing.request(ada, "GET", "/api/billing/events", params=query), 400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="no-body"),
        pytest.param({}, id="empty"),
        pytest.param({"flow_type": "payment_method_update"}, id="flow-type"),
        pytest.param({"flow_type": ""}, id="empty-flow-type"),
    ],
)
def test_the_payment_portal_takes_any_body_the_frontend_sends(billing, body):
    ada = billing.user()

    reply = billing.request(ada, "POST", "/api/billing/payment-portal", json=body)

    assert reply.status_code == 200, reply.text
    assert set(reply.json()) == {"url"}


def test_the_portal_link_keeps_a_safe_return_url_and_drops_an_unsafe_one(billing):
    ada = billing.user()

    kept = billing.portal_url(ada, return_url="https://comfy.example/app")
    dropped = billing.portal_url(ada, return_url="javascript:alert(1)")

    assert "return_url=https%3A%2F%2Fcomfy.example%2Fapp" in kept
    assert "return_url" not in dropped


def test_the_seeds_portal_route_answers_the_url_under_both_names(billing):
    ada = billing.user()

    reply = billing.request(ada, "POST", "/api/billing/portal", json={"return_url": "https://comfy.example/"})

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["url"] == body["billing_portal_url"] and body["url"].startswith(
        f"{billing.url}/billing?token="
    )
