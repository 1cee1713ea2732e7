"""`resolve_target`: a download lands in its model folder's first path, and nowhere else."""

from __future__ import annotations

import pytest

from comfyd.assets.errors import DownloadConflict, UnsafeTarget
from comfyd.assets.targets import default_filename, refuse_existing, resolve_target
from comfyd.engine.folders import FolderPaths


@pytest.fixture
def folders(tmp_path) -> FolderPaths:
    return FolderPaths(tmp_path / "comfy")


def test_a_target_is_in_the_first_path_of_its_folder(folders):
    target = resolve_target(folders, "loras", "style/ink.safetensors")

    assert target.path == folders.models_dir / "loras" / "style" / "ink.safetensors"
    assert target.part_path("abc").parent == target.path.parent
    assert target.part_path("abc").name.startswith(".")


def test_extra_model_paths_with_is_default_take_the_download(folders, tmp_path):
    shared = tmp_path / "shared"
    yaml_path = tmp_path / "extra_model_paths.yaml"
    yaml_path.write_text(f"shared:\n    base_path: {shared}\n    is_default: true\n    checkpoints: ckpts\n")
    folders.load_extra_model_paths(yaml_path)

    target = resolve_target(folders, "checkpoints", "sd15.safetensors")

    assert target.path == shared / "ckpts" / "sd15.safetensors"


def test_a_legacy_folder_name_maps_to_its_current_folder(folders):
    assert resolve_target(folders, "unet", "flux.safetensors").folder == "diffusion_models"


@pytest.mark.parametrize(
    "filename",
    [
        pytest.param("../escape.safetensors", id="parent"),
        pytest.param("sub/../../escape.safetensors", id="nested-parent"),
        pytest.param("/etc/escape.safetensors", id="absolute"),
        pytest.param("..\\escape.safetensors", id="backslash"),
        pytest.param("C:/escape.safetensors", id="drive"),
        pytest.param("./here.safetensors", id="dot"),
        pytest.param("a//b.safetensors", id="empty-part"),
        pytest.param(".hidden.safetensors", id="hidden"),
        pytest.param("nul\x00.safetensors", id="nul"),
        pytest.param("", id="empty"),
        pytest.param("x" * 300 + ".safetensors", id="too-long-part"),
    ],
)
def test_unsafe_filenames_are_refused(folders, filename):
    with pytest.raises(UnsafeTarget, match="is not allowed"):
        resolve_target(folders, "checkpoints", filename)


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        pytest.param("../checkpoints", "is not a model folder", id="parent"),
        pytest.param("checkpoints/../loras", "is not a model folder", id="nested"),
        pytest.param("/tmp", "is not a model folder", id="absolute"),
        pytest.param("no_such_folder", "is not a model folder", id="unknown"),
        pytest.param("custom_nodes", "holds node packs", id="code"),
    ],
)
def test_unsafe_or_unknown_folders_are_refused(folders, folder, message):
    with pytest.raises(UnsafeTarget, match=message):
        resolve_target(folders, folder, "model.safetensors")


def test_a_name_the_folder_would_never_list_is_refused(folders):
    with pytest.raises(UnsafeTarget, match="only lists files ending in"):
        resolve_target(folders, "checkpoints", "payload.py")


def test_a_symlink_inside_the_folder_cannot_lead_out_of_it(folders, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    checkpoints = folders.models_dir / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "elsewhere").symlink_to(outside)

    with pytest.raises(UnsafeTarget, match="outside the checkpoints folder"):
        resolve_target(folders, "checkpoints", "elsewhere/model.safetensors")


def test_an_existing_file_is_a_conflict(folders):
    target = resolve_target(folders, "vae", "vae.safetensors")
    target.path.parent.mkdir(parents=True)
    target.path.write_bytes(b"x")

    with pytest.raises(DownloadConflict, match="already exists"):
        refuse_existing(target)


@pytest.mark.parametrize(
    ("path", "name"),
    [("/org/repo/resolve/main/model.safetensors", "model.safetensors"), ("/", ""), ("/a/b/", "b")],
)
def test_the_default_filename_is_the_last_url_path_segment(path, name):
    assert default_filename(path) == name
