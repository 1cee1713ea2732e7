"""Signed links to comfyd's billing page.

A browser following a link cannot send an API key, so the link carries a short-lived token instead:
who may use it, whose balance it shows, whether it may add credit, and when it expires, signed with
HMAC-SHA256. The signing key is derived, for this one purpose, from a random secret the server makes
at first use and keeps in its database (every process of a cluster then signs alike); it is never in
code or configuration. A token cannot be widened: changing any field breaks the signature.

    links = BillingLinks(sessions)
    token = await links.issue(user_id=user.id, owner=Owner.user(user.id))
    grant = await links.verify(token)          # BillingGrant(user_id=..., may_add_credit=True, ...)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.customers import ServerSecretRecord, insert_ignoring_conflicts
from comfyd.platform.billing.errors import BillingLinkInvalid
from comfyd.platform.billing.ledger import Owner, OwnerKind

SECRET_NAME = "billing-links"
# Mixed into the key, so a signature made for another purpose with the same secret never passes here.
PURPOSE = b"comfyd billing page link v1"
LINK_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class BillingGrant:
    """What a billing link lets its holder do: see `owner`'s balance and events as `user_id`, and
    add credit if `may_add_credit` (the issuer decides: an owner or an admin may)."""

    user_id: str
    owner: Owner
    may_add_credit: bool
    expires_at: datetime


class BillingLinks:
    """Issues and checks billing page tokens."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lifetime: timedelta = LINK_LIFETIME,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._lifetime = lifetime
        self._clock = clock
        self._key: bytes | None = None

    async def issue(self, *, user_id: str, owner: Owner, may_add_credit: bool = True) -> str:
        """A token for `user_id` to see (and, if allowed, top up) `owner`'s billing, valid for an hour."""
        expires = int((self._clock() + self._lifetime).timestamp())
        claims = {
            "sub": user_id,
            "kind": owner.kind.value,
            "owner": owner.id,
            "add": may_add_credit,
            "exp": expires,
        }
        payload = _encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{payload}.{_encode(await self._sign(payload))}"

    async def verify(self, token: str) -> BillingGrant:
        """The grant a token carries; raises `BillingLinkInvalid` when it is malformed, forged or expired."""
        payload, _, signature = token.partition(".")
        try:
            given = _decode(signature)
        except ValueError as exc:
            raise BillingLinkInvalid() from exc
        if not hmac.compare_digest(given, await self._sign(payload)):
            raise BillingLinkInvalid()
        grant = _grant(payload)
        if grant.expires_at <= self._clock():
            raise BillingLinkInvalid("The billing link has expired; open billing from ComfyUI again.")
        return grant

    async def _sign(self, payload: str) -> bytes:
        return hmac.new(await self._signing_key(), payload.encode(), hashlib.sha256).digest()

    async def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = hmac.new(bytes.fromhex(await self._secret()), PURPOSE, hashlib.sha256).digest()
        return self._key

    async def _secret(self) -> str:
        """The server's secret, made now if this is its first use. Two processes making it at once
        both keep the one that was stored first."""
        row = {"name": SECRET_NAME, "value": secrets.token_hex(32), "created_at": utcnow()}
        async with self._sessions.begin() as session:
            await session.execute(
                insert_ignoring_conflicts(session.bind.dialect.name, ServerSecretRecord).values(row)
            )
            stored = await session.scalar(
                select(ServerSecretRecord.value).where(ServerSecretRecord.name == SECRET_NAME)
            )
        assert stored is not None
        return stored


def _grant(payload: str) -> BillingGrant:
    """The claims of a payload whose signature has been checked."""
    try:
        claims = json.loads(_decode(payload))
        owner = Owner(OwnerKind(claims["kind"]), str(claims["owner"]))
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        return BillingGrant(str(claims["sub"]), owner, bool(claims["add"]), expires_at)
    except (ValueError, KeyError, TypeError) as exc:
        raise BillingLinkInvalid() from exc


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{text!r} is not base64url.") from exc
