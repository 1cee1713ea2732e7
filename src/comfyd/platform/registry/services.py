"""`RegistryServices`: every service of the registry, built once per registry app from the
collaborators it is given (database sessions, accounts, archive storage)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.platform.accounts.service import AccountService
from comfyd.platform.registry.archives import ArchiveLimits
from comfyd.platform.registry.catalog import Catalog
from comfyd.platform.registry.extraction import DEFAULT_TIMEOUT
from comfyd.platform.registry.lifecycle import VersionLifecycle
from comfyd.platform.registry.links import UploadSigner
from comfyd.platform.registry.moderation import Moderation
from comfyd.platform.registry.publishers import Publishers
from comfyd.platform.registry.publishing import Publishing
from comfyd.platform.registry.reviews import Reviews
from comfyd.platform.registry.storage import ArchiveStorage
from comfyd.platform.registry.tokens import PersonalAccessTokens


@dataclass
class RegistryServices:
    accounts: AccountService
    storage: ArchiveStorage
    catalog: Catalog
    publishers: Publishers
    tokens: PersonalAccessTokens
    publishing: Publishing
    lifecycle: VersionLifecycle
    reviews: Reviews
    moderation: Moderation
    # The registry's public root URL; None means "as each request reached us".
    base_url: str | None = None

    @classmethod
    def build(
        cls,
        *,
        sessions: async_sessionmaker[AsyncSession],
        accounts: AccountService,
        storage: ArchiveStorage,
        base_url: str | None = None,
        upload_secret: bytes | None = None,
        archive_limits: ArchiveLimits | None = None,
        extraction_timeout: float = DEFAULT_TIMEOUT,
    ) -> RegistryServices:
        signer = UploadSigner(upload_secret)
        lifecycle = VersionLifecycle(
            sessions, storage, signer, limits=archive_limits, timeout=extraction_timeout
        )
        return cls(
            accounts=accounts,
            storage=storage,
            catalog=Catalog(sessions),
            publishers=Publishers(sessions),
            tokens=PersonalAccessTokens(sessions),
            publishing=Publishing(sessions, signer),
            lifecycle=lifecycle,
            reviews=Reviews(sessions),
            moderation=Moderation(sessions, accounts),
            base_url=base_url.rstrip("/") if base_url else None,
        )

    async def start(self) -> None:
        """Pick up the checks a previous stop interrupted."""
        await self.lifecycle.resume()

    async def stop(self) -> None:
        await self.lifecycle.stop()
        await self.accounts.drain()
