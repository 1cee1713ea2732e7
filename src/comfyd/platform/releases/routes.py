"""`GET /releases` (the Help Center's release notes; public) and `POST /releases` (GitHub's
release webhook, signed)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from comfyd.platform.releases.errors import ReleasesError
from comfyd.platform.releases.models import ReleaseNote, WebhookResult
from comfyd.platform.releases.service import ReleaseNotes
from comfyd.platform.releases.webhook import ReleaseWebhook

router = APIRouter(tags=["releases"])


async def _notes(request: Request) -> ReleaseNotes:
    return request.app.state.services.releases


async def _webhook(request: Request) -> ReleaseWebhook:
    return request.app.state.services.release_webhook


Notes = Annotated[ReleaseNotes, Depends(_notes)]
Webhook = Annotated[ReleaseWebhook, Depends(_webhook)]


# Every parameter is read as text, so a bad one reaches the service, which answers the peer's 400.
@router.get("/releases")
async def get_releases(
    notes: Notes,
    project: str | None = None,
    current_version: str | None = None,
    locale: str | None = None,
    form_factor: str | None = None,  # accepted for the frontend; every form factor gets every note
) -> list[ReleaseNote]:
    found = await notes.for_frontend(project=project, current_version=current_version, locale=locale)
    return [ReleaseNote.of(note) for note in found]


@router.post("/releases")
async def release_webhook(
    webhook: Webhook,
    request: Request,
    x_github_event: Annotated[str | None, Header()] = None,
    x_hub_signature_256: Annotated[str | None, Header()] = None,
    project: str | None = None,
) -> WebhookResult:
    body = await request.body()  # the raw bytes: the signature is over exactly these
    delivery = await webhook.deliver(
        body, event=x_github_event, signature=x_hub_signature_256, project=project
    )
    return WebhookResult.of(delivery)


def install_error_handlers(app: FastAPI) -> None:
    """Answer release exceptions in the platform shape `{"error", "message"}`."""
    app.add_exception_handler(ReleasesError, _releases_error)


async def _releases_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReleasesError)
    status = HTTPStatus(exc.status_code)
    return JSONResponse({"error": status.phrase, "message": exc.message}, status_code=status)
