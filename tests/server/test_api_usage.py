"""API-node usage: a prompt that runs a node marked `API_NODE` writes `api_usage_started` and
`api_usage_completed` to its payer's customer events and charges their balance — the payer being
the owner of the comfyd API key the frontend passes in `extra_data.api_key_comfy_org`."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompting import queue_prompt, wait_for, wait_for_history

from admin_accounts import admin_account

API_PACK = '''
class FakeImageApi:
    """Stands in for a paid API node: ComfyUI marks those with API_NODE."""

    API_NODE = True
    PRICE_MICRO_USD = 1500

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": (["dream-1", "dream-2"],), "seed": ("INT", {"default": 0})}}

    RETURN_TYPES = ("INT",)
    FUNCTION = "run"
    OUTPUT_NODE = True

    def run(self, model, seed):
        return {"ui": {"seed": [seed]}, "result": (seed,)}


class FreeNode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 0})}}

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True

    def run(self, value):
        return {"ui": {"value": [value]}}


NODE_CLASS_MAPPINGS = {"FakeImageApi": FakeImageApi, "FreeNode": FreeNode}
'''


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("usage")
    pack = base / "custom_nodes" / "api_pack"
    pack.mkdir(parents=True)
    (pack / "__init__.py").write_text(API_PACK)
    return base


@pytest.fixture(scope="module")
def server(start_module_server, base):
    return start_module_server(base_dir=base)


def new_customer(server, base: Path, email: str) -> str:
    key = admin_account(base, email=email).key
    with server.client(key=key) as http:
        assert http.post("/customers", json={"signup_source": "localhost"}).status_code in (200, 201)
    return key


def events_of(server, key: str) -> list[dict]:
    with server.client(headers={"X-API-Key": key}) as http:
        return http.get("/customers/events", params={"limit": 50}).json()["events"]


def balance_of(server, key: str) -> int:
    with server.client(headers={"X-API-Key": key}) as http:
        return http.get("/customers/balance").json()["amount_micros"]


def api_graph(seed: int) -> dict:
    return {
        "1": {"class_type": "FakeImageApi", "inputs": {"model": "dream-2", "seed": seed}},
        "2": {"class_type": "FreeNode", "inputs": {"value": ["1", 0]}},
    }


def test_an_api_node_run_is_recorded_and_charged_to_the_key_owner(server, base, http):
    key = new_customer(server, base, "payer@example.com")
    before = balance_of(server, key)
    prompt_id = queue_prompt(http, api_graph(1), extra_data={"api_key_comfy_org": key})
    wait_for_history(http, prompt_id)

    def usage_so_far() -> list[dict] | None:
        found = [e for e in events_of(server, key) if e["event_type"].startswith("api_usage")]
        return found[::-1] if len(found) >= 2 else None  # listed newest first

    usage = wait_for(usage_so_far, "the usage events")
    assert [e["event_type"] for e in usage] == ["api_usage_started", "api_usage_completed"]
    completed = usage[1]["params"]
    assert completed["api_name"] == "FakeImageApi" and completed["model"] == "dream-2"
    assert completed["charge_micro_usd"] == 1500 and completed["prompt_id"] == prompt_id
    assert balance_of(server, key) == before - 1500
    # The key is a secret: it is not kept in the prompt's history.
    assert key not in http.get(f"/history/{prompt_id}").text


def test_a_prompt_without_api_nodes_or_without_a_known_key_records_nothing(server, base, http):
    key = new_customer(server, base, "quiet@example.com")
    free = {"1": {"class_type": "FreeNode", "inputs": {"value": 3}}}
    wait_for_history(http, queue_prompt(http, free, extra_data={"api_key_comfy_org": key}))
    unknown = "comfyui-" + "1" * 64  # not comfyd's: an api.comfy.org key bills nobody here
    wait_for_history(http, queue_prompt(http, api_graph(2), extra_data={"api_key_comfy_org": unknown}))
    assert [e["event_type"] for e in events_of(server, key)] == ["account_created"]


def test_a_client_cannot_name_someone_else_as_the_payer(server, base, http):
    key = new_customer(server, base, "victim@example.com")
    with server.client(headers={"X-API-Key": key}) as victim:
        victim_id = victim.get("/customers/me").json()["id"]
    prompt_id = queue_prompt(http, api_graph(3), extra_data={"comfyd_billing": {"user_id": victim_id}})
    wait_for_history(http, prompt_id)
    assert "comfyd_billing" not in str(http.get(f"/history/{prompt_id}").json())
    assert [e["event_type"] for e in events_of(server, key)] == ["account_created"]
