"""The publisher side of api.comfy.org's registry: publishers, their tokens, packs and versions,
and the signed-in user (`/users`). Everything but reading a publisher needs an identity (an API
key); `POST /publishers/{p}/nodes/{n}/versions` instead takes the publisher's personal access
token in its body, as comfy-cli sends it.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from comfyd.platform.accounts.identity import OptionalIdentity, RequiredIdentity
from comfyd.platform.registry.deps import PublishersDep, PublishingDep, RegistryLinks, TokensDep
from comfyd.platform.registry.models import (
    EditPermission,
    Node,
    NodePage,
    NodeVersion,
    NodeVersionUpdateRequest,
    PersonalAccessToken,
    PersonalAccessTokenCreated,
    Publisher,
    PublisherAvailability,
    PublishNodeVersionRequest,
    PublishNodeVersionResponse,
    User,
)
from comfyd.platform.registry.paging import Paging

router = APIRouter(tags=["Registry"])
SKIP_NONE = {"response_model_exclude_none": True}


@router.get("/users", response_model=User, **SKIP_NONE)
async def get_user(identity: RequiredIdentity) -> User:
    # Every comfyd user may publish, so every user counts as approved.
    return User(
        id=identity.user_id,
        email=identity.email,
        name=identity.name,
        isApproved=True,
        isAdmin=identity.is_admin,
    )


@router.get("/users/publishers/", response_model=list[Publisher], **SKIP_NONE)
async def list_publishers_for_user(identity: RequiredIdentity, publishers: PublishersDep) -> list[Publisher]:
    return await publishers.for_user(identity)


@router.get("/publishers", response_model=list[Publisher], **SKIP_NONE)
async def list_publishers(publishers: PublishersDep) -> list[Publisher]:
    return await publishers.list()


@router.post("/publishers", status_code=status.HTTP_201_CREATED, response_model=Publisher, **SKIP_NONE)
async def create_publisher(
    body: Publisher, identity: RequiredIdentity, publishers: PublishersDep
) -> Publisher:
    return await publishers.create(identity, body)


@router.get("/publishers/validate", response_model=PublisherAvailability)
async def validate_publisher(username: str, publishers: PublishersDep) -> PublisherAvailability:
    return PublisherAvailability(isAvailable=await publishers.validate(username))


@router.get("/publishers/{publisher_id}", response_model=Publisher, **SKIP_NONE)
async def get_publisher(
    publisher_id: str, identity: OptionalIdentity, publishers: PublishersDep
) -> Publisher:
    return await publishers.get(publisher_id, reader=identity)


@router.put("/publishers/{publisher_id}", response_model=Publisher, **SKIP_NONE)
async def update_publisher(
    publisher_id: str, body: Publisher, identity: RequiredIdentity, publishers: PublishersDep
) -> Publisher:
    return await publishers.update(identity, publisher_id, body)


@router.delete("/publishers/{publisher_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_publisher(
    publisher_id: str, identity: RequiredIdentity, publishers: PublishersDep
) -> Response:
    await publishers.delete(identity, publisher_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/publishers/{publisher_id}/permissions", response_model=EditPermission)
async def get_permission_on_publisher(
    publisher_id: str, identity: RequiredIdentity, publishers: PublishersDep
) -> EditPermission:
    return await publishers.can_edit(identity, publisher_id)


@router.get("/publishers/{publisher_id}/tokens", response_model=list[PersonalAccessToken], **SKIP_NONE)
async def list_personal_access_tokens(
    publisher_id: str, identity: RequiredIdentity, tokens: TokensDep
) -> list[PersonalAccessToken]:
    return await tokens.list(identity, publisher_id)


@router.post(
    "/publishers/{publisher_id}/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=PersonalAccessTokenCreated,
)
async def create_personal_access_token(
    publisher_id: str, body: PersonalAccessToken, identity: RequiredIdentity, tokens: TokensDep
) -> PersonalAccessTokenCreated:
    token = await tokens.create(
        identity, publisher_id, name=body.name or "", description=body.description or ""
    )
    return PersonalAccessTokenCreated(token=token)


@router.delete("/publishers/{publisher_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_personal_access_token(
    publisher_id: str, token_id: str, identity: RequiredIdentity, tokens: TokensDep
) -> Response:
    await tokens.delete(identity, publisher_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/publishers/{publisher_id}/nodes", response_model=list[Node], **SKIP_NONE)
async def list_nodes_for_publisher(
    publisher_id: str, publishers: PublishersDep, links: RegistryLinks, include_banned: bool | None = None
) -> list[Node]:
    return await publishers.packs(publisher_id, include_banned=include_banned is not False, links=links)


@router.get("/publishers/{publisher_id}/nodes/v2", response_model=NodePage, **SKIP_NONE)
async def list_nodes_for_publisher_v2(
    publisher_id: str,
    publishers: PublishersDep,
    links: RegistryLinks,
    include_banned: bool | None = None,
    page: int | None = None,
    limit: int | None = None,
) -> NodePage:
    paging = Paging.of(page, limit)
    return await publishers.packs_page(
        publisher_id, paging, include_banned=include_banned is not False, links=links
    )


@router.post(
    "/publishers/{publisher_id}/nodes", status_code=status.HTTP_201_CREATED, response_model=Node, **SKIP_NONE
)
async def create_node(
    publisher_id: str, body: Node, identity: RequiredIdentity, publishing: PublishingDep, links: RegistryLinks
) -> Node:
    return await publishing.create_pack(identity, publisher_id, body, links=links)


@router.put("/publishers/{publisher_id}/nodes/{node_id}", response_model=Node, **SKIP_NONE)
async def update_node(
    publisher_id: str,
    node_id: str,
    body: Node,
    identity: RequiredIdentity,
    publishing: PublishingDep,
    links: RegistryLinks,
) -> Node:
    return await publishing.update_pack(identity, publisher_id, node_id, body, links=links)


@router.delete("/publishers/{publisher_id}/nodes/{node_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_node(
    publisher_id: str, node_id: str, identity: RequiredIdentity, publishing: PublishingDep
) -> Response:
    await publishing.delete_pack(identity, publisher_id, node_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/publishers/{publisher_id}/nodes/{node_id}/permissions", response_model=EditPermission)
async def get_permission_on_publisher_nodes(
    publisher_id: str, node_id: str, identity: RequiredIdentity, publishers: PublishersDep
) -> EditPermission:
    return await publishers.can_edit(identity, publisher_id, node_id)


@router.post(
    "/publishers/{publisher_id}/nodes/{node_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=PublishNodeVersionResponse,
    **SKIP_NONE,
)
async def publish_node_version(
    publisher_id: str,
    node_id: str,
    body: PublishNodeVersionRequest,
    publishing: PublishingDep,
    links: RegistryLinks,
) -> PublishNodeVersionResponse:
    return await publishing.publish(publisher_id, node_id, body, links=links)


@router.put(
    "/publishers/{publisher_id}/nodes/{node_id}/versions/{version_id}",
    response_model=NodeVersion,
    **SKIP_NONE,
)
async def update_node_version(
    publisher_id: str,
    node_id: str,
    version_id: str,
    body: NodeVersionUpdateRequest,
    identity: RequiredIdentity,
    publishing: PublishingDep,
    links: RegistryLinks,
) -> NodeVersion:
    return await publishing.update_version(identity, publisher_id, node_id, version_id, body, links=links)


@router.delete(
    "/publishers/{publisher_id}/nodes/{node_id}/versions/{version_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_node_version(
    publisher_id: str, node_id: str, version_id: str, identity: RequiredIdentity, publishing: PublishingDep
) -> Response:
    await publishing.delete_version(identity, publisher_id, node_id, version_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
