"""`RegistryService` and `AsyncRegistryService`: the frontend's registry service for Python.

They call an api.comfy.org-compatible registry (comfyd's own `comfyd registry`, its mount under
`comfyd serve --registry-prefix`, or api.comfy.org itself) with the seed's operations. As in the
seed, a failed call returns None and leaves its message in `error` (the route's own message for
the status first, then the generic ones), and `is_loading` is True while a call runs.

    with RegistryService("http://127.0.0.1:8188/registry") as registry:
        found = registry.search(search="controlnet", limit=20)
        if found is None:
            print(registry.error)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from comfyd.client._calls import Endpoint
from comfyd.client._cancel import CancelToken
from comfyd.client._registry_models import (
    BulkNodeVersionsRequest,
    BulkNodeVersionsResponse,
    ComfyNode,
    ListAllNodesResponse,
    ListComfyNodesResponse,
    Node,
    NodeVersion,
    NodeVersionIdentifier,
    Publisher,
)
from comfyd.client._services import AsyncService, Operation, ServiceCall, SyncService

__all__ = ["AsyncRegistryService", "RegistryService"]

# The frontend's messages (comfyRegistryService.ts); `{name}` is filled from the call's path.
_BANNED_DEFINITION = "This pack has been banned and its definition is not available"
_MISSING_DEFINITION = "The requested node, version, or comfy node does not exist"
_BANNED_VERSIONS = "This pack has been banned and its versions are not available"
_MISSING_PACK = "Pack not found: Pack with ID {pack_id} does not exist"
_MISSING_PUBLISHER = "Publisher not found: The publisher with ID {publisher_id} does not exist"

LIST_ALL_PACKS = Operation(
    Endpoint(
        "GET",
        "nodes",
        ListAllNodesResponse,
        query=("page", "limit", "include_banned", "timestamp", "latest", "sort", "node_id"),
    ),
    "Failed to list packs",
)
SEARCH = Operation(
    Endpoint(
        "GET",
        "nodes/search",
        ListAllNodesResponse,
        query=(
            "search",
            "comfy_node_search",
            "repository_url_search",
            "page",
            "limit",
            "offset",
            "include_banned",
        ),
    ),
    "Failed to perform search",
)
GET_PACK_BY_ID = Operation(
    Endpoint("GET", "nodes/{pack_id}", Node),
    "Failed to get pack",
    {404: "Pack not found: The pack with ID {pack_id} does not exist"},
)
GET_PACK_VERSIONS = Operation(
    Endpoint(
        "GET", "nodes/{pack_id}/versions", list[NodeVersion], query=("statuses", "include_status_reason")
    ),
    "Failed to get pack versions",
    {403: _BANNED_VERSIONS, 404: _MISSING_PACK},
)
GET_PACK_BY_VERSION = Operation(
    Endpoint("GET", "nodes/{pack_id}/versions/{version}", NodeVersion),
    "Failed to get pack version",
    {403: _BANNED_VERSIONS, 404: _MISSING_PACK},
)
GET_INSTALL_INFO = Operation(
    Endpoint("GET", "nodes/{pack_id}/install", NodeVersion, query=("version",)),
    "Failed to get install information",
    {403: _BANNED_VERSIONS, 404: _MISSING_PACK},
)
GET_NODE_DEFS = Operation(
    Endpoint(
        "GET",
        "nodes/{pack_id}/versions/{version}/comfy-nodes",
        ListComfyNodesResponse,
        query=("page", "limit"),
    ),
    "Failed to get node definitions",
    {403: _BANNED_DEFINITION, 404: _MISSING_DEFINITION},
)
GET_COMFY_NODE = Operation(
    Endpoint("GET", "nodes/{pack_id}/versions/{version}/comfy-nodes/{comfy_node_name}", ComfyNode),
    "Failed to get node definition",
    {403: _BANNED_DEFINITION, 404: _MISSING_DEFINITION},
)
INFER_PACK_FROM_NODE_NAME = Operation(
    Endpoint("GET", "comfy-nodes/{comfy_node_name}/node", Node),
    "Failed to infer pack from comfy node name",
    {404: "Comfy node not found: The node with name {comfy_node_name} does not exist in the registry"},
)
GET_BULK_NODE_VERSIONS = Operation(
    Endpoint("POST", "bulk/nodes/versions", BulkNodeVersionsResponse, body=BulkNodeVersionsRequest),
    "Failed to get bulk node versions",
    {400: "Bad request: Invalid node version identifiers provided"},
)
GET_PUBLISHER_BY_ID = Operation(
    Endpoint("GET", "publishers/{publisher_id}", Publisher),
    "Failed to get publisher",
    {404: _MISSING_PUBLISHER},
)
LIST_PACKS_FOR_PUBLISHER = Operation(
    Endpoint("GET", "publishers/{publisher_id}/nodes", list[Node], query=("include_banned",)),
    "Failed to list packs for publisher",
    {400: "Bad request: Invalid input data", 404: _MISSING_PUBLISHER},
)
POST_PACK_REVIEW = Operation(
    Endpoint("POST", "nodes/{pack_id}/reviews", Node, query=("star",)),
    "Failed to add review",
    {400: "Bad request: Invalid review", 404: _MISSING_PACK},
)
OPERATIONS = [
    LIST_ALL_PACKS,
    SEARCH,
    GET_PACK_BY_ID,
    GET_PACK_VERSIONS,
    GET_PACK_BY_VERSION,
    GET_INSTALL_INFO,
    GET_NODE_DEFS,
    GET_COMFY_NODE,
    INFER_PACK_FROM_NODE_NAME,
    GET_BULK_NODE_VERSIONS,
    GET_PUBLISHER_BY_ID,
    LIST_PACKS_FOR_PUBLISHER,
    POST_PACK_REVIEW,
]
"""Every route the registry services call (the drift test's list)."""

BulkIdentifiers = Sequence[NodeVersionIdentifier | tuple[str, str]]


class _RegistryCalls:
    """The calls both twins make, built without I/O."""

    @staticmethod
    def _list_all_packs(
        page: int | None,
        limit: int | None,
        include_banned: bool | None,
        timestamp: datetime | None,
        latest: bool | None,
        sort: Sequence[str] | None,
        node_ids: Sequence[str] | None,
    ) -> ServiceCall[ListAllNodesResponse]:
        params = {
            "page": page,
            "limit": limit,
            "include_banned": include_banned,
            "timestamp": timestamp.isoformat() if timestamp is not None else None,
            "latest": latest,
            "sort": list(sort) if sort else None,
            "node_id": list(node_ids) if node_ids else None,  # repeated: node_id=a&node_id=b
        }
        return LIST_ALL_PACKS.call(params=params)

    @staticmethod
    def _search(
        search: str | None,
        comfy_node_search: str | None,
        repository_url_search: str | None,
        page: int | None,
        limit: int | None,
        offset: int | None,
        include_banned: bool | None,
    ) -> ServiceCall[ListAllNodesResponse]:
        params = {
            "search": search,
            "comfy_node_search": comfy_node_search,
            "repository_url_search": repository_url_search,
            "page": page,
            "limit": limit,
            "offset": offset,
            "include_banned": include_banned,
        }
        return SEARCH.call(params=params)

    @staticmethod
    def _get_pack_versions(
        pack_id: str, statuses: Sequence[str] | None, include_status_reason: bool | None
    ) -> ServiceCall[list[NodeVersion]]:
        params = {
            "statuses": list(statuses) if statuses else None,
            "include_status_reason": include_status_reason,
        }
        return GET_PACK_VERSIONS.call(params=params, pack_id=pack_id)

    @staticmethod
    def _get_bulk_node_versions(identifiers: BulkIdentifiers) -> ServiceCall[BulkNodeVersionsResponse]:
        items = [
            item
            if isinstance(item, NodeVersionIdentifier)
            else NodeVersionIdentifier(node_id=item[0], version=item[1])
            for item in identifiers
        ]
        return GET_BULK_NODE_VERSIONS.call(json=BulkNodeVersionsRequest(node_versions=items).model_dump())

    @staticmethod
    def _list_packs_for_publisher(publisher_id: str, include_banned: bool) -> ServiceCall[list[Node]]:
        # The frontend sends the flag only when it is set.
        params: dict[str, Any] = {"include_banned": True if include_banned else None}
        return LIST_PACKS_FOR_PUBLISHER.call(params=params, publisher_id=publisher_id)


class RegistryService(_RegistryCalls, SyncService):
    """The registry service, blocking. `base_url` is the registry's root (default
    https://api.comfy.org); `api_key` is sent as `X-API-Key` (reviews need one on comfyd).

    Every method returns None on failure, with the message in `error`, and on cancellation,
    with `error` unset. Safe to share between threads.
    """

    def list_all_packs(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        include_banned: bool | None = None,
        timestamp: datetime | None = None,
        latest: bool | None = None,
        sort: Sequence[str] | None = None,
        node_ids: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> ListAllNodesResponse | None:
        """A page of every pack (`GET /nodes`); `node_ids` picks packs by id, `sort` is
        `column[;desc]`, `timestamp` keeps packs changed since then."""
        call = self._list_all_packs(page, limit, include_banned, timestamp, latest, sort, node_ids)
        return self._execute(call, cancel)

    def search(
        self,
        *,
        search: str | None = None,
        comfy_node_search: str | None = None,
        repository_url_search: str | None = None,
        page: int | None = None,
        limit: int | None = None,
        offset: int | None = None,
        include_banned: bool | None = None,
        cancel: CancelToken | None = None,
    ) -> ListAllNodesResponse | None:
        """A page of packs matching `search` (pack text) or `comfy_node_search` (node class names)."""
        call = self._search(
            search, comfy_node_search, repository_url_search, page, limit, offset, include_banned
        )
        return self._execute(call, cancel)

    def get_pack_by_id(self, pack_id: str, *, cancel: CancelToken | None = None) -> Node | None:
        return self._execute(GET_PACK_BY_ID.call(pack_id=pack_id), cancel)

    def get_pack_versions(
        self,
        pack_id: str,
        *,
        statuses: Sequence[str] | None = None,
        include_status_reason: bool | None = None,
        cancel: CancelToken | None = None,
    ) -> list[NodeVersion] | None:
        return self._execute(self._get_pack_versions(pack_id, statuses, include_status_reason), cancel)

    def get_pack_by_version(
        self, pack_id: str, version: str, *, cancel: CancelToken | None = None
    ) -> NodeVersion | None:
        """One version, by its semver or its id."""
        return self._execute(GET_PACK_BY_VERSION.call(pack_id=pack_id, version=version), cancel)

    def get_install_info(
        self, pack_id: str, *, version: str | None = None, cancel: CancelToken | None = None
    ) -> NodeVersion | None:
        """The version to install (the latest without `version`) with its `downloadUrl`; the
        registry counts it as an install."""
        return self._execute(GET_INSTALL_INFO.call(params={"version": version}, pack_id=pack_id), cancel)

    def get_node_defs(
        self,
        pack_id: str,
        version: str,
        *,
        page: int | None = None,
        limit: int | None = None,
        cancel: CancelToken | None = None,
    ) -> ListComfyNodesResponse | None:
        """The node classes a pack version defines."""
        call = GET_NODE_DEFS.call(params={"page": page, "limit": limit}, pack_id=pack_id, version=version)
        return self._execute(call, cancel)

    def get_comfy_node(
        self, pack_id: str, version: str, comfy_node_name: str, *, cancel: CancelToken | None = None
    ) -> ComfyNode | None:
        call = GET_COMFY_NODE.call(pack_id=pack_id, version=version, comfy_node_name=comfy_node_name)
        return self._execute(call, cancel)

    def infer_pack_from_node_name(
        self, comfy_node_name: str, *, cancel: CancelToken | None = None
    ) -> Node | None:
        """The pack that best provides a node class (for a workflow's missing nodes)."""
        return self._execute(INFER_PACK_FROM_NODE_NAME.call(comfy_node_name=comfy_node_name), cancel)

    def get_bulk_node_versions(
        self, identifiers: BulkIdentifiers, *, cancel: CancelToken | None = None
    ) -> BulkNodeVersionsResponse | None:
        """Many versions at once, by `(node_id, version)`; each result says whether it was found."""
        return self._execute(self._get_bulk_node_versions(identifiers), cancel)

    def get_publisher_by_id(
        self, publisher_id: str, *, cancel: CancelToken | None = None
    ) -> Publisher | None:
        return self._execute(GET_PUBLISHER_BY_ID.call(publisher_id=publisher_id), cancel)

    def list_packs_for_publisher(
        self, publisher_id: str, *, include_banned: bool = False, cancel: CancelToken | None = None
    ) -> list[Node] | None:
        return self._execute(self._list_packs_for_publisher(publisher_id, include_banned), cancel)

    def post_pack_review(self, pack_id: str, star: int, *, cancel: CancelToken | None = None) -> Node | None:
        """Rate a pack 1 to 5 (one review per user; again replaces it); the pack with its new rating."""
        return self._execute(POST_PACK_REVIEW.call(params={"star": star}, pack_id=pack_id), cancel)


class AsyncRegistryService(_RegistryCalls, AsyncService):
    """The async twin of `RegistryService`: the same methods, awaited."""

    async def list_all_packs(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        include_banned: bool | None = None,
        timestamp: datetime | None = None,
        latest: bool | None = None,
        sort: Sequence[str] | None = None,
        node_ids: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> ListAllNodesResponse | None:
        call = self._list_all_packs(page, limit, include_banned, timestamp, latest, sort, node_ids)
        return await self._execute(call, cancel)

    async def search(
        self,
        *,
        search: str | None = None,
        comfy_node_search: str | None = None,
        repository_url_search: str | None = None,
        page: int | None = None,
        limit: int | None = None,
        offset: int | None = None,
        include_banned: bool | None = None,
        cancel: CancelToken | None = None,
    ) -> ListAllNodesResponse | None:
        call = self._search(
            search, comfy_node_search, repository_url_search, page, limit, offset, include_banned
        )
        return await self._execute(call, cancel)

    async def get_pack_by_id(self, pack_id: str, *, cancel: CancelToken | None = None) -> Node | None:
        return await self._execute(GET_PACK_BY_ID.call(pack_id=pack_id), cancel)

    async def get_pack_versions(
        self,
        pack_id: str,
        *,
        statuses: Sequence[str] | None = None,
        include_status_reason: bool | None = None,
        cancel: CancelToken | None = None,
    ) -> list[NodeVersion] | None:
        return await self._execute(self._get_pack_versions(pack_id, statuses, include_status_reason), cancel)

    async def get_pack_by_version(
        self, pack_id: str, version: str, *, cancel: CancelToken | None = None
    ) -> NodeVersion | None:
        return await self._execute(GET_PACK_BY_VERSION.call(pack_id=pack_id, version=version), cancel)

    async def get_install_info(
        self, pack_id: str, *, version: str | None = None, cancel: CancelToken | None = None
    ) -> NodeVersion | None:
        return await self._execute(
            GET_INSTALL_INFO.call(params={"version": version}, pack_id=pack_id), cancel
        )

    async def get_node_defs(
        self,
        pack_id: str,
        version: str,
        *,
        page: int | None = None,
        limit: int | None = None,
        cancel: CancelToken | None = None,
    ) -> ListComfyNodesResponse | None:
        call = GET_NODE_DEFS.call(params={"page": page, "limit": limit}, pack_id=pack_id, version=version)
        return await self._execute(call, cancel)

    async def get_comfy_node(
        self, pack_id: str, version: str, comfy_node_name: str, *, cancel: CancelToken | None = None
    ) -> ComfyNode | None:
        call = GET_COMFY_NODE.call(pack_id=pack_id, version=version, comfy_node_name=comfy_node_name)
        return await self._execute(call, cancel)

    async def infer_pack_from_node_name(
        self, comfy_node_name: str, *, cancel: CancelToken | None = None
    ) -> Node | None:
        return await self._execute(INFER_PACK_FROM_NODE_NAME.call(comfy_node_name=comfy_node_name), cancel)

    async def get_bulk_node_versions(
        self, identifiers: BulkIdentifiers, *, cancel: CancelToken | None = None
    ) -> BulkNodeVersionsResponse | None:
        return await self._execute(self._get_bulk_node_versions(identifiers), cancel)

    async def get_publisher_by_id(
        self, publisher_id: str, *, cancel: CancelToken | None = None
    ) -> Publisher | None:
        return await self._execute(GET_PUBLISHER_BY_ID.call(publisher_id=publisher_id), cancel)

    async def list_packs_for_publisher(
        self, publisher_id: str, *, include_banned: bool = False, cancel: CancelToken | None = None
    ) -> list[Node] | None:
        return await self._execute(self._list_packs_for_publisher(publisher_id, include_banned), cancel)

    async def post_pack_review(
        self, pack_id: str, star: int, *, cancel: CancelToken | None = None
    ) -> Node | None:
        return await self._execute(POST_PACK_REVIEW.call(params={"star": star}, pack_id=pack_id), cancel)
