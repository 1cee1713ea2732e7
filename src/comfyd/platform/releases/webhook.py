"""`ReleaseWebhook`: GitHub's `release` webhook, as `POST /releases` takes it.

Every delivery is checked against `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the
webhook's secret) before its body is even parsed. The secret comes from the environment
(`COMFYD_RELEASE_WEBHOOK_SECRET`), never from code or a config file that may be shared; with no
secret set, every delivery is refused.

A published release becomes the English note of its version (the tag, without a leading `v`);
editing it replaces the text, deleting or unpublishing it removes the note. Drafts and prereleases
are ignored. The project is the webhook URL's `?project=`, or else follows from the repository's
name (`ComfyUI` → comfyui, `ComfyUI_frontend` → comfyui_frontend, `desktop` → desktop).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ValidationError

from comfyd.platform.releases.errors import InvalidWebhookDelivery, WebhookDisabled, WebhookSignatureInvalid
from comfyd.platform.releases.service import PROJECTS, NewReleaseNote, ReleaseNotes

SECRET_VARIABLE = "COMFYD_RELEASE_WEBHOOK_SECRET"
SIGNATURE_SCHEME = "sha256="
PUBLISHING = frozenset({"published", "released", "edited"})
REMOVING = frozenset({"deleted", "unpublished"})


class GithubRelease(BaseModel):
    id: int
    tag_name: str
    body: str | None = None
    draft: bool = False
    prerelease: bool = False
    created_at: AwareDatetime
    published_at: AwareDatetime | None = None


class GithubRepository(BaseModel):
    name: str


class GithubReleaseWebhook(BaseModel):
    """The fields of GitHub's payload this endpoint reads; the rest is ignored."""

    action: Literal["published", "unpublished", "created", "edited", "deleted", "prereleased", "released"]
    release: GithubRelease
    repository: GithubRepository


@dataclass(frozen=True)
class Delivery:
    """What one delivery did: `saved`, `deleted`, `ignored` or `pong` (GitHub's `ping`)."""

    outcome: str
    project: str | None = None
    version: str | None = None


class ReleaseWebhook:
    """Verifies deliveries and applies them to the release notes."""

    def __init__(self, notes: ReleaseNotes, *, secret: str | None) -> None:
        self._notes = notes
        self._secret = secret.encode() if secret else None

    @classmethod
    def from_environment(cls, notes: ReleaseNotes, environ: Mapping[str, str] = os.environ) -> ReleaseWebhook:
        return cls(notes, secret=environ.get(SECRET_VARIABLE) or None)

    def verify(self, body: bytes, signature: str | None) -> None:
        """Raise `WebhookDisabled` without a secret, `WebhookSignatureInvalid` unless `signature`
        is `sha256=` and the hex HMAC of exactly these bytes."""
        if self._secret is None:
            raise WebhookDisabled(SECRET_VARIABLE)
        if not signature:
            raise WebhookSignatureInvalid("it has no X-Hub-Signature-256 header.")
        expected = SIGNATURE_SCHEME + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.strip().encode(), expected.encode()):
            raise WebhookSignatureInvalid("its X-Hub-Signature-256 does not match its body.")

    async def deliver(
        self, body: bytes, *, event: str | None, signature: str | None, project: str | None = None
    ) -> Delivery:
        """Verify a delivery and apply it. Raises as `verify` does, and `InvalidWebhookDelivery`
        for an event other than `release` (or `ping`), a body that is not a release payload, or a
        repository whose project cannot be told."""
        self.verify(body, signature)
        if event == "ping":
            return Delivery("pong")
        if event != "release":
            raise InvalidWebhookDelivery(f"Only release events are taken here, not {event!r}.")
        payload = _parse(body)
        project = _project(project, payload.repository.name)
        release = payload.release
        if payload.action in REMOVING:
            await self._notes.delete_github_release(release.id)
            return Delivery("deleted", project)
        if payload.action not in PUBLISHING or release.draft or release.prerelease:
            return Delivery("ignored", project)
        note = await self._notes.save(
            NewReleaseNote(
                project=project,
                version=release.tag_name,
                content=release.body or "",
                published_at=release.published_at or release.created_at,
                github_release_id=release.id,
            )
        )
        return Delivery("saved", project, note.version)


def _parse(body: bytes) -> GithubReleaseWebhook:
    try:
        return GithubReleaseWebhook.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidWebhookDelivery(
            f"The body is not a GitHub release payload: {exc.error_count()} problem(s)."
        ) from exc


def _project(explicit: str | None, repository: str) -> str:
    project = explicit or repository.lower()
    if project not in PROJECTS:
        raise InvalidWebhookDelivery(
            f"Cannot tell the project of repository {repository!r}: add ?project= "
            f"({', '.join(PROJECTS)}) to the webhook URL."
        )
    return project
