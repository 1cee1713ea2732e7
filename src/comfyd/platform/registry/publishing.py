"""`Publishing`: the write side of packs and versions, as a publisher's owners and comfy-cli use it.

`publish` is `comfy node publish`: the personal access token comes in the body, the pack is made
or updated from the body's `node`, and the new version starts `pending` with a signed URL for its
archive. What happens after the upload is `lifecycle`.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.registry import PackRecord, PackVersionRecord, PublisherRecord
from comfyd.platform.accounts.identity import Identity
from comfyd.platform.registry import permissions, views
from comfyd.platform.registry.errors import (
    InvalidField,
    InvalidPackId,
    InvalidPersonalAccessToken,
    InvalidVersion,
    PackBanned,
    PackIdTaken,
    PackNotFound,
    PackOfAnotherPublisher,
    PublisherBanned,
    VersionExists,
    VersionNotFound,
)
from comfyd.platform.registry.links import Links, UploadSigner
from comfyd.platform.registry.models import (
    Node,
    NodeVersion,
    NodeVersionUpdateRequest,
    PublishNodeVersionRequest,
    PublishNodeVersionResponse,
)
from comfyd.platform.registry.permissions import Permission
from comfyd.platform.registry.semver import InvalidSemver, Semver
from comfyd.platform.registry.states import PackStatus, PublisherStatus, VersionStatus
from comfyd.platform.registry.storage import archive_key
from comfyd.platform.registry.tokens import check_token

_PACK_ID = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?$")
MAX_DESCRIPTION = 1000
# Node fields a publisher sets, and the columns they land in; the rest are the registry's.
PUBLISHER_PACK_FIELDS = {
    "name": "name",
    "description": "description",
    "author": "author",
    "license": "license",
    "icon": "icon_url",
    "repository": "repository_url",
    "banner_url": "banner_url",
    "category": "category",
    "tags": "tags",
    "supported_os": "supported_os",
    "supported_accelerators": "supported_accelerators",
    "supported_comfyui_version": "supported_comfyui_version",
    "supported_comfyui_frontend_version": "supported_comfyui_frontend_version",
    "preempted_comfy_node_names": "preempted_comfy_node_names",
}
_VERSION_FIELDS = (
    "changelog",
    "dependencies",
    "tags",
    "supported_os",
    "supported_accelerators",
    "supported_comfyui_version",
    "supported_comfyui_frontend_version",
)


def check_pack_id(pack_id: str) -> None:
    """Raises `InvalidPackId` unless the id is 1-100 letters, digits, '.', '_' or '-', starting and
    ending with a letter or digit (the peer's rule)."""
    if not 0 < len(pack_id) <= 100 or not _PACK_ID.match(pack_id):
        raise InvalidPackId(pack_id)


def canonical_version(text: str) -> str:
    """`v1.2` as `1.2.0`; raises `InvalidVersion`."""
    try:
        return str(Semver.parse(text))
    except InvalidSemver as exc:
        raise InvalidVersion(text) from exc


class Publishing:
    """Packs and versions, changed by a publisher's owners (or, for `publish`, by its token).

    publishing = Publishing(sessions, signer)
    reply = await publishing.publish("ada", "ada-nodes", request, links=links)
    reply.signedUrl   # where comfy-cli PUTs the zip
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], signer: UploadSigner) -> None:
        self._sessions = sessions
        self._signer = signer

    async def create_pack(self, identity: Identity, publisher_id: str, body: Node, *, links: Links) -> Node:
        """A new pack under the publisher; raises `InvalidPackId` and `PackIdTaken` besides the
        permission errors."""
        pack_id = body.id or ""
        check_pack_id(pack_id)
        try:
            async with self._sessions.begin() as session:
                await permissions.require(session, identity, publisher_id, Permission.PACK_CREATE)
                pack = await self._new_pack(session, publisher_id, pack_id)
                _apply_pack(pack, body)
                await session.flush()
                return await views.node(session, pack, links)
        except IntegrityError as exc:
            raise PackIdTaken(pack_id, pack_id) from exc

    async def update_pack(
        self, identity: Identity, publisher_id: str, pack_id: str, body: Node, *, links: Links
    ) -> Node:
        """Change a pack's details; its id and publisher never change."""
        async with self._sessions.begin() as session:
            pack = await self._owned_pack(session, identity, publisher_id, pack_id, Permission.PACK_UPDATE)
            _apply_pack(pack, body)
            await session.flush()
            return await views.node(session, pack, links)

    async def delete_pack(self, identity: Identity, publisher_id: str, pack_id: str) -> None:
        """Mark a pack deleted: it disappears from every listing, and its id stays reserved for the
        publisher, who can publish to it again."""
        async with self._sessions.begin() as session:
            pack = await self._owned_pack(
                session, identity, publisher_id, pack_id, Permission.PACK_DELETE, banned_ok=True
            )
            pack.status = PackStatus.DELETED

    async def publish(
        self, publisher_id: str, pack_id: str, request: PublishNodeVersionRequest, *, links: Links
    ) -> PublishNodeVersionResponse:
        """`POST /publishers/{p}/nodes/{n}/versions` (comfy-cli's `publish`).

        Raises `InvalidPersonalAccessToken` first, so nothing is learnt without a token; then
        `PublisherBanned`, `PackBanned`, `PackOfAnotherPublisher`, `InvalidPackId`,
        `InvalidField` (the body names another pack), `InvalidVersion` and `VersionExists`.
        Publishing a version again while its archive has not arrived issues a fresh upload URL.
        """
        try:
            async with self._sessions.begin() as session:
                publisher = await session.get(PublisherRecord, publisher_id)
                if publisher is None:
                    raise InvalidPersonalAccessToken(publisher_id)
                await check_token(session, publisher_id=publisher_id, token=request.personal_access_token)
                if publisher.status == PublisherStatus.BANNED:
                    raise PublisherBanned(publisher_id)
                version_text = canonical_version(request.node_version.version or "")
                pack = await self._pack_to_publish(session, publisher_id, pack_id, request.node)
                version = await self._new_version(session, pack, version_text)
                _apply_version(version, request.node_version)
                await session.flush()
                node_version = views.node_version(version, links)
        except IntegrityError as exc:
            # Two publishes of the same new pack or version raced; the other one won.
            raise VersionExists(pack_id, request.node_version.version or "") from exc
        return PublishNodeVersionResponse(
            node_version=node_version, signedUrl=links.upload(self._signer.issue(version.id))
        )

    async def update_version(
        self,
        identity: Identity,
        publisher_id: str,
        pack_id: str,
        version_id: str,
        body: NodeVersionUpdateRequest,
        *,
        links: Links,
    ) -> NodeVersion:
        """Change a version's changelog or deprecation (`version_id` is its UUID, as on the peer)."""
        async with self._sessions.begin() as session:
            version = await self._owned_version(
                session, identity, publisher_id, pack_id, version_id, Permission.VERSION_UPDATE
            )
            if body.changelog is not None:
                version.changelog = body.changelog
            if body.deprecated is not None:
                version.deprecated = body.deprecated
            await session.flush()
            return views.node_version(version, links)

    async def delete_version(
        self, identity: Identity, publisher_id: str, pack_id: str, version_id: str
    ) -> None:
        """Unpublish a version: it becomes `deleted` (the archive is kept for moderators)."""
        async with self._sessions.begin() as session:
            version = await self._owned_version(
                session, identity, publisher_id, pack_id, version_id, Permission.VERSION_DELETE
            )
            version.status = VersionStatus.DELETED
            await _touch(session, pack_id)

    async def _owned_pack(
        self,
        session: AsyncSession,
        identity: Identity,
        publisher_id: str,
        pack_id: str,
        permission: Permission,
        *,
        banned_ok: bool = False,
    ) -> PackRecord:
        await permissions.require(session, identity, publisher_id, permission)
        pack = await session.get(PackRecord, pack_id)
        if pack is None or pack.status == PackStatus.DELETED:
            raise PackNotFound(pack_id)
        if pack.publisher_id != publisher_id:
            raise PackOfAnotherPublisher(pack_id, publisher_id)
        if pack.status == PackStatus.BANNED and not banned_ok:
            raise PackBanned(pack_id)
        return pack

    async def _owned_version(
        self,
        session: AsyncSession,
        identity: Identity,
        publisher_id: str,
        pack_id: str,
        version_id: str,
        permission: Permission,
    ) -> PackVersionRecord:
        await self._owned_pack(session, identity, publisher_id, pack_id, permission)
        version = await session.get(PackVersionRecord, version_id)
        if version is None or version.pack_id != pack_id or version.status == VersionStatus.DELETED:
            raise VersionNotFound(pack_id, version_id)
        return version

    async def _pack_to_publish(
        self, session: AsyncSession, publisher_id: str, pack_id: str, body: Node
    ) -> PackRecord:
        """The pack a publish goes to, made from the body when it is new, else updated from it."""
        if body.id is not None and body.id != pack_id:
            raise InvalidField("node.id", f"is {body.id!r}, but the URL publishes {pack_id!r}.")
        pack = await session.get(PackRecord, pack_id)
        if pack is None:
            check_pack_id(pack_id)
            pack = await self._new_pack(session, publisher_id, pack_id)
        elif pack.publisher_id != publisher_id:
            raise PackOfAnotherPublisher(pack_id, publisher_id)
        elif pack.status == PackStatus.BANNED:
            raise PackBanned(pack_id)
        pack.status = PackStatus.ACTIVE  # publishing to a deleted pack brings it back
        _apply_pack(pack, body)
        pack.updated_at = utcnow()
        return pack

    async def _new_pack(self, session: AsyncSession, publisher_id: str, pack_id: str) -> PackRecord:
        existing = await session.scalar(
            select(PackRecord.id).where(PackRecord.normalized_id == pack_id.lower())
        )
        if existing is not None:
            raise PackIdTaken(pack_id, existing)
        now = utcnow()
        pack = PackRecord(
            id=pack_id,
            normalized_id=pack_id.lower(),
            publisher_id=publisher_id,
            status=PackStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        session.add(pack)
        return pack

    async def _new_version(
        self, session: AsyncSession, pack: PackRecord, version_text: str
    ) -> PackVersionRecord:
        existing = await session.scalar(
            select(PackVersionRecord).where(
                PackVersionRecord.pack_id == pack.id, PackVersionRecord.version == version_text
            )
        )
        if existing is not None:
            # A version whose archive never arrived may be published again (comfy-cli retries).
            if existing.status == VersionStatus.PENDING and not existing.is_uploaded:
                return existing
            raise VersionExists(pack.id, version_text)
        now = utcnow()
        version = PackVersionRecord(
            pack_id=pack.id,
            version=version_text,
            status=VersionStatus.PENDING,
            comfy_node_extract_status="pending",
            archive_key=archive_key(publisher_id=pack.publisher_id, node_id=pack.id, version=version_text),
            created_at=now,
            updated_at=now,
        )
        session.add(version)
        return version


async def _touch(session: AsyncSession, pack_id: str, at: datetime | None = None) -> None:
    """Mark the pack changed, so `GET /nodes?timestamp=` (mirrors) sees its new versions."""
    pack = await session.get(PackRecord, pack_id)
    if pack is not None:
        pack.updated_at = at or utcnow()


def _apply_pack(pack: PackRecord, body: Node) -> None:
    if body.description is not None and len(body.description) > MAX_DESCRIPTION:
        raise InvalidField(
            "description", f"is {len(body.description)} characters; at most {MAX_DESCRIPTION} are allowed."
        )
    for field, column in PUBLISHER_PACK_FIELDS.items():
        value = getattr(body, field)
        if value is not None:
            setattr(pack, column, list(value) if isinstance(value, list) else value)


def _apply_version(version: PackVersionRecord, body: NodeVersion) -> None:
    for field in _VERSION_FIELDS:
        value = getattr(body, field)
        if value is not None:
            setattr(version, field, list(value) if isinstance(value, list) else value)
    if body.deprecated is not None:
        version.deprecated = body.deprecated
