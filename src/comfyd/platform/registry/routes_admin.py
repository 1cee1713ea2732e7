"""Moderation over HTTP, for administrators: the peer's ban routes and its admin version update."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from comfyd.platform.registry.deps import AdminIdentity, ModerationDep, RegistryLinks
from comfyd.platform.registry.models import AdminNodeVersionUpdate, NodeVersion

router = APIRouter(tags=["Registry admin"])


@router.post("/publishers/{publisher_id}/ban", status_code=status.HTTP_204_NO_CONTENT)
async def ban_publisher(publisher_id: str, _admin: AdminIdentity, moderation: ModerationDep) -> Response:
    await moderation.ban_publisher(publisher_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/publishers/{publisher_id}/nodes/{node_id}/ban", status_code=status.HTTP_204_NO_CONTENT)
async def ban_publisher_node(
    publisher_id: str, node_id: str, _admin: AdminIdentity, moderation: ModerationDep
) -> Response:
    await moderation.ban_pack(node_id, publisher_id=publisher_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/admin/nodes/{node_id}/versions/{version}", response_model=NodeVersion, response_model_exclude_none=True
)
async def admin_update_node_version(
    node_id: str,
    version: str,
    body: AdminNodeVersionUpdate,
    _admin: AdminIdentity,
    moderation: ModerationDep,
    links: RegistryLinks,
) -> NodeVersion:
    return await moderation.update_version(node_id, version, body, links=links)
