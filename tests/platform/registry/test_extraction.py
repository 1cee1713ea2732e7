"""Node-class extraction in a child interpreter, and the checks that run it on a published archive.

Every test here starts a real interpreter (about two seconds each, most of it importing torch).
"""

from __future__ import annotations

import json
import os
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from comfyd.platform.registry.checks import PASSED, check_pack_archive
from comfyd.platform.registry.extraction import ExtractionResult, extract_comfy_nodes
from comfyd.platform.registry.scanning import Rule

PYPROJECT = """
    [project]
    name = "comfyui-example"
    version = "1.0.0"

    [tool.comfy]
    PublisherId = "example"
"""

GOOD_NODES = """
    class ImageBlend:
        DESCRIPTION = "Blends two images."
        CATEGORY = "example/image"
        RETURN_TYPES = ("IMAGE", "MASK")
        RETURN_NAMES = ("image", "mask")
        OUTPUT_IS_LIST = (False, True)
        FUNCTION = "blend"

        @classmethod
        def INPUT_TYPES(cls):
            return {
                "required": {
                    "a": ("IMAGE",),
                    "b": ("IMAGE",),
                    "factor": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0}),
                },
                "optional": {"mode": (["normal", "multiply"],)},
                "hidden": {"unique_id": "UNIQUE_ID"},
            }

        def blend(self, a, b, factor, mode="normal"):
            return (a, [b])


    class SaveText:
        CATEGORY = "example"
        RETURN_TYPES = ()
        FUNCTION = "save"
        OUTPUT_NODE = True
        DEPRECATED = True
        EXPERIMENTAL = True

        @classmethod
        def INPUT_TYPES(cls):
            return {"required": {"text": ("STRING", {"multiline": True})}}

        def save(self, text):
            return {}


    NODE_CLASS_MAPPINGS = {"ImageBlend": ImageBlend, "SaveText": SaveText}
    NODE_DISPLAY_NAME_MAPPINGS = {"ImageBlend": "Image Blend"}
"""

GOOD_PACK = {
    "pyproject.toml": PYPROJECT,
    "__init__.py": "from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS\n",
    "nodes.py": GOOD_NODES,
}

GOOD_PACK_COMFY_NODES = [
    {
        "comfy_node_name": "ImageBlend",
        "category": "example/image",
        "description": "Blends two images.",
        "input_types": (
            '{"required": {"a": ["IMAGE"], "b": ["IMAGE"], "factor": ["FLOAT", {"default": 0.5, "min": 0.0, '
            '"max": 1.0}]}, "optional": {"mode": [["normal", "multiply"]]}, "hidden": {"unique_id": "UNIQUE_ID"}}'
        ),
        "return_types": '["IMAGE", "MASK"]',
        "return_names": '["image", "mask"]',
        "output_is_list": [False, True],
        "function": "blend",
        "deprecated": False,
        "experimental": False,
        "policy": "ComfyNodePolicyActive",
    },
    {
        "comfy_node_name": "SaveText",
        "category": "example",
        "description": "",
        "input_types": '{"required": {"text": ["STRING", {"multiline": true}]}}',
        "return_types": "[]",
        "return_names": "[]",
        "output_is_list": [],
        "function": "save",
        "deprecated": True,
        "experimental": True,
        "policy": "ComfyNodePolicyActive",
    },
]

ONE_NODE = """
    class Only:
        DESCRIPTION = {description}
        RETURN_TYPES = ("INT",)
        FUNCTION = "run"

        @classmethod
        def INPUT_TYPES(cls):
            return {{"required": {{}}}}


    NODE_CLASS_MAPPINGS = {{"Only": Only}}
"""


def write_pack(folder: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return folder


def pack_with_init(tmp_path: Path, init_source: str) -> Path:
    return write_pack(tmp_path / "comfyui-example", {"__init__.py": init_source})


def one_node_pack(tmp_path: Path, prelude: str, description: str) -> Path:
    source = textwrap.dedent(prelude) + textwrap.dedent(ONE_NODE.format(description=description))
    return pack_with_init(tmp_path, source)


def zip_pack(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            archive.writestr(name, textwrap.dedent(source))
    return path


def is_gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie waiting for init to reap it counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_good_pack_yields_one_comfy_node_per_class_with_the_peer_field_names(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "comfyui-example", GOOD_PACK)

    result = extract_comfy_nodes(pack)

    assert result == ExtractionResult("success", GOOD_PACK_COMFY_NODES, "")
    assert json.loads(result.nodes[0]["input_types"])["required"]["factor"][0] == "FLOAT"


def test_pack_raising_at_import_fails_with_the_error(tmp_path: Path) -> None:
    pack = pack_with_init(tmp_path, "raise RuntimeError('needs a GPU driver')\n")

    result = extract_comfy_nodes(pack)

    assert result == ExtractionResult.failed("The pack cannot be imported: RuntimeError: needs a GPU driver")


def test_pack_with_a_missing_dependency_fails_naming_the_module(tmp_path: Path) -> None:
    pack = pack_with_init(tmp_path, "import comfyd_no_such_dependency\n")

    result = extract_comfy_nodes(pack)

    assert result.status == "failed"
    assert "ModuleNotFoundError: No module named 'comfyd_no_such_dependency'" in result.reason


def test_pack_calling_sys_exit_at_import_fails(tmp_path: Path) -> None:
    pack = pack_with_init(tmp_path, "import sys\nsys.exit('install the requirements first')\n")

    result = extract_comfy_nodes(pack)

    assert result == ExtractionResult.failed(
        "The pack cannot be imported: SystemExit: install the requirements first"
    )


@pytest.mark.slow
def test_pack_that_hangs_at_import_fails_by_timeout_within_the_limit(tmp_path: Path) -> None:
    pack = pack_with_init(tmp_path, "while True:\n    pass\n")

    started = time.monotonic()
    result = extract_comfy_nodes(pack, timeout=3)

    assert result == ExtractionResult.failed(
        "Importing the pack took longer than 3 seconds, so it was stopped."
    )
    assert time.monotonic() - started < 6


def test_pack_ending_the_interpreter_fails_with_its_exit_status(tmp_path: Path) -> None:
    pack = pack_with_init(tmp_path, "import os\nos._exit(3)\n")

    result = extract_comfy_nodes(pack)

    assert result == ExtractionResult.failed(
        "The interpreter importing the pack exited with status 3 before reporting its nodes."
    )


def test_pack_crashing_the_interpreter_fails_naming_the_signal(tmp_path: Path) -> None:
    pack = pack_with_init(
        tmp_path,
        "import os, signal\nprint('about to crash', flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n",
    )

    result = extract_comfy_nodes(pack)

    assert result == ExtractionResult.failed(
        "The interpreter importing the pack was killed by SIGKILL before reporting its nodes. "
        "Its last output: about to crash"
    )


def test_pack_printing_at_import_does_not_spoil_the_report(tmp_path: Path) -> None:
    prelude = """
        import os
        import sys

        print("Loading my nodes... {not json")
        sys.stdout.write("\\x00garbage")
        os.write(1, b"]]] more garbage")
    """
    pack = one_node_pack(tmp_path, prelude, '"ok"')

    result = extract_comfy_nodes(pack)

    assert result.status == "success"
    assert [node["comfy_node_name"] for node in result.nodes] == ["Only"]


def test_pack_runs_without_the_servers_environment_in_a_scratch_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMFYD_TEST_SECRET", "s3cret")
    prelude = """
        import json
        import os

        SEEN = json.dumps({
            "secret": os.environ.get("COMFYD_TEST_SECRET"),
            "cwd_is_pack": os.getcwd() == os.path.dirname(os.path.realpath(__file__)),
            "module": __name__,
        })
    """
    pack = one_node_pack(tmp_path, prelude, "SEEN")

    result = extract_comfy_nodes(pack, pack_name="example_pack")

    assert json.loads(result.nodes[0]["description"]) == {
        "secret": None,
        "cwd_is_pack": False,
        "module": "custom_nodes.example_pack",
    }


def test_processes_a_pack_starts_do_not_outlive_the_extraction(tmp_path: Path) -> None:
    prelude = """
        import subprocess

        SLEEPER = subprocess.Popen(["sleep", "60"])
    """
    pack = one_node_pack(tmp_path, prelude, "str(SLEEPER.pid)")

    result = extract_comfy_nodes(pack)

    pid = int(result.nodes[0]["description"])
    deadline = time.monotonic() + 5
    while not is_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert is_gone(pid)


def test_a_class_that_cannot_be_described_is_left_out_and_named(tmp_path: Path) -> None:
    source = textwrap.dedent(GOOD_NODES) + textwrap.dedent("""
        class Broken:
            RETURN_TYPES = ()
            FUNCTION = "run"

            @classmethod
            def INPUT_TYPES(cls):
                raise ValueError("no model folder")


        class Unencodable:
            RETURN_TYPES = ()
            FUNCTION = "run"

            @classmethod
            def INPUT_TYPES(cls):
                return {"required": {"x": (object(),)}}


        NODE_CLASS_MAPPINGS.update({"Broken": Broken, "Unencodable": Unencodable})
    """)
    pack = write_pack(tmp_path / "comfyui-example", {**GOOD_PACK, "nodes.py": source})

    result = extract_comfy_nodes(pack)

    assert result.status == "success"
    assert result.nodes == GOOD_PACK_COMFY_NODES
    assert result.reason.startswith(
        "Broken was left out (ValueError: no model folder); Unencodable was left out (TypeError:"
    )


def test_pack_without_node_mappings_succeeds_with_no_nodes(tmp_path: Path) -> None:
    pack = pack_with_init(tmp_path, "WEB_DIRECTORY = None\n")

    assert extract_comfy_nodes(pack) == ExtractionResult(
        "success", [], "The pack defines no NODE_CLASS_MAPPINGS."
    )


def test_v3_pack_fails_as_not_supported(tmp_path: Path) -> None:
    pack = pack_with_init(tmp_path, "async def comfy_entrypoint():\n    return None\n")

    result = extract_comfy_nodes(pack)

    assert result.status == "failed"
    assert "V3 node packs (comfy_entrypoint) are not supported yet" in result.reason


def test_folder_without_init_fails_without_starting_an_interpreter(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "comfyui-example", {"nodes.py": GOOD_NODES})

    result = extract_comfy_nodes(pack)

    assert result == ExtractionResult.failed(
        "The pack has no __init__.py at its root, so ComfyUI cannot import it."
    )


def test_result_from_json_refuses_anything_but_a_report() -> None:
    with pytest.raises(ValueError):
        ExtractionResult.from_json({"status": "maybe", "nodes": [], "reason": ""})
    with pytest.raises(ValueError):
        ExtractionResult.from_json({"status": "success", "nodes": ["x"], "reason": ""})
    assert ExtractionResult.from_json({"status": "failed", "nodes": [], "reason": "r"}).reason == "r"


# ---- checks.check_pack_archive: the steps in order -----------------------------------------


def test_check_of_a_clean_archive_passes_and_extracts_its_nodes(tmp_path: Path) -> None:
    archive = zip_pack(tmp_path / "node.zip", GOOD_PACK)

    check = check_pack_archive(archive)

    assert (check.is_flagged, check.status_reason, check.findings) == (False, PASSED, ())
    assert check.extraction == ExtractionResult("success", GOOD_PACK_COMFY_NODES, "")


def test_check_flags_a_pack_with_import_time_side_effects_and_never_imports_it(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    nodes = f"import subprocess\n\nsubprocess.run(['touch', {str(marker)!r}])\n" + textwrap.dedent(GOOD_NODES)
    archive = zip_pack(tmp_path / "node.zip", {**GOOD_PACK, "nodes.py": nodes})

    check = check_pack_archive(archive)

    assert check.is_flagged
    assert check.status_reason == "nodes.py:3: subprocess.run() called at import time: runs a command"
    assert [finding.rule for finding in check.findings] == [Rule.SHELL_COMMAND]
    assert check.extraction == ExtractionResult.failed("The scan flagged the pack, so it was not imported.")
    assert not marker.exists()


def test_check_flags_a_rejected_archive_with_the_reason(tmp_path: Path) -> None:
    archive = zip_pack(tmp_path / "node.zip", {**GOOD_PACK, "../evil.py": "x = 1\n"})

    check = check_pack_archive(archive)

    assert check.is_flagged
    assert check.status_reason == (
        "The archive was rejected: The archive member '../evil.py' climbs out of the pack folder with '..'."
    )
    assert check.extraction.status == "failed"
    assert not (tmp_path / "evil.py").exists()


def test_check_of_a_missing_archive_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        check_pack_archive(tmp_path / "gone.zip")


def test_extraction_leaves_no_temporary_folders_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    archive = zip_pack(tmp_path / "node.zip", GOOD_PACK)

    check_pack_archive(archive)

    assert os.listdir(scratch) == []
