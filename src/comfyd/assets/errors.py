"""Exceptions of model and asset downloads.

    AssetDownloadError
    ├── InvalidDownloadRequest   the request cannot be honoured as it stands (400)
    │   ├── UnsafeTarget         the folder or file name would write outside a model folder,
    │   │                        into an unknown folder, or a file the folder would not list
    │   └── SourceNotAllowed     the URL's scheme, host or addresses are refused by the policy
    ├── DownloadPermissionDenied the caller may not start, see or cancel this download (403)
    ├── DownloadNotFound         no download has that id (404)
    ├── DownloadConflict         the target file exists, or another download is writing it (409)
    ├── IllegalDownloadTransition a state change that the lifecycle forbids
    └── DownloadFailed           the transfer itself failed (HTTP status, size limit, checksum,
                                 network); recorded on the download, never answered to a request

`SourceNotAllowed` can also end a running download (a redirect to a refused host); the transfer
records it as a failure then.
"""

from __future__ import annotations


class AssetDownloadError(Exception):
    """Base class of the asset download feature's exceptions."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidDownloadRequest(AssetDownloadError):
    """A download request that is refused as it stands."""


class UnsafeTarget(InvalidDownloadRequest):
    def __init__(self, message: str, *, folder: str, filename: str) -> None:
        super().__init__(message)
        self.folder = folder
        self.filename = filename


class SourceNotAllowed(InvalidDownloadRequest):
    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class DownloadPermissionDenied(AssetDownloadError):
    pass


class DownloadNotFound(AssetDownloadError):
    def __init__(self, download_id: str) -> None:
        super().__init__(f"There is no asset download with id {download_id}.")
        self.download_id = download_id


class DownloadConflict(AssetDownloadError):
    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class IllegalDownloadTransition(AssetDownloadError):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"A download that is {current} cannot become {wanted}.")
        self.current = current
        self.wanted = wanted


class DownloadFailed(AssetDownloadError):
    """The transfer failed; the message says why in words a user can act on."""
