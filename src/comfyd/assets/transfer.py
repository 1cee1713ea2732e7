"""`Transfer`: fetch one URL into a `.part` file, resuming from the bytes already there.

The transfer streams with httpx and hashes as it writes (re-hashing the bytes already on disk
when it resumes), enforces the size limit, and leaves the checked `.part` file for the caller
to move into place. It asks for `Range: bytes=N-` with `If-Range`, so a server that ignores the
range or whose file changed sends the whole file, which then replaces what was there. Every hop,
redirects included, is checked by the `SourcePolicy` and connected to an address it approved.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import httpx

from comfyd.assets.errors import DownloadFailed
from comfyd.assets.sources import IPAddress, SourcePolicy

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
# Bytes gathered before one write (and one hash update) in a worker thread, so the event loop
# never waits on the disk and a progress report always counts bytes that reached the file.
WRITE_SIZE = 256 * 1024
HASH_READ_SIZE = 1024 * 1024
# A connection that breaks after bytes arrived is resumed with a new range request this often.
RESUME_ATTEMPTS = 5
TIMEOUT = httpx.Timeout(30.0, read=120.0)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class TransferListener(Protocol):
    """What a transfer tells its owner while it runs."""

    async def started(self, *, bytes_done: int, bytes_total: int | None, validator: str | None) -> None:
        """The source answered: writing starts at `bytes_done` (0 unless resuming)."""

    def progressed(self, bytes_done: int, bytes_total: int | None) -> None:
        """`bytes_done` bytes are on disk now."""


@dataclass(frozen=True)
class TransferResult:
    sha256: str
    size: int


class _Restart(Exception):
    """The source cannot continue the partial file; fetch it again from byte 0."""


class Transfer:
    """Downloads into `.part` files over one `httpx.AsyncClient`, made here unless one is given.

        transfer = Transfer(policy=SourcePolicy(), max_bytes=10**9)
        result = await transfer.fetch(url, part, validator=None, sha256=None, listener=listener)
        await transfer.aclose()

    `fetch` raises `DownloadFailed` (or `SourceNotAllowed` for a refused hop) and leaves the
    `.part` file in place, so the caller decides whether to keep it for a resume.
    """

    def __init__(
        self, *, policy: SourcePolicy, max_bytes: int | None, client: httpx.AsyncClient | None = None
    ) -> None:
        # Redirects are followed by hand (`_open`), so that each hop is checked before it is sent.
        self._client = client or httpx.AsyncClient(follow_redirects=False, timeout=TIMEOUT)
        self._policy = policy
        self._max_bytes = max_bytes

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self, url: str, part: Path, *, validator: str | None, sha256: str | None, listener: TransferListener
    ) -> TransferResult:
        """Fetch `url` into `part` (resuming it) and check its size and SHA-256."""
        result = await self._fetch_resuming(url, part, validator, listener)
        if sha256 is not None and result.sha256 != sha256.lower():
            raise DownloadFailed(
                f"The SHA-256 of the download is {result.sha256}, not the expected {sha256.lower()}."
            )
        await asyncio.to_thread(_fsync, part)
        return result

    async def _fetch_resuming(
        self, url: str, part: Path, validator: str | None, listener: TransferListener
    ) -> TransferResult:
        restarted = False
        for attempt in range(RESUME_ATTEMPTS + 1):
            before = _size(part)
            try:
                return await self._fetch_once(url, part, validator, listener)
            except _Restart:
                if restarted:
                    raise DownloadFailed(
                        f"{url} cannot be fetched consistently: its ranges do not match."
                    ) from None
                restarted = True
                await asyncio.to_thread(part.unlink, True)
            except httpx.TransportError as exc:
                # Resume only when this attempt got somewhere; a source that fails at once keeps failing.
                if attempt == RESUME_ATTEMPTS or _size(part) <= before:
                    raise DownloadFailed(f"The download from {url} broke off: {_describe(exc)}") from exc
                logger.info("Resuming %s after a broken connection: %s", url, _describe(exc))
        raise AssertionError("unreachable")

    async def _fetch_once(
        self, url: str, part: Path, validator: str | None, listener: TransferListener
    ) -> TransferResult:
        offset = _size(part)
        async with self._open(httpx.URL(url), _request_headers(offset, validator)) as response:
            if offset and _complete_size(response) == offset:
                # Every byte arrived before the server stopped; only the move was left to do.
                await listener.started(bytes_done=offset, bytes_total=offset, validator=validator)
                return TransferResult(
                    (await asyncio.to_thread(_hash_prefix, part, offset)).hexdigest(), offset
                )
            offset, total = _plan(response, offset)
            self._check_size(total)
            hasher = await asyncio.to_thread(_hash_prefix, part, offset)
            await listener.started(bytes_done=offset, bytes_total=total, validator=_validator(response))
            with open(part, "r+b" if offset else "wb") as file:
                file.truncate(offset)
                file.seek(offset)
                done = await self._stream(response, file, hasher, offset, total, listener)
        if total is not None and done != total:
            raise httpx.RemoteProtocolError(f"the source sent {done} of {total} bytes")
        return TransferResult(hasher.hexdigest(), done)

    async def _stream(
        self,
        response: httpx.Response,
        file: IO[bytes],
        hasher: hashlib._Hash,
        done: int,
        total: int | None,
        listener: TransferListener,
    ) -> int:
        buffer = bytearray()
        async for chunk in response.aiter_raw():
            buffer += chunk
            if total is not None and done + len(buffer) > total:
                raise DownloadFailed(f"The source sent more than the {total} bytes it announced.")
            self._check_size(done + len(buffer))
            if len(buffer) >= WRITE_SIZE:
                done += await asyncio.to_thread(_write, file, hasher, bytes(buffer))
                buffer.clear()
                listener.progressed(done, total)
        if buffer:
            done += await asyncio.to_thread(_write, file, hasher, bytes(buffer))
            listener.progressed(done, total)
        return done

    def _check_size(self, size: int | None) -> None:
        if self._max_bytes is not None and size is not None and size > self._max_bytes:
            raise DownloadFailed(
                f"The file is larger than this server's download limit of {self._max_bytes} bytes "
                f"(--asset-download-max-size)."
            )

    @asynccontextmanager
    async def _open(self, url: httpx.URL, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
        """The final response for `url`, following redirects and checking every hop."""
        for _hop in range(MAX_REDIRECTS + 1):
            response = await self._request(url, headers)
            if not response.has_redirect_location:
                break
            await response.aclose()
            url = _redirect_target(url, response.headers["location"])
        else:
            raise DownloadFailed(f"{url} redirects more than {MAX_REDIRECTS} times.")
        try:
            if response.status_code not in (200, 206, 416):
                raise DownloadFailed(f"{url} answered HTTP {response.status_code} {response.reason_phrase}.")
            yield response
        finally:
            await response.aclose()

    async def _request(self, url: httpx.URL, headers: dict[str, str]) -> httpx.Response:
        """One GET to one of the addresses the policy approved for `url`'s host."""
        addresses = await self._policy.resolve(url)
        error: httpx.ConnectError | None = None
        for address in addresses:
            request = _pinned_request(self._client, url, address, headers)
            try:
                return await self._client.send(request, stream=True)
            except httpx.ConnectError as exc:
                error = exc  # try the host's next address, as a browser would
        assert error is not None
        raise error


def _pinned_request(
    client: httpx.AsyncClient, url: httpx.URL, address: IPAddress, headers: dict[str, str]
) -> httpx.Request:
    """A request to `address` that presents itself (Host, TLS name) as `url`'s host.

    Connecting to the address that was checked, instead of letting httpx resolve the name again,
    closes the gap a DNS answer that changes between check and connect (rebinding) would use.
    """
    pinned = url.copy_with(host=str(address))
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return client.build_request(
        "GET",
        pinned,
        headers={**headers, "Host": url.netloc.decode("ascii")},
        extensions=extensions,
        timeout=TIMEOUT,
    )


def _redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    try:
        return url.join(location)
    except httpx.InvalidURL as exc:
        raise DownloadFailed(f"{url} redirects to {location!r}, which is not a URL.") from exc


def _request_headers(offset: int, validator: str | None) -> dict[str, str]:
    # identity: the bytes counted, ranged and hashed are the file's own, never a compressed form.
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator:
            headers["If-Range"] = validator
    return headers


def _plan(response: httpx.Response, offset: int) -> tuple[int, int | None]:
    """Where writing starts and the file's full size (None when unknown), from the response."""
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        raise DownloadFailed("The source sent the file compressed although it was asked not to.")
    if response.status_code == 416:
        raise _Restart()  # past the end of what the source holds now: not the file we started
    if response.status_code == 200:
        return 0, _int_header(response, "content-length")  # the range was ignored: start over
    match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
    if match is None or int(match[1]) != offset:
        raise _Restart()
    return offset, None if match[3] == "*" else int(match[3])


def _complete_size(response: httpx.Response) -> int | None:
    """The size a 416 answer reports (`Content-Range: bytes */N`), or None."""
    if response.status_code != 416:
        return None
    match = re.fullmatch(r"bytes \*/(\d+)", response.headers.get("content-range", "").strip())
    return int(match[1]) if match else None


def _validator(response: httpx.Response) -> str | None:
    """A strong ETag, else Last-Modified: what If-Range may carry on the next resume."""
    etag = response.headers.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return response.headers.get("last-modified")


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    return int(value) if value is not None and value.isdigit() else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _hash_prefix(path: Path, length: int) -> hashlib._Hash:
    """A SHA-256 fed with the first `length` bytes of `path` (the part kept for a resume)."""
    hasher = hashlib.sha256()
    if not length:
        return hasher
    with open(path, "rb") as file:
        remaining = length
        while remaining:
            block = file.read(min(HASH_READ_SIZE, remaining))
            if not block:
                raise DownloadFailed(f"{path} shrank while it was being resumed.")
            hasher.update(block)
            remaining -= len(block)
    return hasher


def _write(file: IO[bytes], hasher: hashlib._Hash, data: bytes) -> int:
    file.write(data)
    file.flush()
    hasher.update(data)
    return len(data)


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _describe(exc: httpx.HTTPError) -> str:
    return str(exc) or type(exc).__name__
