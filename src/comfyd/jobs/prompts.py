"""`PromptService`: accepting a prompt as ComfyUI's `POST /prompt` does, durably.

It validates the prompt with the engine, splits the API tokens the frontend sends off into the
job's secrets, queues the job, and wakes the worker. Rejections carry ComfyUI's error JSON.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from comfyd.engine.registry import NodeRegistry
from comfyd.engine.validation import error, validate_prompt
from comfyd.jobs.queue import JobQueue, Submission, now_ms

SECRET_KEYS = ("auth_token_comfy_org", "api_key_comfy_org")
# Who pays for the prompt's API nodes (`{"user_id", "workspace_id"?}`), set by the server from the
# caller's identity; a value a client sends is dropped, so nobody can bill another.
PAYER_KEY = "comfyd_billing"
PROMPT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class PromptRejected(Exception):
    """The prompt cannot be queued: `error` and `node_errors` in ComfyUI's shape."""

    def __init__(self, error: dict[str, Any], node_errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{error['message']}: {error['details']}")
        self.error = error
        self.node_errors = node_errors or {}


@dataclass
class Accepted:
    prompt_id: str
    number: int | float
    node_errors: dict[str, Any]


class PromptService:
    def __init__(self, *, registry: NodeRegistry, queue: JobQueue, on_queued: Callable[[], None]) -> None:
        self.registry = registry
        self.queue = queue
        self.on_queued = on_queued

    async def submit(self, body: dict[str, Any], *, user_id: str, payer: dict[str, str] | None = None) -> Accepted:
        """Validate and queue a `POST /prompt` body; raises `PromptRejected` or `PromptIdConflict`.

        `user_id` is the job's owner (see `RequestScope`); `payer` who is billed for API nodes.
        """
        prompt = body.get("prompt")
        if prompt is None:
            raise PromptRejected(error("no_prompt", "No prompt provided", "No prompt provided"))
        if not isinstance(prompt, dict):
            raise PromptRejected(error("invalid_prompt", "The prompt must be an object of nodes", type(prompt).__name__))
        prompt_id = self._prompt_id(body)
        targets = body.get("partial_execution_targets")
        valid = await validate_prompt(self.registry, prompt, prompt_id=prompt_id, partial_execution_targets=targets)
        if not valid.ok:
            raise PromptRejected(valid.error, valid.node_errors)
        extra_data = dict(body.get("extra_data") or {})
        secrets = {key: extra_data.pop(key) for key in SECRET_KEYS if key in extra_data}
        extra_data.pop(PAYER_KEY, None)
        if payer is not None:
            extra_data[PAYER_KEY] = payer
        client_id = body.get("client_id")
        if client_id is not None:
            extra_data["client_id"] = str(client_id)
        extra_data.setdefault("create_time", now_ms())
        record = await self.queue.submit(
            Submission(
                prompt_id=prompt_id,
                prompt=prompt,
                outputs_to_execute=valid.outputs,
                extra_data=extra_data,
                secrets=secrets,
                node_errors=valid.node_errors,
                number=_number(body),
                front=bool(body.get("front")),
                user_id=user_id,
                client_id=None if client_id is None else str(client_id),
                workflow_id=_workflow_id(extra_data),
            )
        )
        self.on_queued()
        number = int(record.number) if float(record.number).is_integer() else record.number
        return Accepted(prompt_id, number, valid.node_errors)

    @staticmethod
    def _prompt_id(body: dict[str, Any]) -> str:
        given = body.get("prompt_id")
        if given is None:
            return str(uuid.uuid4())
        if not isinstance(given, str) or not PROMPT_ID.match(given):
            raise PromptRejected(
                error(
                    "invalid_prompt_id",
                    "Invalid prompt_id",
                    "A prompt_id is 1-64 letters, digits, '.', '_', ':' or '-' (a UUID is best).",
                )
            )
        return given


def _number(body: dict[str, Any]) -> float | None:
    number = body.get("number")
    if number is None:
        return None
    try:
        return float(number)
    except (TypeError, ValueError) as exc:
        raise PromptRejected(error("invalid_prompt", "number must be a number", str(number))) from exc


def _workflow_id(extra_data: dict[str, Any]) -> str | None:
    workflow = (extra_data.get("extra_pnginfo") or {}).get("workflow")
    found = workflow.get("id") if isinstance(workflow, dict) else None
    return str(found) if found is not None else None
