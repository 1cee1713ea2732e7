"""`WorkspaceTokens`: the short-lived workspace tokens comfyd mints (`POST /api/auth/token`), as
Comfy Cloud does, and reads back when they come as `Authorization: Bearer`.

A token is a JWT signed with comfyd's own key (`SigningKeys`), with the claims `iss` (always
`ISSUER`, which is how comfyd tells its tokens from an identity provider's), `aud`, `sub` (the
user), `email`, `workspace_id`, `role`, `iat`, `exp` and `jti`. The role in it is informative:
each use checks the membership again, so a removed member's token stops working at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from comfyd.db.accounts import utcnow
from comfyd.platform.accounts.errors import Unauthenticated
from comfyd.platform.auth.signing import ALGORITHM, SigningKeys

ISSUER = "urn:comfyd"
AUDIENCE = "urn:comfyd:workspace"
TOKEN_LIFETIME = timedelta(hours=1)
# Clock difference tolerated between the servers of a cluster.
LEEWAY = timedelta(seconds=30)


@dataclass(frozen=True)
class MintedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class WorkspaceClaims:
    """What a valid workspace token says: who, in which workspace."""

    user_id: str
    workspace_id: str


def is_comfyd_token(token: str) -> bool:
    """Whether `token` claims to be one of comfyd's own (its `iss`), before anything is verified."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return False
    return claims.get("iss") == ISSUER


class WorkspaceTokens:
    """Mints and reads workspace tokens with the keys in `keys`."""

    def __init__(self, keys: SigningKeys, lifetime: timedelta = TOKEN_LIFETIME) -> None:
        self._keys = keys
        self._lifetime = lifetime

    async def prepare(self) -> None:
        """Load (or make and store) the signing key now."""
        await self._keys.signer()

    async def mint(self, *, user_id: str, email: str | None, workspace_id: str, role: str) -> MintedToken:
        """A token for `user_id` acting in `workspace_id`, valid for the configured lifetime."""
        key = await self._keys.signer()
        now = utcnow().replace(microsecond=0)
        expires_at = now + self._lifetime
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user_id,
            "email": email,
            "workspace_id": workspace_id,
            "role": role,
            "iat": now,
            "exp": expires_at,
            "jti": str(uuid.uuid4()),
        }
        token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
        return MintedToken(token=token, expires_at=expires_at)

    async def read(self, token: str) -> WorkspaceClaims:
        """The claims of a valid token. Raises `Unauthenticated` for a token that is malformed,
        expired, signed by no stored key, or not a workspace token."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = await self._keys.verifier(kid) if isinstance(kid, str) else None
            if key is None:
                raise Unauthenticated("The workspace token is not signed by this server.")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The workspace token has expired; mint a new one.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"The workspace token is not valid: {exc}.") from exc
        workspace_id = claims.get("workspace_id")
        if not isinstance(workspace_id, str) or not isinstance(claims["sub"], str):
            raise Unauthenticated("The workspace token names no workspace.")
        return WorkspaceClaims(user_id=claims["sub"], workspace_id=workspace_id)
