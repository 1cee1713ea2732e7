"""`WorkspaceApi` and `AsyncWorkspaceApi` against a real `comfyd serve`: every call of the
frontend's workspace client (workspaces, members, invites, the token exchange, the workspace's
billing), the `WorkspaceApiError`s it raises with the server's status, message and code,
`is_loading`/`error`, and cancellation (`Cancelled`, `error` unset, connection closed).

Users and their keys come from `comfyd admin`; each test makes its own team, so the sync and the
async run of a test do not meet. Answers the server gives for no request the SDK can make (a
proxy's text page, a 500) come from `StatusServer`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from platform_accounts import new_account
from status_server import StatusServer
from tcp_proxy import TcpProxy
from twins import in_thread, port_of, surface

from admin_accounts import Account, comfyd_admin
from comfyd.client import (
    AsyncWorkspaceApi,
    BillingEventsResponse,
    Cancelled,
    CancelToken,
    ListWorkspacesResponse,
    Member,
    NoWorkspaceAccessError,
    PendingInvite,
    WorkspaceApi,
    WorkspaceApiError,
    WorkspaceTokenResponse,
    WorkspaceWithRole,
)


@dataclass(frozen=True)
class World:
    url: str
    base_dir: object
    ada: Account  # makes and owns the teams
    grace: Account  # invited into them
    eve: Account  # never a member


@pytest.fixture(scope="module")
def world(server) -> World:
    return World(server.url, server.base_dir, new_account(server), new_account(server), new_account(server))


@pytest.fixture
def connect(twin, world):
    """`connect(account, **kwargs)`: a `WorkspaceApi`, then an `AsyncWorkspaceApi`, signed in."""

    def signed_in(account: Account | None = None, url: str | None = None, **kwargs):
        if account is not None:
            kwargs["api_key"] = account.key
        return twin(url or world.url, sync=WorkspaceApi, async_=AsyncWorkspaceApi, **kwargs)

    return signed_in


@pytest.fixture
def team(connect, world) -> str:
    """A new team workspace that Ada owns."""
    return connect(world.ada).create(name="Render farm").id


def join(connect, world: World, team: str, member: Account) -> None:
    invite = connect(world.ada, workspace_id=team).create_invite(email=member.email)
    connect(member).accept_invite(invite.token)


def raised(call, *args, **kwargs) -> WorkspaceApiError:
    with pytest.raises(WorkspaceApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- workspaces ---------------------------------------------------------------------------------


def test_a_new_user_has_a_personal_workspace_which_is_current(connect, world):
    api = connect(world.grace)

    listed = api.list()
    current = api.get_current_workspace()

    assert isinstance(listed, ListWorkspacesResponse) and listed.can_create_workspace is True
    [personal] = [w for w in listed.workspaces if w.type == "personal"]
    assert (personal.role, listed.default_workspace_id) == ("owner", personal.id)
    assert (current.id, current.type, current.auth_method, current.role) == (
        personal.id,
        "personal",
        "api_key",
        "owner",
    )
    assert api.error is None and api.is_loading is False


def test_create_rename_and_delete_a_team(connect, world):
    api = connect(world.ada)

    created = api.create(name="Render farm")
    renamed = api.update(created.id, name="Render farm 2")

    assert isinstance(created, WorkspaceWithRole) and (created.type, created.role) == ("team", "owner")
    assert (renamed.id, renamed.name) == (created.id, "Render farm 2")
    assert created.id in [w.id for w in api.list().workspaces]
    assert api.delete(created.id) is None
    assert created.id not in [w.id for w in api.list().workspaces]


def test_an_invite_from_creation_to_acceptance_then_roles_and_removal(connect, world, team):
    owner, grace = connect(world.ada, workspace_id=team), connect(world.grace)

    invite = owner.create_invite(email=world.grace.email)
    [listed] = owner.list_invites().invites
    resent = owner.resend_invite(invite.id)  # a fresh token: the first one stops working
    stale = raised(grace.accept_invite, invite.token)
    accepted = grace.accept_invite(resent.token)

    assert isinstance(invite, PendingInvite) and invite.token and invite.role == "member"
    assert (listed.id, listed.email, listed.token) == (invite.id, world.grace.email, None)
    assert resent.id == invite.id and resent.token not in (None, invite.token)
    assert (stale.status, stale.code) == (404, "invite_not_found")
    assert (accepted.workspace_id, accepted.workspace_name) == (team, "Render farm")
    assert owner.list_invites().invites == []

    first = owner.list_members(limit=1)
    second = owner.list_members(offset=1, limit=1)
    assert (first.pagination.total, first.pagination.has_more, second.pagination.has_more) == (2, True, False)
    assert {m.email for m in first.members + second.members} == {world.ada.email, world.grace.email}

    promoted = owner.update_member_role(world.grace.user_id, role="owner")
    assert isinstance(promoted, Member) and (promoted.id, promoted.role) == (world.grace.user_id, "owner")
    assert owner.update_member_role(world.grace.user_id, role="member").role == "member"
    assert owner.remove_member(world.grace.user_id) is None
    assert [m.id for m in owner.list_members().members] == [world.ada.user_id]


def test_a_member_leaves_but_the_last_owner_cannot(connect, world, team):
    join(connect, world, team, world.grace)

    assert connect(world.grace, workspace_id=team).leave() is None
    assert team not in [w.id for w in connect(world.grace).list().workspaces]
    error = raised(connect(world.ada, workspace_id=team).leave)
    assert (error.status, error.code, error.operation) == (409, "last_owner", "leave")


def test_a_revoked_invite_cannot_be_accepted(connect, world, team):
    owner = connect(world.ada, workspace_id=team)
    invite = owner.create_invite(email=world.eve.email, role="member")
    assert owner.revoke_invite(invite.id) is None
    eve = connect(world.eve)

    error = raised(eve.accept_invite, invite.token)

    assert (error.status, error.code, error.operation) == (410, "invite_revoked", "acceptInvite")
    assert eve.error == error.message and error.message
    assert owner.list_invites().invites == []


def test_a_workspace_token_acts_in_its_workspace(connect, world, team):
    minted = connect(world.ada).exchange_token(team)

    assert isinstance(minted, WorkspaceTokenResponse)
    assert (minted.workspace.id, minted.workspace.type, minted.role) == (team, "team", "owner")
    assert minted.user_id == world.ada.user_id and "workspace:member:read" in minted.permissions
    current = connect(token=minted.token).get_current_workspace()
    assert (current.id, current.role) == (team, "owner")


# -- billing ------------------------------------------------------------------------------------


def test_the_billing_reads_of_a_team(connect, world, team):
    comfyd_admin(
        world.base_dir,
        "credits",
        "add",
        "--email",
        world.ada.email,
        "--amount-usd",
        "2.50",
        "--workspace",
        team,
    )
    owner = connect(world.ada, workspace_id=team)

    status = owner.get_billing_status()
    balance = owner.get_billing_balance()
    plans = owner.get_billing_plans()
    capabilities = owner.get_billing_capabilities()
    events = owner.get_billing_events(page=1, limit=5)

    assert status.is_active is True and status.has_funds is True
    assert (balance.amount_micros, balance.currency) == (250, "usd")  # cents, despite the name
    assert plans.current_plan_slug in [plan.slug for plan in plans.plans]
    assert capabilities.resolved_for.workspace_id == team and capabilities.capabilities.can_top_up is True
    assert isinstance(events, BillingEventsResponse) and (events.page, events.limit) == (1, 5)
    assert "credit_added" in [event.event_type for event in events.events]


def test_an_owner_gets_the_billing_portal_and_a_member_does_not(connect, world, team):
    join(connect, world, team, world.grace)
    owner, member = connect(world.ada, workspace_id=team), connect(world.grace, workspace_id=team)

    portal = owner.get_payment_portal_url(return_url=f"{world.url}/", flow_type="payment_method_update")
    seed_portal = owner.access_billing_portal(return_url=f"{world.url}/")

    assert portal.url.startswith(f"{world.url}/billing")
    assert seed_portal.billing_portal_url.startswith(f"{world.url}/billing")
    error = raised(member.get_payment_portal_url)
    assert (error.status, error.code, error.operation) == (403, "forbidden", "getPaymentPortalUrl")
    assert not isinstance(error, NoWorkspaceAccessError)


# -- errors from the real server ----------------------------------------------------------------


def test_a_caller_outside_the_workspace_gets_no_workspace_access(connect, world, team):
    eve = connect(world.eve, workspace_id=team)

    error = raised(eve.list_members)

    assert isinstance(error, NoWorkspaceAccessError)
    assert (error.status, error.code, error.operation) == (403, "no_workspace_access", "listMembers")
    assert eve.error == error.message and team in error.message


def test_a_member_may_not_delete_the_team_and_nothing_changes(connect, world, team):
    join(connect, world, team, world.grace)

    error = raised(connect(world.grace, workspace_id=team).delete, team)

    assert (error.status, error.code) == (403, "forbidden") and not isinstance(error, NoWorkspaceAccessError)
    assert team in [w.id for w in connect(world.ada).list().workspaces]


REFUSALS = [
    pytest.param(lambda api: api.update("no-such-workspace", name="x"), 404, "workspace_not_found", id="404"),
    pytest.param(lambda api: api.create(name=""), 400, "invalid_request", id="400"),
    pytest.param(lambda api: api.remove_member("no-such-user"), 404, "member_not_found", id="404-member"),
    pytest.param(lambda api: api.revoke_invite("no-such-invite"), 404, "invite_not_found", id="404-invite"),
]


@pytest.mark.parametrize(("call", "status", "code"), REFUSALS)
def test_refusals_carry_the_servers_status_message_and_code(connect, world, call, status, code):
    api = connect(world.ada)

    error = raised(call, api)

    assert (error.status, error.code) == (status, code)
    assert error.message and api.error == error.message and api.is_loading is False


def test_a_refused_key_is_a_401_with_the_servers_message(connect):
    api = connect(api_key="comfyui-" + "0" * 64)

    error = raised(api.list)

    assert error.status == 401 and error.code is None and "API key" in error.message


@pytest.mark.parametrize(
    ("credential", "workspace", "status", "code"),
    [
        pytest.param("eve", "team", 403, "ACCESS_DENIED", id="403"),
        pytest.param("ada", "missing", 404, "WORKSPACE_NOT_FOUND", id="404"),
        pytest.param("bad-token", None, 401, "INVALID_FIREBASE_TOKEN", id="401"),
    ],
)
def test_token_exchange_failures_carry_the_frontends_codes(
    connect, world, team, credential, workspace, status, code
):
    api = connect(token="not.a.jwt") if credential == "bad-token" else connect(getattr(world, credential))

    error = raised(api.exchange_token, {"team": team, "missing": "no-such-workspace"}.get(workspace))

    assert (error.status, error.code, error.operation) == (status, code, "exchangeToken")
    assert not isinstance(error, NoWorkspaceAccessError)


# -- errors the server is told to give ----------------------------------------------------------


@pytest.fixture
def answering(connect) -> Iterator[tuple]:
    """A `StatusServer` and a signed-in workspace API (each twin) pointed at it."""
    server = StatusServer()
    yield server, connect(url=server.url, api_key="comfyui-key")
    server.close()


ANSWERS = [
    pytest.param(400, {"message": "bad name", "code": "invalid_name"}, "bad name", "invalid_name", id="json"),
    pytest.param(500, {}, "Request failed with status code 500", None, id="json-no-message"),
    pytest.param(
        500, {"message": "", "code": ""}, "Request failed with status code 500", None, id="json-empty"
    ),
    pytest.param(502, b"upstream connect error", "upstream connect error", None, id="text"),
    pytest.param(
        502, b"<html>" + b"x" * 600 + b"</html>", "Request failed with status code 502", None, id="long-text"
    ),
]


@pytest.mark.parametrize(("status", "body", "message", "code"), ANSWERS)
def test_the_message_and_code_come_from_the_body_as_the_frontend_reads_it(
    answering, status, body, message, code
):
    server, api = answering
    server.answer(status, body)

    error = raised(api.get_billing_status)

    assert (error.message, error.status, error.code, error.operation) == (
        message,
        status,
        code,
        "getBillingStatus",
    )
    assert type(error) is WorkspaceApiError and api.error == message
    assert server.requests == ["GET /api/billing/status"]


def test_a_403_no_workspace_access_from_any_server_is_that_error(answering):
    server, api = answering
    server.answer(403, {"code": "no_workspace_access", "message": "You left."})

    error = raised(api.create_invite, email="a@example.com")

    assert isinstance(error, NoWorkspaceAccessError) and (error.message, error.status) == ("You left.", 403)


def test_without_credentials_nothing_is_sent(connect):
    server = StatusServer()
    try:
        api = connect(url=server.url)

        error = raised(api.list)

        assert (error.message, error.status, error.code) == (
            "User not authenticated",
            401,
            "NOT_AUTHENTICATED",
        )
        assert server.requests == [] and api.error == "User not authenticated"
    finally:
        server.close()


def test_an_unreachable_server_has_no_status(connect):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    api = connect(url=url, api_key="comfyui-key")

    error = raised(api.list)

    assert error.status is None and error.code is None and error.message and api.error == error.message


def test_an_answer_of_the_wrong_shape_is_an_error(answering):
    server, api = answering
    server.answer(200, {"workspaces": "not a list"})

    error = raised(api.list)

    assert error.status is None and error.message.startswith("the answer is not the expected JSON")


def test_an_api_key_and_a_token_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        WorkspaceApi("http://127.0.0.1:1", api_key="comfyui-a", token="b")


# -- is_loading, error and cancellation ---------------------------------------------------------


@pytest.fixture
def held(connect, world) -> Iterator[tuple]:
    """Ada's workspace API behind a `TcpProxy` that can hold the server's answers back."""
    proxy = TcpProxy(port_of(world.url))
    yield proxy, connect(world.ada, url=proxy.url, timeout=None)
    proxy.close()


def test_is_loading_while_a_call_runs_and_error_clears_when_the_next_starts(held):
    proxy, api = held
    raised(api.update, "no-such-workspace", name="x")
    assert api.error
    proxy.hold()

    thread, outcome = in_thread(api.list)
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the server's answer")
    assert api.is_loading is True and api.error is None
    proxy.release()
    thread.join(30)

    assert isinstance(outcome["result"], ListWorkspacesResponse)
    assert api.is_loading is False and api.error is None


def test_a_cancelled_call_raises_cancelled_leaves_error_unset_and_closes_its_connection(held):
    proxy, api = held
    proxy.hold()
    token = CancelToken()

    thread, outcome = in_thread(api.create, name="Never mind", cancel=token)
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the server's answer")
    token.cancel("changed my mind")
    thread.join(30)

    assert not thread.is_alive() and isinstance(outcome.get("error"), Cancelled)
    assert outcome["error"].reason == "changed my mind"
    assert api.error is None and api.is_loading is False
    proxy.wait_until(lambda: proxy.connections() == 0, "the service to close its connection")


def test_a_void_call_cancelled_while_held_raises_cancelled_too(held, team):
    proxy, api = held
    proxy.hold()
    token = CancelToken()

    thread, outcome = in_thread(api.delete, team, cancel=token)
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the server's answer")
    token.cancel()
    thread.join(30)

    assert isinstance(outcome.get("error"), Cancelled) and api.error is None


def test_a_call_with_a_cancelled_token_sends_nothing(answering):
    server, api = answering
    token = CancelToken()
    token.cancel()

    with pytest.raises(Cancelled):
        api.get_billing_balance(cancel=token)
    assert server.requests == [] and api.error is None


@pytest.mark.anyio
async def test_an_async_call_cancelled_as_a_task_stops_loading(world):
    proxy = TcpProxy(port_of(world.url))
    try:
        async with AsyncWorkspaceApi(proxy.url, api_key=world.ada.key, timeout=None) as api:
            proxy.hold()
            task = asyncio.create_task(api.list())
            await asyncio.to_thread(proxy.wait_until, lambda: proxy.held_bytes > 0, "the answer")
            assert api.is_loading
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

            assert api.is_loading is False and api.error is None
            await asyncio.to_thread(
                proxy.wait_until, lambda: proxy.connections() == 0, "the connection to close"
            )
    finally:
        proxy.close()


# -- the twins ----------------------------------------------------------------------------------


def test_sync_and_async_workspace_apis_have_the_same_methods_and_parameters():
    sync, async_ = surface(WorkspaceApi), surface(AsyncWorkspaceApi)

    assert sync.pop("close") == async_.pop("aclose")
    assert sync == async_
    assert {
        "list",
        "get_current_workspace",
        "create",
        "update",
        "delete",
        "leave",
        "list_members",
        "remove_member",
        "update_member_role",
        "list_invites",
        "create_invite",
        "revoke_invite",
        "resend_invite",
        "accept_invite",
        "exchange_token",
        "get_billing_status",
        "get_billing_balance",
        "get_billing_plans",
        "get_billing_capabilities",
        "get_billing_events",
        "get_payment_portal_url",
        "access_billing_portal",
    } <= set(sync)


def test_a_workspace_api_defaults_to_comfy_cloud():
    with WorkspaceApi() as api:
        assert str(api.base_url) == "https://cloud.comfy.org/"
        assert (api.is_loading, api.error) == (False, None)
