"""`Catalog`: the registry's public read side: listing and finding packs, their versions and the node
classes they define, and installing (which counts). Writes live in `publishing`, reviews in `reviews`.

A banned pack answers `PackBanned` (403) wherever one pack is asked for, as the peer does; lists
include banned packs unless asked not to; deleted packs are gone from everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.registry import ComfyNodeRecord, PackRecord, PackVersionRecord
from comfyd.platform.registry import search, views
from comfyd.platform.registry.errors import (
    ArchiveNotFound,
    ComfyNodeNotFound,
    InvalidField,
    InvalidVersion,
    PackBanned,
    PackMoved,
    PackNotFound,
    VersionNotFound,
)
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.models import (
    AllComfyNodesPage,
    BulkNodeVersionResult,
    BulkNodeVersionsRequest,
    BulkNodeVersionsResponse,
    ComfyNode,
    ComfyNodePage,
    Node,
    NodePage,
    NodeVersion,
    VersionPage,
)
from comfyd.platform.registry.paging import Paging
from comfyd.platform.registry.semver import EXACT_RELEASE, InvalidSemver, Semver, precedence
from comfyd.platform.registry.states import ExtractStatus, PackStatus, VersionStatus

# Versions a user may install by number (once their archive arrived); a deleted or banned
# version is gone for them.
INSTALLABLE = frozenset({VersionStatus.ACTIVE, VersionStatus.FLAGGED, VersionStatus.PENDING})
COMFY_NODES_PAGE_MAX = 8192


async def find_pack(
    session: AsyncSession, pack_id: str, *, redirect: bool = False, banned_ok: bool = False
) -> PackRecord:
    """The pack with exactly `pack_id`.

    Raises `PackNotFound` (deleted packs too), `PackBanned` unless `banned_ok`, and, with
    `redirect`, `PackMoved` when the id matches another pack's without regard to case.
    """
    pack = await session.get(PackRecord, pack_id)
    if pack is None:
        other = await session.scalar(select(PackRecord).where(PackRecord.normalized_id == pack_id.lower()))
        if redirect and other is not None and other.status != PackStatus.DELETED:
            raise PackMoved(pack_id, other.id)
        raise PackNotFound(pack_id)
    if pack.status == PackStatus.DELETED:
        raise PackNotFound(pack_id)
    if pack.status == PackStatus.BANNED and not banned_ok:
        raise PackBanned(pack_id)
    return pack


async def find_version(session: AsyncSession, pack_id: str, version: str) -> PackVersionRecord:
    """The pack's version numbered `version` (as given, or in its canonical form); raises
    `VersionNotFound`. Deleted versions are not found."""
    candidates = {version}
    try:
        candidates.add(str(Semver.parse(version)))
    except InvalidSemver:
        pass
    query = select(PackVersionRecord).where(
        PackVersionRecord.pack_id == pack_id,
        PackVersionRecord.version.in_(candidates),
        PackVersionRecord.status != VersionStatus.DELETED,
    )
    record = await session.scalar(query)
    if record is None:
        raise VersionNotFound(pack_id, version)
    return record


def version_statuses(names: Sequence[str]) -> set[VersionStatus]:
    """The statuses a `statuses=` filter names; raises `InvalidField` for an unknown wire name."""
    try:
        return {VersionStatus.from_wire(name) for name in names}
    except ValueError as exc:
        raise InvalidField("statuses", str(exc)) from exc


@dataclass(frozen=True)
class VersionQuery:
    """The filters of `GET /versions`."""

    node_id: str | None = None
    statuses: Sequence[str] = ()
    status_reason: str = ""
    include_status_reason: bool = False


class Catalog:
    """Read-only views of the registry, plus the install counter.

    catalog = Catalog(sessions)
    page = await catalog.list_packs(PackFilter(), Paging.of(1, 10), links=links)
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list_packs(
        self, pack_filter: search.PackFilter, paging: Paging, *, links: Links, sort: Sequence[str] = ()
    ) -> NodePage:
        """`GET /nodes`: raises `InvalidField` for a `sort` column that is not allowed."""
        return await self._page(search.listing(pack_filter, sort), paging, links)

    async def search_packs(self, terms: search.SearchTerms, paging: Paging, *, links: Links) -> NodePage:
        """`GET /nodes/search`, best match first."""
        return await self._page(search.matching(terms), paging, links)

    async def get_pack(self, pack_id: str, *, links: Links) -> Node:
        """`GET /nodes/{id}`; raises `PackNotFound`, `PackBanned` or `PackMoved`."""
        async with self._sessions() as session:
            pack = await find_pack(session, pack_id, redirect=True)
            return await views.node(session, pack, links)

    async def install(self, pack_id: str, version: str | None, *, links: Links) -> NodeVersion:
        """The version to install (the latest unless `version` is given), counting one install.

        Raises `InvalidVersion` for a `version` not of the form 1.2.3, `PackNotFound`,
        `PackBanned`, `PackMoved` and `VersionNotFound` (also when there is no active version).
        """
        if version is not None and not EXACT_RELEASE.match(version):
            raise InvalidVersion(version)
        async with self._sessions.begin() as session:
            pack = await find_pack(session, pack_id, redirect=True)
            record = await self._installable(session, pack.id, version)
            counted = (
                update(PackRecord)
                .where(PackRecord.id == pack.id)
                .values(total_install=PackRecord.total_install + 1)
            )
            await session.execute(counted, execution_options={"synchronize_session": False})
            return views.node_version(record, links)

    async def list_versions(
        self, pack_id: str, *, statuses: Sequence[str] = (), include_status_reason: bool = False, links: Links
    ) -> list[NodeVersion]:
        """`GET /nodes/{id}/versions`, newest semver first; deleted versions only when asked for."""
        wanted = version_statuses(statuses) or set(VersionStatus) - {VersionStatus.DELETED}
        async with self._sessions() as session:
            pack = await find_pack(session, pack_id, redirect=True)
            query = select(PackVersionRecord).where(
                PackVersionRecord.pack_id == pack.id, PackVersionRecord.status.in_(wanted)
            )
            records = sorted(await session.scalars(query), key=lambda v: precedence(v.version), reverse=True)
        return [views.node_version(v, links, include_status_reason=include_status_reason) for v in records]

    async def get_version(self, pack_id: str, version: str, *, links: Links) -> NodeVersion:
        """`GET /nodes/{id}/versions/{semver}`, with its `status_reason`."""
        async with self._sessions() as session:
            pack = await find_pack(session, pack_id, redirect=True)
            return views.node_version(await find_version(session, pack.id, version), links)

    async def list_comfy_nodes(self, pack_id: str, version: str, paging: Paging) -> ComfyNodePage:
        """The node classes a version defines, by name; `comfy_nodes` is None when none were
        extracted (the peer's answer)."""
        async with self._sessions() as session:
            pack = await find_pack(session, pack_id, redirect=True)
            record = await find_version(session, pack.id, version)
            where = ComfyNodeRecord.version_id == record.id
            total = await session.scalar(select(func.count()).where(where)) or 0
            if record.comfy_node_extract_status != ExtractStatus.SUCCESS or not total:
                return ComfyNodePage(comfy_nodes=None, totalNumberOfPages=0)
            query = select(ComfyNodeRecord).where(where).order_by(ComfyNodeRecord.name)
            rows = await session.scalars(query.offset(paging.offset).limit(paging.size))
            return ComfyNodePage(
                comfy_nodes=[ComfyNode.from_record(r) for r in rows], totalNumberOfPages=paging.pages(total)
            )

    async def get_comfy_node(self, pack_id: str, version: str, name: str) -> ComfyNode:
        """One node class of a version; raises `ComfyNodeNotFound` besides the pack's errors."""
        async with self._sessions() as session:
            pack = await find_pack(session, pack_id, redirect=True)
            record = await find_version(session, pack.id, version)
            query = select(ComfyNodeRecord).where(
                ComfyNodeRecord.version_id == record.id, ComfyNodeRecord.name == name
            )
            found = await session.scalar(query)
        if found is None:
            raise ComfyNodeNotFound(name, pack_id, version)
        return ComfyNode.from_record(found)

    async def list_all_comfy_nodes(
        self,
        paging: Paging,
        *,
        node_id: str | None = None,
        node_version: str | None = None,
        name: str | None = None,
    ) -> AllComfyNodesPage:
        """`GET /comfy-nodes`: node classes of every version that is not deleted, filtered."""
        query = (
            select(ComfyNodeRecord)
            .join(PackVersionRecord, PackVersionRecord.id == ComfyNodeRecord.version_id)
            .where(PackVersionRecord.status != VersionStatus.DELETED)
        )
        if node_id:
            query = query.where(PackVersionRecord.pack_id == node_id)
        if node_version:
            query = query.where(PackVersionRecord.version == node_version)
        if name:
            query = query.where(ComfyNodeRecord.name == name)
        async with self._sessions() as session:
            total = await session.scalar(search.count_of(query)) or 0
            rows = await session.scalars(
                query.order_by(ComfyNodeRecord.name, ComfyNodeRecord.id)
                .offset(paging.offset)
                .limit(paging.size)
            )
            return AllComfyNodesPage(
                comfy_nodes=[ComfyNode.from_record(r) for r in rows], total=total, page_size=paging.size
            )

    async def pack_for_comfy_node(self, name: str, *, links: Links) -> Node:
        """The pack that provides node class `name`: one that preempts the name, else the lowest
        `search_ranking`, else the most installed. Raises `ComfyNodeNotFound`."""
        query = (
            select(PackRecord)
            .join(PackVersionRecord, PackVersionRecord.pack_id == PackRecord.id)
            .join(ComfyNodeRecord, ComfyNodeRecord.version_id == PackVersionRecord.id)
            .where(
                ComfyNodeRecord.name == name,
                PackVersionRecord.status == VersionStatus.ACTIVE,
                PackRecord.status == PackStatus.ACTIVE,
            )
            .distinct()
        )
        async with self._sessions() as session:
            packs = list(await session.scalars(query))
            if not packs:
                raise ComfyNodeNotFound(name)
            best = min(packs, key=lambda pack: _provider_rank(pack, name))
            return await views.node(session, best, links)

    async def bulk_versions(
        self, request: BulkNodeVersionsRequest, *, links: Links
    ) -> BulkNodeVersionsResponse:
        """`POST /bulk/nodes/versions`: each pair's version, or why it is missing."""
        results = []
        async with self._sessions() as session:
            for identifier in request.node_versions:
                try:
                    pack = await find_pack(session, identifier.node_id)
                    record = await find_version(session, pack.id, identifier.version)
                except (PackNotFound, VersionNotFound):
                    results.append(BulkNodeVersionResult(identifier=identifier, status="not_found"))
                except PackBanned as exc:
                    results.append(
                        BulkNodeVersionResult(
                            identifier=identifier, status="error", error_message=exc.message
                        )
                    )
                else:
                    node_version = views.node_version(record, links)
                    results.append(
                        BulkNodeVersionResult(
                            identifier=identifier, status="success", node_version=node_version
                        )
                    )
        return BulkNodeVersionsResponse(node_versions=results)

    async def list_all_versions(self, query: VersionQuery, paging: Paging, *, links: Links) -> VersionPage:
        """`GET /versions`, newest first."""
        select_versions = select(PackVersionRecord)
        if query.node_id:
            select_versions = select_versions.where(PackVersionRecord.pack_id == query.node_id)
        if query.statuses:
            select_versions = select_versions.where(
                PackVersionRecord.status.in_(version_statuses(query.statuses))
            )
        if query.status_reason:
            needle = f"%{query.status_reason.lower()}%"
            select_versions = select_versions.where(func.lower(PackVersionRecord.status_reason).like(needle))
        ordered = select_versions.order_by(PackVersionRecord.created_at.desc(), PackVersionRecord.id)
        async with self._sessions() as session:
            total = await session.scalar(search.count_of(select_versions)) or 0
            rows = await session.scalars(ordered.offset(paging.offset).limit(paging.size))
            versions = [
                views.node_version(v, links, include_status_reason=query.include_status_reason) for v in rows
            ]
        return VersionPage(
            total=total,
            versions=versions,
            page=paging.page,
            pageSize=paging.size,
            totalPages=paging.pages(total),
        )

    async def archive_key(self, publisher_id: str, pack_id: str, file_name: str) -> str:
        """The storage key of the archive at `/archives/{publisher}/{pack}/{version}.zip`.

        Raises `PackBanned`, and `ArchiveNotFound` for anything else that is not downloadable: an
        unknown pack or version, a banned or deleted version, an archive that never arrived.
        """
        version = file_name.removesuffix(".zip")
        async with self._sessions() as session:
            try:
                pack = await find_pack(session, pack_id)
                record = await find_version(session, pack.id, version)
            except (PackNotFound, VersionNotFound) as exc:
                raise ArchiveNotFound(pack_id, version) from exc
        downloadable = (
            pack.publisher_id == publisher_id
            and file_name.endswith(".zip")
            and record.status != VersionStatus.BANNED
        )
        if not downloadable or not record.is_uploaded:
            raise ArchiveNotFound(pack_id, version)
        return record.archive_key

    async def _page(self, query, paging: Paging, links: Links) -> NodePage:
        async with self._sessions() as session:
            total = await session.scalar(search.count_of(query)) or 0
            packs = list(await session.scalars(query.offset(paging.offset).limit(paging.size)))
            found = await views.nodes(session, packs, links)
        return NodePage(
            total=total, nodes=found, page=paging.page, limit=paging.size, totalPages=paging.pages(total)
        )

    async def _installable(
        self, session: AsyncSession, pack_id: str, version: str | None
    ) -> PackVersionRecord:
        if version is None:
            query = select(PackVersionRecord).where(
                PackVersionRecord.pack_id == pack_id, PackVersionRecord.status == VersionStatus.ACTIVE
            )
            latest = views.newest_active(list(await session.scalars(query)))
            if latest is None:
                raise VersionNotFound(pack_id, "(latest active)")
            return latest
        record = await find_version(session, pack_id, version)
        if record.status not in INSTALLABLE or not record.is_uploaded:
            raise VersionNotFound(pack_id, version)
        return record


def _provider_rank(pack: PackRecord, class_name: str) -> tuple:
    """Which of several packs defining `class_name` provides it, lowest first (the frontend's
    documented order): a pack that preempts the name, a lower `search_ranking`, more installs."""
    return (
        class_name not in pack.preempted_comfy_node_names,
        pack.search_ranking is None,
        pack.search_ranking or 0,
        -pack.total_install,
        pack.id,
    )
