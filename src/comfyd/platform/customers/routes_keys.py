"""`/customers/api-keys`: the caller's API keys. A key is shown once, when it is made; lists show
its prefix. Keys are the accounts feature's; these routes only speak the peer's wire for them."""

from __future__ import annotations

import uuid
from http import HTTPStatus

from fastapi import APIRouter, Response

from comfyd.platform.accounts.identity import RequiredIdentity
from comfyd.platform.customers.deps import Accounts
from comfyd.platform.customers.errors import InvalidInput
from comfyd.platform.customers.models import (
    APIKey,
    APIKeyCreated,
    APIKeyList,
    APIKeyWithPlaintext,
    CreateAPIKeyRequest,
)
from comfyd.platform.customers.routing import invalid_input_as

router = APIRouter(route_class=invalid_input_as(InvalidInput), tags=["customers"])


@router.get("/customers/api-keys")
async def list_api_keys(identity: RequiredIdentity, accounts: Accounts) -> APIKeyList:
    return APIKeyList(api_keys=[APIKey.of(key) for key in await accounts.list_api_keys(identity.user_id)])


@router.post("/customers/api-keys", status_code=HTTPStatus.CREATED)
async def create_api_key(
    identity: RequiredIdentity, accounts: Accounts, body: CreateAPIKeyRequest
) -> APIKeyCreated:
    key, record = await accounts.create_api_key(
        user_id=identity.user_id, name=body.name, description=body.description
    )
    return APIKeyCreated(api_key=APIKeyWithPlaintext(**APIKey.of(record).model_dump(), plaintext_key=key))


@router.delete("/customers/api-keys/{api_key_id}", status_code=HTTPStatus.NO_CONTENT)
async def delete_api_key(identity: RequiredIdentity, accounts: Accounts, api_key_id: uuid.UUID) -> Response:
    await accounts.revoke_api_key(user_id=identity.user_id, key_id=str(api_key_id))
    return Response(status_code=HTTPStatus.NO_CONTENT)
