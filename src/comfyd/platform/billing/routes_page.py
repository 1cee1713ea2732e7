"""comfyd's billing page: `GET /billing` shows a balance and its recent events, and its form posts
to `POST /billing/credit`, which records a top-up and comes back to the page (303, so a reload does
not add the credit twice). The page acts with the signed link in its URL, or with an API key; a
link bound to a team workspace is checked against the workspace's members of now."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from comfyd.platform.accounts.identity import OptionalIdentity
from comfyd.platform.billing import page
from comfyd.platform.billing.deps import Portal, WorkspaceBillingDep
from comfyd.platform.billing.errors import InvalidAmount
from comfyd.platform.billing.payments import PAGE_PATH

router = APIRouter(include_in_schema=False)


@router.get(PAGE_PATH)
async def billing_page(
    portal: Portal,
    workspaces: WorkspaceBillingDep,
    identity: OptionalIdentity,
    token: str | None = None,
    amount_micros: str | None = None,
    added: str | None = None,
    return_url: str | None = None,
) -> HTMLResponse:
    visit = await portal.visit(token=token, identity=identity)
    await workspaces.confirm(visit.grant)
    notice = f"Added {page.dollars(int(added))}." if added and added.isdigit() else None
    view = page.PageView(
        statement=await portal.statement(visit.grant),
        token=visit.token,
        may_add_credit=visit.grant.may_add_credit,
        amount_text=page.amount_text(amount_micros),
        notice=notice,
        return_url=page.safe_return_url(return_url),
    )
    return HTMLResponse(page.render(view), headers=page.HEADERS)


@router.post(PAGE_PATH + "/credit", response_model=None)
async def add_credit(
    portal: Portal,
    workspaces: WorkspaceBillingDep,
    identity: OptionalIdentity,
    token: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    return_url: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    visit = await portal.visit(token=token, identity=identity)
    await workspaces.confirm(visit.grant, adding_credit=True)
    back = page.safe_return_url(return_url)
    try:
        micros = page.parse_dollars(amount)
        await portal.top_up(visit.grant, micros)
    except InvalidAmount as exc:
        # Shown on the page, with what was typed, rather than as a bare error.
        view = page.PageView(
            statement=await portal.statement(visit.grant),
            token=visit.token,
            may_add_credit=visit.grant.may_add_credit,
            amount_text=amount,
            problem=exc.message,
            return_url=back,
        )
        return HTMLResponse(page.render(view), status_code=HTTPStatus.BAD_REQUEST, headers=page.HEADERS)
    query = {"token": visit.token, "added": str(micros), **({"return_url": back} if back else {})}
    return RedirectResponse(f"{PAGE_PATH}?{urlencode(query)}", status_code=HTTPStatus.SEE_OTHER)
