"""Wire shapes of Comfy Cloud's token exchange, `POST /api/auth/token`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from comfyd.platform.workspaces.models import RoleName, WorkspaceSummary


class WorkspaceTokenRequest(BaseModel):
    """`{}` or `{workspace_id}`; the frontend may add fields (`resource`) that comfyd ignores."""

    model_config = ConfigDict(extra="ignore")

    workspace_id: str | None = None


class WorkspaceTokenResponse(BaseModel):
    token: str
    expires_at: datetime
    workspace: WorkspaceSummary
    role: RoleName
    permissions: list[str]
    user_id: str
