"""Personal billing against a real `comfyd serve`: `POST /customers/billing` and
`POST /customers/credit` hand out signed links to comfyd's billing page, which shows the balance
and events and records top-ups as `credit_added`."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from comfyd.platform.billing.ledger import Owner
from comfyd.platform.billing.links import BillingLinks


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def portal_url(platform, account, **body) -> str:
    with platform.client(account) as http:
        reply = http.post("/customers/billing", json=body or None)
    assert reply.status_code == 200, reply.text
    assert set(reply.json()) == {"billing_portal_url"}
    return reply.json()["billing_portal_url"]


def balance(platform, account) -> int:
    with platform.client(account) as http:
        return http.get("/customers/balance").json()["amount_micros"]


def test_the_billing_portal_is_comfyds_own_page_behind_a_signed_link(platform):
    ada = platform.customer()
    url = portal_url(platform, ada)

    assert url.startswith(f"{platform.url}/billing?token=")
    with platform.client() as browser:  # no API key: a browser following the link
        page = browser.get(url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "$0.00" in page.text and "Account Created" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]


def test_a_checkout_link_prefills_the_amount_and_is_created_201(platform):
    ada = platform.customer()
    with platform.client(ada) as http:
        reply = http.post("/customers/credit", json={"amount_micros": 25_000_000, "currency": "usd"})

    assert reply.status_code == 201 and set(reply.json()) == {"checkout_url"}
    url = reply.json()["checkout_url"]
    assert query_of(url)["amount_micros"] == "25000000"
    with platform.client() as browser:
        assert 'value="25.00"' in browser.get(url).text


def test_submitting_the_form_adds_credit_and_shows_it(platform):
    ada = platform.customer()
    token = query_of(portal_url(platform, ada))["token"]

    with platform.client() as browser:
        posted = browser.post("/billing/credit", data={"token": token, "amount": "7.25"})
        shown = browser.get(posted.headers["location"])

    assert posted.status_code == 303
    assert balance(platform, ada) == 7_250_000
    assert "Added $7.25." in shown.text and "$7.25" in shown.text and "Credits Added" in shown.text
    with platform.client(ada) as http:
        assert http.get("/customers/me").json()["has_fund"] is True
        [added, _created] = http.get("/customers/events").json()["events"]
    assert added["event_type"] == "credit_added"
    assert added["params"]["amount"] == 725 and added["params"]["amount_micros"] == 7_250_000


@pytest.mark.parametrize("amount", ["", "abc", "0", "-5", "1.234", "NaN", "2000000"])
def test_an_unusable_amount_is_shown_on_the_page_and_adds_nothing(platform, amount):
    ada = platform.customer()
    token = query_of(portal_url(platform, ada))["token"]

    with platform.client() as browser:
        reply = browser.post("/billing/credit", data={"token": token, "amount": amount})

    assert reply.status_code == 400 and "is not an amount that can be added" in reply.text
    assert balance(platform, ada) == 0


def test_the_page_and_its_form_accept_an_api_key_instead_of_a_link(platform):
    ada = platform.customer()
    with platform.client(ada) as http:
        page = http.get("/billing")
        posted = http.post("/billing/credit", data={"amount": "2"})
    assert page.status_code == 200 and "Your credits" in page.text
    assert posted.status_code == 303
    assert balance(platform, ada) == 2_000_000


@pytest.mark.parametrize(
    "token", [None, "", "forged.token", "e30.AAAA"], ids=["none", "empty", "forged", "unsigned"]
)
def test_the_page_refuses_a_browser_without_a_good_link(platform, token):
    params = {"token": token} if token is not None else {}
    with platform.client() as browser:
        page = browser.get("/billing", params=params)
        posted = browser.post("/billing/credit", data={**params, "amount": "5"})
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert posted.status_code == 401


def test_a_link_for_one_user_cannot_be_turned_into_another_users(platform):
    ada, grace = platform.customer(), platform.customer()
    token = query_of(portal_url(platform, ada))["token"]
    payload, _, signature = token.partition(".")
    graces_token = query_of(portal_url(platform, grace))["token"]

    with platform.client() as browser:
        spliced = browser.post(
            "/billing/credit", data={"token": f"{graces_token.partition('.')[0]}.{signature}", "amount": "5"}
        )
    assert spliced.status_code == 401
    assert balance(platform, ada) == balance(platform, grace) == 0


def test_an_expired_link_is_refused(platform):
    ada = platform.customer()

    async def expired_token(sessions) -> str:
        links = BillingLinks(sessions, lifetime=timedelta(seconds=-1))
        return await links.issue(user_id=ada.user_id, owner=Owner.user(ada.user_id))

    token = platform.on_database(expired_token)  # signed with the server's own secret
    with platform.client() as browser:
        page = browser.get("/billing", params={"token": token})
    assert page.status_code == 401 and "expired" in page.text


def test_a_link_that_may_not_add_credit_shows_no_form_and_refuses_a_post(platform):
    ada = platform.customer()

    async def view_only(sessions) -> str:
        return await BillingLinks(sessions).issue(
            user_id=ada.user_id, owner=Owner.user(ada.user_id), may_add_credit=False
        )

    token = platform.on_database(view_only)
    with platform.client() as browser:
        page = browser.get("/billing", params={"token": token})
        posted = browser.post("/billing/credit", data={"token": token, "amount": "5"})
    assert page.status_code == 200 and "<form" not in page.text
    assert posted.status_code == 403
    assert balance(platform, ada) == 0


def test_the_page_escapes_what_it_shows_and_keeps_only_a_web_return_url(platform):
    ada = platform.customer()
    safe = portal_url(platform, ada, return_url="https://comfy.example/?a=1&b=<x>")
    unsafe = portal_url(platform, ada, return_url="javascript:alert(1)")
    with platform.client() as browser:
        shown = browser.get(safe).text
        dropped = browser.get(unsafe).text
    assert 'href="https://comfy.example/?a=1&amp;b=&lt;x&gt;"' in shown
    assert "javascript:" not in dropped and "Back to ComfyUI" not in dropped


def test_billing_and_credit_need_a_customer(platform):
    ada = platform.user()
    with platform.client(ada) as http:
        portal = http.post("/customers/billing")
        credit = http.post("/customers/credit", json={"amount_micros": 1_000_000, "currency": "usd"})
    assert (portal.status_code, credit.status_code) == (404, 404)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"currency": "usd"}, id="no-amount"),
        pytest.param({"amount_micros": 1_000_000}, id="no-currency"),
        pytest.param({"amount_micros": "lots", "currency": "usd"}, id="amount-not-a-number"),
        pytest.param({"amount_micros": 0, "currency": "usd"}, id="zero"),
        pytest.param({"amount_micros": 1_000_000, "currency": "eur"}, id="other-currency"),
    ],
)
def test_a_bad_checkout_request_is_refused(platform, body):
    ada = platform.customer()
    with platform.client(ada) as http:
        reply = http.post("/customers/credit", json=body)
    assert reply.status_code == 400
    assert reply.json()["error"] == "Bad Request" and reply.json()["message"]
