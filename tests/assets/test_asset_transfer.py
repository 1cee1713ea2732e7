"""`Transfer` against a real file server on loopback: ranges, restarts, limits and checksums."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from asset_fileserver import model_bytes, sha256
from comfyd.assets.errors import DownloadFailed, SourceNotAllowed
from comfyd.assets.sources import SourcePolicy
from comfyd.assets.transfer import Transfer

pytestmark = pytest.mark.anyio

SIZE = 3 * 1024 * 1024 + 17
DATA = model_bytes(SIZE)
PATH = "/models/model.safetensors"


class Recorder:
    """A `TransferListener` that remembers what it was told."""

    def __init__(self) -> None:
        self.starts: list[dict] = []
        self.progress: list[int] = []

    async def started(self, *, bytes_done: int, bytes_total: int | None, validator: str | None) -> None:
        self.starts.append({"bytes_done": bytes_done, "bytes_total": bytes_total, "validator": validator})

    def progressed(self, bytes_done: int, bytes_total: int | None) -> None:
        self.progress.append(bytes_done)


@pytest.fixture
async def transfer() -> AsyncIterator[Transfer]:
    transfer = Transfer(policy=SourcePolicy(allow_private=True), max_bytes=None)
    yield transfer
    await transfer.aclose()


async def test_a_fresh_fetch_writes_the_file_and_reports_growing_progress(transfer, file_server, tmp_path):
    url = file_server.add(PATH, DATA)
    part = tmp_path / ".download-1.part"
    recorder = Recorder()

    result = await transfer.fetch(url, part, validator=None, sha256=sha256(DATA), listener=recorder)

    assert part.read_bytes() == DATA
    assert (result.sha256, result.size) == (sha256(DATA), SIZE)
    assert recorder.starts == [{"bytes_done": 0, "bytes_total": SIZE, "validator": f'"{sha256(DATA)[:16]}"'}]
    assert recorder.progress == sorted(set(recorder.progress)) and recorder.progress[-1] == SIZE
    assert file_server.ranges(PATH) == [None]


async def test_a_partial_file_resumes_with_a_range_request_and_the_whole_file_hashes(
    transfer, file_server, tmp_path
):
    url = file_server.add(PATH, DATA)
    part = tmp_path / ".download-2.part"
    part.write_bytes(DATA[:1_000_000])
    recorder = Recorder()

    result = await transfer.fetch(url, part, validator=None, sha256=sha256(DATA), listener=recorder)

    assert file_server.ranges(PATH) == ["bytes=1000000-"]
    assert part.read_bytes() == DATA and result.sha256 == sha256(DATA)
    assert recorder.starts[0]["bytes_done"] == 1_000_000


async def test_a_resume_sends_the_recorded_validator_as_if_range(transfer, file_server, tmp_path):
    url = file_server.add(PATH, DATA)
    part = tmp_path / ".download-3.part"
    part.write_bytes(b"\0" * 500_000)  # bytes of an older version of the file

    await transfer.fetch(url, part, validator='"an-older-etag"', sha256=sha256(DATA), listener=Recorder())

    assert file_server.requests[0].if_range == '"an-older-etag"'
    assert part.read_bytes() == DATA  # the server sent all of the new file, which replaced the old bytes


async def test_a_server_that_ignores_range_restarts_the_file_from_zero(transfer, file_server, tmp_path):
    file_server.ignore_range = True
    url = file_server.add(PATH, DATA)
    part = tmp_path / ".download-4.part"
    part.write_bytes(b"\xff" * 700_000)
    recorder = Recorder()

    result = await transfer.fetch(url, part, validator=None, sha256=sha256(DATA), listener=recorder)

    assert file_server.ranges(PATH) == ["bytes=700000-"]
    assert part.read_bytes() == DATA and result.size == SIZE
    assert recorder.starts[0]["bytes_done"] == 0


async def test_a_part_that_already_holds_every_byte_completes_without_the_body(
    transfer, file_server, tmp_path
):
    url = file_server.add(PATH, DATA)
    part = tmp_path / ".download-5.part"
    part.write_bytes(DATA)

    result = await transfer.fetch(url, part, validator=None, sha256=sha256(DATA), listener=Recorder())

    assert file_server.ranges(PATH) == [f"bytes={SIZE}-"]
    assert result.size == SIZE and part.read_bytes() == DATA


async def test_a_part_longer_than_the_file_starts_over(transfer, file_server, tmp_path):
    url = file_server.add(PATH, DATA)
    part = tmp_path / ".download-6.part"
    part.write_bytes(DATA + b"extra")

    await transfer.fetch(url, part, validator=None, sha256=sha256(DATA), listener=Recorder())

    assert file_server.ranges(PATH) == [f"bytes={SIZE + 5}-", None]
    assert part.read_bytes() == DATA


async def test_a_connection_that_breaks_midway_is_resumed_where_it_broke(transfer, file_server, tmp_path):
    file_server.pause_first_at = 1024 * 1024
    file_server.release()  # the first response stops at 1 MiB and closes at once
    url = file_server.add(PATH, DATA)
    part = tmp_path / ".download-7.part"

    await transfer.fetch(url, part, validator=None, sha256=sha256(DATA), listener=Recorder())

    ranges = file_server.ranges(PATH)
    assert ranges[0] is None and len(ranges) == 2
    assert int(ranges[1].removeprefix("bytes=").rstrip("-")) >= 1024 * 1024 - 256 * 1024
    assert part.read_bytes() == DATA


async def test_a_wrong_sha256_fails_the_fetch(transfer, file_server, tmp_path):
    url = file_server.add(PATH, DATA)

    with pytest.raises(DownloadFailed, match="not the expected " + "0" * 64):
        await transfer.fetch(url, tmp_path / ".p", validator=None, sha256="0" * 64, listener=Recorder())


async def test_a_file_over_the_size_limit_fails_before_any_byte_is_written(file_server, tmp_path):
    url = file_server.add(PATH, DATA)
    part = tmp_path / ".download-8.part"
    transfer = Transfer(policy=SourcePolicy(allow_private=True), max_bytes=SIZE - 1)
    try:
        with pytest.raises(DownloadFailed, match=f"download limit of {SIZE - 1} bytes"):
            await transfer.fetch(url, part, validator=None, sha256=None, listener=Recorder())
    finally:
        await transfer.aclose()

    assert not part.exists()


async def test_an_http_error_fails_with_its_status(transfer, file_server, tmp_path):
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        await transfer.fetch(
            file_server.base_url + "/missing.safetensors",
            tmp_path / ".p",
            validator=None,
            sha256=None,
            listener=Recorder(),
        )


async def test_redirects_are_followed_and_each_hop_is_checked(file_server, tmp_path):
    file_server.add(PATH, DATA)
    allowed_hop = file_server.redirect("/hop", PATH)
    refused_hop = file_server.redirect(
        "/away", f"http://localhost:{file_server.base_url.rsplit(':', 1)[1]}{PATH}"
    )
    transfer = Transfer(policy=SourcePolicy(allow_hosts=("127.0.0.1",), allow_private=True), max_bytes=None)
    try:
        await transfer.fetch(
            allowed_hop, tmp_path / ".a", validator=None, sha256=sha256(DATA), listener=Recorder()
        )
        with pytest.raises(SourceNotAllowed, match="localhost are not allowed"):
            await transfer.fetch(
                refused_hop, tmp_path / ".b", validator=None, sha256=None, listener=Recorder()
            )
    finally:
        await transfer.aclose()

    assert (tmp_path / ".a").read_bytes() == DATA
    assert [logged.path for logged in file_server.requests] == ["/hop", PATH, "/away"]


async def test_a_redirect_to_a_private_address_is_refused_by_default(file_server, tmp_path):
    # The first hop is a loopback server too (there is no public one in a test), so it is allowed
    # by name; the policy must still refuse the hop whose address is not public.
    refused_hop = file_server.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")

    class FirstHopOnly(SourcePolicy):
        async def resolve(self, url):
            if url.host == "127.0.0.1":
                return await SourcePolicy(allow_private=True).resolve(url)
            return await super().resolve(url)

    transfer = Transfer(policy=FirstHopOnly(), max_bytes=None)
    try:
        with pytest.raises(SourceNotAllowed, match="169.254.169.254 is a private"):
            await transfer.fetch(
                refused_hop, tmp_path / ".p", validator=None, sha256=None, listener=Recorder()
            )
    finally:
        await transfer.aclose()
