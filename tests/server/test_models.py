"""`/models`, `/embeddings` and `/experiment/models` against a real server with model files."""

from __future__ import annotations

import os

import pytest

PREFIXES = ["", "/api"]


def touch(path, data: bytes = b"x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("models")
    models = base / "models"
    touch(models / "checkpoints" / "b.safetensors", b"12345")
    touch(models / "checkpoints" / "sd" / "a.ckpt")
    touch(models / "checkpoints" / "notes.txt")
    touch(models / "checkpoints" / ".hidden.safetensors")
    touch(models / "checkpoints" / ".git" / "x.safetensors")
    touch(models / "embeddings" / "easynegative.safetensors")
    touch(models / "embeddings" / "style" / "ink.pt")
    touch(models / "configs" / "v1.yaml")
    return base


@pytest.fixture(scope="module")
def models_server(start_module_server, base_dir):
    return start_module_server(base_dir=base_dir)


@pytest.fixture
def http(models_server):
    with models_server.client() as client:
        yield client


@pytest.mark.parametrize("prefix", PREFIXES)
def test_models_lists_every_folder_key_including_configs_and_custom_nodes(http, prefix):
    keys = http.get(f"{prefix}/models").json()
    assert keys[0] == "checkpoints"
    assert {"configs", "custom_nodes", "loras", "embeddings", "text_encoders"} <= set(keys)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_models_of_a_folder_are_sorted_relative_paths_with_its_extensions(http, prefix):
    reply = http.get(f"{prefix}/models/checkpoints")
    assert reply.status_code == 200
    assert reply.json() == ["b.safetensors", os.path.join("sd", "a.ckpt")]


def test_models_of_the_configs_folder_use_its_own_extensions(http):
    assert http.get("/models/configs").json() == ["v1.yaml"]


@pytest.mark.parametrize("folder", ["nope", "unet"], ids=["unknown", "legacy-name"])
@pytest.mark.parametrize("prefix", PREFIXES)
def test_models_of_an_unknown_folder_key_is_404(http, prefix, folder):
    assert http.get(f"{prefix}/models/{folder}").status_code == 404


@pytest.mark.parametrize("prefix", PREFIXES)
def test_embeddings_are_names_without_extension(http, prefix):
    assert http.get(f"{prefix}/embeddings").json() == ["easynegative", os.path.join("style", "ink")]


def test_a_model_added_while_running_is_listed(http, base_dir):
    touch(base_dir / "models" / "loras" / "fresh.safetensors")
    assert "fresh.safetensors" in http.get("/models/loras").json()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_experiment_models_lists_model_folders_with_absolute_paths(http, prefix, base_dir):
    folders = http.get(f"{prefix}/experiment/models").json()
    names = [f["name"] for f in folders]
    assert "configs" not in names and "custom_nodes" not in names
    checkpoints = next(f for f in folders if f["name"] == "checkpoints")
    assert checkpoints["folders"] == [str(base_dir / "models" / "checkpoints")]
    text_encoders = next(f for f in folders if f["name"] == "text_encoders")
    assert len(text_encoders["folders"]) == 2 and all(os.path.isabs(p) for p in text_encoders["folders"])


@pytest.mark.parametrize("prefix", PREFIXES)
def test_experiment_models_of_a_folder_describe_each_file_and_skip_hidden_ones(http, prefix, base_dir):
    files = http.get(f"{prefix}/experiment/models/checkpoints").json()
    by_name = {f["name"]: f for f in files}
    assert set(by_name) == {"b.safetensors", os.path.join("sd", "a.ckpt")}
    entry = by_name["b.safetensors"]
    stat = (base_dir / "models" / "checkpoints" / "b.safetensors").stat()
    assert entry["pathIndex"] == 0 and entry["size"] == 5
    assert entry["modified"] == pytest.approx(stat.st_mtime)
    assert entry["created"] == pytest.approx(stat.st_ctime)


def test_experiment_models_number_each_search_path_of_a_folder(http, base_dir):
    touch(base_dir / "models" / "diffusion_models" / "flux.safetensors")
    touch(base_dir / "models" / "unet" / "old.safetensors")
    files = http.get("/experiment/models/diffusion_models").json()
    assert {(f["name"], f["pathIndex"]) for f in files} == {("old.safetensors", 0), ("flux.safetensors", 1)}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_experiment_models_of_an_unknown_folder_is_404(http, prefix):
    assert http.get(f"{prefix}/experiment/models/nope").status_code == 404
