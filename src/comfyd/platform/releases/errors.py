"""Exceptions of the release notes feature. Each carries the status the peer answers with
(`status_code`); `routes.install_error_handlers` turns them into `{"error", "message"}` in one place.

    ReleasesError
    ├── InvalidReleaseQuery (400)       `GET /releases` with an unknown project or a version that is not one
    ├── InvalidReleaseNote (400)        a note to store with a bad project, version, attention or locale
    ├── ReleaseNoteExists (409)         the project already has a note for that version in that locale
    ├── ReleaseNoteNotFound (404)       no note has that id
    ├── InvalidWebhookDelivery (400)    a webhook body or event this endpoint cannot use
    ├── WebhookDisabled (403)           no webhook secret is configured, so no delivery is trusted
    └── WebhookSignatureInvalid (401)   `X-Hub-Signature-256` is missing or does not match the body
"""

from __future__ import annotations

from http import HTTPStatus


class ReleasesError(Exception):
    """Base class of the release notes feature's exceptions."""

    status_code = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidReleaseQuery(ReleasesError):
    status_code = HTTPStatus.BAD_REQUEST
    # The frontend shows its own text for any 400 here; this is it, word for word.
    MESSAGE = "Invalid project or version parameter"

    def __init__(self, details: str) -> None:
        super().__init__(self.MESSAGE)
        self.details = details


class InvalidReleaseNote(ReleasesError):
    status_code = HTTPStatus.BAD_REQUEST


class ReleaseNoteExists(ReleasesError):
    status_code = HTTPStatus.CONFLICT

    def __init__(self, project: str, version: str, locale: str) -> None:
        super().__init__(f"{project} {version} already has a release note in locale {locale!r}.")
        self.project = project
        self.version = version
        self.locale = locale


class ReleaseNoteNotFound(ReleasesError):
    status_code = HTTPStatus.NOT_FOUND

    def __init__(self, note_id: int) -> None:
        super().__init__(f"Release note {note_id} was not found.")
        self.note_id = note_id


class InvalidWebhookDelivery(ReleasesError):
    status_code = HTTPStatus.BAD_REQUEST


class WebhookDisabled(ReleasesError):
    status_code = HTTPStatus.FORBIDDEN

    def __init__(self, variable: str) -> None:
        super().__init__(f"Release webhooks are off on this server: set {variable} to the webhook's secret.")
        self.variable = variable


class WebhookSignatureInvalid(ReleasesError):
    status_code = HTTPStatus.UNAUTHORIZED

    def __init__(self, reason: str) -> None:
        super().__init__(f"The delivery is refused: {reason}")
