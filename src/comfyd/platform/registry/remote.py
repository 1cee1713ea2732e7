"""`RemoteRegistry`: a client of another api.comfy.org-compatible registry's public read side, for
installing packs from it (`comfyd nodes install`) and mirroring it (`comfyd registry mirror`).

It speaks only what every such registry serves (api.comfy.org, comfyd's own): `GET /nodes`,
`/nodes/{id}/install`, `/nodes/{id}/versions`, the version's `comfy-nodes`, and the archive at a
version's `downloadUrl`. Answers are parsed into the registry's wire models.

    async with RemoteRegistry("https://api.comfy.org") as remote:
        version = await remote.install_info("comfyui-impact-pack")
        await remote.download(version.downloadUrl, Path("node.zip"), max_bytes=256 * MiB)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import httpx

from comfyd.platform.registry.models import ComfyNode, Node, NodePage, NodeVersion, Publisher

__all__ = [
    "ALL_VERSION_STATUSES",
    "DEFAULT_REGISTRY_URL",
    "DownloadTooLarge",
    "RegistryRefused",
    "RegistryUnreachable",
    "RemoteRegistry",
    "RemoteRegistryError",
]

DEFAULT_REGISTRY_URL = "https://api.comfy.org"
ALL_VERSION_STATUSES = (
    "NodeVersionStatusActive",
    "NodeVersionStatusPending",
    "NodeVersionStatusFlagged",
    "NodeVersionStatusBanned",
    "NodeVersionStatusDeleted",
)
PAGE_LIMIT = 100  # the most a compatible registry serves per page
COMFY_NODES_LIMIT = 8192
_CHUNK = 256 * 1024


class RemoteRegistryError(Exception):
    """Base class: talking to the registry at `url` failed."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url
        self.message = message


class RegistryUnreachable(RemoteRegistryError):
    """No answer came back (connection refused, DNS, timeout...)."""

    def __init__(self, url: str, cause: Exception) -> None:
        super().__init__(url, f"The registry at {url} could not be reached: {cause or type(cause).__name__}.")


class RegistryRefused(RemoteRegistryError):
    """The registry answered `status` (>= 400); `detail` is its `message`, or the body's start."""

    def __init__(self, url: str, status: int, detail: str) -> None:
        super().__init__(url, f"{url} answered {status}: {detail}")
        self.status = status
        self.detail = detail

    @property
    def is_not_found(self) -> bool:
        return self.status == 404


class DownloadTooLarge(RemoteRegistryError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(
            url, f"The archive at {url} is larger than {limit / 1024 / 1024:.1f} MB; not downloaded."
        )
        self.limit = limit


class RemoteRegistry:
    """An api.comfy.org-compatible registry at `base_url` (its root, without `/nodes`).

    `client` lets a caller share or configure the HTTP client; one made here follows redirects
    (a registry answers 302 to an id in the wrong case) and is closed by `aclose`.
    """

    def __init__(
        self, base_url: str, *, client: httpx.AsyncClient | None = None, timeout: float = 60
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=True)

    async def __aenter__(self) -> RemoteRegistry:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def install_info(self, pack_id: str, version: str | None = None) -> NodeVersion:
        """`GET /nodes/{id}/install[?version=]`: the version to install (the registry counts one
        install). Raises `RegistryRefused` (404: no such pack or version; 403: banned)."""
        params = {"version": version} if version else None
        return NodeVersion.model_validate(await self._get_json(f"/nodes/{_segment(pack_id)}/install", params))

    async def list_nodes(self, *, page: int = 1, updated_after: datetime | None = None) -> NodePage:
        """One page of `GET /nodes`, banned packs included; only packs changed after
        `updated_after` when it is given (the registry's `timestamp` filter)."""
        params: dict[str, Any] = {"page": page, "limit": PAGE_LIMIT, "include_banned": "true"}
        if updated_after is not None:
            params["timestamp"] = updated_after.isoformat()
        return NodePage.model_validate(await self._get_json("/nodes", params))

    async def server_time(self) -> datetime | None:
        """The registry's clock, from the `Date` header of a one-pack listing (to the second);
        None when it sends none. A mirror measures "changed since" on this clock, not its own."""
        url = f"{self.base_url}/nodes"
        try:
            response = await self._client.get(url, params={"page": 1, "limit": 1})
        except httpx.TransportError as exc:
            raise RegistryUnreachable(url, exc) from exc
        await _raise_for_status(url, response)
        date = response.headers.get("date")
        try:
            return parsedate_to_datetime(date) if date else None
        except (TypeError, ValueError):
            return None

    async def iter_nodes(self, *, updated_after: datetime | None = None) -> AsyncIterator[Node]:
        """Every pack `list_nodes` finds, page after page."""
        page = 1
        while True:
            found = await self.list_nodes(page=page, updated_after=updated_after)
            for node in found.nodes:
                yield node
            if page >= found.totalPages or not found.nodes:
                return
            page += 1

    async def versions(
        self, pack_id: str, statuses: Sequence[str] = ALL_VERSION_STATUSES
    ) -> list[NodeVersion]:
        """`GET /nodes/{id}/versions` with reasons, in every status asked for (repeated keys)."""
        params = [("statuses", status) for status in statuses] + [("include_status_reason", "true")]
        found = await self._get_json(f"/nodes/{_segment(pack_id)}/versions", params)
        return [NodeVersion.model_validate(item) for item in found or []]

    async def comfy_nodes(self, pack_id: str, version: str) -> list[ComfyNode]:
        """The node classes the registry extracted from a version; [] when it has none, or when
        the registry predates this route (it answers 404)."""
        path = f"/nodes/{_segment(pack_id)}/versions/{_segment(version)}/comfy-nodes"
        try:
            found = await self._get_json(path, {"limit": COMFY_NODES_LIMIT})
        except RegistryRefused as exc:
            if exc.is_not_found:
                return []
            raise
        return [ComfyNode.model_validate(item) for item in found.get("comfy_nodes") or []]

    async def publisher(self, publisher_id: str) -> Publisher:
        return Publisher.model_validate(await self._get_json(f"/publishers/{_segment(publisher_id)}"))

    async def download(self, url: str, destination: str | os.PathLike[str], *, max_bytes: int) -> int:
        """Stream the file at `url` (absolute, or relative to the registry) into `destination`;
        returns its size. Raises `DownloadTooLarge` past `max_bytes` (the partial file is removed),
        `RegistryRefused` and `RegistryUnreachable`."""
        target = urljoin(self.base_url + "/", url)
        path = Path(destination)
        try:
            async with self._client.stream("GET", target) as response:
                await _raise_for_status(target, response)
                declared = int(response.headers.get("content-length") or 0)
                if declared > max_bytes:
                    raise DownloadTooLarge(target, max_bytes)
                return await _save(response, path, target, max_bytes)
        except httpx.TransportError as exc:
            path.unlink(missing_ok=True)
            raise RegistryUnreachable(target, exc) from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    async def _get_json(self, path: str, params: Any = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = await self._client.get(url, params=params)
        except httpx.TransportError as exc:
            raise RegistryUnreachable(url, exc) from exc
        await _raise_for_status(url, response)
        try:
            return response.json()
        except ValueError as exc:
            raise RegistryRefused(url, response.status_code, "the answer is not JSON") from exc


async def _raise_for_status(url: str, response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    await response.aread()
    raise RegistryRefused(url, response.status_code, _detail(response))


def _detail(response: httpx.Response) -> str:
    """The `message` of the registry's error body (any of its three shapes), else the text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return response.text[:200]


async def _save(response: httpx.Response, path: Path, url: str, max_bytes: int) -> int:
    size = 0
    # Chunks are written as they come; small local writes do not need a thread hop each.
    with open(path, "wb") as out:
        async for chunk in response.aiter_bytes(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise DownloadTooLarge(url, max_bytes)
            out.write(chunk)
    return size


def _segment(value: str) -> str:
    """One URL path segment: an id with a '/' or '?' cannot reach another route."""
    return quote(value, safe="")
