"""`SigningKeys`: the keys comfyd signs its own tokens with, made at first start and kept in the
database (`auth_signing_keys`), so every server of a cluster signs and checks with the same ones.

Keys are ECDSA P-256 (`ES256`). The oldest key signs; any stored key verifies, looked up by the
token's `kid`. Two servers that start on an empty database at once may each store a key; both
then sign with the older one, and tokens signed by either still verify.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import new_id, utcnow
from comfyd.db.workspaces import SigningKeyRecord

ALGORITHM = "ES256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()


class SigningKeys:
    """The stored signing keys, cached in memory once read."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._signer: SigningKey | None = None
        self._by_kid: dict[str, SigningKey] = {}
        self._lock = asyncio.Lock()

    async def signer(self) -> SigningKey:
        """The key to sign with; made and stored the first time a server needs one."""
        if self._signer is None:
            async with self._lock:
                if self._signer is None:
                    self._signer = await self._oldest() or await self._create()
        return self._signer

    async def verifier(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        """The public key of the stored key `kid`, or None when there is no such key."""
        key = self._by_kid.get(kid)
        if key is None:
            async with self._sessions() as session:
                record = await session.get(SigningKeyRecord, kid)
            if record is None or record.algorithm != ALGORITHM:
                return None
            key = self._remember(record)
        return key.public_key

    async def _oldest(self) -> SigningKey | None:
        query = select(SigningKeyRecord).where(SigningKeyRecord.algorithm == ALGORITHM)
        query = query.order_by(SigningKeyRecord.created_at, SigningKeyRecord.id).limit(1)
        async with self._sessions() as session:
            record = await session.scalar(query)
        return self._remember(record) if record else None

    async def _create(self) -> SigningKey:
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        record = SigningKeyRecord(
            id=new_id(), algorithm=ALGORITHM, private_key=pem.decode(), created_at=utcnow()
        )
        async with self._sessions.begin() as session:
            session.add(record)
        # Another server may have stored one at the same moment: everyone signs with the oldest.
        oldest = await self._oldest()
        assert oldest is not None
        return oldest

    def _remember(self, record: SigningKeyRecord) -> SigningKey:
        private_key = serialization.load_pem_private_key(record.private_key.encode(), password=None)
        assert isinstance(private_key, ec.EllipticCurvePrivateKey)
        key = SigningKey(kid=record.id, private_key=private_key)
        self._by_kid[key.kid] = key
        return key
