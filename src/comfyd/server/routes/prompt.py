"""`/prompt`: queue a prompt, or read how many are waiting."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from comfyd.platform.accounts.errors import AccountsError
from comfyd.platform.accounts.identity import API_KEY_SCHEME, Credentials, authenticator_of, optional_identity
from comfyd.server.bodies import json_body
from comfyd.server.deps import JobOwner, Prompts, Queue, Scope, ServicesDep
from comfyd.server.schemas import PromptAccepted, documented
from comfyd.server.usage import billing_payer

router = APIRouter()


@router.get("/prompt")
async def queue_info(queue: Queue) -> dict:
    return {"exec_info": {"queue_remaining": await queue.remaining()}}


@router.post("/prompt", **documented(PromptAccepted))
async def queue_prompt(request: Request, prompts: Prompts, services: ServicesDep, owner: JobOwner, scope: Scope) -> dict:
    body = await json_body(request)
    payer = await _payer(request, body, signed_in=scope.signed_in)
    accepted = await prompts.submit(body, user_id=owner, payer=payer)
    await services.broadcast_status()
    return {"prompt_id": accepted.prompt_id, "number": accepted.number, "node_errors": accepted.node_errors}


async def _payer(request: Request, body: Any, *, signed_in: bool) -> dict[str, str] | None:
    """Who pays for the prompt's API nodes: the signed-in caller (in its workspace), or else the
    owner of the comfyd API key the frontend passes for API nodes. A key comfyd does not know
    (an api.comfy.org key, say) bills nobody here and does not stop the prompt."""
    try:
        identity = await optional_identity(request)  # already checked when sign-in is required
    except AccountsError:
        identity = None  # without sign-in, headers comfyd cannot check are not its business
    if identity is not None:
        return billing_payer(identity.user_id, identity.workspace_id if signed_in else None)
    extra_data = body.get("extra_data") if isinstance(body, dict) else None
    key = extra_data.get("api_key_comfy_org") if isinstance(extra_data, dict) else None
    if not isinstance(key, str) or not key.startswith(API_KEY_SCHEME):
        return None
    try:
        identity = await authenticator_of(request).authenticate(Credentials(api_key=key))
    except AccountsError:
        return None
    return None if identity is None else billing_payer(identity.user_id, None)
