"""Wire shapes of the registry, named and cased as api.comfy.org's schemas (`Node`, `NodeVersion`,
`Publisher`, `ComfyNode`, `PersonalAccessToken`...), and the classmethods that build them from rows.

Casing is the peer's and is mixed on purpose: `createdAt` and `downloadUrl` sit next to
`status_reason` and `node_id`; `Node` has `created_at`. Every field is optional, as in the spec,
so one class serves as both request body and response; responses leave out fields that are None.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from comfyd.db.registry import (
    ComfyNodeRecord,
    PackRecord,
    PackVersionRecord,
    PersonalAccessTokenRecord,
    PublisherRecord,
)
from comfyd.platform.registry.states import ComfyNodePolicy, PackStatus, PublisherStatus, VersionStatus


class WireModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NodeVersion(WireModel):
    id: str | None = None
    version: str | None = None
    createdAt: datetime | None = None
    changelog: str | None = None
    dependencies: list[str] | None = None
    deprecated: bool | None = None
    downloadUrl: str | None = None
    status: str | None = None
    status_reason: str | None = None
    node_id: str | None = None
    comfy_node_extract_status: str | None = None
    tags: list[str] | None = None
    tags_admin: list[str] | None = None
    supported_os: list[str] | None = None
    supported_accelerators: list[str] | None = None
    supported_comfyui_version: str | None = None
    supported_comfyui_frontend_version: str | None = None

    @classmethod
    def from_record(
        cls, record: PackVersionRecord, *, download_url: str, include_status_reason: bool = True
    ) -> NodeVersion:
        """The wire version. Without `include_status_reason` the reason is "", as the peer does."""
        return cls(
            id=record.id,
            version=record.version,
            createdAt=record.created_at,
            changelog=record.changelog,
            dependencies=list(record.dependencies),
            deprecated=record.deprecated,
            downloadUrl=download_url,
            status=VersionStatus(record.status).wire,
            status_reason=record.status_reason if include_status_reason else "",
            node_id=record.pack_id,
            comfy_node_extract_status=record.comfy_node_extract_status,
            tags=list(record.tags),
            tags_admin=list(record.tags_admin),
            supported_os=list(record.supported_os),
            supported_accelerators=list(record.supported_accelerators),
            supported_comfyui_version=record.supported_comfyui_version,
            supported_comfyui_frontend_version=record.supported_comfyui_frontend_version,
        )


class PublisherUser(WireModel):
    id: str | None = None
    email: str | None = None
    name: str | None = None


class PublisherMember(WireModel):
    id: str | None = None
    user: PublisherUser | None = None
    role: str | None = None


class Publisher(WireModel):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    website: str | None = None
    support: str | None = None
    source_code_repo: str | None = None
    logo: str | None = None
    createdAt: datetime | None = None
    members: list[PublisherMember] | None = None
    status: str | None = None

    @classmethod
    def from_record(
        cls, record: PublisherRecord, *, members: list[PublisherMember] | None = None
    ) -> Publisher:
        return cls(
            id=record.id,
            name=record.name,
            description=record.description,
            website=record.website,
            support=record.support_email,
            source_code_repo=record.source_code_repo,
            logo=record.logo_url,
            createdAt=record.created_at,
            members=members,
            status=PublisherStatus(record.status).wire,
        )


class Node(WireModel):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    author: str | None = None
    license: str | None = None
    icon: str | None = None
    repository: str | None = None
    banner_url: str | None = None
    category: str | None = None
    tags: list[str] | None = None
    tags_admin: list[str] | None = None
    latest_version: NodeVersion | None = None
    rating: float | None = None
    downloads: int | None = None
    github_stars: int | None = None
    publisher: Publisher | None = None
    status: str | None = None
    status_detail: str | None = None
    search_ranking: int | None = None
    preempted_comfy_node_names: list[str] | None = None
    supported_os: list[str] | None = None
    supported_accelerators: list[str] | None = None
    supported_comfyui_version: str | None = None
    supported_comfyui_frontend_version: str | None = None
    created_at: datetime | None = None

    @classmethod
    def from_record(
        cls, record: PackRecord, *, publisher: Publisher | None, latest_version: NodeVersion | None
    ) -> Node:
        return cls(
            id=record.id,
            name=record.name,
            description=record.description,
            author=record.author,
            license=record.license,
            icon=record.icon_url,
            repository=record.repository_url,
            banner_url=record.banner_url,
            category=record.category,
            tags=list(record.tags),
            tags_admin=list(record.tags_admin),
            latest_version=latest_version,
            rating=record.rating,
            downloads=record.total_install,
            github_stars=record.github_stars,
            publisher=publisher,
            status=PackStatus(record.status).wire,
            status_detail=record.status_detail,
            search_ranking=record.search_ranking,
            preempted_comfy_node_names=list(record.preempted_comfy_node_names),
            supported_os=list(record.supported_os),
            supported_accelerators=list(record.supported_accelerators),
            supported_comfyui_version=record.supported_comfyui_version,
            supported_comfyui_frontend_version=record.supported_comfyui_frontend_version,
            created_at=record.created_at,
        )


class ComfyNode(WireModel):
    comfy_node_name: str | None = None
    category: str | None = None
    description: str | None = None
    input_types: str | None = None
    return_types: str | None = None
    return_names: str | None = None
    output_is_list: list[bool] | None = None
    function: str | None = None
    deprecated: bool | None = None
    experimental: bool | None = None
    policy: str | None = None

    @classmethod
    def from_record(cls, record: ComfyNodeRecord) -> ComfyNode:
        return cls(
            comfy_node_name=record.name,
            category=record.category,
            description=record.description,
            input_types=record.input_types,
            return_types=record.return_types,
            return_names=record.return_names,
            output_is_list=[bool(item) for item in record.output_is_list],
            function=record.function,
            deprecated=record.deprecated,
            experimental=record.experimental,
            policy=ComfyNodePolicy(record.policy).wire,
        )


class PersonalAccessToken(WireModel):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    createdAt: datetime | None = None
    token: str | None = None

    @classmethod
    def masked(cls, record: PersonalAccessTokenRecord) -> PersonalAccessToken:
        """The listing shape: the token is its first characters and `***`, as the peer shows it."""
        return cls(
            id=record.id,
            name=record.name,
            description=record.description,
            createdAt=record.created_at,
            token=f"{record.prefix}***",
        )


class User(WireModel):
    id: str | None = None
    email: str | None = None
    name: str | None = None
    isApproved: bool | None = None
    isAdmin: bool | None = None


class NodePage(WireModel):
    """`GET /nodes`, `/nodes/search` and `/publishers/{id}/nodes/v2`."""

    total: int
    nodes: list[Node]
    page: int
    limit: int
    totalPages: int


class VersionPage(WireModel):
    """`GET /versions`."""

    total: int
    versions: list[NodeVersion]
    page: int
    pageSize: int
    totalPages: int


class ComfyNodePage(WireModel):
    """`GET /nodes/{id}/versions/{version}/comfy-nodes`: `comfy_nodes` is null when nothing was
    extracted, as the peer answers."""

    comfy_nodes: list[ComfyNode] | None
    totalNumberOfPages: int


class AllComfyNodesPage(WireModel):
    """`GET /comfy-nodes`."""

    comfy_nodes: list[ComfyNode]
    total: int
    page_size: int


class PublishNodeVersionRequest(WireModel):
    """What `comfy node publish` sends: the token in the body, not in a header."""

    personal_access_token: str = ""
    node: Node = Node()
    node_version: NodeVersion = NodeVersion()


class PublishNodeVersionResponse(WireModel):
    node_version: NodeVersion
    signedUrl: str


class NodeVersionUpdateRequest(WireModel):
    changelog: str | None = None
    deprecated: bool | None = None


class AdminNodeVersionUpdate(WireModel):
    status: str | None = None
    status_reason: str | None = None
    supported_os: list[str] | None = None
    supported_accelerators: list[str] | None = None
    supported_comfyui_version: str | None = None
    supported_comfyui_frontend_version: str | None = None


class PersonalAccessTokenCreated(WireModel):
    token: str


class PublisherAvailability(WireModel):
    isAvailable: bool


class EditPermission(WireModel):
    canEdit: bool


class NodeVersionIdentifier(WireModel):
    node_id: str
    version: str


class BulkNodeVersionsRequest(WireModel):
    node_versions: list[NodeVersionIdentifier]


class BulkNodeVersionResult(WireModel):
    identifier: NodeVersionIdentifier
    status: Literal["success", "not_found", "error"]
    node_version: NodeVersion | None = None
    error_message: str | None = None


class BulkNodeVersionsResponse(WireModel):
    node_versions: list[BulkNodeVersionResult]
