"""`comfyd models download` and `comfyd models list` as subprocesses against a real server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

import asset_fileserver as fileserver
from admin_accounts import create_account
from comfyd_process import ComfydServer

SIZE = 3 * 1024 * 1024 + 5
DATA = fileserver.model_bytes(SIZE)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def asset_server(tmp_path_factory) -> Iterator:
    """A server that may download from loopback (where the test's file server is)."""
    process = ComfydServer(tmp_path_factory.mktemp("comfyd"), "--asset-download-allow-private").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api_key(asset_server) -> str:
    return create_account(asset_server.database_url, admin=True, key_name="asset tests").key


@pytest.fixture
def files() -> Iterator:
    with fileserver.FileServer() as served:
        yield served


def comfyd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "comfyd", "models", *args], capture_output=True, text=True, timeout=120
    )


def test_download_saves_the_file_on_the_server_and_prints_where(asset_server, api_key, files):
    url = files.add("/hub/cli-model.safetensors", DATA)

    done = comfyd(
        "download", url, "--folder", "loras", "--sha256", fileserver.sha256(DATA),
        "--server", asset_server.url, "--api-key", api_key,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["loras/cli-model.safetensors"]
    assert (asset_server.base_dir / "models" / "loras" / "cli-model.safetensors").read_bytes() == DATA
    assert "3.1/3.1 MB" in done.stderr  # the progress bar's last state: every byte arrived


def test_list_prints_one_folder_or_every_folder_with_its_files(asset_server, api_key, files):
    url = files.add("/hub/listed.safetensors", DATA)
    downloaded = comfyd(
        "download", url, "--folder", "checkpoints", "--filename", "sd/listed.safetensors",
        "--server", asset_server.url, "--api-key", api_key,
    )  # fmt: skip
    assert downloaded.returncode == 0, downloaded.stderr

    (asset_server.base_dir / "custom_nodes").mkdir(exist_ok=True)
    (asset_server.base_dir / "custom_nodes" / "pack.py").write_text("# code, not a model\n")

    one = comfyd("list", "--folder", "checkpoints", "--server", asset_server.url)
    every = comfyd("list", "--server", asset_server.url)

    assert one.returncode == 0 and one.stdout.splitlines() == ["sd/listed.safetensors"]
    assert every.returncode == 0 and "checkpoints/sd/listed.safetensors" in every.stdout.splitlines()
    assert "custom_nodes/pack.py" not in every.stdout


def test_list_of_an_unknown_folder_fails(asset_server):
    done = comfyd("list", "--folder", "no_such_folder", "--server", asset_server.url)

    assert done.returncode == 1 and done.stdout == ""
    assert "The server has no model folder 'no_such_folder'" in done.stderr


def test_download_with_a_wrong_sha256_fails_with_the_servers_reason(asset_server, api_key, files):
    url = files.add("/hub/wrong.safetensors", DATA)

    done = comfyd(
        "download", url, "--folder", "vae", "--sha256", "f" * 64,
        "--server", asset_server.url, "--api-key", api_key,
    )  # fmt: skip

    assert done.returncode == 1 and done.stdout == ""
    assert "not the expected " + "f" * 64 in done.stderr.replace("\n", "")
    assert not (asset_server.base_dir / "models" / "vae" / "wrong.safetensors").exists()


def test_download_refused_by_the_server_shows_its_message(asset_server, api_key, files):
    url = files.add("/hub/x.safetensors", DATA)

    done = comfyd(
        "download", url, "--folder", "checkpoints", "--filename", "../x.safetensors",
        "--server", asset_server.url, "--api-key", api_key,
    )  # fmt: skip

    assert done.returncode == 1
    assert "The server answered 400" in done.stderr and "is not allowed" in done.stderr


def test_download_without_an_api_key_is_refused(asset_server, files):
    url = files.add("/hub/x.safetensors", DATA)

    done = comfyd("download", url, "--folder", "checkpoints", "--server", asset_server.url)

    assert done.returncode == 1 and "The server answered 401" in done.stderr
