"""`VersionLifecycle`: what happens to a version after `publish`: its archive arrives at the signed
upload URL, is stored, and is checked off the request (unpacked, scanned, its node classes
extracted in a child interpreter), and the version becomes `active` or `flagged` with a reason.

A version never stays `pending` because a step failed: a missing archive makes it `deleted`, a
disk error is retried and then flagged, and anything unexpected is flagged for a moderator.
Checks only move a version out of `pending`; a moderator's or the publisher's decision made while
a check ran is kept. At start-up, `resume` re-checks versions whose check a stop interrupted.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from comfyd.db.accounts import utcnow
from comfyd.db.registry import ComfyNodeRecord, PackRecord, PackVersionRecord
from comfyd.platform.registry.archives import ArchiveLimits
from comfyd.platform.registry.checks import PASSED, PackCheck, check_pack_archive
from comfyd.platform.registry.errors import ArchiveTooLarge, UploadLinkInvalid
from comfyd.platform.registry.extraction import DEFAULT_TIMEOUT, ExtractionResult
from comfyd.platform.registry.links import UploadSigner
from comfyd.platform.registry.states import ComfyNodePolicy, ExtractStatus, VersionStatus
from comfyd.platform.registry.storage import ArchiveNotFound as StoredArchiveMissing
from comfyd.platform.registry.storage import ArchiveStorage, StoredArchive

logger = logging.getLogger(__name__)

MISSING_ARCHIVE = "Node zip file doesn't exist"  # the peer's words
UNEXPECTED_FAILURE = "The automated checks failed unexpectedly; a moderator will review this version."
DISK_RETRIES = 3
DISK_RETRY_SECONDS = 2.0
_POLICIES = {policy.wire: policy for policy in ComfyNodePolicy}


class VersionLifecycle:
    """Receives archives and runs the checks in background tasks.

    lifecycle = VersionLifecycle(sessions, storage, signer)
    await lifecycle.receive_archive(token, request.stream())   # schedules the checks
    await lifecycle.drain()                                    # tests: wait for them
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        storage: ArchiveStorage,
        signer: UploadSigner,
        *,
        limits: ArchiveLimits | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = 2,
    ) -> None:
        self._sessions = sessions
        self._storage = storage
        self._signer = signer
        self._limits = limits or ArchiveLimits()
        self._timeout = timeout
        # Each check may run a child interpreter; a burst of uploads queues here instead.
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._receiving: set[str] = set()

    async def receive_archive(self, token: str, chunks: AsyncIterator[bytes]) -> None:
        """Store the archive that `token` was issued for, then schedule its checks.

        Raises `UploadLinkInvalid` for a bad, expired or used token (or one whose version is
        gone), and `ArchiveTooLarge`.
        """
        version_id = self._signer.verify(token)
        async with self._sessions() as session:
            version = await session.get(PackVersionRecord, version_id)
        if version is None or version.status != VersionStatus.PENDING or version.is_uploaded:
            raise UploadLinkInvalid("it was used already, or its version is gone.")
        if version_id in self._receiving:
            raise UploadLinkInvalid("another upload to it is in progress.")
        self._receiving.add(version_id)
        try:
            stored = await self._store(version.archive_key, chunks)
            await self._mark_uploaded(version_id, stored)
        finally:
            self._receiving.discard(version_id)
        self.schedule(version_id)

    def schedule(self, version_id: str) -> None:
        """Check the version in the background (once, however often this is called meanwhile)."""
        if version_id in self._tasks:
            return
        task = asyncio.create_task(self._run(version_id), name=f"registry-check-{version_id}")
        self._tasks[version_id] = task
        task.add_done_callback(lambda _task: self._tasks.pop(version_id, None))

    async def resume(self) -> int:
        """Schedule every uploaded version still pending (a stop interrupted its check); returns
        how many. TODO: with several servers on one database, claim versions with a lease so
        that each is checked once; today a duplicate check is harmless but wasted."""
        query = select(PackVersionRecord.id).where(
            PackVersionRecord.status == VersionStatus.PENDING, PackVersionRecord.uploaded_at.is_not(None)
        )
        async with self._sessions() as session:
            pending = list(await session.scalars(query))
        for version_id in pending:
            self.schedule(version_id)
        return len(pending)

    async def drain(self) -> None:
        """Wait until no check is running or scheduled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def stop(self) -> None:
        """Cancel the checks in flight; `resume` picks them up at the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def check(self, version_id: str) -> None:
        """Check a pending, uploaded version now and record the verdict."""
        async with self._sessions() as session:
            version = await session.get(PackVersionRecord, version_id)
        if version is None or version.status != VersionStatus.PENDING or not version.is_uploaded:
            return
        async with self._slots:
            verdict = await self._verdict(version)
        if verdict is None:
            await self.settle(version_id, VersionStatus.DELETED, MISSING_ARCHIVE)
        else:
            await self._record(version_id, verdict)

    async def settle(self, version_id: str, status: VersionStatus, reason: str) -> None:
        """Move a still-pending version to `status` without node classes (extraction failed)."""
        values = {
            "status": status,
            "status_reason": reason,
            "comfy_node_extract_status": ExtractStatus.FAILED,
            "checked_at": utcnow(),
        }
        async with self._sessions.begin() as session:
            await session.execute(
                update(PackVersionRecord)
                .where(PackVersionRecord.id == version_id, PackVersionRecord.status == VersionStatus.PENDING)
                .values(**values)
            )
            await _touch_pack_of(session, version_id)

    async def _run(self, version_id: str) -> None:
        try:
            await self.check(version_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The one place that catches everything: this task is the version's only way out of
            # `pending`, so whatever broke, the version ends flagged for a person to look at.
            logger.exception("Checking registry version %s failed.", version_id)
            await self.settle(version_id, VersionStatus.FLAGGED, UNEXPECTED_FAILURE)

    async def _verdict(self, version: PackVersionRecord) -> PackCheck | None:
        """The checks' verdict, or None when the archive is missing. Disk errors are retried."""
        for attempt in range(1, DISK_RETRIES + 1):
            try:
                return await asyncio.to_thread(self._check_archive, version.archive_key, version.pack_id)
            except (FileNotFoundError, StoredArchiveMissing):
                return None
            except OSError as exc:
                if attempt == DISK_RETRIES:
                    return _unreadable(exc)
                logger.warning("Checking %s failed (%s); trying again.", version.archive_key, exc)
                await asyncio.sleep(DISK_RETRY_SECONDS * attempt)
        raise AssertionError("unreachable")

    def _check_archive(self, key: str, pack_name: str) -> PackCheck:
        """Runs in a worker thread: the checks read the archive from a local file."""
        path = self._storage.path_for(key)
        if path is not None:
            return check_pack_archive(path, limits=self._limits, timeout=self._timeout, pack_name=pack_name)
        with (
            self._storage.open(key) as source,
            tempfile.TemporaryDirectory(prefix="comfyd-archive-") as folder,
        ):
            copy = Path(folder) / "node.zip"
            with open(copy, "wb") as out:
                shutil.copyfileobj(source, out)
            return check_pack_archive(copy, limits=self._limits, timeout=self._timeout, pack_name=pack_name)

    async def _record(self, version_id: str, verdict: PackCheck) -> None:
        async with self._sessions.begin() as session:
            version = await session.get(PackVersionRecord, version_id, with_for_update=True)
            if version is None or version.status != VersionStatus.PENDING:
                return  # decided by a person while the check ran; theirs is the last word
            version.status = VersionStatus.FLAGGED if verdict.is_flagged else VersionStatus.ACTIVE
            version.status_reason = _reason(verdict)
            version.comfy_node_extract_status = verdict.extraction.status
            version.checked_at = utcnow()
            await session.execute(delete(ComfyNodeRecord).where(ComfyNodeRecord.version_id == version_id))
            session.add_all(comfy_node_records(version_id, verdict.extraction.nodes))
            await _touch_pack_of(session, version_id)

    async def _store(self, key: str, chunks: AsyncIterator[bytes]) -> StoredArchive:
        with tempfile.TemporaryFile(prefix="comfyd-upload-") as spool:
            await _spool(chunks, spool, self._limits.max_archive_bytes)
            spool.seek(0)
            return await asyncio.to_thread(self._storage.save, key, spool)

    async def _mark_uploaded(self, version_id: str, stored: StoredArchive) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(PackVersionRecord)
                .where(PackVersionRecord.id == version_id)
                .values(uploaded_at=utcnow(), archive_size=stored.size, archive_sha256=stored.sha256)
            )


def comfy_node_records(version_id: str, nodes: list[dict[str, Any]]) -> list[ComfyNodeRecord]:
    """Rows for the ComfyNode dicts an extraction produced (the first of a repeated name wins)."""
    records: dict[str, ComfyNodeRecord] = {}
    for node in nodes:
        name = str(node.get("comfy_node_name") or "")
        if not name or name in records:
            continue
        records[name] = ComfyNodeRecord(
            version_id=version_id,
            name=name,
            category=str(node.get("category") or ""),
            description=str(node.get("description") or ""),
            input_types=str(node.get("input_types") or ""),
            return_types=str(node.get("return_types") or ""),
            return_names=str(node.get("return_names") or ""),
            output_is_list=list(node.get("output_is_list") or []),
            function=str(node.get("function") or ""),
            deprecated=bool(node.get("deprecated", False)),
            experimental=bool(node.get("experimental", False)),
            policy=_POLICIES.get(str(node.get("policy")), ComfyNodePolicy.ACTIVE),
        )
    return list(records.values())


def _reason(verdict: PackCheck) -> str:
    """`status_reason`: the findings of a flagged pack; for a passed one, why extraction failed."""
    reason = verdict.status_reason
    extraction: ExtractionResult = verdict.extraction
    if not verdict.is_flagged and extraction.reason:
        reason = (
            f"{reason}. Node classes: {extraction.reason}"
            if reason == PASSED
            else f"{reason}\n{extraction.reason}"
        )
    return reason


def _unreadable(exc: OSError) -> PackCheck:
    failed = ExtractionResult.failed("The archive could not be read.")
    return PackCheck(True, f"The automated checks could not read the archive: {exc}", (), failed)


async def _spool(chunks: AsyncIterator[bytes], spool: IO[bytes], limit: int) -> None:
    # Small writes to a local temporary file; they do not hold the event loop long enough to
    # justify a thread hop per chunk.
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise ArchiveTooLarge(limit)
        spool.write(chunk)


async def _touch_pack_of(session: AsyncSession, version_id: str) -> None:
    """Mark the version's pack changed, so `GET /nodes?timestamp=` (mirrors) sees the new status."""
    pack_id = select(PackVersionRecord.pack_id).where(PackVersionRecord.id == version_id).scalar_subquery()
    await session.execute(
        update(PackRecord).where(PackRecord.id == pack_id).values(updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
