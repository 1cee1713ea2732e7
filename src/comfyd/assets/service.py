"""`AssetDownloads`: start, follow, cancel and resume model downloads on the server's event loop.

Each download is a row (`DownloadStore`) and, while it runs, an asyncio task that drives a
`Transfer` into a hidden `.part` file beside its target, then moves the checked file into place.
A server that stops leaves its rows `pending` or `running` and their `.part` files on disk;
`resume_unfinished` picks them up at the next start with a range request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from comfyd.assets.errors import (
    AssetDownloadError,
    DownloadConflict,
    DownloadPermissionDenied,
    IllegalDownloadTransition,
    UnsafeTarget,
)
from comfyd.assets.models import AssetDownload, AssetDownloadCreate, AssetDownloadMessage
from comfyd.assets.sources import SourcePolicy
from comfyd.assets.states import DownloadPhase, DownloadState
from comfyd.assets.store import DownloadStore
from comfyd.assets.targets import (
    DownloadTarget,
    checked_target,
    default_filename,
    refuse_existing,
    resolve_target,
)
from comfyd.assets.transfer import Transfer
from comfyd.db.assets import AssetDownloadRecord
from comfyd.engine.folders import FolderPaths

logger = logging.getLogger(__name__)

# Downloads that transfer at once; the others wait as `pending`. Model files are large and a few
# streams already fill most links, so more would only slow each one down.
CONCURRENT_DOWNLOADS = 3

# `publish(client_id, scope, message)`; `scope` is the requester's workspace, or None.
Publish = Callable[[str, str | None, AssetDownloadMessage], None]


class ProgressThrottle:
    """Says when a `progress` message is due: every 1% (at least 256 KiB) or 250 ms, whichever is first.

    The percentage step keeps a fast transfer of a large file from sending thousands of messages
    a second; the interval keeps a slow one visibly moving.
    """

    def __init__(self, *, min_bytes: int = 256 * 1024, interval: float = 0.25) -> None:
        self._min_bytes = min_bytes
        self._interval = interval
        self._last_bytes = 0
        self._last_time = time.monotonic()

    def restart(self, bytes_done: int) -> None:
        self._last_bytes, self._last_time = bytes_done, time.monotonic()

    def is_due(self, bytes_done: int, bytes_total: int | None) -> bool:
        step = max(self._min_bytes, (bytes_total or 0) // 100)
        now = time.monotonic()
        moved = bytes_done - self._last_bytes
        if moved <= 0 or (moved < step and now - self._last_time < self._interval):
            return False
        self._last_bytes, self._last_time = bytes_done, now
        return True


@dataclass(eq=False)
class _Job:
    """A download's task while this process runs it."""

    record: AssetDownloadRecord
    task: asyncio.Task | None = None
    bytes_done: int = 0
    bytes_total: int | None = None
    # Set by `cancel`, so the task can tell a user's cancel from the server stopping.
    is_cancel_requested: bool = False
    # Set once the file is checked and being moved into place: too late to cancel.
    is_finishing: bool = False
    throttle: ProgressThrottle = field(default_factory=ProgressThrottle)


class AssetDownloads:
    """Model and asset downloads into model folders.

    Only administrators may start a download (it writes files on the server and makes the server
    fetch a URL); a download is visible to, and cancellable by, administrators and its owner.
    `publish(client_id, scope, message)` delivers `asset_download` messages to the requesting
    `/ws` client (in its workspace, when sign-in is required); `on_completed()` runs after a file
    lands, to drop caches that list model files.
    """

    def __init__(
        self,
        *,
        store: DownloadStore,
        folders: FolderPaths,
        policy: SourcePolicy,
        transfer: Transfer,
        publish: Publish,
        on_completed: Callable[[], None],
        concurrency: int = CONCURRENT_DOWNLOADS,
    ) -> None:
        self._store = store
        self._folders = folders
        self._policy = policy
        self._transfer = transfer
        self._publish = publish
        self._on_completed = on_completed
        self._slots = asyncio.Semaphore(concurrency)
        self._jobs: dict[str, _Job] = {}
        self._start_lock = asyncio.Lock()

    # -- requests ---------------------------------------------------------------------------

    async def start(
        self,
        request: AssetDownloadCreate,
        *,
        owner_id: str,
        is_admin: bool,
        client_id: str | None,
        client_scope: str | None = None,
    ) -> AssetDownload:
        """Check the request, record it and start it. Raises `InvalidDownloadRequest` subclasses,
        `DownloadPermissionDenied` and `DownloadConflict`."""
        if not is_admin:
            raise DownloadPermissionDenied("Only administrators can download models to this server.")
        url = self._policy.parse(request.url)
        await self._policy.resolve(url)  # refuse a private address now, not once the task runs
        filename = request.filename or default_filename(url.path)
        if not filename:
            raise UnsafeTarget(
                "The URL does not end in a file name; give one in 'filename'.",
                folder=request.folder,
                filename="",
            )
        target = resolve_target(self._folders, request.folder, filename)
        async with self._start_lock:  # two requests for one file: the second sees the first's row
            await self._refuse_busy(target)
            record = await self._store.add(
                AssetDownloadRecord(
                    url=str(url),
                    folder=target.folder,
                    filename=target.filename,
                    directory=str(target.directory),
                    sha256=request.sha256.lower() if request.sha256 else None,
                    status=DownloadState.PENDING.value,
                    bytes_done=0,
                    owner_id=owner_id,
                    client_id=client_id,
                    client_scope=client_scope,
                )
            )
            self._launch(record)
        return AssetDownload.from_record(record)

    async def get(self, download_id: str, *, user_id: str, is_admin: bool) -> AssetDownload:
        """One download; raises `DownloadNotFound` or `DownloadPermissionDenied`."""
        record = await self._store.get(download_id)
        _check_can_see(record, user_id, is_admin)
        return self._describe(record)

    async def visible_to(self, *, user_id: str, is_admin: bool) -> list[AssetDownload]:
        """Every download for an administrator, else the caller's own; newest first."""
        records = await self._store.newest_first(owner_id=None if is_admin else user_id)
        return [self._describe(record) for record in records]

    async def cancel(self, download_id: str, *, user_id: str, is_admin: bool) -> AssetDownload:
        """Stop a download and delete its partial file.

        Raises `DownloadNotFound`, `DownloadPermissionDenied`, `IllegalDownloadTransition` when it
        already ended, and `DownloadConflict` when its file is being moved into place.
        """
        record = await self._store.get(download_id)
        _check_can_see(record, user_id, is_admin)
        DownloadState(record.status).check_move(DownloadState.CANCELLED)
        job = self._jobs.get(download_id)
        if job is None or job.task is None:
            # Recorded by a process that is not running it (stopped, or another server).
            await self._end(record, DownloadState.CANCELLED, None)
        elif job.is_finishing:
            raise DownloadConflict(
                f"Download {download_id} is already complete and being saved.", path=record.filename
            )
        else:
            job.is_cancel_requested = True
            job.task.cancel()
            await asyncio.wait([job.task])
        return AssetDownload.from_record(await self._store.get(download_id))

    # -- lifecycle --------------------------------------------------------------------------

    async def resume_unfinished(self) -> int:
        """Restart every pending or running download left by the last run; returns how many.

        TODO: servers that share one database (cluster mode) each resume every unfinished row;
        give rows a lease, as jobs have, once downloads are expected there.
        """
        records = await self._store.unfinished()
        for record in records:
            logger.info("Resuming the download of %s/%s from %s", record.folder, record.filename, record.url)
            self._launch(record)
        return len(records)

    async def close(self) -> None:
        """Stop every task but keep rows and `.part` files, so the next start resumes them."""
        tasks = [job.task for job in self._jobs.values() if job.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._transfer.aclose()

    # -- running one download ---------------------------------------------------------------

    def _launch(self, record: AssetDownloadRecord) -> None:
        job = self._jobs[record.id] = _Job(
            record, bytes_done=record.bytes_done, bytes_total=record.bytes_total
        )
        job.task = asyncio.create_task(self._run(job), name=f"asset-download-{record.id}")
        job.task.add_done_callback(lambda _task: self._jobs.pop(record.id, None))

    async def _run(self, job: _Job) -> None:
        try:
            async with self._slots:
                await self._download(job)
        except asyncio.CancelledError:
            if not job.is_cancel_requested:
                raise  # the server is stopping: the row stays unfinished and resumes next time
            await self._end(job.record, DownloadState.CANCELLED, None)
        except (AssetDownloadError, OSError) as exc:
            await self._end(job.record, DownloadState.FAILED, _reason(exc))
        except Exception as exc:
            # A background task has no caller to raise to: an unexpected error would otherwise
            # leave the row `running` and retried at every start. Record it and keep the trace.
            logger.exception("The download %s failed unexpectedly", job.record.id)
            await self._end(job.record, DownloadState.FAILED, f"Internal error: {type(exc).__name__}: {exc}")

    async def _download(self, job: _Job) -> None:
        record = job.record
        if record.status == DownloadState.PENDING:
            record = job.record = await self._store.move(record.id, DownloadState.RUNNING)
        target = checked_target(_target_of(record))
        part = target.part_path(record.id)
        await asyncio.to_thread(part.parent.mkdir, parents=True, exist_ok=True)
        result = await self._transfer.fetch(
            record.url, part, validator=record.validator, sha256=record.sha256, listener=_Reporter(self, job)
        )
        job.is_finishing = True
        await asyncio.to_thread(_move_into_place, part, target)
        job.record = await self._store.move(
            record.id,
            DownloadState.COMPLETED,
            bytes_done=result.size,
            bytes_total=result.size,
            sha256=result.sha256,
        )
        self._on_completed()
        self._send(job.record, DownloadPhase.COMPLETED)

    async def _end(self, record: AssetDownloadRecord, state: DownloadState, error: str | None) -> None:
        """Record a failed or cancelled download, remove its partial file, tell its client."""
        target = _target_of(record)
        await asyncio.to_thread(_remove_partial, target.part_path(record.id), target.directory)
        try:
            record = await self._store.move(record.id, state, error=error)
        except IllegalDownloadTransition as exc:
            # Another server on the same database ended it first (a cancel there); its word stands.
            logger.warning("Download %s ended elsewhere: %s", record.id, exc)
            return
        if state == DownloadState.FAILED:
            logger.warning("The download of %s/%s failed: %s", record.folder, record.filename, error)
        self._send(record, DownloadPhase.FAILED if state == DownloadState.FAILED else DownloadPhase.CANCELLED)

    async def _refuse_busy(self, target: DownloadTarget) -> None:
        refuse_existing(target)
        other = await self._store.find_unfinished_for(str(target.directory), target.filename)
        if other is not None:
            raise DownloadConflict(
                f"{target.folder}/{target.filename} is already being downloaded (download {other.id}).",
                path=str(target.path),
            )

    def _describe(self, record: AssetDownloadRecord) -> AssetDownload:
        job = self._jobs.get(record.id)
        live = job.bytes_done if job is not None and record.status == DownloadState.RUNNING else None
        return AssetDownload.from_record(record, bytes_done=live)

    def _send(self, record: AssetDownloadRecord, phase: DownloadPhase, **counts: int | None) -> None:
        if record.client_id:
            message = AssetDownloadMessage.for_download(record, phase, **counts)
            self._publish(record.client_id, record.client_scope, message)


class _Reporter:
    """The transfer's listener for one job: records the start, sends throttled progress."""

    def __init__(self, downloads: AssetDownloads, job: _Job) -> None:
        self._downloads = downloads
        self._job = job

    async def started(self, *, bytes_done: int, bytes_total: int | None, validator: str | None) -> None:
        job = self._job
        job.bytes_done, job.bytes_total = bytes_done, bytes_total
        job.throttle.restart(bytes_done)
        job.record = await self._downloads._store.update(
            job.record.id, bytes_done=bytes_done, bytes_total=bytes_total, validator=validator
        )
        self._downloads._send(job.record, DownloadPhase.STARTED)

    def progressed(self, bytes_done: int, bytes_total: int | None) -> None:
        job = self._job
        job.bytes_done = bytes_done
        if job.throttle.is_due(bytes_done, bytes_total):
            self._downloads._send(
                job.record, DownloadPhase.PROGRESS, bytes_done=bytes_done, bytes_total=bytes_total
            )


def _check_can_see(record: AssetDownloadRecord, user_id: str, is_admin: bool) -> None:
    if not is_admin and record.owner_id != user_id:
        raise DownloadPermissionDenied(f"Download {record.id} belongs to another user.")


def _target_of(record: AssetDownloadRecord) -> DownloadTarget:
    return DownloadTarget(record.folder, record.filename, Path(record.directory))


def _reason(exc: Exception) -> str:
    if isinstance(exc, AssetDownloadError):
        return exc.message
    return f"Cannot write the file: {exc}"


def _move_into_place(part: Path, target: DownloadTarget) -> None:
    """Rename the checked `.part` file to its name: atomic, as both sit in one directory."""
    if target.path.exists():
        raise DownloadConflict(
            f"{target.folder}/{target.filename} appeared while it was downloading.", path=str(target.path)
        )
    os.replace(part, target.path)


def _remove_partial(part: Path, root: Path) -> None:
    """Delete a `.part` file and the empty folders made for it, up to (not including) `root`."""
    part.unlink(missing_ok=True)
    directory = part.parent
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:
            return  # not empty, or already gone
        directory = directory.parent
