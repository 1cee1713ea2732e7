"""The ComfyUI module names that node packs import resolve to comfyd's modules and classes."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import sys

import pytest
import torch

from comfyd.engine import blocker, context, errors, graph_builder, prompt
from comfyd.engine.compat import install


@pytest.fixture(autouse=True)
def installed() -> list[str]:
    return install()


class FakeRun:
    """Just enough of a run for the interrupt functions in `context`."""

    interrupted = False


def test_install_serves_comfyui_names_and_is_idempotent(installed):
    assert {"comfy", "comfy_api", "comfy_execution"} <= set(installed)
    before = {name: sys.modules[name] for name in ("comfy", "comfy.utils", "comfy_api.v0_0_2")}
    assert install() == installed
    assert all(sys.modules[name] is module for name, module in before.items())


def test_comfyui_module_names_are_the_compat_modules():
    import comfy.utils

    assert comfy.utils is importlib.import_module("comfyd.engine.compat.comfy.utils")
    assert sys.modules["comfy.comfy_types.node_typing"] is importlib.import_module(
        "comfyd.engine.compat.comfy.comfy_types.node_typing"
    )


def test_engine_classes_keep_their_identity_through_compat_names():
    from comfy.model_management import InterruptProcessingException
    from comfy_execution.graph import DependencyCycleError, DynamicPrompt, NodeInputError, NodeNotFoundError
    from comfy_execution.graph import ExecutionBlocker as GraphBlocker
    from comfy_execution.graph_utils import ExecutionBlocker, GraphBuilder, Node, add_graph_prefix, is_link

    assert ExecutionBlocker is GraphBlocker is blocker.ExecutionBlocker
    assert GraphBuilder is graph_builder.GraphBuilder and Node is graph_builder.Node
    assert is_link is graph_builder.is_link and add_graph_prefix is graph_builder.add_graph_prefix
    assert DynamicPrompt is prompt.DynamicPrompt
    assert DependencyCycleError is errors.DependencyCycleError
    assert NodeInputError is errors.NodeInputError and NodeNotFoundError is errors.NodeNotFoundError
    assert InterruptProcessingException is errors.InterruptProcessingException


def test_comfy_types_reexports_node_typing():
    from comfy.comfy_types import IO, ComfyNodeABC, InputTypeDict, node_typing

    assert IO is node_typing.IO and ComfyNodeABC is node_typing.ComfyNodeABC
    assert InputTypeDict is node_typing.InputTypeDict


@pytest.mark.parametrize(
    ("declared", "other", "mismatch"),
    [
        pytest.param("ANY", "IMAGE", False, id="any-matches-everything"),
        pytest.param("IMAGE", "*", False, id="everything-matches-any"),
        pytest.param("IMAGE", "IMAGE", False, id="same-type"),
        pytest.param("IMAGE", "MASK", True, id="different-type"),
        pytest.param("NUMBER", "INT", False, id="union-contains-type"),
        pytest.param("INT", "FLOAT,INT", False, id="type-inside-union"),
        pytest.param("PRIMITIVE", "IMAGE", True, id="union-without-type"),
        pytest.param("IMAGE", 3, True, id="not-a-string"),
    ],
)
def test_io_inequality_treats_any_and_unions_as_matches(declared, other, mismatch):
    from comfy.comfy_types import IO

    assert (IO[declared] != other) is mismatch


def test_io_members_behave_as_their_type_strings():
    from comfy.comfy_types import IO

    assert IO.IMAGE == "IMAGE" and str(IO.ANY) == "*" and f"{IO.INT}" == "INT"
    assert json.dumps({"t": (IO.ANY, {})}) == '{"t": ["*", {}]}'
    assert {IO.ANY: 1}["*"] == 1


def test_check_lazy_mixin_asks_for_unevaluated_inputs():
    from comfy.comfy_types import CheckLazyMixin

    assert CheckLazyMixin().check_lazy_status(a=None, b=1, c=None) == ["a", "c"]


def test_graph_builder_through_compat_builds_linked_graph():
    from comfy_execution.graph_utils import GraphBuilder, is_link

    graph = GraphBuilder(prefix="7.")
    image = graph.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    graph.node("SaveImage", images=image.out(0))
    finalized = graph.finalize()
    assert finalized == {
        "7.1": {
            "class_type": "StubImage",
            "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1},
        },
        "7.2": {"class_type": "SaveImage", "inputs": {"images": ["7.1", 0]}},
    }
    assert is_link(finalized["7.2"]["inputs"]["images"])


def test_progress_bar_reports_to_the_engine(monkeypatch):
    from comfy.utils import ProgressBar

    calls = []
    monkeypatch.setattr(context, "report_progress", lambda *args, **kwargs: calls.append((args, kwargs)))
    bar = ProgressBar(10, node_id="5")
    bar.update(3)
    bar.update_absolute(25)
    bar.update_absolute(4, total=8, preview="preview")
    assert calls == [
        ((3, 10, None), {"prompt_id": None, "node_id": "5"}),
        ((10, 10, None), {"prompt_id": None, "node_id": "5"}),
        ((4, 8, "preview"), {"prompt_id": None, "node_id": "5"}),
    ]


def test_progress_bar_outside_a_run_does_nothing():
    from comfy.utils import ProgressBar

    ProgressBar(2).update(1)


def test_progress_bar_raises_when_the_run_was_interrupted():
    from comfy.model_management import InterruptProcessingException, interrupt_current_processing
    from comfy.utils import ProgressBar

    with context.running(FakeRun()):
        interrupt_current_processing()
        with pytest.raises(InterruptProcessingException):
            ProgressBar(2).update(1)


def test_progress_bar_uses_the_hook_set_before_it_was_made():
    import comfy.utils

    calls = []
    previous = comfy.utils.PROGRESS_BAR_HOOK
    comfy.utils.set_progress_bar_global_hook(lambda value, total, preview, node_id=None: calls.append(value))
    try:
        bar = comfy.utils.ProgressBar(4)
    finally:
        comfy.utils.set_progress_bar_global_hook(previous)
    bar.update(2)
    assert calls == [2]


def test_model_management_interrupt_functions_drive_the_current_run():
    import comfy.model_management as mm

    run = FakeRun()
    with context.running(run):
        assert not mm.processing_interrupted()
        mm.throw_exception_if_processing_interrupted()
        mm.interrupt_current_processing()
        assert run.interrupted and mm.processing_interrupted()
        with pytest.raises(errors.InterruptProcessingException):
            mm.throw_exception_if_processing_interrupted()
        mm.interrupt_current_processing(False)
        assert not run.interrupted


def test_model_management_reports_the_cpu():
    import comfy.model_management as mm

    cpu = torch.device("cpu")
    assert mm.get_torch_device() == mm.intermediate_device() == mm.unet_offload_device() == cpu
    assert mm.cpu_mode() and mm.is_device_cpu(cpu)
    assert mm.OOM_EXCEPTION is torch.cuda.OutOfMemoryError
    assert mm.get_total_memory() >= mm.get_free_memory() > 0
    mm.soft_empty_cache()
    mm.unload_all_models()


@pytest.mark.parametrize("module", ["comfy_api.latest", "comfy_api.v0_0_2"])
def test_comfy_api_set_progress_reaches_the_engine(monkeypatch, module):
    api = importlib.import_module(module)
    calls = []
    monkeypatch.setattr(context, "set_progress", lambda *args, **kwargs: calls.append((args, kwargs)))
    assert inspect.iscoroutinefunction(api.ComfyAPI().execution.set_progress)
    asyncio.run(api.ComfyAPI().execution.set_progress(value=0.5, max_value=1.0))
    api.ComfyAPISync().execution.set_progress(2, 4, node_id="9", preview_image=("PNG", "img", 256))
    assert calls == [
        ((0.5, 1.0), {"node_id": None, "preview": None}),
        ((2, 4), {"node_id": "9", "preview": ("PNG", "img", 256)}),
    ]


def test_comfy_api_previews_become_comfyui_preview_tuples(monkeypatch):
    from comfy_api.v0_0_2 import ComfyAPISync
    from PIL import Image

    previews = []
    monkeypatch.setattr(context, "set_progress", lambda *args, preview, **kwargs: previews.append(preview))
    api = ComfyAPISync()
    api.execution.set_progress(1, 2, preview_image=torch.ones(2, 4, 6, 3))
    api.execution.set_progress(1, 2, preview_image=Image.new("L", (3, 3)), ignore_size_limit=True)
    [(fmt, image, max_size), (fmt2, image2, max_size2)] = previews
    assert (fmt, image.size, image.mode, image.getpixel((0, 0)), max_size) == (
        "JPEG",
        (6, 4),
        "RGB",
        (255,) * 3,
        512,
    )
    assert (fmt2, image2.size, max_size2) == ("JPEG", (3, 3), None)


def test_comfy_api_v0_0_2_names_its_version():
    from comfy_api import latest, v0_0_2

    assert v0_0_2.ComfyAPI.VERSION == v0_0_2.ComfyAPISync.VERSION == "0.0.2"
    assert issubclass(v0_0_2.ComfyAPI, latest.ComfyAPI)


def test_executing_context_names_the_running_node():
    from comfy_execution.utils import ExecutionContext, get_executing_context

    assert get_executing_context() is None
    with context.executing_node("p1", "4", None):
        assert get_executing_context() == ExecutionContext("p1", "4", None)


def test_install_leaves_names_that_are_importable_elsewhere(monkeypatch, tmp_path):
    (tmp_path / "comfy_api").mkdir()
    (tmp_path / "comfy_api" / "__init__.py").write_text("REAL = True\n")
    for name in [name for name in sys.modules if name.split(".")[0] == "comfy_api"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path))
    served = install()
    assert "comfy_api" not in served and "comfy" in served
    assert importlib.import_module("comfy_api").REAL is True
    monkeypatch.delitem(sys.modules, "comfy_api")


@pytest.mark.parametrize(
    ("method", "crop", "shape"),
    [
        pytest.param("bilinear", "disabled", (2, 3, 6, 4), id="bilinear"),
        pytest.param("nearest-exact", "center", (2, 3, 6, 4), id="center-crop"),
        pytest.param("lanczos", "disabled", (2, 3, 6, 4), id="lanczos"),
    ],
)
def test_common_upscale_resizes_to_height_and_width(method, crop, shape):
    from comfy.utils import common_upscale

    out = common_upscale(torch.rand(2, 3, 8, 16), 4, 6, method, crop)
    assert out.shape == shape and out.dtype == torch.float32
    assert 0 <= out.min() and out.max() <= 1


def test_common_upscale_center_crop_keeps_the_middle():
    from comfy.utils import common_upscale

    samples = torch.zeros(1, 1, 4, 8)
    samples[..., 2:6] = 1
    assert torch.equal(common_upscale(samples, 4, 4, "nearest-exact", "center"), torch.ones(1, 1, 4, 4))


def test_common_upscale_handles_video_latents():
    from comfy.utils import common_upscale

    samples = torch.rand(1, 4, 3, 8, 8)
    out = common_upscale(samples, 4, 4, "area", "disabled")
    assert out.shape == (1, 4, 3, 4, 4)
    assert torch.allclose(out[:, :, 1], common_upscale(samples[:, :, 1], 4, 4, "area", "disabled"))


def test_load_torch_file_unwraps_state_dict(tmp_path):
    from comfy.utils import load_torch_file

    path = tmp_path / "model.ckpt"
    torch.save({"state_dict": {"w": torch.ones(2)}}, path)
    assert torch.equal(load_torch_file(str(path))["w"], torch.ones(2))
    state, metadata = load_torch_file(path, return_metadata=True)
    assert list(state) == ["w"] and metadata is None


def test_load_torch_file_refuses_pickled_code(tmp_path):
    from comfy.utils import load_torch_file

    path = tmp_path / "evil.pt"
    torch.save({"w": FakeRun()}, path)
    with pytest.raises(Exception, match="[Ww]eights only"):
        load_torch_file(path)
