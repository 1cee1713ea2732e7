"""The URLs the registry hands out: where a version's archive is downloaded (`downloadUrl`), and
the short-lived signed URL comfy-cli uploads it to (`signedUrl`).

The peer returns a cloud-storage signed URL; comfyd signs its own: an HMAC over the version id and
an expiry time, checked by the upload route. The key is separate from every other secret and the
signature carries a purpose string, so an upload token is good for nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from comfyd.platform.registry.errors import UploadLinkInvalid

UPLOAD_LIFETIME_SECONDS = 15 * 60
_PURPOSE = b"comfyd.registry.archive-upload"


@dataclass(frozen=True)
class Links:
    """Absolute URLs under one registry root (`base`, without a trailing slash)."""

    base: str

    def download(self, key: str) -> str:
        """The download URL of the archive stored under `key` (`publisher/pack/1.0.0.zip`)."""
        return f"{self.base}/archives/{key}"

    def upload(self, token: str) -> str:
        return f"{self.base}/archives/uploads/{token}"


class UploadSigner:
    """Issues and checks upload tokens: `<version id>.<expiry>.<signature>`, base64url-encoded.

    signer = UploadSigner(secret)
    token = signer.issue(version_id)
    signer.verify(token)          # the version id; raises UploadLinkInvalid
    """

    def __init__(
        self,
        secret: bytes | None = None,
        *,
        lifetime_seconds: int = UPLOAD_LIFETIME_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # A random key per process is enough for one server; servers sharing a database need a
        # shared `secret`, or a link issued by one is refused by another.
        self._secret = secret or secrets.token_bytes(32)
        self._lifetime = lifetime_seconds
        self._clock = clock

    def issue(self, version_id: str) -> str:
        expires = int(self._clock()) + self._lifetime
        payload = f"{version_id}.{expires}".encode()
        return f"{_encode(payload)}.{_encode(self._sign(payload))}"

    def verify(self, token: str) -> str:
        """The version id the token was issued for; raises `UploadLinkInvalid` when it is forged,
        damaged or expired."""
        encoded_payload, _, encoded_signature = token.partition(".")
        try:
            payload, signature = _decode(encoded_payload), _decode(encoded_signature)
        except (binascii.Error, ValueError) as exc:
            raise UploadLinkInvalid("it is damaged.") from exc
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise UploadLinkInvalid("its signature does not match.")
        version_id, _, expires = payload.decode().rpartition(".")
        if int(expires) < self._clock():
            raise UploadLinkInvalid("it has expired; publish the version again for a new one.")
        return version_id

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, _PURPOSE + b"\0" + payload, hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    if not text:
        raise ValueError("empty")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
