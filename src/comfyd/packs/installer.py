"""`PackInstaller`: installs packs from a registry into `custom_nodes/<pack id>`, lists and removes them.

An install asks the registry which version to take (`GET /nodes/{id}/install`), downloads its
archive with a size limit, checks and unpacks it with the registry's own archive rules (no
absolute or `..` members, no links, zip-bomb limits) into a hidden staging folder inside
`custom_nodes`, and only then renames it into place. Nothing is written outside `custom_nodes`,
the staging folder is removed whatever happens, and a pack that is replaced (an upgrade) is
restored if the swap fails. The loader skips hidden folders, so a server starting meanwhile never
imports a half-written pack.

    async with RemoteRegistry(url) as remote:
        installer = PackInstaller(base / "custom_nodes", remote)
        outcome = await installer.install("ada-nodes", "1.2.0")
    uninstall_pack(base / "custom_nodes", "ada-nodes")
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from comfyd.packs.dependencies import install_requirements
from comfyd.packs.errors import (
    ArchiveUnsafe,
    FolderTaken,
    InvalidPackName,
    NotInstalledByComfyd,
    PackNotInstalled,
    PackUnavailable,
    RegistryUnavailable,
    VersionNotInstallable,
)
from comfyd.packs.records import InstallRecord, read_record, write_markers
from comfyd.platform.registry.archives import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    ArchiveRejected,
    ExtractedArchive,
    extract_archive,
)
from comfyd.platform.registry.models import NodeVersion
from comfyd.platform.registry.remote import (
    DownloadTooLarge,
    RegistryRefused,
    RegistryUnreachable,
    RemoteRegistry,
)

# The registry's pack id rule; it also keeps the id a plain folder name (no '/', no '..').
_PACK_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
_INSTALLABLE = {"NodeVersionStatusActive", "NodeVersionStatusPending", ""}
_FLAGGED = "NodeVersionStatusFlagged"
STAGING_PREFIX = ".comfyd-staging-"


def check_pack_name(name: str) -> str:
    """Return `name` if it is a valid pack id; raise `InvalidPackName` if not."""
    if not _PACK_ID.match(name):
        raise InvalidPackName(name)
    return name


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`pack` or `pack@1.2.0` as (pack id, version or None); raises `InvalidPackName`."""
    pack_id, at, version = spec.partition("@")
    if at and not version:
        raise InvalidPackName(spec)
    return check_pack_name(pack_id), version or None


@dataclass(frozen=True)
class InstallOutcome:
    """What `install` did: `replaced` is the version it upgraded or downgraded from, and
    `unchanged` is True when that version was installed already (nothing was downloaded; its
    requirements are still installed when asked for). `requirements` is the file pip installed."""

    pack_id: str
    version: str
    path: Path
    replaced: str | None = None
    unchanged: bool = False
    requirements: Path | None = None


class PackInstaller:
    """Installs packs from `remote` into one `custom_nodes` folder."""

    def __init__(
        self, custom_nodes: Path, remote: RemoteRegistry, *, limits: ArchiveLimits = DEFAULT_LIMITS
    ) -> None:
        self.custom_nodes = Path(custom_nodes)
        self.remote = remote
        self.limits = limits

    async def install(
        self,
        pack_id: str,
        version: str | None = None,
        *,
        with_deps: bool = False,
        allow_flagged: bool = False,
        force: bool = False,
    ) -> InstallOutcome:
        """Install `version` of the pack (the registry's latest when None).

        An installed comfyd copy of another version is replaced; the same version is left alone
        unless `force`. A folder comfyd did not install is replaced only with `force`. Raises
        the `PackError`s: `InvalidPackName`, `RegistryUnavailable`, `PackUnavailable`,
        `VersionNotInstallable`, `ArchiveUnsafe`, `FolderTaken`, `DependenciesFailed`.
        """
        check_pack_name(pack_id)
        info = await self._resolve(pack_id, version)
        # The registry's id is canonical (it redirects other cases of it); it is the folder name.
        canonical = check_pack_name(info.node_id or pack_id)
        installed_version = info.version or ""
        self._check_status(canonical, installed_version, info, allow_flagged)
        target = self.custom_nodes / canonical
        previous = self._previous(target, force)
        unchanged = previous is not None and previous.version == installed_version and not force
        if not unchanged:
            await self._download_and_place(canonical, info, target)
        requirements = await asyncio.to_thread(install_requirements, canonical, target) if with_deps else None
        return InstallOutcome(
            canonical,
            installed_version,
            target,
            replaced=previous.version if previous is not None and not unchanged else None,
            unchanged=unchanged,
            requirements=requirements,
        )

    async def _resolve(self, pack_id: str, version: str | None) -> NodeVersion:
        try:
            info = await self.remote.install_info(pack_id, version)
        except RegistryUnreachable as exc:
            raise RegistryUnavailable(self.remote.base_url, exc.message) from exc
        except RegistryRefused as exc:
            if exc.status >= 500:
                raise RegistryUnavailable(self.remote.base_url, exc.message) from exc
            raise PackUnavailable(pack_id, version, self.remote.base_url, exc.detail) from exc
        if not info.downloadUrl or not info.version:
            raise PackUnavailable(pack_id, version, self.remote.base_url, "the answer has no download URL.")
        return info

    @staticmethod
    def _check_status(pack_id: str, version: str, info: NodeVersion, allow_flagged: bool) -> None:
        status = info.status or ""
        if status in _INSTALLABLE or (status == _FLAGGED and allow_flagged):
            return
        raise VersionNotInstallable(pack_id, version, status, info.status_reason or "")

    @staticmethod
    def _previous(target: Path, force: bool) -> InstallRecord | None:
        """The comfyd install in `target`, if any; raises `FolderTaken` for another folder there."""
        if not target.exists() and not target.is_symlink():
            return None
        record = None if target.is_symlink() else read_record(target)
        if record is None and not force:
            raise FolderTaken(target)
        return record

    async def _download_and_place(self, pack_id: str, info: NodeVersion, target: Path) -> None:
        version = info.version or ""
        self.custom_nodes.mkdir(parents=True, exist_ok=True)
        staging = self._staging_path()
        staging.mkdir()
        try:
            archive = staging / "node.zip"
            await self._download(pack_id, version, info.downloadUrl or "", archive)
            unpacked = await asyncio.to_thread(self._unpack, pack_id, version, archive, staging / "pack")
            record = InstallRecord.now(
                pack_id=pack_id, version=version, version_id=info.id or "", registry=self.remote.base_url
            )
            files = _relative(unpacked.report.files, unpacked.report.root)
            write_markers(unpacked.pack_root, record, files)
            _swap_into_place(unpacked.pack_root, target, staging / "previous")
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    async def _download(self, pack_id: str, version: str, url: str, archive: Path) -> None:
        try:
            await self.remote.download(url, archive, max_bytes=self.limits.max_archive_bytes)
        except DownloadTooLarge as exc:
            raise ArchiveUnsafe(pack_id, version, exc.message) from exc
        except RegistryUnreachable as exc:
            raise RegistryUnavailable(self.remote.base_url, exc.message) from exc
        except RegistryRefused as exc:
            raise PackUnavailable(pack_id, version, self.remote.base_url, exc.message) from exc

    def _unpack(self, pack_id: str, version: str, archive: Path, folder: Path) -> ExtractedArchive:
        try:
            return extract_archive(archive, folder, limits=self.limits)
        except ArchiveRejected as exc:
            raise ArchiveUnsafe(pack_id, version, exc.reason) from exc

    def _staging_path(self) -> Path:
        return staging_path(self.custom_nodes)


def uninstall_pack(custom_nodes: Path, pack_id: str, *, force: bool = False) -> Path:
    """Remove `custom_nodes/<pack id>`; returns the path removed. Only a folder comfyd installed
    is removed unless `force`; a link is unlinked, never followed. Raises `InvalidPackName`,
    `PackNotInstalled` and `NotInstalledByComfyd`."""
    target = Path(custom_nodes) / check_pack_name(pack_id)
    if target.is_symlink():
        if not force:
            raise NotInstalledByComfyd(target)
        target.unlink()
        return target
    if not target.is_dir():
        raise PackNotInstalled(pack_id, Path(custom_nodes))
    if read_record(target) is None and not force:
        raise NotInstalledByComfyd(target)
    # Renamed away first: the pack is gone at once, even if deleting its files takes a while.
    doomed = staging_path(Path(custom_nodes))
    target.rename(doomed)
    shutil.rmtree(doomed, ignore_errors=True)
    return target


def staging_path(custom_nodes: Path) -> Path:
    """A fresh hidden folder name in `custom_nodes` (the loader skips hidden folders)."""
    return custom_nodes / f"{STAGING_PREFIX}{secrets.token_hex(8)}"


def _relative(files: tuple[str, ...], root: str) -> list[str]:
    """The archive's file names relative to the pack folder (without its top-level folder)."""
    prefix = f"{root}/" if root else ""
    return [name.removeprefix(prefix) for name in files]


def _swap_into_place(new: Path, target: Path, parking: Path) -> None:
    """Rename `new` to `target`, moving an existing `target` to `parking` first and back if the
    rename fails. Both live in the same folder, so each step is one atomic rename."""
    had_previous = target.exists() or target.is_symlink()
    if had_previous:
        target.rename(parking)
    try:
        new.rename(target)
    except BaseException:
        if had_previous:
            parking.rename(target)
        raise
