"""`BillingLinks` on a real SQLite file: tokens that carry a grant, and refuse any change or age."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from comfyd.db.base import create_engine, session_factory
from comfyd.platform.billing.errors import BillingLinkInvalid
from comfyd.platform.billing.ledger import Owner
from comfyd.platform.billing.links import BillingLinks

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def stored_secrets(database_path) -> list[tuple[str, str]]:
    with sqlite3.connect(database_path) as connection:
        return list(connection.execute("SELECT name, value FROM server_secrets"))


def reencode(token: str, **changes) -> str:
    """The token with its claims changed and its old signature kept."""
    payload, _, signature = token.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"


async def test_a_token_carries_the_grant_it_was_issued_for(links):
    token = await links.issue(user_id="ada", owner=Owner.workspace("ws-1"), may_add_credit=False)

    grant = await links.verify(token)

    assert (grant.user_id, grant.owner, grant.may_add_credit) == ("ada", Owner.workspace("ws-1"), False)
    assert grant.expires_at > datetime.now(UTC)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"sub": "grace"}, id="other-user"),
        pytest.param({"owner": "grace"}, id="other-owner"),
        pytest.param({"add": True}, id="may-add-credit"),
        pytest.param({"exp": 4_102_444_800}, id="later-expiry"),
    ],
)
async def test_a_token_whose_claims_were_changed_is_refused(links, changes):
    token = await links.issue(user_id="ada", owner=Owner.user("ada"), may_add_credit=False)
    with pytest.raises(BillingLinkInvalid):
        await links.verify(reencode(token, **changes))


@pytest.mark.parametrize("token", ["", "nodot", "a.b", "!!!.???", "e30.AAAA"], ids=lambda t: t or "empty")
async def test_a_malformed_token_is_refused(links, token):
    with pytest.raises(BillingLinkInvalid):
        await links.verify(token)


async def test_a_token_expires_after_its_lifetime(sessions):
    clock = Clock()
    links = BillingLinks(sessions, lifetime=timedelta(minutes=30), clock=clock)
    token = await links.issue(user_id="ada", owner=Owner.user("ada"))

    clock.now += timedelta(minutes=29)
    assert (await links.verify(token)).user_id == "ada"
    clock.now += timedelta(minutes=1)
    with pytest.raises(BillingLinkInvalid, match="expired"):
        await links.verify(token)


async def test_the_secret_is_made_once_kept_in_the_database_and_shared_by_every_instance(
    sessions, database_path
):
    assert stored_secrets(database_path) == []
    token = await BillingLinks(sessions).issue(user_id="ada", owner=Owner.user("ada"))

    [(name, value)] = stored_secrets(database_path)
    assert name == "billing-links" and len(bytes.fromhex(value)) == 32
    assert (await BillingLinks(sessions).verify(token)).user_id == "ada"
    assert stored_secrets(database_path) == [(name, value)]


async def test_another_servers_token_is_refused(sessions, tmp_path, migrated_template):
    other_path = tmp_path / "other.db"
    shutil.copyfile(migrated_template, other_path)
    other_engine = create_engine(f"sqlite+aiosqlite:///{other_path}")
    try:
        foreign = await BillingLinks(session_factory(other_engine)).issue(
            user_id="ada", owner=Owner.user("ada")
        )
    finally:
        await other_engine.dispose()

    with pytest.raises(BillingLinkInvalid):
        await BillingLinks(sessions).verify(foreign)
