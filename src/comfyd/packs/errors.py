"""Exceptions of pack installation; `comfyd nodes` prints their message and exits with status 1.

PackError
├── InvalidPackName          the name cannot be a registry pack id (nor a safe folder name)
├── RegistryUnavailable      the registry could not be reached, or failed to answer
├── PackUnavailable          the registry has no such pack or version, or refuses it (banned)
├── VersionNotInstallable    the version is flagged (without --allow-flagged), banned or deleted
├── ArchiveUnsafe            the download is too large, not a zip, or holds what a pack must not
├── FolderTaken              custom_nodes/<pack> exists and was not installed by comfyd
├── PackNotInstalled         there is no custom_nodes/<pack>
├── NotInstalledByComfyd     uninstalling a folder comfyd did not install (without --force)
└── DependenciesFailed       `pip install -r requirements.txt` failed (the pack stays installed)
"""

from __future__ import annotations

from pathlib import Path


class PackError(Exception):
    """Base class; `message` is a whole sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPackName(PackError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name!r} is not a pack id: ids are 1-100 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit."
        )
        self.name = name


class RegistryUnavailable(PackError):
    def __init__(self, registry: str, reason: str) -> None:
        super().__init__(f"The registry {registry} is unavailable: {reason}")
        self.registry = registry


class PackUnavailable(PackError):
    def __init__(self, pack_id: str, version: str | None, registry: str, reason: str) -> None:
        what = f"{pack_id}@{version}" if version else pack_id
        super().__init__(f"{what} cannot be installed from {registry}: {reason}")
        self.pack_id = pack_id
        self.version = version


class VersionNotInstallable(PackError):
    def __init__(self, pack_id: str, version: str, status: str, reason: str = "") -> None:
        because = f" ({reason})" if reason else ""
        hint = " Pass --allow-flagged to install it anyway." if status.endswith("Flagged") else ""
        super().__init__(f"{pack_id} {version} is {status}{because}.{hint}")
        self.pack_id = pack_id
        self.version = version
        self.status = status


class ArchiveUnsafe(PackError):
    def __init__(self, pack_id: str, version: str, reason: str) -> None:
        super().__init__(f"The archive of {pack_id} {version} was refused: {reason}")
        self.pack_id = pack_id
        self.version = version
        self.reason = reason


class FolderTaken(PackError):
    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder} exists and was not installed by comfyd; pass --force to replace it.")
        self.folder = folder


class PackNotInstalled(PackError):
    def __init__(self, pack_id: str, custom_nodes: Path) -> None:
        super().__init__(f"{pack_id} is not installed in {custom_nodes}.")
        self.pack_id = pack_id


class NotInstalledByComfyd(PackError):
    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder} was not installed by comfyd; pass --force to remove it anyway.")
        self.folder = folder


class DependenciesFailed(PackError):
    def __init__(self, pack_id: str, requirements: Path, returncode: int) -> None:
        super().__init__(
            f"{pack_id} is installed, but `pip install -r {requirements}` failed (exit status "
            f"{returncode}); its nodes may not load until its dependencies are installed."
        )
        self.pack_id = pack_id
        self.returncode = returncode
