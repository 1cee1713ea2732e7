"""API-node usage on a server that requires sign-in is billed to the workspace the prompt was queued
in: in a personal workspace that is the user's own customer balance, in a team the team's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from billing_harness import Billing, wait_for

from comfyd_process import ComfydServer

PRICE_MICRO_USD = 1500
API_PACK = f'''
class PaidImageApi:
    """Stands in for a paid API node: ComfyUI marks those with API_NODE."""

    API_NODE = True
    PRICE_MICRO_USD = {PRICE_MICRO_USD}

    @classmethod
    def INPUT_TYPES(cls):
        return {{"required": {{"model": (["dream-1"],), "seed": ("INT", {{"default": 0}})}}}}

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True

    def run(self, model, seed):
        return {{"ui": {{"seed": [seed]}}}}


NODE_CLASS_MAPPINGS = {{"PaidImageApi": PaidImageApi}}
'''


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory) -> Iterator[Billing]:
    """A server that requires sign-in, with a node pack holding one paid API node."""
    base = tmp_path_factory.mktemp("usage-billing")
    pack = base / "custom_nodes" / "paid_pack"
    pack.mkdir(parents=True)
    (pack / "__init__.py").write_text(API_PACK)
    process = ComfydServer(base, "--auth", "required").start()
    yield Billing(process)
    process.stop()


def run_paid_node(billing: Billing, account, workspace: str | None) -> str:
    """Queue the paid node as `account` in `workspace` and wait until its charge is recorded."""
    graph = {
        "1": {"class_type": "PaidImageApi", "inputs": {"model": "dream-1", "seed": uuid.uuid4().int % 1000}}
    }
    with billing.client(account, workspace=workspace) as http:
        queued = http.post("/api/prompt", json={"prompt": graph, "client_id": uuid.uuid4().hex})
        assert queued.status_code == 200, queued.text
        prompt_id = queued.json()["prompt_id"]

        def charged() -> bool | None:
            events = http.get("/api/billing/events", params={"limit": 100}).json()["events"]
            done = [e for e in events if e["event_type"] == "api_usage_completed"]
            return True if any(e["params"].get("prompt_id") == prompt_id for e in done) else None

        wait_for(charged, f"the charge for prompt {prompt_id}")
    return prompt_id


def test_usage_in_a_personal_workspace_is_charged_to_the_users_customer_balance(signed_in):
    ada = signed_in.user()
    created = signed_in.request(ada, "POST", "/customers", json={"signup_source": "localhost"})
    assert created.status_code == 201, created.text

    run_paid_node(signed_in, ada, workspace=None)

    assert signed_in.balance(ada) == -PRICE_MICRO_USD
    assert signed_in.get(ada, "/customers/balance")["amount_micros"] == -PRICE_MICRO_USD
    customer_events = [e["event_type"] for e in signed_in.get(ada, "/customers/events")["events"]]
    assert customer_events == ["api_usage_completed", "api_usage_started", "account_created"]


def test_usage_in_a_team_workspace_is_charged_to_the_team_alone(signed_in):
    ada = signed_in.user()
    team = signed_in.team(ada)

    run_paid_node(signed_in, ada, workspace=team)

    assert signed_in.balance(ada, team) == -PRICE_MICRO_USD
    assert signed_in.balance(ada) == 0
    [completed] = [
        e
        for e in signed_in.get(ada, "/api/billing/events", workspace=team)["events"]
        if e["event_type"] == "api_usage_completed"
    ]
    assert completed["params"]["api_name"] == "PaidImageApi"
    assert completed["params"]["charge_micro_usd"] == PRICE_MICRO_USD
