"""Dependency aliases: how the billing routes reach the payments provider, the billing page's
service and the workspace billing, built once by the app factory (`app.state.services`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from comfyd.platform.billing.payments import PaymentsProvider
from comfyd.platform.billing.portal import BillingPortal
from comfyd.platform.billing.workspace import WorkspaceBilling


async def _payments(request: Request) -> PaymentsProvider:
    return request.app.state.services.payments


async def _portal(request: Request) -> BillingPortal:
    return request.app.state.services.billing


async def _workspace_billing(request: Request) -> WorkspaceBilling:
    return request.app.state.services.workspace_billing


def site_url(request: Request) -> str:
    """This server's root URL as the client reached it, for links back to it."""
    return str(request.base_url).rstrip("/")


Payments = Annotated[PaymentsProvider, Depends(_payments)]
Portal = Annotated[BillingPortal, Depends(_portal)]
WorkspaceBillingDep = Annotated[WorkspaceBilling, Depends(_workspace_billing)]
