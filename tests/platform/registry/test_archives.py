"""Pack archives: good zips unpack, hostile ones are refused and leave nothing behind."""

from __future__ import annotations

import stat
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from comfyd.platform.registry.archives import (
    ArchiveLimits,
    ArchiveRejected,
    MiB,
    extract_archive,
    inspect_archive,
)

PACK_FILES = {
    "pyproject.toml": b'[project]\nname = "comfyui-example"\nversion = "1.0.0"\n',
    "__init__.py": b"from .nodes import NODE_CLASS_MAPPINGS\n",
    "nodes.py": b"NODE_CLASS_MAPPINGS = {}\n",
    "web/js/widget.js": b"export {};\n",
}


def build_zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    """Write members in order; repeated names are allowed (zipfile only warns about them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def pack_zip(path: Path, prefix: str = "", extra: list[tuple[str | zipfile.ZipInfo, bytes]] = ()) -> Path:
    return build_zip(path, [(prefix + name, data) for name, data in PACK_FILES.items()] + list(extra))


def symlink_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so the mode bits in external_attr are read
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def zeros_zip(path: Path, size: int) -> Path:
    """A member of `size` zero bytes, written in chunks so the test never holds it in memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("__init__.py", b"")
        with archive.open("weights.bin", "w", force_zip64=True) as member:
            chunk = bytes(MiB)
            for _ in range(size // MiB):
                member.write(chunk)
    return path


def patch_entry(path: Path, member: str, *, offset: int, fmt: str, value: int) -> Path:
    """Overwrite one field of `member`'s central directory entry (what zipfile trusts)."""
    data = bytearray(path.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46 : entry + 46 + name_length].decode() == member:
            struct.pack_into(fmt, data, entry + offset, value)
        entry = data.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(data))
    return path


def understate_size(path: Path, member: str, declared: int) -> Path:
    return patch_entry(path, member, offset=24, fmt="<I", value=declared)


def listing(root: Path) -> set[str]:
    return {entry.relative_to(root).as_posix() for entry in root.rglob("*")}


@pytest.fixture
def upload(tmp_path: Path) -> Path:
    return tmp_path / "upload" / "node.zip"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path / "work" / "pack"


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return zeros_zip(tmp_path_factory.mktemp("bomb") / "bomb.zip", 200 * MiB)


def test_inspect_accepts_a_pack_with_its_files_at_the_top(upload: Path) -> None:
    report = inspect_archive(pack_zip(upload))

    assert report.files == tuple(PACK_FILES)
    assert report.root == ""
    assert report.total_bytes == sum(len(data) for data in PACK_FILES.values())
    assert 0 < report.compressed_bytes


def test_extract_writes_the_pack_files_into_the_target(upload: Path, target: Path) -> None:
    unpacked = extract_archive(pack_zip(upload), target)

    assert unpacked.pack_root == target
    assert listing(target) == {
        "pyproject.toml",
        "__init__.py",
        "nodes.py",
        "web",
        "web/js",
        "web/js/widget.js",
    }
    assert (target / "__init__.py").read_bytes() == PACK_FILES["__init__.py"]
    assert stat.S_IMODE((target / "nodes.py").stat().st_mode) & 0o111 == 0


def test_extract_reports_a_single_top_level_folder_as_the_pack_root(upload: Path, target: Path) -> None:
    unpacked = extract_archive(pack_zip(upload, prefix="ComfyUI-Example/"), target)

    assert unpacked.report.root == "ComfyUI-Example"
    assert unpacked.pack_root == target / "ComfyUI-Example"
    assert (unpacked.pack_root / "pyproject.toml").is_file()


def test_extract_skips_folder_entries(upload: Path, target: Path) -> None:
    archive = pack_zip(upload, extra=[("empty/", b""), ("web/", b"")])

    unpacked = extract_archive(archive, target)

    assert "empty" not in listing(target)
    assert unpacked.report.files == tuple(PACK_FILES)


def test_extract_into_an_existing_empty_folder_keeps_the_folder(upload: Path, target: Path) -> None:
    target.mkdir()

    extract_archive(pack_zip(upload), target)

    assert (target / "nodes.py").is_file()


def test_extract_refuses_a_target_that_is_not_empty(upload: Path, target: Path) -> None:
    target.mkdir()
    (target / "keep.txt").write_text("mine")

    with pytest.raises(FileExistsError):
        extract_archive(pack_zip(upload), target)

    assert listing(target) == {"keep.txt"}


HOSTILE = [
    pytest.param([("../evil.py", b"x")], "climbs out", id="zip-slip"),
    pytest.param([("pack/../../evil.py", b"x")], "climbs out", id="zip-slip-nested"),
    pytest.param([("/tmp/evil.py", b"x")], "absolute path", id="absolute-path"),
    pytest.param([("..\\evil.py", b"x")], "backslash", id="backslash"),
    pytest.param([("C:/evil.py", b"x")], "drive", id="drive-letter"),
    pytest.param([("a/./b.py", b"x")], "'.' path component", id="dot-component"),
    pytest.param([("evil\x01.py", b"x")], "control character", id="control-character"),
    pytest.param([symlink_member("link.py", "/etc/passwd")], "symbolic link", id="symlink"),
    pytest.param([("nodes.py", b"second")], "appears twice", id="duplicate-name"),
    pytest.param([("Nodes.py", b"x")], "appears twice", id="duplicate-name-but-for-case"),
    pytest.param([("nodes.py/inner.py", b"x")], "both a file and a folder", id="file-and-folder"),
]


@pytest.mark.parametrize(("extra", "reason"), HOSTILE)
def test_inspect_rejects_hostile_members(upload: Path, extra: list, reason: str) -> None:
    with pytest.raises(ArchiveRejected, match=reason):
        inspect_archive(pack_zip(upload, extra=extra))


def test_rejects_encrypted_members(upload: Path, target: Path) -> None:
    archive = patch_entry(pack_zip(upload), "nodes.py", offset=8, fmt="<H", value=0x1)

    with pytest.raises(ArchiveRejected, match="'nodes.py' is encrypted"):
        extract_archive(archive, target)

    assert not target.exists()


@pytest.mark.parametrize(("extra", "reason"), HOSTILE)
def test_extract_rejects_hostile_members_and_writes_nothing(
    tmp_path: Path, upload: Path, target: Path, extra: list, reason: str
) -> None:
    archive = pack_zip(upload, extra=extra)
    before, around = listing(tmp_path), set((tmp_path.parent).iterdir())

    with pytest.raises(ArchiveRejected, match=reason):
        extract_archive(archive, target)

    assert listing(tmp_path) == before
    assert set(tmp_path.parent.iterdir()) == around


def test_rejection_reason_names_the_member(upload: Path) -> None:
    with pytest.raises(ArchiveRejected) as rejected:
        inspect_archive(pack_zip(upload, extra=[("../evil.py", b"x")]))

    assert rejected.value.reason == "The archive member '../evil.py' climbs out of the pack folder with '..'."


def test_extract_of_a_rejected_archive_removes_parent_folders_it_created(
    tmp_path: Path, upload: Path
) -> None:
    archive = pack_zip(upload, extra=[("../evil.py", b"x")])

    with pytest.raises(ArchiveRejected):
        extract_archive(archive, tmp_path / "new" / "deeper" / "pack")

    assert not (tmp_path / "new").exists()


def test_extract_rejection_empties_an_existing_target_but_keeps_it(upload: Path, target: Path) -> None:
    target.mkdir()
    # The pack files are written before the damaged member is read, so there is something to undo.
    archive = understate_size(pack_zip(upload, extra=[("data.bin", b"\x01" * 300_000)]), "data.bin", 1000)

    with pytest.raises(ArchiveRejected):
        extract_archive(archive, target)

    assert target.is_dir() and listing(target) == set()


def test_rejects_more_members_than_the_limit(upload: Path, target: Path) -> None:
    archive = pack_zip(upload)

    with pytest.raises(ArchiveRejected, match="4 members; a pack may have at most 3"):
        extract_archive(archive, target, limits=ArchiveLimits(max_members=3))

    assert not target.exists()


def test_rejects_an_archive_with_no_files(upload: Path) -> None:
    with pytest.raises(ArchiveRejected, match="holds no files"):
        inspect_archive(build_zip(upload, [("only-a-folder/", b"")]))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"this is a text file, not a zip\n", id="text"),
        pytest.param(b"", id="empty"),
        pytest.param(b"PK\x03\x04" + bytes(64), id="truncated-zip"),
    ],
)
def test_rejects_a_file_that_is_not_a_zip(upload: Path, target: Path, content: bytes) -> None:
    upload.parent.mkdir(parents=True)
    upload.write_bytes(content)

    with pytest.raises(ArchiveRejected, match="not a zip archive"):
        extract_archive(upload, target)

    assert not target.exists()


def test_rejects_an_archive_file_over_the_size_limit(upload: Path) -> None:
    with pytest.raises(ArchiveRejected, match="over the limit"):
        inspect_archive(pack_zip(upload), limits=ArchiveLimits(max_archive_bytes=100))


def test_rejects_a_zip_bomb_by_its_declared_size(tmp_path: Path, bomb: Path, target: Path) -> None:
    before = listing(tmp_path)

    with pytest.raises(ArchiveRejected, match=r"unpacks to 200\.0 MB, over the limit of 50\.0 MB"):
        extract_archive(bomb, target, limits=ArchiveLimits(max_total_bytes=50 * MiB))

    assert listing(tmp_path) == before


def test_rejects_a_zip_bomb_by_its_compression_ratio(bomb: Path) -> None:
    with pytest.raises(ArchiveRejected, match="'weights.bin' expands .* times .* zip bombs"):
        inspect_archive(bomb)


def test_small_files_may_compress_far_better_than_the_ratio_limit(upload: Path) -> None:
    report = inspect_archive(build_zip(upload, [("__init__.py", b" " * 500_000)]))

    assert report.total_bytes == 500_000


def test_extract_rejects_a_member_holding_more_than_its_header_declares(
    tmp_path: Path, upload: Path, target: Path
) -> None:
    archive = understate_size(pack_zip(upload, extra=[("data.bin", b"\x01" * 300_000)]), "data.bin", 1000)
    before = listing(tmp_path)

    with pytest.raises(ArchiveRejected, match="'data.bin' is damaged"):
        extract_archive(archive, target)

    assert listing(tmp_path) == before


def test_inspect_rejects_a_member_holding_more_than_its_header_declares(upload: Path) -> None:
    archive = understate_size(pack_zip(upload, extra=[("data.bin", b"\x01" * 300_000)]), "data.bin", 1000)

    with pytest.raises(ArchiveRejected, match="'data.bin' is damaged"):
        inspect_archive(archive)


@pytest.mark.parametrize(
    "operation", [inspect_archive, lambda path: extract_archive(path, path.parent / "out")]
)
def test_rejects_unsupported_compression_methods(upload: Path, operation: Callable[[Path], object]) -> None:
    upload.parent.mkdir(parents=True)
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("__init__.py", b"")

    with pytest.raises(ArchiveRejected, match="compression method 12"):
        operation(upload)
