"""Loading node packs: good packs register, broken ones are reported and skipped."""

from __future__ import annotations

import logging
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from comfyd.engine import blocker, graph_builder
from comfyd.engine.loader import LoadedPack, load_packs
from comfyd.engine.registry import NodeRegistry

NODE_MODULE = """
class {name}:
    @classmethod
    def INPUT_TYPES(cls):
        return {{"required": {{}}}}
    RETURN_TYPES = ("INT",)
    FUNCTION = "run"
    def run(self):
        return ({value},)
"""


def pack_modules() -> dict[str, ModuleType]:
    return {name: module for name, module in sys.modules.items() if name.split(".")[0] == "custom_nodes"}


@pytest.fixture(autouse=True)
def restore_pack_modules():
    """Packs are imported as `custom_nodes.<name>`: drop this test's, keep those loaded before."""
    before = pack_modules()
    yield
    for name in pack_modules():
        del sys.modules[name]
    sys.modules.update(before)


@pytest.fixture
def custom_nodes(tmp_path: Path) -> Path:
    folder = tmp_path / "custom_nodes"
    folder.mkdir()
    return folder


def write(root: Path, files: dict[str, str]) -> None:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def node_class(name: str, value: int = 1) -> str:
    return NODE_MODULE.format(name=name, value=value)


def failures_by_name(registry: NodeRegistry) -> dict[str, str]:
    return {failure.name: failure.error for failure in registry.failures}


def test_package_pack_with_relative_import_loads(custom_nodes):
    write(
        custom_nodes,
        {
            "good_pack/__init__.py": """
                from .nodes import GoodNode
                NODE_CLASS_MAPPINGS = {"GoodNode": GoodNode}
                NODE_DISPLAY_NAME_MAPPINGS = {"GoodNode": "Good Node"}
                WEB_DIRECTORY = "./js"
            """,
            "good_pack/nodes.py": node_class("GoodNode"),
            "good_pack/js/ext.js": "",
        },
    )
    registry = NodeRegistry()
    [pack] = load_packs(registry, [custom_nodes])
    assert pack == LoadedPack(
        name="good_pack",
        path=custom_nodes / "good_pack",
        python_module="custom_nodes.good_pack",
        node_names=("GoodNode",),
        seconds=pack.seconds,
        web_directory=(custom_nodes / "good_pack" / "js").resolve(),
    )
    assert registry.classes["GoodNode"].__module__ == "custom_nodes.good_pack.nodes"
    assert registry.python_modules["GoodNode"] == "custom_nodes.good_pack"
    assert registry.display_names["GoodNode"] == "Good Node"
    assert registry.web_directories == {"good_pack": (custom_nodes / "good_pack" / "js").resolve()}
    assert registry.import_seconds["good_pack"] == pack.seconds >= 0
    assert registry.failures == []


def test_single_file_pack_loads(custom_nodes):
    write(custom_nodes, {"single.py": node_class("Single") + 'NODE_CLASS_MAPPINGS = {"Single": Single}\n'})
    registry = NodeRegistry()
    [pack] = load_packs(registry, [custom_nodes])
    assert pack.name == "single" and pack.node_names == ("Single",)
    assert registry.python_modules["Single"] == "custom_nodes.single"
    assert "single" not in registry.web_directories


def test_packs_with_the_same_file_names_do_not_collide(custom_nodes):
    for pack, value in (("pack_a", 1), ("pack_b", 2)):
        write(
            custom_nodes,
            {
                f"{pack}/__init__.py": f"from .nodes import Node\nNODE_CLASS_MAPPINGS = {{'{pack}': Node}}\n",
                f"{pack}/nodes.py": node_class("Node", value),
            },
        )
    registry = NodeRegistry()
    load_packs(registry, [custom_nodes])
    assert registry.classes["pack_a"]().run() == (1,)
    assert registry.classes["pack_b"]().run() == (2,)


def test_hyphenated_pack_folder_supports_relative_imports(custom_nodes):
    # ComfyUI's own test pack lives in "testing-pack", which is not a valid identifier either.
    write(
        custom_nodes,
        {
            "hyphen-pack/__init__.py": "from .stubs import MAPPINGS as NODE_CLASS_MAPPINGS\n",
            "hyphen-pack/stubs.py": node_class("Stub") + "MAPPINGS = {'Stub': Stub}\n",
        },
    )
    registry = NodeRegistry()
    load_packs(registry, [custom_nodes])
    assert registry.python_modules["Stub"] == "custom_nodes.hyphen-pack"


@pytest.mark.parametrize(
    ("files", "error"),
    [
        pytest.param({"broken.py": "def oops(:\n"}, "SyntaxError: ", id="syntax-error"),
        pytest.param(
            {"broken/__init__.py": "import comfyd_missing_dependency\n"},
            "ModuleNotFoundError: No module named 'comfyd_missing_dependency'",
            id="import-error",
        ),
        pytest.param(
            {"broken.py": "raise RuntimeError('no GPU found')\n"},
            "RuntimeError: no GPU found",
            id="exception-at-import",
        ),
        pytest.param(
            {"broken.py": "import sys\nsys.exit('install the requirements')\n"},
            "SystemExit: install the requirements",
            id="exit-at-import",
        ),
        pytest.param(
            {"broken.py": "NODE_CLASS_MAPPINGS = [1, 2]\n"},
            "TypeError: NODE_CLASS_MAPPINGS is a list, not a dict.",
            id="mappings-not-a-dict",
        ),
        pytest.param(
            {"broken.py": "NODE_CLASS_MAPPINGS = {'Fine': int, 'Bad': 'not a class'}\n"},
            "TypeError: NODE_CLASS_MAPPINGS entries must map names to classes: 'Bad'.",
            id="mapping-value-not-a-class",
        ),
        pytest.param(
            {"broken.py": "async def comfy_entrypoint():\n    pass\n"},
            "NotImplementedError: V3 node packs (comfy_entrypoint) are not supported yet.",
            id="v3-entrypoint",
        ),
    ],
)
def test_broken_pack_is_reported_and_skipped(custom_nodes, files, error):
    write(custom_nodes, files)
    write(custom_nodes, {"zz_good.py": node_class("Good") + "NODE_CLASS_MAPPINGS = {'Good': Good}\n"})
    registry = NodeRegistry()
    loaded = load_packs(registry, [custom_nodes])
    assert [pack.name for pack in loaded] == ["zz_good"]
    assert failures_by_name(registry)["broken"].startswith(error)
    assert [failure.path.name for failure in registry.failures] == [next(iter(files)).split("/")[0]]
    assert set(registry.classes) == {"Good"}
    assert "broken" in registry.import_seconds
    assert not any(name.startswith("custom_nodes.broken") for name in sys.modules)


def test_broken_pack_failure_is_logged_with_its_traceback(custom_nodes, caplog):
    write(custom_nodes, {"broken.py": "def helper():\n    raise RuntimeError('boom')\nhelper()\n"})
    with caplog.at_level(logging.WARNING, logger="comfyd.engine.loader"):
        load_packs(NodeRegistry(), [custom_nodes])
    [record] = [r for r in caplog.records if "Cannot import" in r.getMessage()]
    assert "RuntimeError: boom" in record.getMessage()
    assert record.exc_info is not None and "helper" in caplog.text


def test_pack_without_mappings_is_skipped_with_a_warning(custom_nodes, caplog):
    write(custom_nodes, {"helpers.py": "VALUE = 1\n"})
    registry = NodeRegistry()
    with caplog.at_level(logging.WARNING, logger="comfyd.engine.loader"):
        assert load_packs(registry, [custom_nodes]) == []
    assert registry.failures == []
    assert "defines no NODE_CLASS_MAPPINGS" in caplog.text


def test_web_only_pack_with_empty_mappings_loads(custom_nodes):
    write(
        custom_nodes,
        {"ui/__init__.py": "NODE_CLASS_MAPPINGS = {}\nWEB_DIRECTORY = 'web'\n", "ui/web/a.js": ""},
    )
    registry = NodeRegistry()
    [pack] = load_packs(registry, [custom_nodes])
    assert pack.node_names == () and registry.web_directories["ui"] == (custom_nodes / "ui" / "web").resolve()


def test_web_folder_of_a_pack_without_mappings_is_still_served(custom_nodes):
    # ComfyUI registers the web folder before it looks for nodes; front-end-only packs rely on it.
    write(custom_nodes, {"js_only/__init__.py": "WEB_DIRECTORY = './web'\n", "js_only/web/a.js": ""})
    registry = NodeRegistry()
    assert load_packs(registry, [custom_nodes]) == []
    assert registry.web_directories == {"js_only": (custom_nodes / "js_only" / "web").resolve()}


def test_pyproject_web_folder_is_registered(custom_nodes):
    write(
        custom_nodes,
        {
            "styled/__init__.py": "NODE_CLASS_MAPPINGS = {}\n",
            "styled/pyproject.toml": '[project]\nname = "styled"\n[tool.comfy]\nweb = "dist"\n',
            "styled/dist/main.js": "",
        },
    )
    registry = NodeRegistry()
    load_packs(registry, [custom_nodes])
    assert registry.web_directories["styled"] == (custom_nodes / "styled" / "dist").resolve()


def test_disabled_hidden_and_non_pack_entries_are_ignored(custom_nodes):
    mappings = node_class("Off") + "NODE_CLASS_MAPPINGS = {'Off': Off}\n"
    write(
        custom_nodes,
        {
            "off.py.disabled": mappings,
            "off_pack.disabled/__init__.py": mappings,
            ".hidden/__init__.py": mappings,
            "__pycache__/x.py": mappings,
            "notes.txt": "",
            "example_node.py.example": mappings,
        },
    )
    registry = NodeRegistry()
    assert load_packs(registry, [custom_nodes]) == []
    assert registry.classes == {} and registry.failures == [] and registry.import_seconds == {}


def test_packs_cannot_override_builtin_nodes(custom_nodes, caplog):
    class BuiltinNode:
        pass

    registry = NodeRegistry()
    registry.register({"BuiltinNode": BuiltinNode})
    write(
        custom_nodes,
        {
            "sneaky.py": node_class("Impostor")
            + "NODE_CLASS_MAPPINGS = {'BuiltinNode': Impostor, 'SneakyOwn': Impostor}\n"
            + "NODE_DISPLAY_NAME_MAPPINGS = {'BuiltinNode': 'Hijacked'}\n"
        },
    )
    with caplog.at_level(logging.WARNING, logger="comfyd.engine.loader"):
        [pack] = load_packs(registry, [custom_nodes])
    assert registry.classes["BuiltinNode"] is BuiltinNode
    assert registry.python_modules["BuiltinNode"] == "nodes"
    assert "BuiltinNode" not in registry.display_names
    assert pack.node_names == ("SneakyOwn",)
    assert "BuiltinNode" in caplog.text


def test_disabled_loads_only_whitelisted_packs(custom_nodes):
    write(
        custom_nodes,
        {
            "kept.py": node_class("Kept") + "NODE_CLASS_MAPPINGS = {'Kept': Kept}\n",
            "kept_dir/__init__.py": node_class("KeptDir") + "NODE_CLASS_MAPPINGS = {'KeptDir': KeptDir}\n",
            "dropped.py": node_class("Dropped") + "NODE_CLASS_MAPPINGS = {'Dropped': Dropped}\n",
        },
    )
    registry = NodeRegistry()
    loaded = load_packs(registry, [custom_nodes], disabled=True, whitelist=["kept.py", "kept_dir"])
    assert sorted(pack.name for pack in loaded) == ["kept", "kept_dir"]
    assert set(registry.classes) == {"Kept", "KeptDir"}


def test_packs_load_from_every_folder_and_first_name_wins(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write(first, {"dup.py": node_class("One") + "NODE_CLASS_MAPPINGS = {'One': One}\n"})
    write(second, {"dup.py": node_class("Two") + "NODE_CLASS_MAPPINGS = {'Two': Two}\n"})
    write(second, {"other.py": node_class("Other") + "NODE_CLASS_MAPPINGS = {'Other': Other}\n"})
    registry = NodeRegistry()
    loaded = load_packs(registry, [first, second, tmp_path / "missing"])
    assert [pack.path for pack in loaded] == [first / "dup.py", second / "other.py"]
    assert set(registry.classes) == {"One", "Other"}


def test_pack_importing_comfyui_modules_loads_with_engine_classes(custom_nodes):
    write(
        custom_nodes,
        {
            "uses_comfy/__init__.py": """
                import comfy.utils
                from comfy.comfy_types import IO, ComfyNodeABC, InputTypeDict
                from comfy.comfy_types.node_typing import ComfyNodeABC as SameABC
                from comfy_execution.graph import ExecutionBlocker
                from comfy_execution.graph_utils import GraphBuilder, is_link
                from comfy_api.v0_0_2 import ComfyAPI, ComfyAPISync

                class Flow(ComfyNodeABC):
                    @classmethod
                    def INPUT_TYPES(cls) -> InputTypeDict:
                        return {"required": {"value": (IO.ANY, {})}}
                    RETURN_TYPES = (IO.ANY,)
                    FUNCTION = "run"
                    def run(self, value):
                        comfy.utils.ProgressBar(1).update(1)
                        return (ExecutionBlocker(None),)

                assert SameABC is ComfyNodeABC
                NODE_CLASS_MAPPINGS = {"Flow": Flow}
                USED = (GraphBuilder, is_link, ExecutionBlocker)
            """
        },
    )
    registry = NodeRegistry()
    [pack] = load_packs(registry, [custom_nodes])
    module = sys.modules["custom_nodes.uses_comfy"]
    assert module.USED == (graph_builder.GraphBuilder, graph_builder.is_link, blocker.ExecutionBlocker)
    assert isinstance(registry.classes["Flow"]().run(1)[0], blocker.ExecutionBlocker)


def test_import_times_are_logged(custom_nodes, caplog):
    write(custom_nodes, {"timed.py": node_class("Timed") + "NODE_CLASS_MAPPINGS = {'Timed': Timed}\n"})
    write(custom_nodes, {"failed.py": "raise ImportError('nope')\n"})
    with caplog.at_level(logging.INFO, logger="comfyd.engine.loader"):
        load_packs(NodeRegistry(), [custom_nodes])
    [summary] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Import times")]
    assert f"seconds: {custom_nodes / 'timed.py'}" in summary
    assert f"seconds (IMPORT FAILED): {custom_nodes / 'failed.py'}" in summary


def test_reloading_a_pack_forgets_its_old_submodules(custom_nodes):
    files = {
        "reload/__init__.py": "from .nodes import Node\nNODE_CLASS_MAPPINGS = {'Reload': Node}\n",
        "reload/nodes.py": node_class("Node", 1),
    }
    write(custom_nodes, files)
    load_packs(NodeRegistry(), [custom_nodes])
    write(custom_nodes, {"reload/nodes.py": node_class("Node", 2)})
    registry = NodeRegistry()
    load_packs(registry, [custom_nodes])
    assert registry.classes["Reload"]().run() == (2,)
