"""`CreditLedger` and usage recording on a real SQLite file: balances move only with their events."""

from __future__ import annotations

import asyncio

import pytest

from comfyd.platform.billing.errors import InsufficientCredits, InvalidAmount, UnsupportedCurrency
from comfyd.platform.billing.ledger import MAX_CREDIT_MICROS, Balance, Owner
from comfyd.platform.billing.usage import api_usage_completed, api_usage_started
from comfyd.platform.customers.events import EventQuery

pytestmark = pytest.mark.anyio

DOLLAR = 1_000_000


async def personal_events(events, user_id: str) -> list:
    return (await events.page(EventQuery(limit=100), user_id=user_id)).events


async def test_an_owner_without_credit_has_a_zero_usd_balance(ledger):
    assert await ledger.balance(Owner.user("nobody")) == Balance(0, "usd")
    assert not Balance(0).has_funds and Balance(1).has_funds


async def test_add_credit_raises_the_balance_and_writes_credit_added_in_cents(ledger, events, ada):
    balance = await ledger.add_credit(Owner.user(ada.id), 12_345_000, by_user_id=ada.id)

    assert balance == Balance(12_345_000) == await ledger.balance(Owner.user(ada.id))
    [event] = await personal_events(events, ada.id)
    assert event.event_type == "credit_added"
    assert event.params == {
        "amount": 1235,
        "amount_micros": 12_345_000,
        "currency": "usd",
        "source": "comfyd",
    }


async def test_credits_accumulate_per_owner(ledger, ada, grace):
    await ledger.add_credit(Owner.user(ada.id), 2 * DOLLAR, by_user_id=ada.id)
    await ledger.add_credit(Owner.user(ada.id), 3 * DOLLAR, by_user_id=ada.id)
    await ledger.add_credit(Owner.user(grace.id), 7 * DOLLAR, by_user_id=grace.id)

    assert (await ledger.balance(Owner.user(ada.id))).amount_micros == 5 * DOLLAR
    assert (await ledger.balance(Owner.user(grace.id))).amount_micros == 7 * DOLLAR


async def test_a_workspace_balance_is_its_own_and_its_events_name_the_member(ledger, events, ada):
    team = Owner.workspace("ws-team")
    await ledger.add_credit(team, 4 * DOLLAR, by_user_id=ada.id)

    assert (await ledger.balance(team)).amount_micros == 4 * DOLLAR
    assert (await ledger.balance(Owner.user(ada.id))).amount_micros == 0
    [event] = (await events.page(EventQuery(), workspace_id="ws-team")).events
    assert (event.event_type, event.user_id) == ("credit_added", ada.id)
    assert await personal_events(events, ada.id) == []


@pytest.mark.parametrize("amount", [0, -1, MAX_CREDIT_MICROS + 1], ids=["zero", "negative", "over-the-limit"])
async def test_an_amount_out_of_range_is_refused_and_changes_nothing(ledger, events, ada, amount):
    with pytest.raises(InvalidAmount):
        await ledger.add_credit(Owner.user(ada.id), amount, by_user_id=ada.id)
    assert (await ledger.balance(Owner.user(ada.id))).amount_micros == 0
    assert await personal_events(events, ada.id) == []


async def test_a_currency_other_than_usd_is_refused(ledger, ada):
    with pytest.raises(UnsupportedCurrency):
        await ledger.add_credit(Owner.user(ada.id), DOLLAR, by_user_id=ada.id, currency="eur")
    balance = await ledger.add_credit(Owner.user(ada.id), DOLLAR, by_user_id=ada.id, currency="USD")
    assert balance.amount_micros == DOLLAR


async def test_a_charge_takes_from_the_balance_with_its_event(ledger, events, ada):
    owner = Owner.user(ada.id)
    await ledger.add_credit(owner, 5 * DOLLAR, by_user_id=ada.id)

    balance = await ledger.charge(owner, 2 * DOLLAR, user_id=ada.id, event_type="gpu_usage", params={"s": 3})

    assert balance.amount_micros == 3 * DOLLAR
    assert [e.event_type for e in await personal_events(events, ada.id)] == ["gpu_usage", "credit_added"]


async def test_a_charge_beyond_the_balance_is_refused_and_writes_nothing(ledger, events, ada):
    owner = Owner.user(ada.id)
    await ledger.add_credit(owner, DOLLAR, by_user_id=ada.id)

    with pytest.raises(InsufficientCredits) as refused:
        await ledger.charge(owner, 2 * DOLLAR, user_id=ada.id, event_type="gpu_usage", params={})

    assert (refused.value.balance_micros, refused.value.amount_micros) == (DOLLAR, 2 * DOLLAR)
    assert (await ledger.balance(owner)).amount_micros == DOLLAR
    assert [e.event_type for e in await personal_events(events, ada.id)] == ["credit_added"]


async def test_an_overdraft_charge_goes_below_zero(ledger, ada):
    owner = Owner.user(ada.id)
    balance = await ledger.charge(
        owner, DOLLAR, user_id=ada.id, event_type="x", params={}, allow_overdraft=True
    )
    assert balance.amount_micros == -DOLLAR == (await ledger.balance(owner)).amount_micros


async def test_api_usage_is_recorded_started_then_completed_with_its_charge(ledger, events, ada):
    owner = Owner.user(ada.id)
    await ledger.add_credit(owner, DOLLAR, by_user_id=ada.id)

    await api_usage_started(
        events, owner, user_id=ada.id, api_name="OpenAI", model="gpt-image-1", prompt_id="p1"
    )
    balance = await api_usage_completed(
        ledger,
        owner,
        user_id=ada.id,
        api_name="OpenAI",
        model="gpt-image-1",
        charge_micro_usd=40_000,
        prompt_id="p1",
    )

    assert balance.amount_micros == DOLLAR - 40_000
    completed, started, _added = await personal_events(events, ada.id)
    assert started.event_type == "api_usage_started"
    assert started.params == {"api_name": "OpenAI", "model": "gpt-image-1", "prompt_id": "p1"}
    assert completed.event_type == "api_usage_completed"
    assert completed.params == {
        "api_name": "OpenAI",
        "model": "gpt-image-1",
        "charge_micro_usd": 40_000,
        "prompt_id": "p1",
    }


async def test_concurrent_top_ups_all_count(ledger, events, ada):
    owner = Owner.user(ada.id)
    await asyncio.gather(*(ledger.add_credit(owner, DOLLAR, by_user_id=ada.id) for _ in range(20)))

    assert (await ledger.balance(owner)).amount_micros == 20 * DOLLAR
    assert len(await personal_events(events, ada.id)) == 20
