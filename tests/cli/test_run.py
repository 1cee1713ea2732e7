"""`comfyd run` as a subprocess against a real server: output files on stdout, errors on stderr."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def image_graph(prefix: str, color: int) -> dict:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": color}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


def comfyd_run(tmp_path: Path, workflow: object, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(workflow))
    return subprocess.run(
        [sys.executable, "-m", "comfyd", "run", str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_prints_the_saved_files_and_exits_zero(server, tmp_path):
    done = comfyd_run(tmp_path, image_graph("cli_plain", color=11), "--server", server.url)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["output/cli_plain_00001_.png"]
    assert "nodes" in done.stderr and "3/3" in done.stderr


def test_run_accepts_a_prompt_wrapper_and_downloads_outputs_to_output_dir(server, tmp_path):
    wrapped = {"prompt": image_graph("cli_download", color=12), "extra_data": {"extra_pnginfo": {"workflow": {}}}}

    done = comfyd_run(tmp_path, wrapped, "--server", server.url, "--output-dir", str(tmp_path / "out"))

    assert done.returncode == 0, done.stderr
    saved = tmp_path / "out" / "cli_download_00001_.png"
    assert done.stdout.splitlines() == [str(saved)]
    assert saved.read_bytes().startswith(PNG_MAGIC)


def test_run_of_an_invalid_workflow_exits_non_zero_with_the_node_errors(server, tmp_path):
    graph = image_graph("cli_invalid", color=13)
    del graph["2"]["inputs"]["image"]

    done = comfyd_run(tmp_path, graph, "--server", server.url)

    assert done.returncode == 1 and done.stdout == ""
    assert "The server rejected the workflow: Prompt outputs failed validation" in done.stderr
    assert "node 2 (ImageInvert): Required input is missing: image" in done.stderr


def test_run_of_a_failing_node_exits_non_zero_with_its_exception(server, tmp_path):
    graph = image_graph("cli_failing", color=14)
    graph["2"] = {"class_type": "ClientFailImage", "inputs": {"image": ["1", 0], "message": "out of paint"}}

    done = comfyd_run(tmp_path, graph, "--server", server.url)

    assert done.returncode == 1 and done.stdout == ""
    assert "failed in node 2 (ClientFailImage): RuntimeError: out of paint" in done.stderr


@pytest.mark.parametrize(
    ("workflow", "message"),
    [
        pytest.param({"nodes": [], "links": []}, "is a UI workflow", id="ui-format"),
        pytest.param([1, 2], "is not an API-format workflow", id="not-a-dict"),
        pytest.param({}, "is not an API-format workflow", id="empty"),
    ],
)
def test_run_refuses_a_file_that_is_not_an_api_workflow_before_contacting_a_server(tmp_path, workflow, message):
    done = comfyd_run(tmp_path, workflow, "--server", "http://127.0.0.1:9")

    assert done.returncode == 1 and message in done.stderr


def test_run_against_an_unreachable_server_exits_non_zero_saying_so(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    done = comfyd_run(tmp_path, image_graph("cli_nowhere", color=15), "--server", url)

    assert done.returncode == 1 and "Cannot connect" in done.stderr


def test_run_of_a_graph_with_one_invalid_output_saves_the_rest_and_warns(server, tmp_path):
    graph = image_graph("cli_partial", color=16)
    graph["4"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "never"}}

    done = comfyd_run(tmp_path, graph, "--server", server.url)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["output/cli_partial_00001_.png"]
    assert "outputs of nodes 4 failed validation and did not run" in done.stderr
