"""`AssetDownloads` on a real SQLite file and a real file server: lifecycle, messages, permissions."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from asset_fileserver import model_bytes, sha256
from comfyd.assets.errors import DownloadConflict, DownloadPermissionDenied, IllegalDownloadTransition
from comfyd.assets.models import AssetDownloadCreate, AssetDownloadMessage
from comfyd.assets.service import AssetDownloads, ProgressThrottle
from comfyd.assets.sources import SourcePolicy
from comfyd.assets.states import DownloadState
from comfyd.assets.store import DownloadStore
from comfyd.assets.transfer import Transfer
from comfyd.db.assets import AssetDownloadRecord
from comfyd.engine.folders import FolderPaths

pytestmark = pytest.mark.anyio

SIZE = 2 * 1024 * 1024 + 3
DATA = model_bytes(SIZE)
ADMIN = {"owner_id": "admin-1", "is_admin": True, "client_id": "client-1"}
TERMINAL = {"completed", "failed", "cancelled"}


class Inbox:
    """The `publish` callback: every message by client, and a way to wait for a download's end."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str | None, AssetDownloadMessage]] = []
        self._changed = asyncio.Event()

    def __call__(self, client_id: str, scope: str | None, message: AssetDownloadMessage) -> None:
        self.messages.append((client_id, scope, message))
        self._changed.set()

    def of(self, download_id: str) -> list[AssetDownloadMessage]:
        return [message for _client, _scope, message in self.messages if message.download_id == download_id]

    async def wait_for(self, download_id: str, predicate) -> AssetDownloadMessage:
        async with asyncio.timeout(60):
            while True:
                for message in self.of(download_id):
                    if predicate(message):
                        return message
                self._changed.clear()
                await self._changed.wait()

    async def wait_end(self, download_id: str) -> AssetDownloadMessage:
        return await self.wait_for(download_id, lambda message: message.status in TERMINAL)


@pytest.fixture
def folders(tmp_path) -> FolderPaths:
    return FolderPaths(tmp_path / "comfy")


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
async def downloads(sessions, folders, inbox) -> AsyncIterator[AssetDownloads]:
    policy = SourcePolicy(allow_private=True)
    completed: list[int] = []
    service = AssetDownloads(
        store=DownloadStore(sessions),
        folders=folders,
        policy=policy,
        transfer=Transfer(policy=policy, max_bytes=None),
        publish=inbox,
        on_completed=lambda: completed.append(1),
    )
    service.completed_calls = completed  # type: ignore[attr-defined]
    yield service
    await service.close()


def checkpoints(folders: FolderPaths) -> Path:
    return folders.get_folder_paths("checkpoints")[0]


async def test_a_download_lands_in_its_folder_and_reports_started_progress_completed(
    downloads, inbox, file_server, folders
):
    url = file_server.add("/sd.safetensors", DATA)

    started = await downloads.start(
        AssetDownloadCreate(url=url, folder="checkpoints", sha256=sha256(DATA)), **ADMIN, client_scope="ws-1"
    )
    await inbox.wait_end(started.id)

    messages = inbox.of(started.id)
    phases = [message.status for message in messages]
    assert phases[0] == "started" and phases[-1] == "completed" and set(phases[1:-1]) == {"progress"}
    done = [message.bytes_done for message in messages]
    assert done == sorted(done) and done[-1] == SIZE and messages[-1].bytes_total == SIZE
    assert {(client, scope) for client, scope, _message in inbox.messages} == {("client-1", "ws-1")}
    assert (checkpoints(folders) / "sd.safetensors").read_bytes() == DATA
    assert os.listdir(checkpoints(folders)) == ["sd.safetensors"]
    final = await downloads.get(started.id, user_id="admin-1", is_admin=True)
    assert (final.status, final.sha256, final.bytes_done) == ("completed", sha256(DATA), SIZE)
    assert downloads.completed_calls == [1]


async def test_only_administrators_may_start_a_download(downloads, file_server):
    url = file_server.add("/m.safetensors", DATA)

    with pytest.raises(DownloadPermissionDenied, match="Only administrators"):
        await downloads.start(
            AssetDownloadCreate(url=url, folder="loras"), owner_id="u", is_admin=False, client_id=None
        )


async def test_a_wrong_sha256_fails_and_leaves_nothing_in_the_folder(downloads, inbox, file_server, folders):
    url = file_server.add("/m.safetensors", DATA)

    started = await downloads.start(
        AssetDownloadCreate(url=url, folder="loras", filename="sub/dir/m.safetensors", sha256="ab" * 32),
        **ADMIN,
    )
    failed = await inbox.wait_end(started.id)

    assert failed.status == "failed" and "not the expected " + "ab" * 32 in failed.error
    assert os.listdir(folders.get_folder_paths("loras")[0]) == []
    record = await downloads.get(started.id, user_id="admin-1", is_admin=True)
    assert record.status == "failed" and record.error == failed.error


async def test_cancel_stops_the_transfer_and_removes_the_partial_file(downloads, inbox, file_server, folders):
    file_server.pause_first_at = 1024 * 1024
    url = file_server.add("/slow.safetensors", DATA)
    started = await downloads.start(AssetDownloadCreate(url=url, folder="vae"), **ADMIN)
    await inbox.wait_for(started.id, lambda message: message.bytes_done >= 512 * 1024)

    cancelled = await downloads.cancel(started.id, user_id="admin-1", is_admin=True)

    assert cancelled.status == "cancelled"
    assert inbox.of(started.id)[-1].status == "cancelled"
    assert os.listdir(folders.get_folder_paths("vae")[0]) == []
    with pytest.raises(IllegalDownloadTransition, match="cancelled cannot become cancelled"):
        await downloads.cancel(started.id, user_id="admin-1", is_admin=True)


async def test_a_second_download_of_the_same_file_is_a_conflict(downloads, inbox, file_server, folders):
    file_server.pause_first_at = 512 * 1024
    url = file_server.add("/busy.safetensors", DATA)
    first = await downloads.start(AssetDownloadCreate(url=url, folder="checkpoints"), **ADMIN)

    with pytest.raises(DownloadConflict, match=f"already being downloaded \\(download {first.id}\\)"):
        await downloads.start(AssetDownloadCreate(url=url, folder="checkpoints"), **ADMIN)

    file_server.release()
    await inbox.wait_end(first.id)
    with pytest.raises(DownloadConflict, match="already exists"):
        await downloads.start(AssetDownloadCreate(url=url, folder="checkpoints"), **ADMIN)


async def test_a_download_is_visible_to_its_owner_and_administrators_only(downloads, inbox, file_server):
    url = file_server.add("/own.safetensors", DATA)
    started = await downloads.start(AssetDownloadCreate(url=url, folder="loras"), **ADMIN)
    await inbox.wait_end(started.id)

    assert [d.id for d in await downloads.visible_to(user_id="admin-1", is_admin=False)] == [started.id]
    assert [d.id for d in await downloads.visible_to(user_id="someone", is_admin=True)] == [started.id]
    assert await downloads.visible_to(user_id="someone", is_admin=False) == []
    with pytest.raises(DownloadPermissionDenied, match="belongs to another user"):
        await downloads.get(started.id, user_id="someone", is_admin=False)
    with pytest.raises(DownloadPermissionDenied):
        await downloads.cancel(started.id, user_id="someone", is_admin=False)


async def test_close_keeps_an_unfinished_download_and_the_next_start_resumes_it(
    sessions, downloads, inbox, file_server, folders
):
    file_server.pause_first_at = 1024 * 1024
    url = file_server.add("/resume.safetensors", DATA)
    started = await downloads.start(
        AssetDownloadCreate(url=url, folder="checkpoints", sha256=sha256(DATA)), **ADMIN
    )
    await inbox.wait_for(started.id, lambda message: message.bytes_done >= 512 * 1024)

    await downloads.close()  # the server stops

    record = await DownloadStore(sessions).get(started.id)
    part = checkpoints(folders) / f".download-{started.id}.part"
    assert record.status == DownloadState.RUNNING and part.stat().st_size > 0
    kept = part.stat().st_size

    policy = SourcePolicy(allow_private=True)
    restarted = AssetDownloads(
        store=DownloadStore(sessions),
        folders=folders,
        policy=policy,
        transfer=Transfer(policy=policy, max_bytes=None),
        publish=inbox,
        on_completed=lambda: None,
    )
    try:
        assert await restarted.resume_unfinished() == 1
        messages_before = len(inbox.of(started.id))
        await inbox.wait_end(started.id)
    finally:
        await restarted.close()

    assert file_server.ranges("/resume.safetensors") == [None, f"bytes={kept}-"]
    resumed = inbox.of(started.id)[messages_before:]
    assert resumed[0].status == "started" and resumed[0].bytes_done == kept
    assert resumed[-1].status == "completed"
    assert (checkpoints(folders) / "resume.safetensors").read_bytes() == DATA


async def test_a_pending_row_cancelled_without_a_task_ends_cancelled(sessions, downloads, folders):
    store = DownloadStore(sessions)
    record = await store.add(
        AssetDownloadRecord(
            url="http://127.0.0.1:9/x.safetensors",
            folder="checkpoints",
            filename="x.safetensors",
            directory=str(checkpoints(folders)),
            status=DownloadState.PENDING.value,
            bytes_done=0,
            owner_id="admin-1",
        )
    )

    cancelled = await downloads.cancel(record.id, user_id="admin-1", is_admin=True)

    assert cancelled.status == "cancelled" and cancelled.finished_at is not None


def test_the_throttle_reports_every_step_or_interval_but_never_twice_for_the_same_bytes():
    throttle = ProgressThrottle(min_bytes=100, interval=3600)

    due = [done for done in range(0, 1001, 10) if throttle.is_due(done, 1000)]

    assert due == [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    assert not throttle.is_due(1000, 1000)
