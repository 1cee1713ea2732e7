"""Published pack archives: checking that an upload is a safe zip, and unpacking it.

A pack archive is whatever a publisher uploaded, so every member's name, type and size is checked
before anything touches the disk, and sizes are counted again while the data is read, because
headers can lie. Scanning the code and importing it are `scanning` and `extraction`.

    report = inspect_archive(path)                 # raises ArchiveRejected
    unpacked = extract_archive(path, workdir / "pack")
    scan_pack(unpacked.pack_root)
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_LIMITS",
    "ArchiveLimits",
    "ArchiveRejected",
    "ArchiveReport",
    "ExtractedArchive",
    "extract_archive",
    "inspect_archive",
]

MiB = 1024 * 1024
_CHUNK = 256 * 1024
_ACCEPTED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# What a damaged member raises while it is read; each one means the archive is unusable.
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError)


class ArchiveRejected(Exception):
    """The archive is not a zip, or holds something a pack must not (the reason says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on one archive. The defaults leave real packs plenty of room.

    `max_ratio` applies to members that unpack to more than `ratio_floor_bytes`: small files
    (a block of spaces, an empty JSON list) legitimately compress far better than a pack does.
    """

    max_archive_bytes: int = 256 * MiB
    max_members: int = 20_000
    max_total_bytes: int = 1024 * MiB
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MiB


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class ArchiveReport:
    """What a checked archive holds.

    `files` are the regular files' paths inside the archive, in archive order. `root` is the pack
    folder inside the archive: "" when the pack files sit at the top (what comfy-cli uploads),
    else the single top-level folder every file is in. `total_bytes` were counted while reading.
    """

    files: tuple[str, ...]
    total_bytes: int
    compressed_bytes: int
    root: str


@dataclass(frozen=True)
class ExtractedArchive:
    """An archive unpacked into a folder; `pack_root` is where its pyproject.toml should be."""

    pack_root: Path
    report: ArchiveReport


def inspect_archive(path: str | os.PathLike[str], *, limits: ArchiveLimits = DEFAULT_LIMITS) -> ArchiveReport:
    """Check the archive at `path` and read every member through; raises `ArchiveRejected`.

    The data is decompressed (and thrown away) so that corrupt members, CRC mismatches and sizes
    that differ from their headers are caught here, not half-way through an extraction.
    """
    with _open_zip(Path(path), limits) as archive:
        members = _checked_members(archive, limits)
        budget = _Budget(limits.max_total_bytes)
        for info in members:
            for _chunk in _read_member(archive, info, budget):
                pass
        return _report(members, budget.spent)


def extract_archive(
    path: str | os.PathLike[str],
    target_dir: str | os.PathLike[str],
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> ExtractedArchive:
    """Unpack the archive's regular files into `target_dir`, which must be missing or empty.

    Raises `ArchiveRejected` for an archive `inspect_archive` would refuse, or one whose data
    breaks the limits while it is read. On any failure everything written is removed again
    (`target_dir` and any parents this call created, too). Files are written with mode 0644 and never
    through a link; folders come only from file paths, so empty folders are not recreated.
    """
    target = Path(target_dir)
    created = _prepare_target(target)
    try:
        with _open_zip(Path(path), limits) as archive:
            members = _checked_members(archive, limits)
            report = _write_members(archive, members, target.resolve(), limits)
    except BaseException:
        _remove_written(target, created)
        raise
    return ExtractedArchive(target / report.root if report.root else target, report)


class _Budget:
    """Uncompressed bytes actually read, against the total limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, size: int) -> None:
        self.spent += size
        if self.spent > self.limit:
            raise ArchiveRejected(
                f"The archive unpacks to more than {_megabytes(self.limit)}, the most a pack may hold."
            )


def _open_zip(path: Path, limits: ArchiveLimits) -> zipfile.ZipFile:
    size = path.stat().st_size
    if size > limits.max_archive_bytes:
        raise ArchiveRejected(
            f"The archive is {_megabytes(size)}, over the limit of {_megabytes(limits.max_archive_bytes)}."
        )
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ArchiveRejected(f"The upload is not a zip archive ({exc}).") from exc


def _checked_members(archive: zipfile.ZipFile, limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """The archive's regular files, after every header-level check has passed."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveRejected(
            f"The archive has {len(infos)} members; a pack may have at most {limits.max_members}."
        )
    files = [info for info in infos if not _check_member(info)]
    if not files:
        raise ArchiveRejected("The archive holds no files.")
    _check_unique(infos)
    declared = sum(info.file_size for info in files)
    if declared > limits.max_total_bytes:
        raise ArchiveRejected(
            f"The archive unpacks to {_megabytes(declared)}, over the limit of "
            f"{_megabytes(limits.max_total_bytes)}."
        )
    for info in files:
        _check_ratio(info, limits)
    return files


def _check_member(info: zipfile.ZipInfo) -> bool:
    """Check one member's header; returns whether it is a folder entry (which is skipped)."""
    name = info.filename
    _check_name(name)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ArchiveRejected(f"The archive member {name!r} is a symbolic link; packs may only hold files.")
    is_dir = info.is_dir() or stat.S_ISDIR(mode)
    if stat.S_IFMT(mode) and not (is_dir or stat.S_ISREG(mode)):
        raise ArchiveRejected(f"The archive member {name!r} is a special file; packs may only hold files.")
    if info.flag_bits & 0x1:
        raise ArchiveRejected(f"The archive member {name!r} is encrypted.")
    if info.compress_type not in _ACCEPTED_METHODS:
        raise ArchiveRejected(
            f"The archive member {name!r} uses compression method {info.compress_type}; "
            "only stored and deflated members are accepted."
        )
    return is_dir


def _check_name(name: str) -> None:
    """Refuse any member name that could land outside the folder it is extracted into."""
    problem = None
    parts = name.rstrip("/").split("/")
    if _CONTROL.search(name):
        problem = "holds a control character"
    elif "\\" in name:
        problem = "holds a backslash, which Windows reads as a folder separator"
    elif name.startswith("/"):
        problem = "is an absolute path"
    elif _DRIVE.match(name):
        problem = "names a drive"
    elif ".." in parts:
        problem = "climbs out of the pack folder with '..'"
    elif "" in parts or "." in parts:
        problem = "has an empty or '.' path component"
    if problem:
        raise ArchiveRejected(f"The archive member {name!r} {problem}.")


def _check_ratio(info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    if info.file_size <= limits.ratio_floor_bytes:
        return
    if info.file_size > limits.max_ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise ArchiveRejected(
            f"The archive member {info.filename!r} expands {ratio:.0f} times (the limit is "
            f"{limits.max_ratio:g}), which is how zip bombs look."
        )


def _check_unique(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse names that would collide on disk: repeated, equal but for case, or file and folder."""
    seen: dict[str, str] = {}
    folders: set[str] = set()
    for info in infos:
        name = info.filename.rstrip("/")
        folded = name.casefold()
        if folded in seen:
            also = f" (also as {seen[folded]!r})" if seen[folded] != name else ""
            raise ArchiveRejected(f"The archive member {name!r} appears twice{also}.")
        seen[folded] = name
        parts = folded.split("/")
        folders.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
    for info in infos:
        if not info.is_dir() and info.filename.casefold() in folders:
            raise ArchiveRejected(f"The archive member {info.filename!r} is both a file and a folder.")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """Yield the member's data in chunks, holding it to its declared size and the total budget."""
    read = 0
    try:
        with archive.open(info) as source:
            while chunk := source.read(_CHUNK):
                read += len(chunk)
                if read > info.file_size:
                    raise ArchiveRejected(
                        f"The archive member {info.filename!r} holds more data than its header declares."
                    )
                budget.spend(len(chunk))
                yield chunk
    except _CORRUPT as exc:
        raise ArchiveRejected(f"The archive member {info.filename!r} is damaged: {exc}.") from exc


def _write_members(
    archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], root: Path, limits: ArchiveLimits
) -> ArchiveReport:
    budget = _Budget(limits.max_total_bytes)
    for info in members:
        destination = _destination(root, info.filename)
        _write_file(destination, _read_member(archive, info, budget))
    return _report(members, budget.spent)


def _destination(root: Path, name: str) -> Path:
    destination = root.joinpath(*name.split("/"))
    destination.parent.mkdir(parents=True, exist_ok=True)
    # The name was checked already; resolving the folder as well means that even a link placed
    # in the target behind our back cannot carry a file outside it.
    if not destination.parent.resolve().is_relative_to(root):
        raise ArchiveRejected(f"The archive member {name!r} would be written outside the pack folder.")
    return destination


def _write_file(destination: Path, chunks: Iterator[bytes]) -> None:
    # O_EXCL refuses to reuse an existing name and O_NOFOLLOW to write through a link.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    with open(os.open(destination, flags, 0o644), "wb") as out:
        for chunk in chunks:
            out.write(chunk)


def _report(members: list[zipfile.ZipInfo], total_bytes: int) -> ArchiveReport:
    files = tuple(info.filename for info in members)
    compressed = sum(info.compress_size for info in members)
    return ArchiveReport(files, total_bytes, compressed, _pack_root(files))


def _pack_root(files: tuple[str, ...]) -> str:
    """The single top-level folder that holds every file, or "" when files sit at the top."""
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        return tops.pop()
    return ""


def _prepare_target(target: Path) -> Path | None:
    """Make sure `target` is an empty folder; returns the top-most folder this call created."""
    if target.exists():
        if not target.is_dir() or any(target.iterdir()):
            raise FileExistsError(f"Cannot extract into {target}: it is not an empty folder.")
        return None
    created = target
    while not created.parent.exists():
        created = created.parent
    target.mkdir(parents=True)
    return created


def _remove_written(target: Path, created: Path | None) -> None:
    """Undo an extraction: the folder was empty (or missing) before, so all it holds is ours."""
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)
        return
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _megabytes(size: int) -> str:
    return f"{size / MiB:.1f} MB"
