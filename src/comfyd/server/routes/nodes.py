"""`/object_info`: the node catalogue, served from cached bytes."""

from __future__ import annotations

from fastapi import APIRouter, Response

from comfyd.engine.nodeinfo import node_info, object_info_json
from comfyd.server.deps import Folders, Registry
from comfyd.server.schemas import NodeCatalog, documented

router = APIRouter()


@router.get("/object_info", **documented(NodeCatalog))
async def all_nodes(registry: Registry, folders: Folders) -> Response:
    return Response(object_info_json(registry, folders.listing_stamp()), media_type="application/json")


@router.get("/nodes")
async def nodes(registry: Registry, folders: Folders) -> Response:
    """The seed's `GET /nodes`: every node definition, as `/object_info`."""
    return Response(object_info_json(registry, folders.listing_stamp()), media_type="application/json")


@router.get("/object_info/{node_class}", **documented(NodeCatalog))
async def one_node(node_class: str, registry: Registry) -> dict:
    if node_class not in registry:
        return {}
    return {node_class: node_info(registry, node_class)}
