"""`PromptService`: validating, splitting off secrets and queueing a `POST /prompt` body."""

from __future__ import annotations

import pytest
from job_factories import PROMPT

from comfyd.engine.registry import NodeRegistry
from comfyd.jobs.errors import PromptIdConflict
from comfyd.jobs.prompts import PromptRejected, PromptService
from comfyd.nodes import register_builtins

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def registry() -> NodeRegistry:
    registry = NodeRegistry()
    register_builtins(registry)
    return registry


@pytest.fixture
def wakes() -> list[int]:
    return []


@pytest.fixture
def prompts(registry, job_queue, wakes) -> PromptService:
    return PromptService(registry=registry, queue=job_queue, on_queued=lambda: wakes.append(1))


async def test_submit_queues_the_prompt_and_wakes_the_worker(prompts, job_queue, wakes):
    accepted = await prompts.submit({"prompt": PROMPT, "client_id": "c1"}, user_id="ada")
    assert accepted.number == 0 and accepted.node_errors == {}
    [record] = await job_queue.pending()
    assert record.id == accepted.prompt_id and record.user_id == "ada" and record.client_id == "c1"
    assert record.outputs_to_execute == ["2"]
    assert record.extra_data["client_id"] == "c1" and isinstance(record.extra_data["create_time"], int)
    assert wakes == [1]


async def test_submit_keeps_api_tokens_out_of_extra_data(prompts, job_queue):
    extra = {"auth_token_comfy_org": "tok", "api_key_comfy_org": "key", "extra_pnginfo": {"workflow": {"id": 7}}}
    accepted = await prompts.submit({"prompt": PROMPT, "extra_data": extra}, user_id="default")
    record = await job_queue.get(accepted.prompt_id)
    assert record.secrets == {"auth_token_comfy_org": "tok", "api_key_comfy_org": "key"}
    assert set(record.extra_data) == {"extra_pnginfo", "create_time"}
    assert record.workflow_id == "7"


async def test_submit_honours_the_clients_prompt_id_number_and_front(prompts):
    given = await prompts.submit({"prompt": PROMPT, "prompt_id": "my-id", "number": 42}, user_id="u")
    front = await prompts.submit({"prompt": PROMPT, "front": True}, user_id="u")
    assert (given.prompt_id, given.number) == ("my-id", 42)
    assert front.number == 0  # the first counted prompt: -0
    with pytest.raises(PromptIdConflict):
        await prompts.submit({"prompt": PROMPT, "prompt_id": "my-id"}, user_id="u")


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        pytest.param({}, "no_prompt", id="no-prompt"),
        pytest.param({"prompt": []}, "invalid_prompt", id="prompt-not-an-object"),
        pytest.param({"prompt": PROMPT, "prompt_id": "bad id!"}, "invalid_prompt_id", id="bad-prompt-id"),
        pytest.param({"prompt": PROMPT, "number": "soon"}, "invalid_prompt", id="bad-number"),
        pytest.param({"prompt": {"1": {"class_type": "Nope", "inputs": {}}}}, "missing_node_type", id="unknown-class"),
        pytest.param({"prompt": {"1": PROMPT["1"]}}, "prompt_no_outputs", id="no-outputs"),
    ],
)
async def test_submit_rejects_what_comfyui_rejects_and_queues_nothing(prompts, job_queue, wakes, body, error_type):
    with pytest.raises(PromptRejected) as caught:
        await prompts.submit(body, user_id="u")
    assert caught.value.error["type"] == error_type
    assert await job_queue.remaining() == 0 and wakes == []


async def test_submit_rejects_invalid_inputs_with_node_errors(prompts):
    broken = {"1": {"class_type": "EmptyImage", "inputs": {"width": "wide"}}, "2": PROMPT["2"]}
    with pytest.raises(PromptRejected) as caught:
        await prompts.submit({"prompt": broken}, user_id="u")
    assert caught.value.error["type"] == "prompt_outputs_failed_validation"
    assert caught.value.node_errors["1"]["class_type"] == "EmptyImage"
    assert caught.value.node_errors["1"]["dependent_outputs"] == ["2"]
