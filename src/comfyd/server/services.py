"""`Services`: everything the routes use, built once per app by `build_services`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from comfyd.assets.service import AssetDownloads
from comfyd.config import ServerConfig
from comfyd.engine import folders as folder_layout
from comfyd.engine.caches import ClassicCache, LRUCache, NullCache, OutputCache
from comfyd.engine.loader import load_packs
from comfyd.engine.registry import NodeRegistry
from comfyd.files.uploads import Uploads
from comfyd.files.viewing import FileViewer
from comfyd.jobs.bus.memory import MemoryEventBus
from comfyd.jobs.events import Envelope, QueueStatus
from comfyd.jobs.history import History
from comfyd.jobs.listing import JobListing
from comfyd.jobs.prompts import PromptService
from comfyd.jobs.queue import JobQueue
from comfyd.jobs.worker import Worker
from comfyd.nodes import register_builtins
from comfyd.platform.accounts.service import AccountService
from comfyd.platform.auth.service import AuthService
from comfyd.platform.billing.ledger import CreditLedger
from comfyd.platform.billing.links import BillingLinks
from comfyd.platform.billing.owners import BillingOwners
from comfyd.platform.billing.payments import BuiltinPayments, PaymentsProvider
from comfyd.platform.billing.portal import BillingPortal
from comfyd.platform.billing.workspace import WorkspaceBilling
from comfyd.platform.customers.events import EventLog
from comfyd.platform.customers.service import CustomerService
from comfyd.platform.releases.service import ReleaseNotes
from comfyd.platform.releases.webhook import ReleaseWebhook
from comfyd.platform.workspaces.deps import WorkspaceServices
from comfyd.server.catalog import ModelCatalog
from comfyd.server.frontend import Frontend
from comfyd.server.logbuffer import LogBuffer
from comfyd.server.packfiles import PackFiles
from comfyd.server.usage import UsageTracker
from comfyd.server.ws.hub import WebSocketHub
from comfyd.users.service import UserServices

logger = logging.getLogger(__name__)


@dataclass
class Services:
    config: ServerConfig
    folders: folder_layout.FolderPaths
    registry: NodeRegistry
    engine: AsyncEngine
    sessions: async_sessionmaker
    queue: JobQueue
    history: History
    listing: JobListing
    bus: MemoryEventBus
    hub: WebSocketHub
    prompts: PromptService
    worker: Worker | None
    viewer: FileViewer | None = None
    uploads: Uploads | None = None
    users: UserServices | None = None
    catalog: ModelCatalog | None = None
    packs: PackFiles | None = None
    frontend: Frontend | None = None
    logs: LogBuffer | None = None
    accounts: AccountService | None = None
    usage: UsageTracker | None = None
    # Customers, the event log, credits and release notes (comfyd.platform.customers, .billing, .releases).
    events: EventLog | None = None
    credits: CreditLedger | None = None
    customers: CustomerService | None = None
    payments: PaymentsProvider | None = None
    billing: BillingPortal | None = None
    billing_owners: BillingOwners | None = None
    workspace_billing: WorkspaceBilling | None = None
    releases: ReleaseNotes | None = None
    release_webhook: ReleaseWebhook | None = None
    assets: AssetDownloads | None = None
    # Workspaces and the authenticator behind the identity dependencies (comfyd.platform.workspaces, .auth).
    workspaces: WorkspaceServices | None = None
    auth: AuthService | None = None

    def feature_flags(self) -> dict[str, Any]:
        """The server's feature flags: `/features` and the `/ws` `feature_flags` reply."""
        return {
            "supports_preview_metadata": True,
            "supports_progress_text_metadata": True,
            "max_upload_size": float(self.config.max_upload_size),
        }

    def interrupt(self, prompt_id: str | None = None, *, owner: str | None = None) -> bool:
        """Interrupt the running prompt (only `prompt_id`, if given; only `owner`'s, if given)."""
        if self.worker is None:
            return False
        if owner is not None and self.worker.current_owner != owner:
            return False
        return self.worker.interrupt(prompt_id)

    def interrupt_for_client(self, client_id: str) -> None:
        """The `/ws` `{"type": "interrupt"}` message: stops the running prompt if it is that client's."""
        if self.worker is not None and self.worker.current_client_id == client_id:
            self.worker.interrupt()

    async def broadcast_status(self) -> None:
        self.hub.dispatch(Envelope(QueueStatus(queue_remaining=await self.queue.remaining())))


def build_folders(config: ServerConfig) -> tuple[folder_layout.FolderPaths, list]:
    """The directory layout, activated for nodes, and the custom-node folders to load."""
    layout = folder_layout.FolderPaths(
        config.base_directory,
        input_dir=config.input_directory,
        output_dir=config.output_directory,
        temp_dir=config.temp_directory,
        user_dir=config.user_directory,
    )
    pack_dirs = list(layout.get_folder_paths("custom_nodes"))
    for yaml_path in config.extra_model_paths_config:
        pack_dirs += layout.load_extra_model_paths(yaml_path)
    layout.ensure_directories()
    folder_layout.activate(layout)
    return layout, pack_dirs


def build_registry(config: ServerConfig, pack_dirs: list) -> NodeRegistry:
    from pathlib import Path

    registry = NodeRegistry()
    register_builtins(registry)
    existing = [Path(d) for d in dict.fromkeys(pack_dirs) if Path(d).is_dir()]
    load_packs(
        registry,
        existing,
        disabled=config.disable_all_custom_nodes,
        whitelist=config.whitelist_custom_nodes,
    )
    return registry


def cache_factory(config: ServerConfig):
    def make() -> OutputCache:
        if config.cache == "lru":
            return LRUCache(config.cache_lru_size)
        if config.cache == "none":
            return NullCache()
        return ClassicCache()

    return make


def customer_services(sessions: async_sessionmaker) -> dict[str, Any]:
    """The event log, credits ledger, customers, payments, billing page, workspace billing and
    release notes, as the `Services` fields of those names. The payments provider is the built-in
    one (no payment)."""
    events = EventLog(sessions)
    credits = CreditLedger(sessions, events)
    links = BillingLinks(sessions)
    payments = BuiltinPayments(credits, links)
    releases = ReleaseNotes(sessions)
    return {
        "events": events,
        "credits": credits,
        "customers": CustomerService(sessions, events=events, ledger=credits),
        "payments": payments,
        "billing": BillingPortal(ledger=credits, events=events, links=links, payments=payments),
        "billing_owners": BillingOwners(sessions),
        "workspace_billing": WorkspaceBilling(sessions, ledger=credits, events=events, payments=payments),
        "releases": releases,
        "release_webhook": ReleaseWebhook.from_environment(releases),
    }
