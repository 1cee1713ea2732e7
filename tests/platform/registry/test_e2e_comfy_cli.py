"""End to end with the real comfy-cli: a node pack built here is published with `comfy node publish`
to `comfyd registry` on localhost:8080 (where comfy-cli's ENVIRONMENT=dev points), checked and
extracted by the registry, found by its node class, installed with `comfyd nodes install`, and
run in a prompt on `comfyd serve` after a restart.

Needs port 8080 free on localhost (the test is skipped, saying so, when it is not) and the PyPI
package comfy-cli (the `test` extra).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image

from admin_accounts import admin_account
from comfyd_process import ComfydServer, RegistryServer
from registry_harness import Registry

pytest.importorskip("comfy_cli", reason="comfy-cli is not installed (pip install -e '.[test]')")

COMFY_CLI_PORT = 8080  # comfy-cli's ENVIRONMENT=dev is http://localhost:8080, and nothing else
NODE_CLASS = "E2ETorchInvert"
PROMPT_SECONDS = 120

PACK_INIT = '''"""Inverts an image with torch: a small pack for comfyd's end-to-end test."""

import torch


class E2ETorchInvert:
    CATEGORY = "image/e2e"
    FUNCTION = "invert"
    RETURN_TYPES = ("IMAGE",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "strength": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0})}}

    def invert(self, image, strength):
        return (torch.lerp(image, 1.0 - image, strength),)


NODE_CLASS_MAPPINGS = {"E2ETorchInvert": E2ETorchInvert}
'''


def port_in_use(port: int) -> bool:
    """Whether anything answers on localhost:`port`, over IPv4 or IPv6 (comfy-cli may use either)."""
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family) as sock:
            sock.settimeout(1)
            try:
                if sock.connect_ex((address, port)) == 0:
                    return True
            except OSError:
                continue  # no IPv6 on this machine
    return False


def comfyd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "comfyd", *args], capture_output=True, text=True, timeout=180
    )


def comfy_cli(pack_dir: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ENVIRONMENT": "dev", "HOME": str(home)}
    command = [sys.executable, "-m", "comfy_cli", "--skip-prompt", "--no-enable-telemetry", *args]
    return subprocess.run(command, cwd=pack_dir, env=env, capture_output=True, text=True, timeout=300)


def build_pack(folder: Path, pack_id: str, publisher_id: str) -> Path:
    """The pack's source folder as an author has it: pyproject.toml, __init__.py, under git."""
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        "[project]\n"
        f'name = "{pack_id}"\n'
        'version = "1.0.0"\n'
        'description = "Inverts images with torch."\n'
        'license = { text = "MIT" }\n'
        "\n[tool.comfy]\n"
        f'PublisherId = "{publisher_id}"\n'
        'DisplayName = "E2E Torch Invert"\n'
    )
    (folder / "__init__.py").write_text(PACK_INIT)
    if shutil.which("git"):
        # comfy-cli zips the files git tracks (else every file, its own ruff cache included).
        subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
        subprocess.run(["git", "add", "pyproject.toml", "__init__.py"], cwd=folder, check=True)
    return folder


@pytest.fixture
def registry_on_8080(tmp_path):
    if port_in_use(COMFY_CLI_PORT):
        pytest.skip(
            f"SKIPPED LOUDLY: localhost:{COMFY_CLI_PORT} is in use, and comfy-cli (ENVIRONMENT=dev) can "
            "only talk to a registry there; free the port to run this end-to-end test."
        )
    (tmp_path / "registry").mkdir()
    process = RegistryServer(tmp_path / "registry", port=COMFY_CLI_PORT).start()
    yield process
    process.stop()


def run_prompt(server, prompt: dict) -> dict:
    with server.client() as http:
        reply = http.post("/prompt", json={"prompt": prompt, "client_id": "e2e"})
        assert reply.status_code == 200, reply.text
        prompt_id = reply.json()["prompt_id"]
        deadline = time.monotonic() + PROMPT_SECONDS
        while time.monotonic() < deadline:
            entry = http.get(f"/history/{prompt_id}").json().get(prompt_id)
            if entry and entry.get("status", {}).get("completed") is not None:
                return entry
            time.sleep(0.2)
    raise AssertionError(f"prompt {prompt_id} did not finish in {PROMPT_SECONDS}s")


def test_a_pack_published_with_comfy_cli_is_found_installed_and_run(registry_on_8080, tmp_path):
    registry = Registry(f"http://127.0.0.1:{COMFY_CLI_PORT}", registry_on_8080.database_url)
    author = admin_account(registry_on_8080.base_dir)  # as an operator would
    publisher_id = registry.publisher(author, f"e2e-{uuid.uuid4().hex[:8]}")
    token = registry.token(author, publisher_id)
    pack_id = f"e2e-invert-{uuid.uuid4().hex[:8]}"
    source = build_pack(tmp_path / "source", pack_id, publisher_id)

    published = comfy_cli(
        source, tmp_path / "home", "node", "publish", "--token", token, "--changelog", "first"
    )
    assert published.returncode == 0, published.stdout + published.stderr

    version = registry.wait_checked(pack_id, "1.0.0")
    assert version["status"] == "NodeVersionStatusActive", version
    assert version["comfy_node_extract_status"] == "success"
    assert version["changelog"] == "first"
    extracted = registry.get(f"/nodes/{pack_id}/versions/1.0.0/comfy-nodes").json()["comfy_nodes"]
    assert [node["comfy_node_name"] for node in extracted] == [NODE_CLASS]
    assert '"IMAGE"' in extracted[0]["input_types"]
    found = registry.get("/nodes/search", params={"comfy_node_search": NODE_CLASS}).json()
    assert [node["id"] for node in found["nodes"]] == [pack_id]

    base = tmp_path / "comfyd"
    base.mkdir()
    server = ComfydServer(base).start()
    try:
        with server.client() as http:
            assert NODE_CLASS not in http.get("/object_info").json()
        installed = comfyd(
            "nodes", "install", pack_id, "--registry", registry.base, "--base-directory", str(base)
        )
        assert installed.returncode == 0, installed.stderr
        server.stop()
        server.start()  # the server loads custom_nodes when it starts

        with server.client() as http:
            info = http.get(f"/object_info/{NODE_CLASS}").json()[NODE_CLASS]
        assert info["python_module"] == f"custom_nodes.{pack_id}"
        entry = run_prompt(
            server,
            {
                "1": {
                    "class_type": "EmptyImage",
                    "inputs": {"width": 4, "height": 4, "batch_size": 1, "color": 0xFF0000},
                },
                "2": {"class_type": NODE_CLASS, "inputs": {"image": ["1", 0], "strength": 1.0}},
                "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "e2e"}},
            },
        )
        assert entry["status"]["status_str"] == "success", entry["status"]
        image = entry["outputs"]["3"]["images"][0]
        with server.client() as http:
            view = http.get(
                "/view",
                params={"filename": image["filename"], "type": "output", "subfolder": image["subfolder"]},
            )
        assert view.status_code == 200
        assert Image.open(io.BytesIO(view.content)).convert("RGB").getpixel((0, 0)) == (0, 255, 255)
    finally:
        server.stop()
    assert httpx.get(f"{registry.base}/nodes/{pack_id}").json()["downloads"] == 1
