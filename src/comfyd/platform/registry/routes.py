"""The public read side of api.comfy.org's registry: `/nodes`, `/versions`, `/comfy-nodes` and
`/bulk/nodes/versions`, plus reviews (which live under `/nodes`). Each route parses the query,
calls one service method and lets the response model serialise the answer.

Array parameters come as repeated keys (`?node_id=a&node_id=b`), as the frontend and
ComfyUI-Manager send them. Fields that are None are left out of responses: clients test for a
missing `latest_version`, not a null one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from comfyd.platform.accounts.identity import RequiredIdentity
from comfyd.platform.registry.catalog import COMFY_NODES_PAGE_MAX, VersionQuery
from comfyd.platform.registry.deps import CatalogDep, RegistryLinks, ReviewsDep
from comfyd.platform.registry.models import (
    AllComfyNodesPage,
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
from comfyd.platform.registry.search import PackFilter, SearchTerms

router = APIRouter(tags=["Registry"])

Repeated = Annotated[list[str] | None, Query()]
PageSize = Annotated[int | None, Query(alias="pageSize")]
SKIP_NONE = {"response_model_exclude_none": True}


def _aware(moment: datetime | None) -> datetime | None:
    """A timestamp without a zone is read as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@router.get("/nodes", response_model=NodePage, **SKIP_NONE)
async def list_all_nodes(
    catalog: CatalogDep,
    links: RegistryLinks,
    page: int | None = None,
    limit: int | None = None,
    include_banned: bool | None = None,
    timestamp: datetime | None = None,
    latest: bool | None = None,  # the peer's cache bypass; comfyd does not cache this listing
    sort: Repeated = None,
    node_id: Repeated = None,
) -> NodePage:
    # TODO: filter by supported_os, supported_accelerator, comfyui_version and form_factor; they
    # are accepted and ignored today, as an older peer does.
    pack_filter = PackFilter(
        include_banned=include_banned is not False, node_ids=node_id or (), updated_after=_aware(timestamp)
    )
    return await catalog.list_packs(pack_filter, Paging.of(page, limit), links=links, sort=sort or ())


@router.get("/nodes/search", response_model=NodePage, **SKIP_NONE)
async def search_nodes(
    catalog: CatalogDep,
    links: RegistryLinks,
    page: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
    search: str = "",
    comfy_node_search: str = "",
    repository_url_search: str = "",
    include_banned: bool | None = None,
) -> NodePage:
    # The seed's client pages with `offset`; api.comfy.org with `page`. `page` wins when both come.
    paging = (
        Paging.from_offset(offset, limit) if offset is not None and page is None else Paging.of(page, limit)
    )
    terms = SearchTerms(
        text=search,
        comfy_node=comfy_node_search,
        repository_url=repository_url_search,
        filter=PackFilter(include_banned=include_banned is not False),
    )
    return await catalog.search_packs(terms, paging, links=links)


@router.get("/nodes/{node_id}", response_model=Node, **SKIP_NONE)
async def get_node(node_id: str, catalog: CatalogDep, links: RegistryLinks) -> Node:
    return await catalog.get_pack(node_id, links=links)


@router.get("/nodes/{node_id}/install", response_model=NodeVersion, **SKIP_NONE)
async def install_node(
    node_id: str, catalog: CatalogDep, links: RegistryLinks, version: str | None = None
) -> NodeVersion:
    return await catalog.install(node_id, version, links=links)


@router.get("/nodes/{node_id}/versions", response_model=list[NodeVersion], **SKIP_NONE)
async def list_node_versions(
    node_id: str,
    catalog: CatalogDep,
    links: RegistryLinks,
    statuses: Repeated = None,
    include_status_reason: bool = False,
) -> list[NodeVersion]:
    return await catalog.list_versions(
        node_id, statuses=statuses or (), include_status_reason=include_status_reason, links=links
    )


@router.get("/nodes/{node_id}/versions/{version}", response_model=NodeVersion, **SKIP_NONE)
async def get_node_version(
    node_id: str, version: str, catalog: CatalogDep, links: RegistryLinks
) -> NodeVersion:
    return await catalog.get_version(node_id, version, links=links)


@router.get("/nodes/{node_id}/versions/{version}/comfy-nodes", response_model=ComfyNodePage)
async def list_comfy_nodes(
    node_id: str, version: str, catalog: CatalogDep, page: int | None = None, limit: int | None = None
) -> ComfyNodePage:
    return await catalog.list_comfy_nodes(
        node_id, version, Paging.of(page, limit, maximum=COMFY_NODES_PAGE_MAX)
    )


@router.get(
    "/nodes/{node_id}/versions/{version}/comfy-nodes/{comfy_node_name}", response_model=ComfyNode, **SKIP_NONE
)
async def get_comfy_node(node_id: str, version: str, comfy_node_name: str, catalog: CatalogDep) -> ComfyNode:
    return await catalog.get_comfy_node(node_id, version, comfy_node_name)


@router.post("/nodes/{node_id}/reviews", response_model=Node, **SKIP_NONE)
async def post_node_review(
    node_id: str, star: int, identity: RequiredIdentity, reviews: ReviewsDep, links: RegistryLinks
) -> Node:
    return await reviews.post(identity, node_id, star, links=links)


@router.get("/versions", response_model=VersionPage, **SKIP_NONE)
async def list_all_node_versions(
    catalog: CatalogDep,
    links: RegistryLinks,
    node_id: Annotated[str | None, Query(alias="nodeId")] = None,
    statuses: Repeated = None,
    include_status_reason: bool = False,
    status_reason: str = "",
    page: int | None = None,
    page_size: PageSize = None,
) -> VersionPage:
    query = VersionQuery(
        node_id=node_id,
        statuses=statuses or (),
        status_reason=status_reason,
        include_status_reason=include_status_reason,
    )
    return await catalog.list_all_versions(query, Paging.of(page, page_size), links=links)


@router.get("/comfy-nodes", response_model=AllComfyNodesPage, **SKIP_NONE)
async def list_all_comfy_nodes(
    catalog: CatalogDep,
    page: int | None = None,
    page_size: PageSize = None,
    node_id: str | None = None,
    node_version: str | None = None,
    comfy_node_name: str | None = None,
) -> AllComfyNodesPage:
    paging = Paging.of(page, page_size, default=100)
    return await catalog.list_all_comfy_nodes(
        paging, node_id=node_id, node_version=node_version, name=comfy_node_name
    )


@router.get("/comfy-nodes/{comfy_node_name}/node", response_model=Node, **SKIP_NONE)
async def get_node_by_comfy_node_name(
    comfy_node_name: str, catalog: CatalogDep, links: RegistryLinks
) -> Node:
    return await catalog.pack_for_comfy_node(comfy_node_name, links=links)


@router.post("/bulk/nodes/versions", response_model=BulkNodeVersionsResponse, **SKIP_NONE)
async def get_bulk_node_versions(
    body: BulkNodeVersionsRequest, catalog: CatalogDep, links: RegistryLinks
) -> BulkNodeVersionsResponse:
    return await catalog.bulk_versions(body, links=links)
