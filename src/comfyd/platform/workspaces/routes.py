"""Comfy Cloud's workspace API: `/api/workspaces…`, `/api/workspace/…` and `/api/invites/{token}/accept`.

Every route needs an identity; "the current workspace" is the one it acts in (its workspace
token, its API key's workspace, or `Comfy-Workspace-Id`). Errors answer
`{"error", "message", "code"}`; a caller outside the workspace gets 403 `no_workspace_access`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from comfyd.platform.accounts.errors import InvalidRequest
from comfyd.platform.accounts.identity import RequiredIdentity
from comfyd.platform.customers.routing import invalid_input_as
from comfyd.platform.workspaces.deps import InvitesDep, MembersDep, Workspaces
from comfyd.platform.workspaces.errors import WorkspaceError
from comfyd.platform.workspaces.models import (
    AcceptInviteResponse,
    CurrentWorkspaceResponse,
    InviteCreate,
    ListInvitesResponse,
    ListMembersResponse,
    ListWorkspacesResponse,
    Member,
    MemberRoleUpdate,
    PendingInvite,
    WorkspaceCreate,
    WorkspaceUpdate,
    WorkspaceWithRole,
)

router = APIRouter(prefix="/api", tags=["workspaces"], route_class=invalid_input_as(InvalidRequest))


@router.get("/workspaces")
async def list_workspaces(identity: RequiredIdentity, workspaces: Workspaces) -> ListWorkspacesResponse:
    return await workspaces.list(identity)


@router.post("/workspaces", status_code=HTTPStatus.CREATED)
async def create_workspace(
    body: WorkspaceCreate, identity: RequiredIdentity, workspaces: Workspaces
) -> WorkspaceWithRole:
    return await workspaces.create(identity, body)


@router.get("/workspaces/current")
async def current_workspace(identity: RequiredIdentity, workspaces: Workspaces) -> CurrentWorkspaceResponse:
    return await workspaces.current(identity)


@router.patch("/workspaces/{workspace_id}")
async def update_workspace(
    workspace_id: str, body: WorkspaceUpdate, identity: RequiredIdentity, workspaces: Workspaces
) -> WorkspaceWithRole:
    return await workspaces.update(identity, workspace_id, body)


@router.delete("/workspaces/{workspace_id}", status_code=HTTPStatus.NO_CONTENT)
async def delete_workspace(workspace_id: str, identity: RequiredIdentity, workspaces: Workspaces) -> Response:
    await workspaces.delete(identity, workspace_id)
    return no_content()


@router.post("/workspace/leave", status_code=HTTPStatus.NO_CONTENT)
async def leave_workspace(identity: RequiredIdentity, workspaces: Workspaces) -> Response:
    await workspaces.leave(identity)
    return no_content()


@router.get("/workspace/members")
async def list_members(
    identity: RequiredIdentity,
    members: MembersDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ListMembersResponse:
    return await members.list(identity, offset=offset, limit=limit)


@router.delete("/workspace/members/{user_id}", status_code=HTTPStatus.NO_CONTENT)
async def remove_member(user_id: str, identity: RequiredIdentity, members: MembersDep) -> Response:
    await members.remove(identity, user_id)
    return no_content()


@router.patch("/workspace/members/{user_id}")
async def update_member_role(
    user_id: str, body: MemberRoleUpdate, identity: RequiredIdentity, members: MembersDep
) -> Member:
    return await members.change_role(identity, user_id, body.role)


@router.get("/workspace/invites", response_model_exclude_none=True)
async def list_invites(identity: RequiredIdentity, invites: InvitesDep) -> ListInvitesResponse:
    return await invites.list(identity)


@router.post("/workspace/invites", status_code=HTTPStatus.CREATED)
async def create_invite(body: InviteCreate, identity: RequiredIdentity, invites: InvitesDep) -> PendingInvite:
    return await invites.create(identity, body)


@router.delete("/workspace/invites/{invite_id}", status_code=HTTPStatus.NO_CONTENT)
async def revoke_invite(invite_id: str, identity: RequiredIdentity, invites: InvitesDep) -> Response:
    await invites.revoke(identity, invite_id)
    return no_content()


@router.post("/workspace/invites/{invite_id}/resend")
async def resend_invite(invite_id: str, identity: RequiredIdentity, invites: InvitesDep) -> PendingInvite:
    return await invites.resend(identity, invite_id)


@router.post("/invites/{token}/accept")
async def accept_invite(token: str, identity: RequiredIdentity, invites: InvitesDep) -> AcceptInviteResponse:
    return await invites.accept(identity, token)


def no_content() -> Response:
    return Response(status_code=HTTPStatus.NO_CONTENT)


def install_error_handlers(app: FastAPI) -> None:
    """Answer `WorkspaceError`s as `{"error", "message", "code"}` with each one's status."""
    app.add_exception_handler(WorkspaceError, _workspace_error)


async def _workspace_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WorkspaceError)
    body = {"error": exc.status.phrase, "message": exc.message, "code": exc.code}
    return JSONResponse(body, status_code=exc.status)
