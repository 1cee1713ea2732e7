"""`Mirror`: copies another api.comfy.org-compatible registry (api.comfy.org, another comfyd) into
this one: publishers, packs, versions with their status and reason, the node classes the source
extracted, and the archives of the versions users may install.

A sync asks the source only for packs changed since the last successful sync
(`GET /nodes?timestamp=`), which `MirrorState` remembers per source URL. Everything is written as
an upsert keyed by the source's ids and version strings, so running it again changes nothing.
The source is the authority on what it mirrors: a mirrored pack's fields and its versions'
statuses follow the source, and a version the source no longer lists becomes `deleted`.

A version appears here only complete: an installable version (active or flagged) is written once
its archive is stored; pending, banned and deleted versions are written without one (a pending
version is never checked here, since its archive is not fetched). Packs missing from the source's
listings (deleted there) are left as they are.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import new_id, utcnow
from comfyd.db.registry import ComfyNodeRecord, PackRecord, PackVersionRecord, PublisherRecord
from comfyd.platform.registry.archives import DEFAULT_LIMITS, ArchiveLimits, ArchiveRejected, inspect_archive
from comfyd.platform.registry.errors import InvalidPackId, InvalidPublisherId
from comfyd.platform.registry.lifecycle import comfy_node_records
from comfyd.platform.registry.models import ComfyNode, Node, NodeVersion, Publisher
from comfyd.platform.registry.publishers import check_publisher_id
from comfyd.platform.registry.publishing import PUBLISHER_PACK_FIELDS, check_pack_id
from comfyd.platform.registry.remote import (
    DownloadTooLarge,
    RegistryRefused,
    RegistryUnreachable,
    RemoteRegistry,
    RemoteRegistryError,
)
from comfyd.platform.registry.states import ExtractStatus, PackStatus, PublisherStatus, VersionStatus
from comfyd.platform.registry.storage import ArchiveStorage, StorageError, StoredArchive, archive_key

logger = logging.getLogger(__name__)

# A sync asks for changes since the previous one started, on the source's clock, less this margin:
# a change the source made just before that moment but committed just after it is then not lost.
# Asking again for a few packs costs only upserts.
OVERLAP = timedelta(seconds=60)
_PACK_STATUSES = {status.wire: status for status in PackStatus}
_PUBLISHER_STATUSES = {status.wire: status for status in PublisherStatus}
_WITH_ARCHIVE = frozenset({VersionStatus.ACTIVE, VersionStatus.FLAGGED})
# A mirror copies what the publisher set and what the source registry keeps of its own.
_PACK_FIELDS = {
    **PUBLISHER_PACK_FIELDS,
    "tags_admin": "tags_admin",
    "search_ranking": "search_ranking",
    "github_stars": "github_stars",
    "downloads": "total_install",
    "status_detail": "status_detail",
}
_VERSION_FIELDS = (
    "changelog",
    "dependencies",
    "deprecated",
    "status_reason",
    "tags",
    "tags_admin",
    "supported_os",
    "supported_accelerators",
    "supported_comfyui_version",
    "supported_comfyui_frontend_version",
)


class PackSkipped(Exception):
    """This pack or version cannot be mirrored, for a reason that another try would not change."""


@dataclass
class MirrorReport:
    """What one sync did. `failures` are transient (the source was unreachable or failing); while
    there are any, the sync time is not advanced, so the next sync tries those packs again."""

    source: str
    since: datetime | None
    packs: int = 0
    new_versions: int = 0
    archives: int = 0
    comfy_nodes: int = 0
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class MirrorState:
    """The last successful sync time per source URL, in a small JSON file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def last_sync(self, source: str) -> datetime | None:
        stamp = self._read().get(source)
        return datetime.fromisoformat(stamp) if stamp else None

    def record(self, source: str, at: datetime) -> None:
        """Remember `at` for `source`, replacing the file atomically."""
        data = self._read()
        data[source] = at.isoformat()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part")
        with open(fd, "w", encoding="utf-8") as out:
            json.dump({"last_sync": data}, out, indent=2)
        os.replace(temporary, self.path)

    def _read(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")).get("last_sync", {}))
        except FileNotFoundError:
            return {}


@dataclass
class _PackPlan:
    """One pack's versions to write, with the archives and node classes fetched for them."""

    node: Node
    publisher: Publisher
    versions: list[NodeVersion]
    archives: dict[str, StoredArchive] = field(default_factory=dict)
    comfy_nodes: dict[str, list[ComfyNode]] = field(default_factory=dict)
    # Versions the source lists but that could not be mirrored; kept as they are here.
    skipped: set[str] = field(default_factory=set)


class Mirror:
    """Copies the registry `remote` into this registry's database (`sessions`) and `storage`.

    mirror = Mirror(sessions, storage, RemoteRegistry("https://api.comfy.org"), state=state)
    report = await mirror.sync()
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        storage: ArchiveStorage,
        remote: RemoteRegistry,
        *,
        state: MirrorState,
        limits: ArchiveLimits = DEFAULT_LIMITS,
        overlap: timedelta = OVERLAP,
    ) -> None:
        self._sessions = sessions
        self._storage = storage
        self._remote = remote
        self._state = state
        self._limits = limits
        self._overlap = overlap

    async def sync(self, *, full: bool = False) -> MirrorReport:
        """Mirror every pack changed since the last successful sync (all of them when `full`).

        Raises `RemoteRegistryError` when the source cannot even be listed; a failure on one pack
        is recorded in the report and the others go on.
        """
        source = self._remote.base_url
        since = None if full else self._state.last_sync(source)
        started = await self._remote.server_time() or utcnow()
        report = MirrorReport(source=source, since=since)
        async for node in self._remote.iter_nodes(updated_after=since):
            report.packs += 1
            await self._sync_pack(node, report)
        if not report.failures:
            self._state.record(source, started - self._overlap)
        return report

    async def _sync_pack(self, node: Node, report: MirrorReport) -> None:
        name = node.id or "(a pack without an id)"
        try:
            plan = await self._plan(node, report)
            await self._write(plan, report)
        except PackSkipped as exc:
            report.skipped.append(f"{name}: {exc}")
        except (RegistryUnreachable, RegistryRefused) as exc:
            if isinstance(exc, RegistryRefused) and exc.status < 500:
                report.skipped.append(f"{name}: {exc.message}")
            else:
                report.failures.append(f"{name}: {exc.message}")

    async def _plan(self, node: Node, report: MirrorReport) -> _PackPlan:
        pack_id = _checked_id(node)
        if node.publisher is None or not node.publisher.id:
            raise PackSkipped("the source does not say which publisher it belongs to.")
        local = await self._local_versions(pack_id, node.publisher.id)
        banned = node.status == PackStatus.BANNED.wire
        # A banned pack's versions are refused (403) by the source; its status is enough.
        versions = [] if banned else await self._remote.versions(pack_id)
        plan = _PackPlan(node, node.publisher, [])
        for version in versions:
            if await self._fetch_version(plan, version, local, report):
                plan.versions.append(version)
            else:
                plan.skipped.add(version.version or "")
        return plan

    async def _fetch_version(
        self, plan: _PackPlan, version: NodeVersion, local: dict[str, tuple[bool, int]], report: MirrorReport
    ) -> bool:
        """Fetch what the version needs (archive, node classes); False when it is skipped."""
        pack_id, text = plan.node.id or "", version.version or ""
        try:
            status = VersionStatus.from_wire(version.status or "")
            key = archive_key(publisher_id=plan.publisher.id or "", node_id=pack_id, version=text)
        except (ValueError, StorageError) as exc:
            report.skipped.append(f"{pack_id} {text}: {exc}")
            return False
        uploaded, node_count = local.get(text, (False, 0))
        if status in _WITH_ARCHIVE and not uploaded:
            stored = await self._fetch_archive(pack_id, text, version.downloadUrl, key, report)
            if stored is None:
                return False
            plan.archives[text] = stored
        if version.comfy_node_extract_status == ExtractStatus.SUCCESS and not node_count:
            plan.comfy_nodes[text] = await self._remote.comfy_nodes(pack_id, text)
        return True

    async def _fetch_archive(
        self, pack_id: str, version: str, url: str | None, key: str, report: MirrorReport
    ) -> StoredArchive | None:
        """Download, check and store a version's archive; None (and a note) when it is unusable."""
        if not url:
            report.skipped.append(f"{pack_id} {version}: the source gives no download URL.")
            return None
        with tempfile.TemporaryDirectory(prefix="comfyd-mirror-") as folder:
            path = Path(folder) / "node.zip"
            try:
                await self._remote.download(url, path, max_bytes=self._limits.max_archive_bytes)
                await asyncio.to_thread(inspect_archive, path, limits=self._limits)
            except (DownloadTooLarge, ArchiveRejected) as exc:
                reason = exc.message if isinstance(exc, RemoteRegistryError) else exc.reason
                report.skipped.append(f"{pack_id} {version}: {reason}")
                return None
            except RegistryRefused as exc:
                if exc.status >= 500:
                    raise
                report.skipped.append(f"{pack_id} {version}: {exc.message}")
                return None
            stored = await asyncio.to_thread(self._storage.save, key, path)
        report.archives += 1
        return stored

    async def _local_versions(self, pack_id: str, publisher_id: str) -> dict[str, tuple[bool, int]]:
        """Each version this registry has of the pack: whether its archive is here, and how many
        node classes it has. Raises `PackSkipped` when the id is another pack's here."""
        async with self._sessions() as session:
            pack = await session.scalar(select(PackRecord).where(PackRecord.normalized_id == pack_id.lower()))
            if pack is not None and (pack.id != pack_id or pack.publisher_id != publisher_id):
                raise PackSkipped(
                    f"this registry has {pack.id} under the publisher {pack.publisher_id} already."
                )
            counts = (
                select(
                    PackVersionRecord.version, PackVersionRecord.uploaded_at, func.count(ComfyNodeRecord.id)
                )
                .outerjoin(ComfyNodeRecord, ComfyNodeRecord.version_id == PackVersionRecord.id)
                .where(PackVersionRecord.pack_id == pack_id)
                .group_by(PackVersionRecord.id)
            )
            return {row[0]: (row[1] is not None, row[2]) for row in await session.execute(counts)}

    async def _write(self, plan: _PackPlan, report: MirrorReport) -> None:
        async with self._sessions.begin() as session:
            await _upsert_publisher(session, plan.publisher)
            pack = await _upsert_pack(session, plan.node, plan.publisher.id or "")
            if pack.status != PackStatus.BANNED:
                await self._write_versions(session, pack, plan, report)
            pack.updated_at = utcnow()  # so a mirror of this registry sees the change too

    async def _write_versions(
        self, session: AsyncSession, pack: PackRecord, plan: _PackPlan, report: MirrorReport
    ) -> None:
        existing = {
            record.version: record
            for record in await session.scalars(
                select(PackVersionRecord).where(PackVersionRecord.pack_id == pack.id)
            )
        }
        for version in plan.versions:
            text = version.version or ""
            record = existing.pop(text, None)
            if record is None:
                record = await _new_version(session, pack, version)
                report.new_versions += 1
            _copy_version(record, version)
            stored = plan.archives.get(text)
            if stored is not None:
                record.archive_size, record.archive_sha256 = stored.size, stored.sha256
                record.uploaded_at = record.checked_at = utcnow()
            nodes = plan.comfy_nodes.get(text)
            if nodes:
                await session.flush()
                await session.execute(delete(ComfyNodeRecord).where(ComfyNodeRecord.version_id == record.id))
                session.add_all(comfy_node_records(record.id, [node.model_dump() for node in nodes]))
                report.comfy_nodes += len(nodes)
        for text, gone in existing.items():
            if text not in plan.skipped:
                gone.status = VersionStatus.DELETED


def _checked_id(node: Node) -> str:
    """The pack's id, once it and its publisher's id follow this registry's rules."""
    try:
        check_pack_id(node.id or "")
        if node.publisher is not None and node.publisher.id:
            check_publisher_id(node.publisher.id)
    except (InvalidPackId, InvalidPublisherId) as exc:
        raise PackSkipped(exc.message) from exc
    return node.id or ""


async def _upsert_publisher(session: AsyncSession, publisher: Publisher) -> PublisherRecord:
    record = await session.get(PublisherRecord, publisher.id)
    if record is None:
        record = PublisherRecord(id=publisher.id, created_at=publisher.createdAt or utcnow())
        session.add(record)
    record.name = publisher.name or ""
    record.description = publisher.description or ""
    record.website = publisher.website or ""
    record.support_email = publisher.support or ""
    record.source_code_repo = publisher.source_code_repo or ""
    record.logo_url = publisher.logo or ""
    record.status = _PUBLISHER_STATUSES.get(publisher.status or "", PublisherStatus.ACTIVE)
    return record


async def _upsert_pack(session: AsyncSession, node: Node, publisher_id: str) -> PackRecord:
    pack = await session.get(PackRecord, node.id)
    if pack is None:
        now = utcnow()
        pack = PackRecord(
            id=node.id,
            normalized_id=(node.id or "").lower(),
            publisher_id=publisher_id,
            created_at=node.created_at or now,
            updated_at=now,
        )
        session.add(pack)
    for wire_name, column in _PACK_FIELDS.items():
        value = getattr(node, wire_name)
        if value is not None:
            setattr(pack, column, list(value) if isinstance(value, list) else value)
    pack.status = _PACK_STATUSES.get(node.status or "", PackStatus.ACTIVE)
    return pack


async def _new_version(session: AsyncSession, pack: PackRecord, version: NodeVersion) -> PackVersionRecord:
    """A row for a version new here, keeping the source's id unless this registry uses it."""
    version_id = version.id if version.id and len(version.id) <= 36 else None
    if version_id is None or await session.get(PackVersionRecord, version_id) is not None:
        version_id = new_id()
    text = version.version or ""
    record = PackVersionRecord(
        id=version_id,
        pack_id=pack.id,
        version=text,
        archive_key=archive_key(publisher_id=pack.publisher_id, node_id=pack.id, version=text),
        created_at=version.createdAt or utcnow(),
        updated_at=utcnow(),
    )
    session.add(record)
    return record


def _copy_version(record: PackVersionRecord, version: NodeVersion) -> None:
    for name in _VERSION_FIELDS:
        value = getattr(version, name)
        if value is not None:
            setattr(record, name, list(value) if isinstance(value, list) else value)
    record.status = VersionStatus.from_wire(version.status or "")
    record.comfy_node_extract_status = version.comfy_node_extract_status or ExtractStatus.PENDING
