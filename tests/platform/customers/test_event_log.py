"""`EventLog` on a real SQLite file: what it records, and the pages it serves newest first."""

from __future__ import annotations

import pytest

from comfyd.platform.customers.errors import InvalidEventQuery
from comfyd.platform.customers.events import EventQuery, EventType

pytestmark = pytest.mark.anyio


async def test_record_returns_the_stored_event_with_an_id_and_an_aware_time(events, ada):
    event = await events.record(EventType.CREDIT_ADDED, {"amount": 500}, user_id=ada.id)

    page = await events.page(EventQuery(), user_id=ada.id)
    assert page.events == [event]
    assert event.event_type == "credit_added" and event.params == {"amount": 500}
    assert event.created_at.tzinfo is not None and len(event.id) == 36


async def test_pages_list_newest_first_and_count_every_event(events, ada):
    for n in range(7):
        await events.record("step", {"n": n}, user_id=ada.id)

    first = await events.page(EventQuery(page=1, limit=3), user_id=ada.id)
    last = await events.page(EventQuery(page=3, limit=3), user_id=ada.id)

    assert [e.params["n"] for e in first.events] == [6, 5, 4]
    assert [e.params["n"] for e in last.events] == [0]
    assert (first.total, first.total_pages, last.page, last.limit) == (7, 3, 3, 3)


async def test_a_page_past_the_end_is_empty_but_still_counts(events, ada):
    await events.record("step", {}, user_id=ada.id)
    page = await events.page(EventQuery(page=5), user_id=ada.id)
    assert (page.events, page.total, page.total_pages) == ([], 1, 1)


async def test_a_users_personal_events_leave_out_other_users_and_their_workspaces(events, ada, grace):
    await events.record("mine", {}, user_id=ada.id)
    await events.record("theirs", {}, user_id=grace.id)
    await events.record("team", {}, user_id=ada.id, workspace_id="ws-1")

    personal = await events.page(EventQuery(), user_id=ada.id)
    team = await events.page(EventQuery(), workspace_id="ws-1")

    assert [e.event_type for e in personal.events] == ["mine"]
    assert [(e.event_type, e.user_id) for e in team.events] == [("team", ada.id)]


async def test_filter_by_type_and_by_time_window(events, ada):
    first = await events.record("a", {}, user_id=ada.id)
    second = await events.record("b", {}, user_id=ada.id)
    third = await events.record("a", {}, user_id=ada.id)

    by_type = await events.page(EventQuery(event_type="a"), user_id=ada.id)
    from_second = await events.page(EventQuery(start=second.created_at), user_id=ada.id)
    up_to_second = await events.page(EventQuery(end=second.created_at), user_id=ada.id)

    assert [e.id for e in by_type.events] == [third.id, first.id]
    assert [e.id for e in from_second.events] == [third.id, second.id]
    assert [e.id for e in up_to_second.events] == [second.id, first.id]


async def test_an_event_is_written_with_its_transaction_or_not_at_all(events, sessions, ada):
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            events.add(session, "never", {}, user_id=ada.id)
            raise RuntimeError("the change this event describes failed")

    assert (await events.page(EventQuery(), user_id=ada.id)).total == 0


async def test_page_needs_exactly_one_of_user_and_workspace(events, ada):
    with pytest.raises(ValueError):
        await events.page(EventQuery())
    with pytest.raises(ValueError):
        await events.page(EventQuery(), user_id=ada.id, workspace_id="ws-1")


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"page": 0}, id="page-zero"),
        pytest.param({"limit": 0}, id="limit-zero"),
        pytest.param({"limit": 101}, id="limit-over-100"),
    ],
)
def test_an_impossible_query_is_refused(fields):
    with pytest.raises(InvalidEventQuery) as refused:
        EventQuery(**fields)
    assert refused.value.message == "Invalid input, object invalid"


async def test_a_window_that_ends_before_it_starts_is_refused(events, ada):
    event = await events.record("a", {}, user_id=ada.id)
    later = event.created_at.replace(year=event.created_at.year + 1)
    with pytest.raises(InvalidEventQuery):
        EventQuery(start=later, end=event.created_at)
