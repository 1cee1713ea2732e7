"""`CustomerEventsService` and `AsyncCustomerEventsService` against a real `comfyd serve`: a
customer's events as real actions wrote them, the frontend's labels, the seed's error strings for
each status, `is_loading`/`error`, and cancellation.

The customer is made with `comfyd admin` and `POST /customers` (which writes `account_created`),
and credited with `comfyd admin credits add` (`credit_added`). Statuses the server gives for no
request the SDK can make (a 500) come from `StatusServer`, a real HTTP server told what to answer.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from platform_accounts import new_account
from status_server import StatusServer
from tcp_proxy import TcpProxy
from twins import in_thread, port_of, surface

from admin_accounts import Account, comfyd_admin
from comfyd.client import (
    AsyncCustomerEventsService,
    AuditLog,
    CancelToken,
    CustomerEventsResponse,
    CustomerEventsService,
    EventType,
)


@dataclass(frozen=True)
class World:
    url: str
    ada: Account  # a customer with two events: account_created, then credit_added ($5)
    stranger: Account  # a user who never became a customer


@pytest.fixture(scope="module")
def world(server) -> World:
    ada = new_account(server, customer=True)
    comfyd_admin(server.base_dir, "credits", "add", "--email", ada.email, "--amount-usd", "5")
    return World(server.url, ada, new_account(server))


@pytest.fixture
def events(twin, world):
    """A `CustomerEventsService`, then an `AsyncCustomerEventsService`, signed in as Ada."""
    return twin(
        world.url, sync=CustomerEventsService, async_=AsyncCustomerEventsService, api_key=world.ada.key
    )


@pytest.fixture
def answering(twin) -> Iterator[tuple]:
    """A `StatusServer` and a signed-in service (each twin) pointed at it."""
    server = StatusServer()
    service = twin(
        server.url, sync=CustomerEventsService, async_=AsyncCustomerEventsService, api_key="comfyui-key"
    )
    yield server, service
    server.close()


# -- the calls ----------------------------------------------------------------------------------


def test_get_my_events_returns_what_real_actions_wrote_newest_first(events):
    page = events.get_my_events()

    assert isinstance(page, CustomerEventsResponse) and events.error is None
    assert [e.event_type for e in page.events] == [EventType.CREDIT_ADDED, EventType.ACCOUNT_CREATED]
    assert (page.total, page.page, page.limit, page.totalPages) == (2, 1, 10, 1)
    credit = page.events[0]
    assert isinstance(credit, AuditLog) and credit.params["amount"] == 500  # cents
    assert credit.event_id and credit.createdAt.tzinfo is not None
    assert events.format_amount(credit.params["amount"]) == "5.00"
    assert events.is_loading is False


def test_pages_a_type_filter_and_a_time_window(events):
    second = events.get_my_events(page=2, limit=1)
    credits = events.get_my_events(event_type="credit_added")
    future = events.get_my_events(start_date=datetime.now(UTC) + timedelta(days=1))

    assert [e.event_type for e in second.events] == ["account_created"]
    assert (second.page, second.limit, second.total, second.totalPages) == (2, 1, 2, 2)
    assert [e.event_type for e in credits.events] == ["credit_added"] and credits.total == 1
    assert future.events == [] and future.total == 0


def test_a_bearer_token_signs_in_as_well(twin, world):
    reply = httpx.post(f"{world.url}/api/auth/token", headers={"X-API-Key": world.ada.key}, json={})
    token = reply.raise_for_status().json()["token"]
    service = twin(world.url, sync=CustomerEventsService, async_=AsyncCustomerEventsService, token=token)

    page = service.get_my_events(limit=1)

    assert service.error is None and page.total == 2


def test_the_frontends_labels_and_severities():
    labels = {
        "credit_added": "Credits Added",
        "topup_completed": "Credits Added",
        "account_created": "Account Created",
        "api_usage_completed": "API Usage",
        "gpu_usage": "GPU Usage",
        "api_node_usage": "Partner Node Usage",
        "agent_usage": "Agent Usage",
        "api_usage_started": "api_usage_started",  # no label: shown as sent
        "workspace_member_joined": "workspace_member_joined",
    }
    for service in (CustomerEventsService, AsyncCustomerEventsService):
        assert {kind: service.format_event_type(kind) for kind in labels} == labels
        assert service.format_event_type(EventType.CREDIT_ADDED) == "Credits Added"
        assert [service.event_severity(k) for k in ("credit_added", "account_created", "gpu_usage", "x")] == [
            "success",
            "info",
            "warning",
            "info",
        ]
        assert [service.format_amount(a) for a in (1234, 0, None)] == ["12.34", "0.00", "0.00"]


def test_an_api_key_and_a_token_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        CustomerEventsService("http://127.0.0.1:1", api_key="comfyui-a", token="b")


# -- the seed's error strings -------------------------------------------------------------------


def test_without_credentials_nothing_is_sent_and_the_header_is_missing(twin):
    server = StatusServer()
    try:
        service = twin(server.url, sync=CustomerEventsService, async_=AsyncCustomerEventsService)

        assert service.get_my_events() is None
        assert service.error == "Authentication header is missing"
        assert server.requests == [] and service.is_loading is False
    finally:
        server.close()


def test_a_real_server_without_credentials_gives_the_same_message(twin, world):
    service = twin(world.url, sync=CustomerEventsService, async_=AsyncCustomerEventsService)

    assert service.get_my_events() is None
    assert service.error == "Authentication header is missing"


@pytest.mark.parametrize(
    "arguments", [{"limit": 0}, {"page": 0}, {"limit": 101}], ids=["limit-0", "page-0", "limit-101"]
)
def test_a_400_is_invalid_input(events, arguments):
    assert events.get_my_events(**arguments) is None
    assert events.error == "Invalid input, object invalid"


def test_a_window_that_ends_before_it_starts_is_invalid_input(events):
    now = datetime.now(UTC)

    assert events.get_my_events(start_date=now, end_date=now - timedelta(days=1)) is None
    assert events.error == "Invalid input, object invalid"


def test_a_user_who_is_not_a_customer_gets_not_found(twin, world):
    service = twin(
        world.url, sync=CustomerEventsService, async_=AsyncCustomerEventsService, api_key=world.stranger.key
    )

    assert service.get_my_events() is None
    assert service.error == "Not found"


def test_a_refused_key_shows_the_servers_message(twin, world):
    bad_key = "comfyui-" + "0" * 64
    reply = httpx.get(f"{world.url}/customers/events", headers={"X-API-Key": bad_key})
    assert reply.status_code == 401
    service = twin(world.url, sync=CustomerEventsService, async_=AsyncCustomerEventsService, api_key=bad_key)

    assert service.get_my_events() is None
    assert service.error == reply.json()["message"]


GENERIC = [
    pytest.param(500, {"message": "db down"}, "db down", id="500"),
    pytest.param(500, {}, "Fetching customer events failed with status 500", id="500-no-message"),
    pytest.param(401, {"message": "token expired"}, "token expired", id="401"),
    pytest.param(403, "not json", "Fetching customer events failed with status 403", id="403-not-json"),
    pytest.param(404, {"message": "ignored"}, "Not found", id="404-route-message-first"),
    pytest.param(400, {"message": "ignored"}, "Invalid input, object invalid", id="400-route-message-first"),
    pytest.param(503, {"message": ""}, "Fetching customer events failed with status 503", id="503-empty"),
]


@pytest.mark.parametrize(("status", "body", "expected"), GENERIC)
def test_other_statuses_show_the_servers_message_or_the_status(answering, status, body, expected):
    server, service = answering
    server.answer(status, body.encode() if isinstance(body, str) else body)

    assert service.get_my_events(page=3, limit=7) is None
    assert service.error == expected
    assert server.requests == ["GET /customers/events?page=3&limit=7"]


def test_an_unreachable_server_gives_the_reason(twin):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = twin(url, sync=CustomerEventsService, async_=AsyncCustomerEventsService, api_key="comfyui-k")

    assert service.get_my_events() is None
    assert service.error.startswith("Fetching customer events failed: ")
    assert len(service.error) > len("Fetching customer events failed: ")


def test_an_answer_of_the_wrong_shape_is_an_error(answering):
    server, service = answering
    server.answer(200, {"events": "not a list"})

    assert service.get_my_events() is None
    assert service.error.startswith("Fetching customer events failed: the answer is not the expected JSON")


# -- is_loading, error and cancellation ---------------------------------------------------------


@pytest.fixture
def held(twin, world) -> Iterator[tuple]:
    """A signed-in service behind a `TcpProxy` that can hold the server's answers back."""
    proxy = TcpProxy(port_of(world.url))
    service = twin(
        proxy.url,
        sync=CustomerEventsService,
        async_=AsyncCustomerEventsService,
        api_key=world.ada.key,
        timeout=None,
    )
    yield proxy, service
    proxy.close()


def test_is_loading_while_a_call_runs_and_error_clears_when_the_next_starts(held):
    proxy, service = held
    assert service.get_my_events(limit=0) is None and service.error is not None
    proxy.hold()

    thread, outcome = in_thread(service.get_my_events)
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the server's answer")
    assert service.is_loading is True and service.error is None
    proxy.release()
    thread.join(30)

    assert outcome["result"].total == 2
    assert service.is_loading is False and service.error is None


def test_a_cancelled_call_returns_none_leaves_error_unset_and_closes_its_connection(held):
    proxy, service = held
    proxy.hold()
    token = CancelToken()

    thread, outcome = in_thread(service.get_my_events, cancel=token)
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the server's answer")
    token.cancel()
    thread.join(30)

    assert not thread.is_alive() and outcome == {"result": None}
    assert service.error is None and service.is_loading is False
    proxy.wait_until(lambda: proxy.connections() == 0, "the service to close its connection")


def test_a_call_with_a_cancelled_token_sends_nothing(answering):
    server, service = answering
    token = CancelToken()
    token.cancel()

    assert service.get_my_events(cancel=token) is None
    assert server.requests == [] and service.error is None


@pytest.mark.anyio
async def test_an_async_call_cancelled_as_a_task_stops_loading(world):
    proxy = TcpProxy(port_of(world.url))
    try:
        async with AsyncCustomerEventsService(proxy.url, api_key=world.ada.key, timeout=None) as service:
            proxy.hold()
            task = asyncio.create_task(service.get_my_events())
            await asyncio.to_thread(proxy.wait_until, lambda: proxy.held_bytes > 0, "the answer")
            assert service.is_loading
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

            assert service.is_loading is False and service.error is None
            await asyncio.to_thread(
                proxy.wait_until, lambda: proxy.connections() == 0, "the connection to close"
            )
    finally:
        proxy.close()


# -- the twins ----------------------------------------------------------------------------------


def test_sync_and_async_services_have_the_same_methods_and_parameters():
    sync, async_ = surface(CustomerEventsService), surface(AsyncCustomerEventsService)

    assert sync.pop("close") == async_.pop("aclose")
    assert sync == async_
    assert {"get_my_events", "format_event_type"} <= set(sync)


def test_a_service_defaults_to_api_comfy_org():
    with CustomerEventsService() as service:
        assert str(service.base_url) == "https://api.comfy.org/"
        assert (service.is_loading, service.error) == (False, None)
