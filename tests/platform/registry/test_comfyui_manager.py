"""ComfyUI-Manager's registry client (PyPI `comfyui-manager`, `comfyui_manager.common.cnr_utils`) with
its `base_url` pointed at a real `comfyd registry`: it lists packs (`get_cnr_data`, paging through
`GET /nodes` 30 at a time), lists versions (`all_versions_of_node`) and installs a version
(`install_node`, then the download and unpacking its installer does).

Manager runs in a child interpreter: its package imports ComfyUI's `comfy.cli_args` and
`folder_paths`, which small stand-ins provide there, and it must not share a process with comfyd's
own `comfy` compatibility modules. Its full installer (`UnifiedManager.cnr_install`) downloads through
torchvision, which would pull torch in; the child performs the same steps with Manager's own
helpers instead (`basic_download_url`, `extract_package_as_zip`, the `.tracking` file).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

if importlib.util.find_spec("comfyui_manager") is None:
    pytest.skip(
        "comfyui-manager is not installed: `pip install --no-deps comfyui-manager` (its own requirements "
        "pull transformers) with the `test` extra, which has what its registry client needs.",
        allow_module_level=True,
    )

DRIVER = """
import asyncio, json, os, sys

from comfyui_manager.common import cnr_utils, manager_util

cnr_utils.base_url = sys.argv[1]
action, args = sys.argv[2], sys.argv[3:]

if action == "list":
    found = asyncio.run(cnr_utils.get_cnr_data(cache_mode=False))
    print(json.dumps(found))
elif action == "versions":
    print(json.dumps(cnr_utils.all_versions_of_node(args[0])))
elif action == "install":
    from comfyui_manager.common import manager_downloader

    pack_id, version, custom_nodes = args
    info = cnr_utils.install_node(pack_id, version or None)
    if info is None:
        print(json.dumps(None))
        sys.exit(0)
    # What UnifiedManager._cnr_install does, minus its torchvision download.
    manager_downloader.basic_download_url(info.download_url, custom_nodes, "CNR_temp.zip")
    install_path = os.path.join(custom_nodes, pack_id)
    os.makedirs(install_path)
    archive = os.path.join(custom_nodes, "CNR_temp.zip")
    extracted = manager_util.extract_package_as_zip(archive, install_path)
    os.remove(archive)
    with open(os.path.join(install_path, ".tracking"), "w", encoding="utf-8") as tracking:
        tracking.write("\\n".join(extracted))
    print(json.dumps({"version": info.version, "id": info.id, "status": info.status,
                      "cnr": cnr_utils.read_cnr_info(install_path)}))
elif action == "read":
    print(json.dumps(cnr_utils.read_cnr_info(args[0])))
"""


FOLDER_PATHS = """import os

_BASE = os.environ["COMFYUI_PATH"]


def get_system_user_directory(name="system"):
    return os.path.join(_BASE, "user", "__" + name)


def get_folder_paths(name):
    return [os.path.join(_BASE, name)]
"""


class Manager:
    """Runs the driver in a child interpreter that sees a stand-in ComfyUI and an empty install."""

    def __init__(self, root: Path, registry_url: str) -> None:
        self.registry_url = registry_url
        self.script = root / "manager_driver.py"
        self.script.write_text(DRIVER)
        stub = root / "stub" / "comfy"
        stub.mkdir(parents=True)
        (stub / "__init__.py").write_text("")
        (stub / "cli_args.py").write_text(
            "from types import SimpleNamespace\n\nargs = SimpleNamespace(enable_manager=False)\n"
        )
        # Where Manager keeps its config and cache; without it, it writes into its own package.
        (root / "stub" / "folder_paths.py").write_text(FOLDER_PATHS)
        (root / "comfyui").mkdir()
        self.env = {**os.environ, "PYTHONPATH": str(root / "stub"), "COMFYUI_PATH": str(root / "comfyui")}

    def __call__(self, action: str, *args: str):
        done = subprocess.run(
            [sys.executable, str(self.script), self.registry_url, action, *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])


def pack_archive(registry, pack_id: str, version: str, class_name: str) -> bytes:
    """A pack as comfy-cli uploads it: its pyproject.toml names it and its version, which is how
    Manager recognises an installed registry pack."""
    with zipfile.ZipFile(io.BytesIO(registry.node_pack(class_name))) as source:
        source_init = source.read("__init__.py").decode()
    pyproject = f'[project]\nname = "{pack_id}"\nversion = "{version}"\n'
    return registry.zip_of({"__init__.py": source_init, "pyproject.toml": pyproject})


@pytest.fixture(scope="module")
def packs(registry):
    """Published: `active` (1.0.0 and 1.1.0), `flagged`, and 31 pending packs, so that the
    listing takes Manager more than one page of 30."""
    owner = registry.user()
    publisher = registry.publisher(owner)
    token = registry.token(owner, publisher)
    active, flagged = registry.pack_id("manager"), registry.pack_id("flagged")
    for version in ("1.0.0", "1.1.0"):
        registry.publish(
            token, publisher, active, version, pack_archive(registry, active, version, "ManagerNode")
        )
    registry.publish(token, publisher, flagged, "1.0.0", registry.pack_running_a_command())
    pending = [registry.pack_id("pending") for _ in range(31)]
    for pack_id in pending:
        registry.publish(token, publisher, pack_id, "0.1.0", None)
    registry.publish(token, publisher, active, "2.0.0", None)  # pending: never uploaded
    for pack_id, version in [(active, "1.0.0"), (active, "1.1.0"), (flagged, "1.0.0")]:
        registry.wait_checked(pack_id, version)
    return {"active": active, "flagged": flagged, "pending": pending}


@pytest.fixture(scope="module")
def manager(registry, tmp_path_factory) -> Manager:
    return Manager(tmp_path_factory.mktemp("manager"), registry.base)


def test_get_cnr_data_lists_every_pack_across_pages(manager, packs):
    nodes = {node["id"]: node for node in manager("list")}

    assert set(nodes) >= {packs["active"], packs["flagged"], *packs["pending"]}
    assert nodes[packs["active"]]["latest_version"]["version"] == "1.1.0"
    # A pack with no active version has no latest_version; Manager fills in its own.
    assert nodes[packs["pending"][0]]["latest_version"] == {"version": "nightly"}


def test_all_versions_of_node_lists_active_and_pending_versions(manager, packs):
    found = manager("versions", packs["active"])

    assert [(v["version"], v["status"]) for v in found] == [
        ("2.0.0", "NodeVersionStatusPending"),
        ("1.1.0", "NodeVersionStatusActive"),
        ("1.0.0", "NodeVersionStatusActive"),
    ]
    assert manager("versions", packs["flagged"]) == []


def test_install_node_downloads_and_unpacks_a_version(manager, packs, tmp_path):
    installed = manager("install", packs["active"], "1.0.0", str(tmp_path))

    assert installed["version"] == "1.0.0"
    assert installed["status"] == "NodeVersionStatusActive"
    assert installed["cnr"] == {
        "id": packs["active"],
        "original_name": packs["active"],
        "version": "1.0.0",
        "url": None,
    }
    folder = tmp_path / packs["active"]
    assert "ManagerNode" in (folder / "__init__.py").read_text()
    assert sorted((folder / ".tracking").read_text().splitlines()) == ["__init__.py", "pyproject.toml"]


def test_install_node_of_the_latest_version(manager, packs, tmp_path):
    assert manager("install", packs["active"], "", str(tmp_path))["version"] == "1.1.0"


def test_install_node_reports_a_flagged_version_as_flagged(manager, packs, tmp_path):
    # Manager refuses flagged versions by this status unless the user allows them.
    assert (
        manager("install", packs["flagged"], "1.0.0", str(tmp_path))["status"] == "NodeVersionStatusFlagged"
    )


def test_install_node_of_an_unknown_pack_is_none(manager, tmp_path):
    assert manager("install", "no-such-pack", "", str(tmp_path)) is None


def test_each_tool_recognises_the_others_installs(manager, packs, registry, tmp_path):
    by_manager = tmp_path / "manager"
    by_manager.mkdir()
    manager("install", packs["active"], "1.0.0", str(by_manager))
    base = tmp_path / "comfyd"
    install = [sys.executable, "-m", "comfyd", "nodes", "install", f"{packs['active']}@1.1.0"]
    done = subprocess.run(
        [*install, "--registry", registry.base, "--base-directory", str(base)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    shutil.copytree(by_manager / packs["active"], base / "custom_nodes" / "by-manager")

    seen_by_manager = manager("read", str(base / "custom_nodes" / packs["active"]))
    listed = subprocess.run(
        [sys.executable, "-m", "comfyd", "nodes", "list", "--base-directory", str(base)],
        capture_output=True,
        text=True,
    )

    assert seen_by_manager["version"] == "1.1.0"
    row = next(line for line in listed.stdout.splitlines() if "by-manager" in line)
    assert "1.0.0" in row and "ComfyUI-Manager" in row
