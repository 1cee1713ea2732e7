"""Loading the conformance pack the way ComfyUI's tests load theirs: through the `custom_nodes`
key of `extra_model_paths.yaml`, beside a pack that fails to import."""

from pathlib import Path

from comfyd.engine.folders import FolderPaths
from comfyd.engine.loader import load_packs
from comfyd.engine.registry import NodeRegistry

PACKS = Path(__file__).parent / "packs"


def test_yaml_custom_nodes_entry_names_the_packs_folder(engine_folders):
    folders = FolderPaths(engine_folders.base_dir)

    custom_nodes = folders.load_extra_model_paths(Path(__file__).parent / "extra_model_paths.yaml")

    assert [Path(p).resolve() for p in custom_nodes] == [PACKS.resolve()]


def test_testing_pack_registers_its_nodes(engine_registry):
    for name in (
        "StubImage",
        "TestLazyMixImages",
        "TestWhileLoopClose",
        "TestSleep",
        "TestAsyncProgressUpdate",
    ):
        assert name in engine_registry
    assert engine_registry.display_names["TestLazyMixImages"] == "Lazy Mix Images"
    assert engine_registry.python_modules["StubImage"] == "custom_nodes.testing_pack"


def test_broken_pack_is_reported_and_the_others_still_load(engine_registry):
    [failure] = [f for f in engine_registry.failures if f.name == "broken_pack"]
    assert Path(failure.path).resolve() == (PACKS / "broken_pack").resolve()
    assert "fails on purpose" in failure.error
    assert "StubImage" in engine_registry


def test_broken_pack_does_not_stop_loading_in_a_fresh_registry():
    registry = NodeRegistry()

    load_packs(registry, [PACKS])

    assert [f.name for f in registry.failures] == ["broken_pack"]
    assert "TestLazyMixImages" in registry
