"""Recording API-node usage: `api_usage_started` when a paid call begins, `api_usage_completed`
with its charge when it ends. The frontend's usage table shows `params.api_name` and
`params.model`, and `params.charge_micro_usd` in a tooltip.

These are called by prompt execution for nodes that call paid APIs (ComfyUI's `API_NODE` nodes).
"""

from __future__ import annotations

from typing import Any

from comfyd.platform.billing.ledger import Balance, CreditLedger, Owner
from comfyd.platform.customers.events import Event, EventLog, EventType


def usage_params(*, api_name: str, model: str, prompt_id: str | None, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"api_name": api_name, "model": model, **extra}
    if prompt_id is not None:
        params["prompt_id"] = prompt_id
    return params


async def api_usage_started(
    events: EventLog, owner: Owner, *, user_id: str, api_name: str, model: str, prompt_id: str | None = None
) -> Event:
    """Record that `user_id` started a call to `api_name` / `model`, billed to `owner`."""
    scope_user, workspace_id = owner.event_scope(user_id)
    params = usage_params(api_name=api_name, model=model, prompt_id=prompt_id)
    return await events.record(
        EventType.API_USAGE_STARTED, params, user_id=scope_user, workspace_id=workspace_id
    )


async def api_usage_completed(
    ledger: CreditLedger,
    owner: Owner,
    *,
    user_id: str,
    api_name: str,
    model: str,
    charge_micro_usd: int,
    prompt_id: str | None = None,
) -> Balance:
    """Charge `owner` for a finished call and record `api_usage_completed`, in one transaction.

    The call has already been made, so the charge goes through even past zero (an overdraft the
    next top-up pays off); returns the balance after it.
    """
    params = usage_params(
        api_name=api_name, model=model, prompt_id=prompt_id, charge_micro_usd=charge_micro_usd
    )
    return await ledger.charge(
        owner,
        charge_micro_usd,
        user_id=user_id,
        event_type=EventType.API_USAGE_COMPLETED,
        params=params,
        allow_overdraft=True,
    )
