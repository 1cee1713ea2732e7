"""FolderPaths (ComfyUI's `folder_paths` as an object), the current layout, and the compat module."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from comfyd.engine import folders
from comfyd.engine.compat import folder_paths as compat
from comfyd.engine.folders import FolderPaths, next_counter
from comfyd.engine.paths import PathEscapesRoot


@pytest.fixture
def paths(tmp_path) -> FolderPaths:
    layout = FolderPaths(tmp_path / "base")
    layout.ensure_directories()
    return layout


@pytest.fixture
def active(paths) -> Iterator[FolderPaths]:
    previous = folders.activate(paths)
    try:
        yield paths
    finally:
        folders.activate(previous)


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def age_directories(root: Path, seconds: float = 3600) -> None:
    """Move every directory's mtime into the past, so listings of it are not racy."""
    stamp = time.time() - seconds
    for directory in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        os.utime(directory, (stamp, stamp))


# -- layout -----------------------------------------------------------------------------------------


def test_directories_default_to_folders_under_base(tmp_path):
    layout = FolderPaths(tmp_path)

    assert layout.get_input_directory() == tmp_path / "input"
    assert layout.get_output_directory() == tmp_path / "output"
    assert layout.get_temp_directory() == tmp_path / "temp"
    assert layout.get_user_directory() == tmp_path / "user"
    assert layout.models_dir == tmp_path / "models"


def test_directories_can_be_overridden_one_by_one(tmp_path):
    layout = FolderPaths(tmp_path, output_dir=tmp_path / "out", user_dir=tmp_path / "people")

    assert layout.get_output_directory() == tmp_path / "out"
    assert layout.get_user_directory() == tmp_path / "people"
    assert layout.get_input_directory() == tmp_path / "input"


def test_ensure_directories_creates_input_output_temp_and_user(tmp_path):
    FolderPaths(tmp_path).ensure_directories()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["input", "output", "temp", "user"]


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [("input", "input"), ("output", "output"), ("temp", "temp"), ("user", None), ("models", None)],
)
def test_directory_by_type_serves_only_input_output_and_temp(tmp_path, type_name, expected):
    layout = FolderPaths(tmp_path)

    result = layout.get_directory_by_type(type_name)

    assert result == (tmp_path / expected if expected else None)


def test_model_folders_have_comfyui_keys_paths_and_extensions(tmp_path):
    layout = FolderPaths(tmp_path)
    models = tmp_path / "models"

    assert list(layout.folder_names_and_paths) == [
        "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision",
        "style_models", "embeddings", "diffusers", "vae_approx", "controlnet", "gligen", "upscale_models",
        "custom_nodes", "hypernetworks", "photomaker", "classifiers", "model_patches", "audio_encoders",
    ]  # fmt: skip
    assert layout.get_folder_paths("text_encoders") == [models / "text_encoders", models / "clip"]
    assert layout.get_folder_paths("diffusion_models") == [models / "unet", models / "diffusion_models"]
    assert layout.get_folder_paths("controlnet") == [models / "controlnet", models / "t2i_adapter"]
    assert layout.get_folder_paths("custom_nodes") == [tmp_path / "custom_nodes"]
    assert layout.folder_names_and_paths["configs"][1] == {".yaml"}
    assert layout.folder_names_and_paths["diffusers"][1] == {"folder"}
    assert layout.folder_names_and_paths["classifiers"][1] == {""}
    assert layout.folder_names_and_paths["checkpoints"][1] == {
        ".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"
    }  # fmt: skip


def test_legacy_folder_names_reach_their_renamed_folders(tmp_path):
    layout = FolderPaths(tmp_path)

    assert layout.get_folder_paths("unet") == layout.get_folder_paths("diffusion_models")
    assert layout.get_folder_paths("clip") == layout.get_folder_paths("text_encoders")


def test_unknown_folder_raises_key_error(tmp_path):
    with pytest.raises(KeyError):
        FolderPaths(tmp_path).get_folder_paths("nope")


# -- add_model_folder_path --------------------------------------------------------------------------


def test_add_model_folder_path_appends_or_puts_default_first(tmp_path):
    layout = FolderPaths(tmp_path)

    layout.add_model_folder_path("loras", "/a")
    layout.add_model_folder_path("loras", "/b", is_default=True)

    assert layout.get_folder_paths("loras") == [Path("/b"), tmp_path / "models/loras", Path("/a")]


def test_add_model_folder_path_moves_known_path_to_front_when_default(tmp_path):
    layout = FolderPaths(tmp_path)
    layout.add_model_folder_path("loras", "/a")

    layout.add_model_folder_path("loras", "/a")
    layout.add_model_folder_path("loras", "/a", is_default=True)

    assert layout.get_folder_paths("loras") == [Path("/a"), tmp_path / "models/loras"]


def test_add_model_folder_path_creates_unknown_folder_matching_every_extension(tmp_path):
    layout = FolderPaths(tmp_path)

    layout.add_model_folder_path("my_models", "/m")
    layout.add_model_folder_path("unet", "/u")

    assert layout.folder_names_and_paths["my_models"] == (["/m"], set())
    assert layout.get_folder_paths("diffusion_models")[-1] == Path("/u")


# -- get_filename_list ------------------------------------------------------------------------------


def test_filename_list_walks_recursively_filters_extensions_and_sorts(paths):
    root = paths.models_dir / "checkpoints"
    for name in ("b.safetensors", "sub/a.ckpt", "sub/deeper/c.PT", "notes.txt"):
        touch(root / name)

    assert paths.get_filename_list("checkpoints") == ["b.safetensors", "sub/a.ckpt", "sub/deeper/c.PT"]


def test_filename_list_skips_git_and_hidden_entries(paths):
    root = paths.models_dir / "loras"
    for name in ("keep.pt", ".git/objects/x.pt", ".hidden.pt", ".cache/y.pt"):
        touch(root / name)

    assert paths.get_filename_list("loras") == ["keep.pt"]


def test_filename_list_merges_and_deduplicates_all_search_paths(paths, tmp_path):
    touch(paths.models_dir / "vae" / "same.pt")
    touch(tmp_path / "extra" / "same.pt")
    touch(tmp_path / "extra" / "other.pt")
    paths.add_model_folder_path("vae", tmp_path / "extra")

    assert paths.get_filename_list("vae") == ["other.pt", "same.pt"]


def test_filename_list_follows_symlinked_directories_without_looping(paths, tmp_path):
    touch(tmp_path / "shared" / "linked.pt")
    root = paths.models_dir / "loras"
    root.mkdir(parents=True)
    (root / "shared").symlink_to(tmp_path / "shared", target_is_directory=True)
    (tmp_path / "shared" / "loop").symlink_to(root, target_is_directory=True)

    assert paths.get_filename_list("loras") == ["shared/linked.pt"]


def test_filename_list_with_empty_extension_set_lists_every_file(paths, tmp_path):
    touch(tmp_path / "anything" / "a.bin")
    touch(tmp_path / "anything" / "b.whatever")
    paths.add_model_folder_path("anything", tmp_path / "anything")

    assert paths.get_filename_list("anything") == ["a.bin", "b.whatever"]


def test_filename_list_is_cached_until_a_directory_changes(paths, monkeypatch):
    root = paths.models_dir / "checkpoints"
    touch(root / "a.safetensors")
    age_directories(paths.models_dir)
    scans = []
    real_scan = folders.scan_files
    monkeypatch.setattr(folders, "scan_files", lambda d: scans.append(d) or real_scan(d))

    paths.get_filename_list("checkpoints")
    paths.get_filename_list("checkpoints")
    touch(root / "b.safetensors")
    listed = paths.get_filename_list("checkpoints")

    assert len(scans) == 2  # one walk per search path, and only for the first and third calls
    assert listed == ["a.safetensors", "b.safetensors"]


def test_filename_list_sees_file_added_right_after_listing(paths):
    root = paths.models_dir / "checkpoints"
    touch(root / "a.safetensors")
    paths.get_filename_list("checkpoints")

    touch(root / "b.safetensors")

    assert paths.get_filename_list("checkpoints") == ["a.safetensors", "b.safetensors"]


def test_filename_list_sees_search_path_created_later(paths):
    assert paths.get_filename_list("vae") == []

    touch(paths.models_dir / "vae" / "new.pt")

    assert paths.get_filename_list("vae") == ["new.pt"]


# -- get_full_path ----------------------------------------------------------------------------------


def test_full_path_finds_file_in_first_search_path_that_has_it(paths, tmp_path):
    touch(tmp_path / "extra" / "sub" / "m.pt")
    paths.add_model_folder_path("checkpoints", tmp_path / "extra")

    assert paths.get_full_path("checkpoints", "sub/m.pt") == tmp_path / "extra" / "sub" / "m.pt"


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        pytest.param("checkpoints", "missing.pt", id="missing"),
        pytest.param("nope", "m.pt", id="unknown-folder"),
        pytest.param("checkpoints", "../secret.pt", id="parent"),
        pytest.param("checkpoints", "", id="empty"),
    ],
)
def test_full_path_is_none_for_missing_unknown_or_escaping_names(paths, folder, name):
    touch(paths.models_dir / "secret.pt")

    assert paths.get_full_path(folder, name) is None


def test_full_path_keeps_dotdot_names_inside_the_folder(paths):
    inside = touch(paths.models_dir / "checkpoints" / "m.pt")

    assert paths.get_full_path("checkpoints", "../../m.pt") == inside


def test_full_path_accepts_legacy_folder_name(paths):
    model = touch(paths.models_dir / "unet" / "m.safetensors")

    assert paths.get_full_path("unet", "m.safetensors") == model


def test_full_path_or_raise_names_folder_and_file(paths):
    with pytest.raises(FileNotFoundError, match="Model in folder 'vae' with filename 'x.pt' not found."):
        paths.get_full_path_or_raise("vae", "x.pt")


# -- annotated names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stripped", "kind"),
    [
        ("a.png [output]", "a.png", "output"),
        ("sub/a.png [input]", "sub/a.png", "input"),
        ("a.png [temp]", "a.png", "temp"),
        ("a.png", "a.png", None),
        ("a.png [user]", "a.png [user]", None),
    ],
)
def test_annotated_filepath_splits_directory_suffix(paths, name, stripped, kind):
    result = paths.annotated_filepath(name)

    assert result == (stripped, paths.get_directory_by_type(kind) if kind else None)


def test_annotated_filepath_falls_back_to_default_dir_then_input(paths, tmp_path):
    assert paths.get_annotated_filepath("a.png") == paths.input_dir / "a.png"
    assert paths.get_annotated_filepath("a.png", tmp_path) == tmp_path / "a.png"
    assert paths.get_annotated_filepath("a.png [temp]", tmp_path) == paths.temp_dir / "a.png"


def test_exists_annotated_filepath_checks_the_annotated_folder_only(paths):
    touch(paths.output_dir / "o.png")
    touch(paths.base_dir / "outside.png")

    assert paths.exists_annotated_filepath("o.png [output]") is True
    assert paths.exists_annotated_filepath("o.png") is False
    assert paths.exists_annotated_filepath("../outside.png") is False


# -- get_save_image_path ----------------------------------------------------------------------------


def test_save_image_path_starts_counter_at_one_and_creates_subfolder(paths):
    result = paths.get_save_image_path("a/b/pic", paths.output_dir)

    assert result == (paths.output_dir / "a" / "b", "pic", 1, "a/b", "a/b/pic")
    assert (paths.output_dir / "a" / "b").is_dir()


def test_save_image_path_counts_past_highest_existing_number(paths):
    for name in ("pic_00003_.png", "pic_00010_.webp", "pic_extra_00099_.png", "picture_00050_.png"):
        touch(paths.output_dir / name)

    assert paths.get_save_image_path("pic", paths.output_dir)[2] == 11


def test_save_image_path_substitutes_date_and_size_variables(paths, monkeypatch):
    fixed = time.struct_time((2024, 3, 7, 9, 5, 2, 3, 67, 0))
    monkeypatch.setattr(folders.time, "localtime", lambda: fixed)

    result = paths.get_save_image_path(
        "%year%-%month%-%day%/%hour%%minute%%second%_%width%x%height%", paths.output_dir, 640, 480
    )

    assert result[1:] == ("090502_640x480", 1, "2024-03-07", "2024-03-07/090502_640x480")


@pytest.mark.parametrize("prefix", ["../x", "a/../../x", "/etc/x"])
def test_save_image_path_refuses_folders_outside_output(paths, prefix):
    with pytest.raises(PathEscapesRoot, match="not allowed"):
        paths.get_save_image_path(prefix, paths.output_dir)

    assert not (paths.base_dir / "x").exists()


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        pytest.param([], 1, id="empty"),
        pytest.param(["x_00002_.png", "x_00005_.png"], 6, id="highest"),
        pytest.param(["x_notanumber_.png"], 1, id="non-numeric-counts-zero"),
        pytest.param(["X_00004_.png"], 5 if os.path.normcase("X") == "x" else 1, id="case"),
        pytest.param(["xx_00004_.png", "x.png"], 1, id="other-names"),
    ],
)
def test_next_counter(names, expected):
    assert next_counter(names, "x") == expected


# -- extra_model_paths.yaml -------------------------------------------------------------------------


def test_extra_model_paths_applies_sections_and_returns_custom_nodes(paths, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELS_HOME", str(tmp_path / "home"))
    config = tmp_path / "cfg" / "extra_model_paths.yaml"
    config.parent.mkdir()
    config.write_text(
        "comfyui:\n"
        "  base_path: $MODELS_HOME/comfy\n"
        "  is_default: true\n"
        "  checkpoints: |\n"
        "    models/checkpoints\n"
        "    models/more\n"
        "  unet: models/unet\n"
        "other:\n"
        "  loras: relative/loras\n"
        "  custom_nodes: nodes\n"
        "  my_things: /abs/things\n"
        "empty:\n",
        encoding="utf-8",
    )

    custom_nodes = paths.load_extra_model_paths(config)

    home = tmp_path / "home" / "comfy"
    assert paths.get_folder_paths("checkpoints")[:2] == [home / "models/more", home / "models/checkpoints"]
    assert paths.get_folder_paths("diffusion_models")[0] == home / "models/unet"
    assert paths.get_folder_paths("loras")[-1] == tmp_path / "cfg" / "relative/loras"
    assert paths.folder_names_and_paths["my_things"] == (["/abs/things"], set())
    assert custom_nodes == [tmp_path / "cfg" / "nodes"]


def test_extra_model_paths_base_path_is_relative_to_yaml_dir(paths, tmp_path):
    config = tmp_path / "extra.yaml"
    config.write_text("a:\n  base_path: shared/..//store\n  vae: v\n", encoding="utf-8")

    paths.load_extra_model_paths(config)

    assert paths.get_folder_paths("vae")[-1] == tmp_path / "store" / "v"


def test_extra_model_paths_of_empty_file_changes_nothing(paths, tmp_path):
    config = tmp_path / "extra.yaml"
    config.write_text("", encoding="utf-8")
    before = {k: (list(v[0]), set(v[1])) for k, v in paths.folder_names_and_paths.items()}

    assert paths.load_extra_model_paths(config) == []
    assert {k: (list(v[0]), set(v[1])) for k, v in paths.folder_names_and_paths.items()} == before


# -- the current layout -----------------------------------------------------------------------------


def test_activate_makes_layout_current_and_returns_previous(paths):
    previous = folders.activate(paths)
    try:
        assert folders.current() is paths
    finally:
        assert folders.activate(previous) is paths


def test_current_without_activation_builds_default_under_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    previous = folders.activate(None)
    try:
        assert folders.current().get_output_directory() == tmp_path / "output"
        assert folders.current() is folders.current()
    finally:
        folders.activate(previous)


# -- the folder_paths compatibility module ----------------------------------------------------------


def test_compat_module_answers_with_strings_from_active_layout(active):
    touch(active.models_dir / "loras" / "l.safetensors")

    assert compat.get_output_directory() == str(active.output_dir)
    assert compat.get_directory_by_type("temp") == str(active.temp_dir)
    assert compat.get_directory_by_type("user") is None
    assert compat.get_filename_list("loras") == ["l.safetensors"]
    assert compat.get_full_path("loras", "l.safetensors") == str(
        active.models_dir / "loras" / "l.safetensors"
    )
    assert compat.get_full_path("loras", "missing") is None
    assert compat.get_folder_paths("loras") == [str(active.models_dir / "loras")]
    assert compat.annotated_filepath("a.png [output]") == ("a.png", str(active.output_dir))
    assert compat.get_annotated_filepath("a.png") == str(active.input_dir / "a.png")


def test_compat_module_attributes_follow_the_active_layout(active, tmp_path):
    assert compat.output_directory == str(active.output_dir)
    assert compat.models_dir == str(active.models_dir)
    assert compat.base_path == str(active.base_dir)
    assert compat.folder_names_and_paths is active.folder_names_and_paths
    assert ".safetensors" in compat.supported_pt_extensions

    other = FolderPaths(tmp_path / "other")
    previous = folders.activate(other)
    try:
        assert compat.output_directory == str(other.output_dir)
    finally:
        folders.activate(previous)


def test_compat_module_save_path_and_added_folders_reach_the_layout(active):
    compat.add_model_folder_path("new_kind", "/srv/new")
    folder, filename, counter, subfolder, _ = compat.get_save_image_path("s/p", compat.get_output_directory())

    assert active.folder_names_and_paths["new_kind"] == (["/srv/new"], set())
    assert (folder, filename, counter, subfolder) == (str(active.output_dir / "s"), "p", 1, "s")


def test_compat_module_filters_files_by_extension_and_content_type():
    files = ["b.PNG", "a.safetensors", "c.mp4", "d.wav", "e.webp", "f"]

    assert compat.filter_files_extensions(files, {".png", ".safetensors"}) == ["a.safetensors", "b.PNG"]
    assert compat.filter_files_extensions(files, set()) == sorted(files)
    assert compat.filter_files_content_types(files, ["image"]) == ["b.PNG", "e.webp"]
    assert compat.filter_files_content_types(files, ["video", "audio"]) == ["c.mp4", "d.wav"]


def test_compat_module_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError):
        _ = compat.no_such_thing


# -- file scopes ------------------------------------------------------------------------------------


def test_a_scope_moves_input_output_and_temp_into_its_own_subfolder(tmp_path):
    paths = FolderPaths(tmp_path)
    with paths.scope("w1"):
        assert paths.get_input_directory() == tmp_path / "input" / "w1"
        assert paths.get_output_directory() == tmp_path / "output" / "w1"
        assert paths.get_directory_by_type("temp") == tmp_path / "temp" / "w1"
        assert (tmp_path / "output" / "w1").is_dir()
        assert paths.get_user_directory() == tmp_path / "user"  # user data is scoped elsewhere
    assert paths.get_output_directory() == tmp_path / "output"


def test_scopes_of_concurrent_tasks_do_not_mix(tmp_path):
    paths = FolderPaths(tmp_path)
    seen: dict[str, list[Path]] = {}

    async def job(name: str) -> None:
        with paths.scope(name):
            for _ in range(3):
                seen.setdefault(name, []).append(paths.get_output_directory())
                await asyncio.sleep(0)

    async def both() -> None:
        await asyncio.gather(job("a"), job("b"))

    asyncio.run(both())
    assert set(seen["a"]) == {tmp_path / "output" / "a"}
    assert set(seen["b"]) == {tmp_path / "output" / "b"}


def test_saved_image_names_are_counted_per_scope(tmp_path):
    paths = FolderPaths(tmp_path)
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "ComfyUI_00007_.png").write_bytes(b"shared")
    with paths.scope("w1"):
        folder, _, counter, _, _ = paths.get_save_image_path("ComfyUI", paths.get_output_directory())
    assert folder == tmp_path / "output" / "w1"
    assert counter == 1


@pytest.mark.parametrize("name", ["", "..", "a/b", "../w", ".hidden", "x" * 200, "a b"])
def test_a_scope_name_that_is_not_a_plain_folder_name_is_refused(tmp_path, name):
    paths = FolderPaths(tmp_path)
    with pytest.raises(ValueError), paths.scope(name):
        pass
    assert not (tmp_path / "output").exists()
    assert paths.current_scope is None
