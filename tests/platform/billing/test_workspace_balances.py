"""Whose money a workspace spends, through a real `comfyd serve`: a personal workspace's balance and
events are its user's customer balance and events; a team's are its own. Top-ups made on
comfyd's billing page (opened from `POST /api/billing/payment-portal`) show up in order, paged."""

from __future__ import annotations

import httpx


def customer_balance(billing, account) -> int:
    reply = billing.request(account, "GET", "/customers/balance")
    assert reply.status_code == 200, reply.text
    return reply.json()["amount_micros"]


def make_customer(billing, account) -> None:
    reply = billing.request(account, "POST", "/customers", json={"signup_source": "localhost"})
    assert reply.status_code == 201, reply.text


def event_summary(page: dict) -> list[tuple[str, int | None]]:
    return [(e["event_type"], e["params"].get("amount")) for e in page["events"]]


def test_a_personal_workspaces_balance_is_its_users_customer_balance(billing):
    ada = billing.user()
    make_customer(billing, ada)
    personal = billing.personal(ada)

    billing.top_up(ada, personal, "4.00")  # through the workspace payment portal
    with billing.client(ada) as http:  # and through the customer checkout
        checkout = http.post("/customers/credit", json={"amount_micros": 1_000_000, "currency": "usd"})
    with httpx.Client(base_url=billing.url) as browser:
        browser.post(
            "/billing/credit",
            data={"token": billing.token_of(checkout.json()["checkout_url"]), "amount": "1.50"},
        )

    assert customer_balance(billing, ada) == 5_500_000
    assert billing.balance(ada) == 5_500_000
    assert billing.balance(ada, personal) == 5_500_000
    workspace_events = billing.get(ada, "/api/billing/events", workspace=personal)
    customer_events = billing.get(ada, "/customers/events", params={"limit": 20})
    assert workspace_events["events"] == customer_events["events"]
    assert event_summary(workspace_events) == [
        ("credit_added", 150),
        ("credit_added", 400),
        ("account_created", None),
    ]


def test_a_teams_balance_is_its_own_apart_from_every_members(billing):
    ada, grace = billing.user(), billing.user()
    make_customer(billing, ada)
    team = billing.team(ada)
    billing.join(ada, team, grace)

    billing.top_up(ada, team, "20")
    billing.top_up(ada, None, "1")

    assert billing.balance(ada, team) == billing.balance(grace, team) == 20_000_000
    assert customer_balance(billing, ada) == billing.balance(ada) == 1_000_000
    assert billing.balance(grace) == 0
    other = billing.team(ada, "Other")
    assert billing.balance(ada, other) == 0


def test_team_events_list_each_top_up_in_order_and_page_through_them(billing):
    ada = billing.user()
    team = billing.team(ada)
    for amount in ("1.00", "2.00", "3.00"):
        assert billing.top_up(ada, team, amount).status_code == 303

    first = billing.get(ada, "/api/billing/events", workspace=team, params={"limit": 2})
    second = billing.get(ada, "/api/billing/events", workspace=team, params={"limit": 2, "page": 2})
    beyond = billing.get(ada, "/api/billing/events", workspace=team, params={"limit": 2, "page": 3})

    assert (first["total"], first["totalPages"], first["page"], first["limit"]) == (4, 2, 1, 2)
    assert event_summary(first) == [("credit_added", 300), ("credit_added", 200)]
    assert event_summary(second) == [("credit_added", 100), ("workspace_created", None)]
    assert beyond["events"] == [] and beyond["total"] == 4
    assert first["events"][0]["params"]["amount_micros"] == 3_000_000
    # Written scoped to the team, naming the owner who added it.
    rows = billing.rows(
        "SELECT user_id FROM platform_events WHERE workspace_id = ? AND event_type = 'credit_added'", team
    )
    assert rows == [(ada.user_id,)] * 3


def test_the_billing_page_of_a_team_shows_its_balance_and_events_and_takes_an_owners_top_up(billing):
    ada = billing.user()
    team = billing.team(ada)
    url = billing.portal_url(ada, team)

    with httpx.Client(timeout=30) as browser:  # no API key: a browser following the link
        page = browser.get(url)
        posted = browser.post(
            f"{billing.url}/billing/credit", data={"token": billing.token_of(url), "amount": "12.5"}
        )
        shown = browser.get(f"{billing.url}{posted.headers['location']}")

    assert page.status_code == 200 and "Workspace credits" in page.text and "$0.00" in page.text
    assert "workspace_created" in page.text and "Add credits" in page.text
    assert posted.status_code == 303
    assert "Added $12.50." in shown.text and "Credits Added" in shown.text
    assert billing.balance(ada, team) == 12_500_000 and billing.balance(ada) == 0


def test_a_link_stops_adding_credit_once_its_owner_is_a_member_and_stops_showing_once_removed(billing):
    ada, grace = billing.user(), billing.user()
    team = billing.team(ada)
    billing.join(ada, team, grace)
    billing.set_role(ada, team, grace, "owner")
    token = billing.token_of(billing.portal_url(grace, team))

    billing.set_role(ada, team, grace, "member")
    with httpx.Client(base_url=billing.url) as browser:
        demoted = browser.post("/billing/credit", data={"token": token, "amount": "5"})
        still_shown = browser.get("/billing", params={"token": token})
        assert billing.request(
            ada, "DELETE", f"/api/workspace/members/{grace.user_id}", workspace=team
        ).is_success
        removed = browser.get("/billing", params={"token": token})

    assert demoted.status_code == 403 and "text/html" in demoted.headers["content-type"]
    assert still_shown.status_code == 200
    assert removed.status_code == 401 and "no longer a member" in removed.text
    assert billing.balance(ada, team) == 0
