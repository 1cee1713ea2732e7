"""`UsageTracker`: writes `api_usage_started` / `api_usage_completed` as prompts run API nodes.

ComfyUI marks nodes that call paid services with `API_NODE = True`. Whoever queued a prompt is
billed for them: the signed-in identity, or on a server without sign-in the comfyd API key the
frontend passes in `extra_data.api_key_comfy_org`. `PromptService` stores that payer on the job
(`extra_data.comfyd_billing`, which clients cannot set); this tracker follows the prompt's events on the bus and records
each API node's start and end against the payer's ledger — a team workspace's when the payer
acted in one, else the user's own (a personal workspace's money is its user's: `BillingOwners`).
A node's charge is its class's `PRICE_MICRO_USD` (a comfyd extension; 0 when the class declares
none); a node that fails or is interrupted is recorded as ended with no charge.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from comfyd.engine.registry import NodeRegistry
from comfyd.jobs.events import Envelope, ExecutionDone
from comfyd.jobs.prompts import PAYER_KEY
from comfyd.jobs.queue import JobQueue
from comfyd.platform.billing.ledger import CreditLedger, Owner
from comfyd.platform.billing.owners import BillingOwners
from comfyd.platform.billing.usage import api_usage_completed, api_usage_started
from comfyd.platform.customers.events import EventLog

logger = logging.getLogger(__name__)

_FOLLOWED = {"execution_start", "executing", "execution_error", "execution_interrupted", "execution_success"}


@dataclass
class _Call:
    node_id: str
    api_name: str
    model: str
    price: int


@dataclass
class _Run:
    owner: Owner
    user_id: str
    prompt: dict[str, Any]
    current: _Call | None = None


class UsageTracker:
    """A bus subscriber on the server's loop; envelopes are handled in order by one task."""

    def __init__(
        self,
        *,
        queue: JobQueue,
        registry: NodeRegistry,
        events: EventLog,
        ledger: CreditLedger,
        owners: BillingOwners,
    ) -> None:
        self.queue = queue
        self.registry = registry
        self.events = events
        self.ledger = ledger
        self.owners = owners
        self._inbox: asyncio.Queue[Envelope | None] = asyncio.Queue()
        self._runs: dict[str, _Run | None] = {}
        self._task: asyncio.Task | None = None
        self._api_nodes = False
        self._api_nodes_at = -1

    def start(self) -> None:
        self._task = asyncio.create_task(self._consume())

    async def stop(self) -> None:
        """Record what is already in the inbox, then stop."""
        if self._task is not None:
            self._inbox.put_nowait(None)
            await self._task

    def __call__(self, envelope: Envelope) -> None:
        if envelope.prompt_id is not None and (envelope.event.type in _FOLLOWED or isinstance(envelope.event, ExecutionDone)):
            self._inbox.put_nowait(envelope)

    async def _consume(self) -> None:
        while (envelope := await self._inbox.get()) is not None:
            try:
                await self._handle(envelope)
            except Exception:
                # Bookkeeping must never stop the server from running prompts.
                logger.exception("Could not record API usage for prompt %s", envelope.prompt_id)

    async def _handle(self, envelope: Envelope) -> None:
        prompt_id, event = envelope.prompt_id, envelope.event
        assert prompt_id is not None
        if event.type == "execution_start":
            self._runs[prompt_id] = await self._begin(prompt_id)
            return
        run = self._runs.get(prompt_id)
        if run is None:
            if isinstance(event, ExecutionDone):
                self._runs.pop(prompt_id, None)
            return
        if event.type == "executing":
            await self._end_current(prompt_id, run, succeeded=True)
            node_id = event.data().get("node")
            if node_id is not None:
                await self._start(prompt_id, run, str(node_id))
        elif event.type in ("execution_error", "execution_interrupted"):
            await self._end_current(prompt_id, run, succeeded=False)
        elif isinstance(event, ExecutionDone):
            await self._end_current(prompt_id, run, succeeded=True)
            del self._runs[prompt_id]

    async def _begin(self, prompt_id: str) -> _Run | None:
        if not self._has_api_nodes():
            return None  # nothing could be billed: no need to read the job
        job = await self.queue.get(prompt_id)
        payer = (job.extra_data or {}).get(PAYER_KEY) if job is not None else None
        if not isinstance(payer, dict) or not payer.get("user_id"):
            return None
        user_id, workspace_id = str(payer["user_id"]), payer.get("workspace_id")
        owner = await self.owners.payer(
            user_id=user_id, workspace_id=str(workspace_id) if workspace_id else None
        )
        return _Run(owner=owner, user_id=user_id, prompt=job.prompt)

    def _has_api_nodes(self) -> bool:
        """Whether any registered class is an API node (remembered per registry revision)."""
        revision = self.registry.revision
        if self._api_nodes_at != revision:
            self._api_nodes = any(getattr(cls, "API_NODE", False) for cls in self.registry.classes.values())
            self._api_nodes_at = revision
        return self._api_nodes

    async def _start(self, prompt_id: str, run: _Run, node_id: str) -> None:
        node = run.prompt.get(node_id)  # expanded nodes (ids not in the prompt) are the graph's own
        if not isinstance(node, dict):
            return
        class_type = str(node.get("class_type"))
        cls = self.registry.get(class_type)
        if cls is None or not getattr(cls, "API_NODE", False):
            return
        model = (node.get("inputs") or {}).get("model")
        call = _Call(node_id, class_type, model if isinstance(model, str) else "", int(getattr(cls, "PRICE_MICRO_USD", 0)))
        await api_usage_started(
            self.events, run.owner, user_id=run.user_id, api_name=call.api_name, model=call.model, prompt_id=prompt_id
        )
        run.current = call

    async def _end_current(self, prompt_id: str, run: _Run, *, succeeded: bool) -> None:
        call, run.current = run.current, None
        if call is None:
            return
        await api_usage_completed(
            self.ledger,
            run.owner,
            user_id=run.user_id,
            api_name=call.api_name,
            model=call.model,
            charge_micro_usd=call.price if succeeded else 0,
            prompt_id=prompt_id,
        )


def billing_payer(user_id: str, workspace_id: str | None) -> dict[str, str]:
    """The `payer` that `PromptService.submit` stores on a job."""
    payer = {"user_id": user_id}
    if workspace_id:
        payer["workspace_id"] = workspace_id
    return payer
