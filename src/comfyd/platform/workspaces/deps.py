"""Dependency aliases: how the workspace routes reach their services (`app.state.workspaces`,
a `WorkspaceServices` the app factory builds once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.platform.customers.events import EventLog
from comfyd.platform.workspaces.invites import Invites
from comfyd.platform.workspaces.members import Members
from comfyd.platform.workspaces.service import WorkspaceService


@dataclass(frozen=True)
class WorkspaceServices:
    workspaces: WorkspaceService
    members: Members
    invites: Invites

    @classmethod
    def build(cls, sessions: async_sessionmaker[AsyncSession], events: EventLog) -> WorkspaceServices:
        return cls(WorkspaceService(sessions, events), Members(sessions, events), Invites(sessions, events))


def _services(request: Request) -> WorkspaceServices:
    return request.app.state.workspaces


def _workspaces(request: Request) -> WorkspaceService:
    return _services(request).workspaces


def _members(request: Request) -> Members:
    return _services(request).members


def _invites(request: Request) -> Invites:
    return _services(request).invites


Workspaces = Annotated[WorkspaceService, Depends(_workspaces)]
MembersDep = Annotated[Members, Depends(_members)]
InvitesDep = Annotated[Invites, Depends(_invites)]
