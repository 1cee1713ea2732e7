"""Exceptions of the registry feature. Each carries the facts a handler needs, a whole-sentence
message, and the status the peer answers with (`status_code`); `routes` translates them all into
the platform's `{"error", "message"}` body in one handler.

    RegistryError
    ├── NotFound (404)
    │   ├── PackNotFound            no pack has that id (deleted packs included)
    │   ├── VersionNotFound         the pack has no such version (semver or id)
    │   ├── ComfyNodeNotFound       the version defines no node class of that name
    │   ├── PublisherNotFound       no publisher has that id
    │   ├── TokenNotFound           the publisher has no personal access token with that id
    │   └── ArchiveNotFound         the version's archive was never uploaded, or is gone
    ├── PermissionDenied (403)
    │   ├── PackBanned              the pack is banned ({"message": "Node Banned"}, as the peer)
    │   ├── PublisherBanned         the publisher is banned
    │   ├── NotPublisherOwner       the user is not an owner of the publisher
    │   ├── NotAdmin                the user is not an administrator
    │   ├── PackOfAnotherPublisher  the pack exists under a different publisher
    │   ├── PublisherLimitReached   the user already owns the most publishers one may have
    │   └── UploadLinkInvalid       an upload URL that is forged, expired or already used
    ├── Conflict (409)
    │   ├── PublisherHasPacks       a publisher cannot be deleted while it owns packs
    │   ├── PackIdTaken (400)       another pack has that id (in any case); the peer answers 400
    │   ├── PublisherIdTaken (400)  another publisher has that id; the peer answers 400
    │   └── VersionExists (400)     the pack already has that version; the peer answers 400
    ├── InvalidInput (400)
    │   ├── InvalidPersonalAccessToken   the token in a publish request is not the publisher's
    │   ├── InvalidPackId / InvalidPublisherId / InvalidVersion / InvalidStar
    │   ├── IllegalStatusChange     a version cannot move between those two statuses
    │   └── ArchiveTooLarge (413)   an uploaded archive is over the size limit
    └── PackMoved                   not a failure: the id differs only in case (302 to `canonical_id`)
"""

from __future__ import annotations

from http import HTTPStatus


class RegistryError(Exception):
    """Base class of the registry's exceptions."""

    status_code = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(RegistryError):
    status_code = HTTPStatus.NOT_FOUND


class PermissionDenied(RegistryError):
    status_code = HTTPStatus.FORBIDDEN


class Conflict(RegistryError):
    status_code = HTTPStatus.CONFLICT


class InvalidInput(RegistryError):
    status_code = HTTPStatus.BAD_REQUEST


class PackNotFound(NotFound):
    def __init__(self, pack_id: str) -> None:
        super().__init__(f"Node {pack_id} was not found.")
        self.pack_id = pack_id


class VersionNotFound(NotFound):
    def __init__(self, pack_id: str, version: str) -> None:
        super().__init__(f"Node {pack_id} has no version {version}.")
        self.pack_id = pack_id
        self.version = version


class ComfyNodeNotFound(NotFound):
    def __init__(self, name: str, pack_id: str | None = None, version: str | None = None) -> None:
        where = f" in {pack_id} {version}" if pack_id else ""
        super().__init__(f"No node class {name} was found{where}.")
        self.name = name
        self.pack_id = pack_id
        self.version = version


class PublisherNotFound(NotFound):
    def __init__(self, publisher_id: str) -> None:
        super().__init__(f"Publisher {publisher_id} was not found.")
        self.publisher_id = publisher_id


class TokenNotFound(NotFound):
    def __init__(self, publisher_id: str, token_id: str) -> None:
        super().__init__(f"Publisher {publisher_id} has no personal access token {token_id}.")
        self.publisher_id = publisher_id
        self.token_id = token_id


class ArchiveNotFound(NotFound):
    def __init__(self, pack_id: str, version: str) -> None:
        super().__init__(f"The archive of {pack_id} {version} is not available.")
        self.pack_id = pack_id
        self.version = version


class PackBanned(PermissionDenied):
    # The peer's middleware answers exactly this text; clients show it.
    def __init__(self, pack_id: str) -> None:
        super().__init__("Node Banned")
        self.pack_id = pack_id


class PublisherBanned(PermissionDenied):
    def __init__(self, publisher_id: str) -> None:
        super().__init__(f"Publisher {publisher_id} is banned.")
        self.publisher_id = publisher_id


class NotPublisherOwner(PermissionDenied):
    def __init__(self, publisher_id: str, user_id: str) -> None:
        super().__init__(f"Permission denied: you are not an owner of publisher {publisher_id}.")
        self.publisher_id = publisher_id
        self.user_id = user_id


class NotAdmin(PermissionDenied):
    def __init__(self, user_id: str) -> None:
        super().__init__("User is not admin")
        self.user_id = user_id


class PackOfAnotherPublisher(PermissionDenied):
    def __init__(self, pack_id: str, publisher_id: str) -> None:
        super().__init__(f"Node {pack_id} does not belong to publisher {publisher_id}.")
        self.pack_id = pack_id
        self.publisher_id = publisher_id


class PublisherLimitReached(PermissionDenied):
    def __init__(self, user_id: str, limit: int) -> None:
        # The peer's text, word for word.
        super().__init__("User has reached the maximum number of publishers.")
        self.user_id = user_id
        self.limit = limit


class UploadLinkInvalid(PermissionDenied):
    def __init__(self, reason: str) -> None:
        super().__init__(f"The upload URL cannot be used: {reason}")
        self.reason = reason


class PublisherHasPacks(Conflict):
    def __init__(self, publisher_id: str, count: int) -> None:
        super().__init__(f"Publisher {publisher_id} still owns {count} node pack(s); delete them first.")
        self.publisher_id = publisher_id
        self.count = count


class PackIdTaken(Conflict):
    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, pack_id: str, existing: str) -> None:
        super().__init__(f"The node already exists: {pack_id} is taken (by {existing}).")
        self.pack_id = pack_id
        self.existing = existing


class PublisherIdTaken(Conflict):
    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, publisher_id: str) -> None:
        super().__init__("Publisher ID already exists.")
        self.publisher_id = publisher_id


class VersionExists(Conflict):
    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, pack_id: str, version: str) -> None:
        super().__init__(f"The node version already exists: {pack_id} {version}.")
        self.pack_id = pack_id
        self.version = version


class InvalidPersonalAccessToken(InvalidInput):
    def __init__(self, publisher_id: str) -> None:
        # The peer's text: comfy-cli users search for it.
        super().__init__("Invalid personal access token")
        self.publisher_id = publisher_id


class InvalidPackId(InvalidInput):
    def __init__(self, pack_id: str) -> None:
        super().__init__(
            f"{pack_id!r} is not a valid node id: use 1 to 100 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit."
        )
        self.pack_id = pack_id


class InvalidPublisherId(InvalidInput):
    def __init__(self, publisher_id: str) -> None:
        # The peer's text.
        super().__init__(
            "Must start with a lowercase letter and can only contain lowercase letters, digits, and hyphens."
        )
        self.publisher_id = publisher_id


class InvalidVersion(InvalidInput):
    def __init__(self, version: str) -> None:
        super().__init__(f"{version!r} is not a valid version: use semantic versioning (e.g. 1.2.3).")
        self.version = version


class InvalidStar(InvalidInput):
    def __init__(self, star: int) -> None:
        super().__init__(f"A review gives 1 to 5 stars, not {star}.")
        self.star = star


class InvalidField(InvalidInput):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class IllegalStatusChange(InvalidInput):
    def __init__(self, version_id: str, current: str, requested: str) -> None:
        super().__init__(f"Version {version_id} cannot move from {current} to {requested}.")
        self.version_id = version_id
        self.current = current
        self.requested = requested


class ArchiveTooLarge(InvalidInput):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The archive is larger than {limit // (1024 * 1024)} MB, the most a pack may upload."
        )
        self.limit = limit


class PackMoved(RegistryError):
    """The pack exists under an id that differs only in case; answered with a 302 redirect."""

    status_code = HTTPStatus.FOUND

    def __init__(self, requested: str, canonical_id: str) -> None:
        super().__init__(f"Node {requested} is {canonical_id}.")
        self.requested = requested
        self.canonical_id = canonical_id
