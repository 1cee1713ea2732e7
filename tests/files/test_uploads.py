"""`Uploads` on a real directory tree: naming, de-duplication and the cases HTTP tests cannot reach."""

from __future__ import annotations

import io

import pytest

from comfyd.engine.folders import FolderPaths
from comfyd.files.errors import InvalidFileRequest, MissingUpload, UnsafeFileName, UploadOutsideRoot
from comfyd.files.uploads import StoredUpload, Upload, Uploads


@pytest.fixture
def folders(tmp_path) -> FolderPaths:
    layout = FolderPaths(tmp_path / "base")
    layout.ensure_directories()
    return layout


@pytest.fixture
def uploads(folders) -> Uploads:
    return Uploads(folders)


def upload(name: str | None, data: bytes = b"data", **options) -> Upload:
    return Upload(content=io.BytesIO(data), filename=name, **options)


def test_save_image_numbers_clashes_after_the_stem(uploads, folders):
    uploads.save_image(upload("archive.tar.gz", b"one"))

    stored = uploads.save_image(upload("archive.tar.gz", b"two"))

    assert stored == StoredUpload("archive.tar (1).gz", "", "input")
    assert (folders.input_dir / "archive.tar (1).gz").read_bytes() == b"two"


def test_save_image_reuses_a_symlink_inside_the_root_with_the_same_bytes(uploads, folders):
    (folders.input_dir / "real.png").write_bytes(b"same")
    (folders.input_dir / "alias.png").symlink_to(folders.input_dir / "real.png")

    assert uploads.save_image(upload("alias.png", b"same")).name == "alias.png"


def test_save_image_skips_a_dangling_symlink(uploads, folders):
    (folders.input_dir / "gone.png").symlink_to(folders.base_dir / "missing.png")

    assert uploads.save_image(upload("gone.png")).name == "gone (1).png"
    assert not (folders.base_dir / "missing.png").exists()


def test_save_image_overwrite_leaves_no_partial_files_behind(uploads, folders):
    uploads.save_image(upload("x.png", b"old"))

    uploads.save_image(upload("x.png", b"new", overwrite=True))

    assert sorted(p.name for p in folders.input_dir.iterdir()) == ["x.png"]


def test_save_image_refuses_to_overwrite_a_directory(uploads, folders):
    (folders.input_dir / "folder.png").mkdir()

    with pytest.raises(InvalidFileRequest, match="is a directory"):
        uploads.save_image(upload("folder.png", overwrite=True))


def test_save_image_into_a_subfolder_that_is_a_file_is_refused(uploads, folders):
    (folders.input_dir / "plain").write_bytes(b"")

    with pytest.raises(InvalidFileRequest, match="is a file"):
        uploads.save_image(upload("x.png", subfolder="plain"))


@pytest.mark.parametrize(
    ("name", "error"),
    [
        pytest.param(None, MissingUpload, id="no-name"),
        pytest.param("", MissingUpload, id="empty"),
        pytest.param(".", UnsafeFileName, id="dot"),
        pytest.param("a\x00b.png", UnsafeFileName, id="nul"),
        pytest.param("é" * 200 + ".png", UnsafeFileName, id="too-long-in-bytes"),
    ],
)
def test_save_image_refuses_unusable_names(uploads, name, error):
    with pytest.raises(error):
        uploads.save_image(upload(name))


def test_save_image_refuses_a_nul_byte_in_the_subfolder(uploads):
    with pytest.raises(UploadOutsideRoot):
        uploads.save_image(upload("x.png", subfolder="a\x00b"))


def test_save_mask_with_a_bad_ref_creates_no_subfolder(uploads, folders):
    with pytest.raises(InvalidFileRequest):
        uploads.save_mask(upload("m.png", subfolder="clipspace"), '{"filename": 3}')

    assert not (folders.input_dir / "clipspace").exists()
