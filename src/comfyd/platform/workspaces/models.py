"""Wire shapes of Comfy Cloud's workspace API, with its names (the frontend's `zod.gen.ts`).

Times are aware UTC datetimes, sent as RFC 3339 with a `Z`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

WorkspaceTypeName = Literal["personal", "team"]
RoleName = Literal["owner", "member"]
WorkspaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]


class Workspace(BaseModel):
    id: str
    name: str
    type: WorkspaceTypeName
    created_at: datetime


class WorkspaceSummary(BaseModel):
    """The `workspace` inside a token exchange's answer."""

    id: str
    name: str
    type: WorkspaceTypeName


class WorkspaceWithRole(Workspace):
    role: RoleName
    joined_at: datetime


class ListWorkspacesResponse(BaseModel):
    workspaces: list[WorkspaceWithRole]
    can_create_workspace: bool
    default_workspace_id: str | None = None


class CurrentWorkspaceResponse(BaseModel):
    id: str
    name: str
    type: WorkspaceTypeName
    auth_method: str
    role: RoleName
    permissions: list[str]


class WorkspaceCreate(BaseModel):
    name: WorkspaceName


class WorkspaceUpdate(BaseModel):
    name: WorkspaceName | None = None


class MemberCapabilities(BaseModel):
    can_change_role: bool
    can_remove: bool
    can_set_credit_limit: bool = False


class Member(BaseModel):
    id: str
    name: str
    email: str
    role: RoleName
    joined_at: datetime
    is_original_owner: bool
    capabilities: MemberCapabilities


class Pagination(BaseModel):
    offset: int
    limit: int
    total: int
    has_more: bool


class ListMembersResponse(BaseModel):
    members: list[Member]
    pagination: Pagination


class MemberRoleUpdate(BaseModel):
    role: RoleName


class PendingInvite(BaseModel):
    """An invite; `token` is present only in the answer that made it (it is stored hashed)."""

    id: str
    email: str
    role: RoleName
    invited_at: datetime
    expires_at: datetime
    token: str | None = None


class ListInvitesResponse(BaseModel):
    invites: list[PendingInvite]


class InviteCreate(BaseModel):
    email: Email
    role: RoleName = "member"


class AcceptInviteResponse(BaseModel):
    workspace_id: str
    workspace_name: str
