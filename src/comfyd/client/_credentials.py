"""How the platform services sign in: the headers for an API key or a bearer token, and whether a
service has any. A leaf module.

The frontend sends exactly one credential to the platform: `X-API-KEY` for an API-key session,
or `Authorization: Bearer <token>` for a signed-in user (a Firebase or other identity provider's
ID token, or a workspace token from `POST /api/auth/token`).
"""

from __future__ import annotations

from collections.abc import Mapping

from comfyd.client._types import HeaderTypes

__all__: list[str] = []

_CREDENTIAL_HEADERS = {"authorization", "x-api-key"}


def credential_headers(api_key: str | None, token: str | None, headers: HeaderTypes | None) -> dict[str, str]:
    """`headers` plus the one credential given; both at once is a mistake the caller should hear of,
    since the server would silently pick one (comfyd prefers the key)."""
    if api_key is not None and token is not None:
        raise ValueError("Give api_key= or token=, not both: the platform reads one credential.")
    merged = dict(headers or {})
    if api_key is not None:
        merged["X-API-Key"] = api_key
    if token is not None:
        merged["Authorization"] = f"Bearer {token}"
    return merged


def has_credentials(headers: Mapping[str, str]) -> bool:
    """Whether `headers` carry an API key or an `Authorization` header (in any letter case)."""
    return any(name.lower() in _CREDENTIAL_HEADERS and value for name, value in headers.items())
