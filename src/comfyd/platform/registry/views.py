"""Wire models that are built from more than one row: a `Node` with its publisher and latest
version, and a `NodeVersion` with its download URL. Every service that answers with packs uses
these, so a pack looks the same whichever route returns it.

`latest_version` is the highest semver among the pack's active versions (1.10.0 above 1.9.0);
pending, flagged, banned and deleted versions never are the latest. A pack without an active
version has none, and the field is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from comfyd.db.registry import PackRecord, PackVersionRecord, PublisherRecord
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.models import Node, NodeVersion, Publisher
from comfyd.platform.registry.semver import precedence
from comfyd.platform.registry.states import VersionStatus


def node_version(
    record: PackVersionRecord, links: Links, *, include_status_reason: bool = True
) -> NodeVersion:
    return NodeVersion.from_record(
        record, download_url=links.download(record.archive_key), include_status_reason=include_status_reason
    )


def newest_active(versions: Sequence[PackVersionRecord]) -> PackVersionRecord | None:
    """The active version with the highest semver, or None."""
    active = [version for version in versions if version.status == VersionStatus.ACTIVE]
    return max(active, key=lambda version: precedence(version.version), default=None)


async def latest_versions(session: AsyncSession, pack_ids: Sequence[str]) -> dict[str, PackVersionRecord]:
    """Each pack's latest version, for the packs that have one."""
    if not pack_ids:
        return {}
    query = select(PackVersionRecord).where(
        PackVersionRecord.pack_id.in_(list(pack_ids)), PackVersionRecord.status == VersionStatus.ACTIVE
    )
    by_pack: dict[str, list[PackVersionRecord]] = defaultdict(list)
    for version in await session.scalars(query):
        by_pack[version.pack_id].append(version)
    found = {pack_id: newest_active(versions) for pack_id, versions in by_pack.items()}
    return {pack_id: version for pack_id, version in found.items() if version is not None}


async def nodes(session: AsyncSession, packs: Sequence[PackRecord], links: Links) -> list[Node]:
    """The packs as wire `Node`s, each with its publisher (without members) and latest version."""
    pack_ids = [pack.id for pack in packs]
    latest = await latest_versions(session, pack_ids)
    publisher_ids = {pack.publisher_id for pack in packs}
    publishers = {
        record.id: Publisher.from_record(record)
        for record in await session.scalars(
            select(PublisherRecord).where(PublisherRecord.id.in_(publisher_ids))
        )
    }
    return [
        Node.from_record(
            pack,
            publisher=publishers.get(pack.publisher_id),
            latest_version=node_version(latest[pack.id], links) if pack.id in latest else None,
        )
        for pack in packs
    ]


async def node(session: AsyncSession, pack: PackRecord, links: Links) -> Node:
    return (await nodes(session, [pack], links))[0]
