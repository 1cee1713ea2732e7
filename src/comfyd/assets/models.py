"""Wire shapes of asset downloads: the request, the download as the routes show it, the `/ws` message."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from comfyd.assets.states import DownloadPhase, DownloadState
from comfyd.db.assets import AssetDownloadRecord


class AssetDownloadCreate(BaseModel):
    """`POST /api/assets/download`: what to fetch and which model folder it goes to."""

    url: str = Field(max_length=8192)
    folder: str = Field(max_length=64)
    # The last segment of the URL's path when absent.
    filename: str | None = Field(default=None, max_length=1024)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    # The `/ws` client that gets the `asset_download` messages (also read from `Comfy-Client-Id`).
    client_id: str | None = Field(default=None, max_length=255)


class AssetDownload(BaseModel):
    """One download, as the list and status routes show it."""

    id: str
    url: str
    folder: str
    filename: str
    status: DownloadState
    bytes_done: int
    bytes_total: int | None
    # The SHA-256 asked for; once completed, the file's own.
    sha256: str | None
    error: str | None
    client_id: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_record(cls, record: AssetDownloadRecord, *, bytes_done: int | None = None) -> AssetDownload:
        return cls(
            id=record.id,
            url=record.url,
            folder=record.folder,
            filename=record.filename,
            status=DownloadState(record.status),
            bytes_done=record.bytes_done if bytes_done is None else bytes_done,
            bytes_total=record.bytes_total,
            sha256=record.sha256,
            error=record.error,
            client_id=record.client_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            finished_at=record.finished_at,
        )


class AssetDownloadMessage(BaseModel):
    """The `asset_download` `/ws` message (the seed's `AssetDownloadWsMessage`: `url`, `filename`, ...)."""

    type: Literal["asset_download"] = "asset_download"
    download_id: str
    url: str
    filename: str
    folder: str
    bytes_done: int
    bytes_total: int | None
    status: DownloadPhase
    error: str | None = None

    @classmethod
    def for_download(
        cls,
        record: AssetDownloadRecord,
        phase: DownloadPhase,
        *,
        bytes_done: int | None = None,
        bytes_total: int | None = None,
    ) -> AssetDownloadMessage:
        return cls(
            download_id=record.id,
            url=record.url,
            filename=record.filename,
            folder=record.folder,
            bytes_done=record.bytes_done if bytes_done is None else bytes_done,
            bytes_total=record.bytes_total if bytes_total is None else bytes_total,
            status=phase,
            error=record.error if phase == DownloadPhase.FAILED else None,
        )

    def data(self) -> dict[str, Any]:
        """The message's `data`: every field but `type`, and `error` only when there is one."""
        data = self.model_dump(mode="json", exclude={"type"})
        if self.error is None:
            del data["error"]
        return data
