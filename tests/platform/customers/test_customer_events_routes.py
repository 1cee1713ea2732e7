"""`GET /customers/events` and the seed's `GET /customer/events` against a real `comfyd serve`:
events appear after the real actions that write them, newest first, paged, filtered; bad
parameters are refused with the peer's 400."""

from __future__ import annotations

import pytest

PATHS = ["/customers/events", "/customer/events"]


def events(platform, account, path: str = "/customers/events", **params) -> dict:
    with platform.client(account) as http:
        reply = http.get(path, params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.parametrize("path", PATHS)
def test_creating_the_customer_writes_account_created(platform, path):
    ada = platform.customer()

    page = events(platform, ada, path)

    assert (page["total"], page["page"], page["limit"], page["totalPages"]) == (1, 1, 10, 1)
    [event] = page["events"]
    assert set(event) == {"event_id", "event_type", "params", "createdAt"}
    assert event["event_type"] == "account_created"
    assert event["params"] == {"signup_source": "localhost"}


def test_creating_the_customer_again_writes_nothing_more(platform):
    ada = platform.customer()
    with platform.client(ada) as http:
        assert http.post("/customers").status_code == 200
    assert events(platform, ada)["total"] == 1


def test_adding_credit_writes_credit_added_after_account_created(platform):
    ada = platform.customer()

    assert platform.add_credit(ada, "12.50").status_code == 303
    assert platform.add_credit(ada, "3").status_code == 303

    page = events(platform, ada)
    assert [e["event_type"] for e in page["events"]] == ["credit_added", "credit_added", "account_created"]
    assert [e["params"].get("amount") for e in page["events"][:2]] == [300, 1250]
    assert page["events"][1]["params"]["amount_micros"] == 12_500_000
    times = [e["createdAt"] for e in page["events"]]
    assert times == sorted(times, reverse=True)


def test_events_are_paged_newest_first(platform):
    ada = platform.customer()
    for dollars in range(1, 6):
        platform.add_credit(ada, str(dollars))

    first = events(platform, ada, page=1, limit=2)
    third = events(platform, ada, page=3, limit=2)

    assert (first["total"], first["limit"], first["totalPages"]) == (6, 2, 3)
    assert [e["params"].get("amount") for e in first["events"]] == [500, 400]
    assert [e["event_type"] for e in third["events"]] == ["credit_added", "account_created"]
    assert third["events"][0]["params"]["amount"] == 100


def test_events_are_filtered_by_type(platform):
    ada = platform.customer()
    platform.add_credit(ada, "1")

    page = events(platform, ada, filter="account_created")

    assert page["total"] == 1 and [e["event_type"] for e in page["events"]] == ["account_created"]
    assert events(platform, ada, filter="no_such_type")["total"] == 0


def test_events_are_filtered_by_date(platform):
    ada = platform.customer()
    platform.add_credit(ada, "1")
    platform.add_credit(ada, "2")
    newest, middle, oldest = events(platform, ada)["events"]

    since = events(platform, ada, start_date=middle["createdAt"])
    until = events(platform, ada, end_date=middle["createdAt"])
    only = events(platform, ada, start_date=middle["createdAt"], end_date=middle["createdAt"])

    assert [e["event_id"] for e in since["events"]] == [newest["event_id"], middle["event_id"]]
    assert [e["event_id"] for e in until["events"]] == [middle["event_id"], oldest["event_id"]]
    assert [e["event_id"] for e in only["events"]] == [middle["event_id"]]


def test_a_customer_sees_only_their_own_events(platform):
    ada, grace = platform.customer(), platform.customer()
    platform.add_credit(grace, "9")

    assert [e["event_type"] for e in events(platform, ada)["events"]] == ["account_created"]


BAD_PARAMETERS = [
    pytest.param({"page": "x"}, id="page-not-a-number"),
    pytest.param({"page": "0"}, id="page-zero"),
    pytest.param({"limit": "-1"}, id="limit-negative"),
    pytest.param({"limit": "1000"}, id="limit-too-large"),
    pytest.param({"start_date": "yesterday"}, id="start-not-a-date"),
    pytest.param({"end_date": "2025-01-01T00:00:00"}, id="end-without-zone"),
    pytest.param(
        {"start_date": "2025-02-01T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"}, id="window-reversed"
    ),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("params", BAD_PARAMETERS)
def test_bad_parameters_are_refused_with_the_peers_message(platform, path, params):
    ada = platform.customer()
    with platform.client(ada) as http:
        reply = http.get(path, params=params)
    assert reply.status_code == 400
    assert reply.json() == {"error": "Bad Request", "message": "Invalid input, object invalid"}
