"""Wire shapes of `/releases`, with api.comfy.org's names."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from comfyd.platform.releases.service import ReleaseNote as StoredNote
from comfyd.platform.releases.webhook import Delivery


class ReleaseNote(BaseModel):
    id: int
    project: Literal["comfyui", "comfyui_frontend", "desktop", "cloud"]
    version: str
    attention: Literal["low", "medium", "high"]
    content: str
    published_at: datetime

    @classmethod
    def of(cls, note: StoredNote) -> ReleaseNote:
        return cls(
            id=note.id,
            project=note.project,  # type: ignore[arg-type]  (checked when stored)
            version=note.version,
            attention=note.attention,  # type: ignore[arg-type]
            content=note.content,
            published_at=note.published_at,
        )


class WebhookResult(BaseModel):
    """The peer answers a delivery with an empty 200; saying what happened helps whoever reads
    GitHub's delivery log."""

    outcome: str
    project: str | None = None
    version: str | None = None

    @classmethod
    def of(cls, delivery: Delivery) -> WebhookResult:
        return cls(outcome=delivery.outcome, project=delivery.project, version=delivery.version)
