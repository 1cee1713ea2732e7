"""The Comfy Registry's wire shapes as the SDK reads them, under api.comfy.org's schema names.

Casing is the peer's, mixed on purpose (`createdAt` and `downloadUrl` beside `node_id` and
`created_at`). Every field is optional, as in the peer's spec, and unknown fields are kept, so a
registry that adds keys does not break the SDK.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

__all__ = [
    "BulkNodeVersionResult",
    "BulkNodeVersionsRequest",
    "BulkNodeVersionsResponse",
    "ComfyNode",
    "ListAllNodesResponse",
    "ListComfyNodesResponse",
    "Node",
    "NodeVersion",
    "NodeVersionIdentifier",
    "Publisher",
    "PublisherMember",
    "PublisherUser",
]


class _RegistryModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class NodeVersion(_RegistryModel):
    """A published version of a pack. `status` is `NodeVersionStatusActive`, `...Pending`,
    `...Flagged`, `...Banned` or `...Deleted`; `downloadUrl` is its archive."""

    id: str | None = None
    node_id: str | None = None
    version: str | None = None
    changelog: str | None = None
    createdAt: datetime | None = None
    dependencies: list[str] | None = None
    deprecated: bool | None = None
    downloadUrl: str | None = None
    status: str | None = None
    status_reason: str | None = None
    comfy_node_extract_status: str | None = None
    supported_os: list[str] | None = None
    supported_accelerators: list[str] | None = None
    supported_comfyui_version: str | None = None
    supported_comfyui_frontend_version: str | None = None


class PublisherUser(_RegistryModel):
    id: str | None = None
    name: str | None = None
    email: str | None = None


class PublisherMember(_RegistryModel):
    id: str | None = None
    role: str | None = None
    user: PublisherUser | None = None


class Publisher(_RegistryModel):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    logo: str | None = None
    website: str | None = None
    support: str | None = None
    source_code_repo: str | None = None
    createdAt: datetime | None = None
    status: str | None = None
    members: list[PublisherMember] | None = None


class Node(_RegistryModel):
    """A node pack. `latest_version` is its newest active version, absent when it has none."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    author: str | None = None
    category: str | None = None
    icon: str | None = None
    banner_url: str | None = None
    repository: str | None = None
    license: str | None = None
    tags: list[str] | None = None
    downloads: int | None = None
    github_stars: int | None = None
    rating: float | None = None
    search_ranking: int | None = None
    preempted_comfy_node_names: list[str] | None = None
    status: str | None = None
    status_detail: str | None = None
    supported_os: list[str] | None = None
    supported_accelerators: list[str] | None = None
    supported_comfyui_version: str | None = None
    supported_comfyui_frontend_version: str | None = None
    created_at: datetime | None = None
    latest_version: NodeVersion | None = None
    publisher: Publisher | None = None


class ComfyNode(_RegistryModel):
    """A node class a pack version defines. The type fields hold JSON text, as the peer sends."""

    comfy_node_name: str | None = None
    category: str | None = None
    description: str | None = None
    deprecated: bool | None = None
    experimental: bool | None = None
    function: str | None = None
    input_types: str | None = None
    return_types: str | None = None
    return_names: str | None = None
    output_is_list: list[bool] | None = None


class ListAllNodesResponse(_RegistryModel):
    """A page of packs: `GET /nodes` and `GET /nodes/search` (the frontend's `SearchResponse`)."""

    total: int | None = None
    nodes: list[Node] | None = None
    page: int | None = None
    limit: int | None = None
    totalPages: int | None = None


class ListComfyNodesResponse(_RegistryModel):
    """A page of a version's node classes (`getNodeDefs`); `comfy_nodes` is None before extraction."""

    comfy_nodes: list[ComfyNode] | None = None
    totalNumberOfPages: int | None = None


class NodeVersionIdentifier(_RegistryModel):
    node_id: str
    version: str


class BulkNodeVersionsRequest(_RegistryModel):
    node_versions: list[NodeVersionIdentifier]


class BulkNodeVersionResult(_RegistryModel):
    """One identifier's outcome: `status` "success" with `node_version`, else `error_message`."""

    identifier: NodeVersionIdentifier | None = None
    status: str | None = None
    node_version: NodeVersion | None = None
    error_message: str | None = None


class BulkNodeVersionsResponse(_RegistryModel):
    node_versions: list[BulkNodeVersionResult] | None = None

    def found(self) -> dict[tuple[str, str], NodeVersion]:
        """The versions that were found, by `(node_id, version)`."""
        return {
            (item.identifier.node_id, item.identifier.version): item.node_version
            for item in self.node_versions or []
            if item.identifier is not None and item.node_version is not None and item.status == "success"
        }
