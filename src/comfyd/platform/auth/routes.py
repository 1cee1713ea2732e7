"""`POST /api/auth/token`: Comfy Cloud's token exchange. A signed-in caller (an identity
provider's JWT, an API key, or a workspace token about to expire) gets a workspace token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from comfyd.platform.accounts.errors import InvalidRequest
from comfyd.platform.accounts.identity import RequiredIdentity
from comfyd.platform.auth.models import WorkspaceTokenRequest, WorkspaceTokenResponse
from comfyd.platform.auth.service import AuthService
from comfyd.platform.customers.routing import invalid_input_as

router = APIRouter(prefix="/api", tags=["auth"], route_class=invalid_input_as(InvalidRequest))


def _auth(request: Request) -> AuthService:
    return request.app.state.auth


Auth = Annotated[AuthService, Depends(_auth)]


@router.post("/auth/token")
async def mint_workspace_token(
    identity: RequiredIdentity, auth: Auth, body: Annotated[WorkspaceTokenRequest | None, Body()] = None
) -> WorkspaceTokenResponse:
    return await auth.mint(identity, body.workspace_id if body else None)
