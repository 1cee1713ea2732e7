"""Dependency aliases: how the customer routes reach their services, built once by the app factory
(`app.state.services`) and the shared `AccountService` (`app.state.accounts`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from comfyd.platform.accounts.service import AccountService
from comfyd.platform.customers.events import EventLog
from comfyd.platform.customers.service import CustomerService


async def _customers(request: Request) -> CustomerService:
    return request.app.state.services.customers


async def _events(request: Request) -> EventLog:
    return request.app.state.services.events


async def _accounts(request: Request) -> AccountService:
    return request.app.state.accounts


Customers = Annotated[CustomerService, Depends(_customers)]
Events = Annotated[EventLog, Depends(_events)]
Accounts = Annotated[AccountService, Depends(_accounts)]
