"""`comfyd admin credits add` on a running server's database: the credit lands where the billing
panels read it (the user's own balance, or a workspace's), as `credit_added`; refusals change
nothing."""

from __future__ import annotations

import pytest


def test_credit_added_for_a_user_is_their_personal_and_customer_balance(billing):
    ada = billing.user()

    added = billing.admin("credits", "add", "--email", ada.email, "--amount-usd", "5")
    again = billing.admin("credits", "add", "--email", ada.email, "--amount-usd", "2.25")

    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "5000000" and again.stdout.strip() == "7250000"
    assert "Added $2.25; the balance is $7.25." in again.stderr
    assert billing.balance(ada) == 7_250_000
    [latest, first] = billing.get(ada, "/api/billing/events")["events"]
    assert latest["event_type"] == first["event_type"] == "credit_added"
    assert latest["params"]["amount"] == 225 and latest["params"]["added_by"] == "admin"


def test_credit_added_for_a_team_goes_to_the_team_and_for_a_personal_workspace_to_its_user(billing):
    ada, grace = billing.user(), billing.user()
    team = billing.team(ada)
    billing.join(ada, team, grace)

    to_team = billing.admin(
        "credits", "add", "--email", grace.email, "--workspace", team, "--amount-usd", "30"
    )
    personal = billing.personal(ada)
    to_personal = billing.admin(
        "credits", "add", "--email", ada.email, "--workspace", personal, "--amount-usd", "1"
    )

    assert to_team.exit_code == 0 and to_personal.exit_code == 0, to_team.output + to_personal.output
    assert billing.balance(ada, team) == 30_000_000
    assert billing.balance(grace) == 0
    assert billing.balance(ada) == 1_000_000
    [added] = billing.rows(
        "SELECT user_id FROM platform_events WHERE workspace_id = ? AND event_type = 'credit_added'", team
    )
    assert added == (grace.user_id,)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("unknown-user", id="unknown-user"),
        pytest.param("unknown-workspace", id="unknown-workspace"),
        pytest.param("not-a-member", id="not-a-member"),
        pytest.param("bad-amount", id="bad-amount"),
    ],
)
def test_a_refused_top_up_exits_1_with_a_message_and_adds_nothing(billing, case):
    ada, eve = billing.user(), billing.user()
    team = billing.team(ada)
    args = {
        "unknown-user": ["--email", "nobody@example.com", "--amount-usd", "5"],
        "unknown-workspace": ["--email", ada.email, "--workspace", "no-such-workspace", "--amount-usd", "5"],
        "not-a-member": ["--email", eve.email, "--workspace", team, "--amount-usd", "5"],
        "bad-amount": ["--email", ada.email, "--amount-usd", "0.001"],
    }[case]

    refused = billing.admin("credits", "add", *args)

    assert refused.exit_code == 1 and refused.stderr.startswith("Error: "), refused.output
    assert billing.balance(ada) == billing.balance(ada, team) == billing.balance(eve) == 0
