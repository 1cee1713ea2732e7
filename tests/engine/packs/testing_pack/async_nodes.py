"""Nodes whose FUNCTION, VALIDATE_INPUTS or check_lazy_status is a coroutine.

`TestSleep` reports progress through `comfy.utils.ProgressBar` while it sleeps, so independent
sleeps show whether the engine runs async nodes concurrently.
"""

import asyncio
import time

import torch
from comfy.comfy_types import IO
from comfy.comfy_types.node_typing import ComfyNodeABC
from comfy.utils import ProgressBar
from comfy_execution.graph_utils import GraphBuilder


class TestSleep(ComfyNodeABC):
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": (IO.ANY, {}),
                "seconds": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 9999.0, "step": 0.01}),
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "sleep"
    CATEGORY = "_for_testing"

    async def sleep(self, value, seconds, unique_id):
        progress = ProgressBar(seconds, node_id=unique_id)
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            progress.update_absolute(elapsed)
            await asyncio.sleep(0.01)
        progress.update_absolute(seconds)
        return (value,)


class TestParallelSleep(ComfyNodeABC):
    """An output node that expands into three sleeps and averages what they return."""

    @classmethod
    def INPUT_TYPES(cls):
        seconds = ("FLOAT", {"default": 0.5, "min": 0.0, "max": 10.0, "step": 0.01})
        return {
            "required": {
                "image1": ("IMAGE",),
                "image2": ("IMAGE",),
                "image3": ("IMAGE",),
                "sleep1": seconds,
                "sleep2": seconds,
                "sleep3": seconds,
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "expand"
    CATEGORY = "_for_testing"
    OUTPUT_NODE = True

    def expand(self, image1, image2, image3, sleep1, sleep2, sleep3, unique_id):
        graph = GraphBuilder()
        sleeps = [
            graph.node("TestSleep", value=image, seconds=seconds)
            for image, seconds in ((image1, sleep1), (image2, sleep2), (image3, sleep3))
        ]
        average = graph.node(
            "TestVariadicAverage", **{f"input{i}": node.out(0) for i, node in enumerate(sleeps, start=1)}
        )
        return {"result": (average.out(0),), "expand": graph.finalize()}


class TestAsyncValidation(ComfyNodeABC):
    """Async VALIDATE_INPUTS: `value` may not exceed `threshold`."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": ("FLOAT", {"default": 5.0}),
                "threshold": ("FLOAT", {"default": 10.0}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "make"
    CATEGORY = "_for_testing/async"

    @classmethod
    async def VALIDATE_INPUTS(cls, value, threshold):
        await asyncio.sleep(0.01)
        if value > threshold:
            return f"Value {value} exceeds threshold {threshold}"
        return True

    def make(self, value, threshold):
        return (torch.full((1, 64, 64, 3), value / 10.0),)


class TestAsyncError(ComfyNodeABC):
    MESSAGE = "Intentional async execution error for testing"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": (IO.ANY, {}),
                "error_after": ("FLOAT", {"default": 0.1, "min": 0.0, "max": 10.0}),
            },
        }

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "fail"
    CATEGORY = "_for_testing/async"

    async def fail(self, value, error_after):
        await asyncio.sleep(error_after)
        raise RuntimeError(self.MESSAGE)


class TestAsyncTimeout(ComfyNodeABC):
    """Waits for an operation with `asyncio.wait_for` and fails when it takes too long."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": (IO.ANY, {}),
                "timeout": ("FLOAT", {"default": 1.0, "min": 0.01, "max": 10.0}),
                "operation_time": ("FLOAT", {"default": 2.0, "min": 0.01, "max": 10.0}),
            },
        }

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "wait"
    CATEGORY = "_for_testing/async"

    async def wait(self, value, timeout, operation_time):
        try:
            await asyncio.wait_for(asyncio.sleep(operation_time), timeout=timeout)
        except TimeoutError:
            raise RuntimeError(f"Operation timed out after {timeout} seconds") from None
        return (value,)


class TestSyncError(ComfyNodeABC):
    MESSAGE = "Intentional sync execution error for testing"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": (IO.ANY, {})}}

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "fail"
    CATEGORY = "_for_testing/async"

    def fail(self, value):
        raise RuntimeError(self.MESSAGE)


class TestAsyncLazyCheck(ComfyNodeABC):
    """Async check_lazy_status: `condition` chooses which of two lazy inputs is evaluated."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "input1": (IO.ANY, {"lazy": True}),
                "input2": (IO.ANY, {"lazy": True}),
                "condition": ("BOOLEAN", {"default": True}),
            },
        }

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "choose"
    CATEGORY = "_for_testing/async"

    async def check_lazy_status(self, condition, input1, input2):
        await asyncio.sleep(0.01)
        if condition:
            return ["input1"] if input1 is None else []
        return ["input2"] if input2 is None else []

    def choose(self, input1, input2, condition):
        return (input1 if condition else input2,)


class TestDynamicAsyncGeneration(ComfyNodeABC):
    """Expands into `num_async_nodes` concurrent sleeps, alternating between two images."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image1": ("IMAGE",),
                "image2": ("IMAGE",),
                "num_async_nodes": ("INT", {"default": 3, "min": 1, "max": 10}),
                "sleep_duration": ("FLOAT", {"default": 0.2, "min": 0.0, "max": 5.0}),
            },
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "expand"
    CATEGORY = "_for_testing/async"

    def expand(self, image1, image2, num_async_nodes, sleep_duration):
        graph = GraphBuilder()
        sleeps = [
            graph.node("TestSleep", value=(image1 if i % 2 == 0 else image2), seconds=sleep_duration)
            for i in range(num_async_nodes)
        ]
        links = {f"input{i}": node.out(0) for i, node in enumerate(sleeps, start=1)}
        average = graph.node("TestVariadicAverage", **links)
        return {"result": (average.out(0),), "expand": graph.finalize()}


class TestAsyncResourceUser(ComfyNodeABC):
    """Holds a named resource while it sleeps; a second holder at the same time is an error."""

    in_use = set()

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": (IO.ANY, {}),
                "resource_id": ("STRING", {"default": "resource_0"}),
                "duration": ("FLOAT", {"default": 0.1, "min": 0.0, "max": 1.0}),
            },
        }

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "use"
    CATEGORY = "_for_testing/async"

    async def use(self, value, resource_id, duration):
        if resource_id in self.in_use:
            raise RuntimeError(f"Resource {resource_id} is already in use!")
        self.in_use.add(resource_id)
        try:
            await asyncio.sleep(duration)
            return (value,)
        finally:
            self.in_use.discard(resource_id)


NODE_CLASS_MAPPINGS = {
    "TestSleep": TestSleep,
    "TestParallelSleep": TestParallelSleep,
    "TestAsyncValidation": TestAsyncValidation,
    "TestAsyncError": TestAsyncError,
    "TestAsyncTimeout": TestAsyncTimeout,
    "TestSyncError": TestSyncError,
    "TestAsyncLazyCheck": TestAsyncLazyCheck,
    "TestDynamicAsyncGeneration": TestDynamicAsyncGeneration,
    "TestAsyncResourceUser": TestAsyncResourceUser,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TestSleep": "Test Sleep",
    "TestParallelSleep": "Test Parallel Sleep",
    "TestAsyncValidation": "Test Async Validation",
    "TestAsyncError": "Test Async Error",
    "TestAsyncTimeout": "Test Async Timeout",
    "TestSyncError": "Test Sync Error",
    "TestAsyncLazyCheck": "Test Async Lazy Check",
    "TestDynamicAsyncGeneration": "Test Dynamic Async Generation",
    "TestAsyncResourceUser": "Test Async Resource User",
}
