"""Wire shapes of `/customers*`, with api.comfy.org's names and casing (`createdAt` beside
`has_fund`, `totalPages`). Response models are served with `None` fields left out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field

from comfyd.db.accounts import ApiKeyRecord
from comfyd.platform.customers.events import Event, EventPage
from comfyd.platform.customers.service import Customer as CustomerState


class CreateCustomerRequest(BaseModel):
    """`POST /customers`: an optional body. comfyd runs no Turnstile check, so its token is ignored."""

    signup_source: str | None = Field(default=None, max_length=64)
    turnstile_token: str | None = None


class Customer(BaseModel):
    id: str
    email: str | None = None
    name: str | None = None
    is_admin: bool = False
    has_fund: bool = False
    createdAt: datetime | None = None
    updatedAt: datetime | None = None
    subscription_tier: str | None = None

    @classmethod
    def of(cls, customer: CustomerState) -> Customer:
        return cls(
            id=customer.id,
            email=customer.email,
            name=customer.name,
            is_admin=customer.is_admin,
            has_fund=customer.has_fund,
            createdAt=customer.created_at,
            updatedAt=customer.updated_at,
        )


class AuditLog(BaseModel):
    event_id: str
    event_type: str
    params: dict[str, Any]
    createdAt: datetime

    @classmethod
    def of(cls, event: Event) -> Self:
        return cls(
            event_id=event.id, event_type=event.event_type, params=event.params, createdAt=event.created_at
        )


class CustomerEventsResponse(BaseModel):
    events: list[AuditLog]
    total: int
    page: int
    limit: int
    totalPages: int

    # The row model `of` builds; Comfy Cloud's billing events page names the same row differently.
    event_model: ClassVar[type[AuditLog]] = AuditLog

    @classmethod
    def of(cls, page: EventPage) -> Self:
        return cls(
            events=[cls.event_model.of(event) for event in page.events],
            total=page.total,
            page=page.page,
            limit=page.limit,
            totalPages=page.total_pages,
        )


class CreateAPIKeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=1024)


class APIKey(BaseModel):
    """A key as listed: its prefix, never the key."""

    id: str
    name: str
    description: str
    key_prefix: str
    created_at: datetime

    @classmethod
    def of(cls, record: ApiKeyRecord) -> APIKey:
        return cls(
            id=record.id,
            name=record.name,
            description=record.description,
            key_prefix=record.prefix,
            created_at=record.created_at,
        )


class APIKeyWithPlaintext(APIKey):
    plaintext_key: str


class APIKeyList(BaseModel):
    api_keys: list[APIKey]


class APIKeyCreated(BaseModel):
    api_key: APIKeyWithPlaintext
