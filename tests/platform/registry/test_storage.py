"""Local archive storage: keys stay inside the root, writes are atomic, reads find what was saved."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from comfyd.platform.registry.storage import (
    ArchiveNotFound,
    ArchiveStorage,
    InvalidArchiveKey,
    LocalArchiveStorage,
    StoredArchive,
    archive_key,
)

KEY = "example/comfyui-example/1.0.0.zip"
CONTENT = b"PK\x05\x06" + bytes(18) + b"pretend zip" * 1000


class FailingStream(io.RawIOBase):
    """A stream that hands out some bytes and then fails, like an upload that drops."""

    def __init__(self) -> None:
        self.calls = 0

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 2:
            raise ConnectionResetError("the client went away")
        return b"partial" * 100


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "archives"


@pytest.fixture
def storage(root: Path) -> LocalArchiveStorage:
    return LocalArchiveStorage(root)


def files_under(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def test_local_storage_is_an_archive_storage(storage: LocalArchiveStorage) -> None:
    role: ArchiveStorage = storage
    assert role is storage


def test_save_from_a_path_stores_the_file_under_its_key(
    tmp_path: Path, root: Path, storage: LocalArchiveStorage
) -> None:
    upload = tmp_path / "node.zip"
    upload.write_bytes(CONTENT)

    stored = storage.save(KEY, upload)

    assert stored == StoredArchive(KEY, len(CONTENT), hashlib.sha256(CONTENT).hexdigest())
    assert (root / "example" / "comfyui-example" / "1.0.0.zip").read_bytes() == CONTENT
    assert files_under(root) == [KEY]


def test_save_from_a_stream_stores_what_the_stream_holds(storage: LocalArchiveStorage) -> None:
    stored = storage.save(KEY, io.BytesIO(CONTENT))

    assert stored.size == len(CONTENT)
    assert stored.sha256 == hashlib.sha256(CONTENT).hexdigest()
    with storage.open(KEY) as archive:
        assert archive.read() == CONTENT


def test_save_replaces_an_existing_archive(root: Path, storage: LocalArchiveStorage) -> None:
    storage.save(KEY, io.BytesIO(b"old"))

    storage.save(KEY, io.BytesIO(b"new"))

    with storage.open(KEY) as archive:
        assert archive.read() == b"new"
    assert files_under(root) == [KEY]


def test_failed_save_keeps_the_previous_archive_and_leaves_no_partial_file(
    root: Path, storage: LocalArchiveStorage
) -> None:
    storage.save(KEY, io.BytesIO(b"old"))

    with pytest.raises(ConnectionResetError):
        storage.save(KEY, FailingStream())

    with storage.open(KEY) as archive:
        assert archive.read() == b"old"
    assert files_under(root) == [KEY]


def test_exists_and_path_for_answer_for_saved_archives_only(root: Path, storage: LocalArchiveStorage) -> None:
    storage.save(KEY, io.BytesIO(CONTENT))

    assert storage.exists(KEY)
    assert storage.path_for(KEY) == root / KEY
    assert not storage.exists("example/comfyui-example/2.0.0.zip")
    assert storage.path_for("example/comfyui-example/2.0.0.zip") is None
    assert not storage.exists("example/comfyui-example")


def test_open_of_a_missing_archive_raises_archive_not_found(storage: LocalArchiveStorage) -> None:
    with pytest.raises(
        ArchiveNotFound, match="No archive is stored under 'example/comfyui-example/9.9.9.zip'"
    ):
        storage.open("example/comfyui-example/9.9.9.zip")


def test_open_of_a_folder_key_raises_archive_not_found(storage: LocalArchiveStorage) -> None:
    storage.save(KEY, io.BytesIO(CONTENT))

    with pytest.raises(ArchiveNotFound):
        storage.open("example/comfyui-example")


def test_delete_removes_the_archive_and_tolerates_a_missing_one(storage: LocalArchiveStorage) -> None:
    storage.save(KEY, io.BytesIO(CONTENT))

    storage.delete(KEY)
    storage.delete(KEY)

    assert not storage.exists(KEY)


BAD_KEYS = [
    pytest.param("../outside.zip", id="parent"),
    pytest.param("example/../../outside.zip", id="parent-inside"),
    pytest.param("/etc/passwd", id="absolute"),
    pytest.param("example//pack.zip", id="empty-part"),
    pytest.param("example/./pack.zip", id="dot-part"),
    pytest.param(".hidden/pack.zip", id="hidden"),
    pytest.param("example\\pack.zip", id="backslash"),
    pytest.param("C:/pack.zip", id="drive"),
    pytest.param("", id="empty"),
    pytest.param("a" * 1025, id="too-long"),
]


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize("method", ["save", "open", "path_for", "delete", "exists"])
def test_every_method_refuses_keys_that_could_leave_the_root(
    tmp_path: Path, root: Path, storage: LocalArchiveStorage, key: str, method: str
) -> None:
    arguments = (key, io.BytesIO(b"x")) if method == "save" else (key,)

    with pytest.raises(InvalidArchiveKey):
        getattr(storage, method)(*arguments)

    assert not root.exists() or files_under(root) == []
    assert files_under(tmp_path) == []


def test_a_link_inside_the_root_cannot_carry_an_archive_outside(tmp_path: Path, root: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "example").symlink_to(outside, target_is_directory=True)

    with pytest.raises(InvalidArchiveKey, match="leads outside the archive folder"):
        LocalArchiveStorage(root).save(KEY, io.BytesIO(CONTENT))

    assert list(outside.iterdir()) == []


def test_archive_key_is_publisher_node_and_version() -> None:
    assert archive_key(publisher_id="example", node_id="comfyui-example", version="1.0.0+build.5") == (
        "example/comfyui-example/1.0.0+build.5.zip"
    )


def test_archive_key_refuses_ids_that_are_not_single_parts() -> None:
    with pytest.raises(InvalidArchiveKey, match="has the part '..'"):
        archive_key(publisher_id="..", node_id="pack", version="1.0.0")
