"""Identity providers: who checks the JWTs that comfyd did not mint.

`JwksIdentityProvider` verifies them against a JWKS URL, an issuer and an audience, so a Firebase
project (JWKS `https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com`,
issuer `https://securetoken.google.com/<project>`, audience `<project>`) or any OIDC provider plugs
in. `NoIdentityProvider` is the default: such tokens are nobody's to check, and the request is
anonymous unless it carries something else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

import httpx
import jwt

from comfyd.platform.accounts.errors import Unauthenticated

logger = logging.getLogger(__name__)

# Asymmetric algorithms only: a JWKS publishes public keys, and an HMAC "signed" with a public
# key would be forgeable by anyone who fetched it.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
MAX_USER_ID = 128  # the length of `users.id`
JWKS_CACHE_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 10
REFETCH_SECONDS = 30


@dataclass(frozen=True)
class ExternalUser:
    """The person a verified token speaks for: `sub`, and the `email` and `name` claims."""

    user_id: str
    email: str
    name: str | None


class IdentityProvider(Protocol):
    async def verify(self, token: str) -> ExternalUser | None:
        """The user `token` proves, or None when this provider does not check tokens at all.

        Raises `Unauthenticated` for a token it checks and refuses: malformed, expired, wrongly
        signed, from another issuer or for another audience, or without a usable `sub`.
        """
        ...


class NoIdentityProvider:
    """No provider is configured: external tokens prove nothing."""

    async def verify(self, token: str) -> ExternalUser | None:
        return None


class JwksIdentityProvider:
    """Verifies tokens with the keys published at `jwks_url`, and their `iss` and `aud` when given."""

    def __init__(self, jwks_url: str, *, issuer: str | None, audience: str | None) -> None:
        self._keys = PublishedKeys(jwks_url)
        self._issuer = issuer
        self._audience = audience
        if issuer is None or audience is None:
            logger.warning(
                "JWTs from %s are accepted without checking their %s: tokens that provider issued "
                "for other applications will work here too.",
                jwks_url,
                " or ".join(
                    name for name, value in (("issuer", issuer), ("audience", audience)) if value is None
                ),
            )

    async def verify(self, token: str) -> ExternalUser:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = await self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise Unauthenticated("The token is not signed by a key the identity provider publishes.")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"The token is not valid: {exc}.") from exc
        return _user_of(claims)


class PublishedKeys:
    """An identity provider's public keys by `kid`, fetched from its JWKS URL and kept for five
    minutes. A `kid` not among them fetches the set again at once (a provider has rotated its
    keys), but at most once per `REFETCH_SECONDS`, so tokens with made-up kids cannot make comfyd
    hammer the provider."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._refetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> jwt.PyJWK | None:
        """The key `kid`, or None when the provider does not publish it.

        Raises `Unauthenticated` when the keys cannot be fetched at all.
        """
        async with self._lock:
            now = time.monotonic()
            if self._fetched_at is None or now - self._fetched_at > JWKS_CACHE_SECONDS:
                await self._fetch()
            elif kid not in self._keys and (
                self._refetched_at is None or now - self._refetched_at > REFETCH_SECONDS
            ):
                self._refetched_at = now
                await self._fetch()
            return self._keys.get(kid)

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=JWKS_TIMEOUT_SECONDS) as http:
                reply = await http.get(self._url)
                reply.raise_for_status()
                document = reply.json()
            key_set = jwt.PyJWKSet.from_dict(document)
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            logger.warning("Could not fetch the identity provider's keys from %s: %s", self._url, exc)
            raise Unauthenticated(
                "The token could not be checked: the identity provider's keys are unavailable."
            ) from exc
        self._keys = {
            key.key_id: key for key in key_set.keys if key.key_id and key.public_key_use in ("sig", None)
        }
        self._fetched_at = time.monotonic()


def _user_of(claims: dict) -> ExternalUser:
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id or len(user_id) > MAX_USER_ID:
        raise Unauthenticated(f"The token's subject must be a string of 1 to {MAX_USER_ID} characters.")
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        # Users need an email (it is how invites find them); a provider that gives none (an
        # anonymous sign-in, a service account) gets a reserved address that reaches nobody.
        email = f"{user_id}@users.invalid"
    name = claims.get("name")
    return ExternalUser(user_id=user_id, email=email, name=name if isinstance(name, str) else None)
