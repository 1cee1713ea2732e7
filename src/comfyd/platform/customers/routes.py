"""`/customers`, `/customers/me`, `/customers/balance` and the event log (`/customers/events`, and
the seed's `/customer/events`), all for the caller's own customer."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel

from comfyd.platform.accounts.identity import RequiredIdentity
from comfyd.platform.customers.deps import Customers
from comfyd.platform.customers.errors import CustomersError, InvalidEventQuery, InvalidInput
from comfyd.platform.customers.events import EventQuery
from comfyd.platform.customers.models import CreateCustomerRequest, Customer, CustomerEventsResponse
from comfyd.platform.customers.routing import invalid_input_as

router = APIRouter(route_class=invalid_input_as(InvalidInput), tags=["customers"])
events_router = APIRouter(route_class=invalid_input_as(InvalidEventQuery), tags=["customers"])


class CustomerBalance(BaseModel):
    amount_micros: int
    currency: str
    prepaid_balance_micros: int
    cloud_credit_balance_micros: int


@router.post(
    "/customers",
    response_model=Customer,
    response_model_exclude_none=True,
    status_code=HTTPStatus.CREATED,
    responses={HTTPStatus.OK: {"model": Customer, "description": "The customer already existed."}},
)
async def create_customer(
    identity: RequiredIdentity,
    customers: Customers,
    response: Response,
    body: CreateCustomerRequest | None = None,
) -> Customer:
    customer, created = await customers.create(identity.user_id, source=body.signup_source if body else None)
    response.status_code = HTTPStatus.CREATED if created else HTTPStatus.OK
    return Customer.of(customer)


@router.get("/customers/me", response_model=Customer, response_model_exclude_none=True)
async def get_customer(identity: RequiredIdentity, customers: Customers) -> Customer:
    return Customer.of(await customers.get(identity.user_id))


@router.get("/customers/balance")
async def get_balance(identity: RequiredIdentity, customers: Customers) -> CustomerBalance:
    balance = await customers.balance(identity.user_id)
    # All of a comfyd balance is prepaid credit; there are no cloud credits.
    return CustomerBalance(
        amount_micros=balance.amount_micros,
        currency=balance.currency,
        prepaid_balance_micros=balance.amount_micros,
        cloud_credit_balance_micros=0,
    )


@events_router.get("/customers/events")
@events_router.get("/customer/events", include_in_schema=False)
async def list_events(
    identity: RequiredIdentity,
    customers: Customers,
    page: int = 1,
    limit: int = 10,
    event_type: Annotated[str | None, Query(alias="filter", max_length=64)] = None,
    start_date: AwareDatetime | None = None,
    end_date: AwareDatetime | None = None,
) -> CustomerEventsResponse:
    query = EventQuery(event_type=event_type or None, start=start_date, end=end_date, page=page, limit=limit)
    return CustomerEventsResponse.of(await customers.events(identity.user_id, query))


def install_error_handlers(app: FastAPI) -> None:
    """Answer the customers feature's exceptions in the platform shape `{"error", "message"}`."""
    app.add_exception_handler(CustomersError, _customers_error)


async def _customers_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CustomersError)
    status = HTTPStatus(exc.status_code)
    return JSONResponse({"error": status.phrase, "message": exc.message}, status_code=status)
