"""Nodes that report progress, and long-running loops that an interrupt must be able to stop.

`comfy.utils.ProgressBar` produces both the legacy `progress` message and `progress_state`;
`comfy_api`'s `execution.set_progress` produces `progress_state` only.
"""

import asyncio
import time

import comfy.model_management
from comfy.comfy_types import IO, ComfyNodeABC, InputTypeDict
from comfy.utils import ProgressBar
from comfy_api.v0_0_2 import ComfyAPI, ComfyAPISync

api = ComfyAPI()
api_sync = ComfyAPISync()


def _progress_inputs():
    return {
        "required": {
            "value": (IO.ANY, {}),
            "sleep_seconds": (IO.FLOAT, {"default": 0.2, "min": 0.0, "max": 10.0}),
        },
    }


class TestAsyncProgressUpdate(ComfyNodeABC):
    @classmethod
    def INPUT_TYPES(cls) -> InputTypeDict:
        return _progress_inputs()

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "execute"
    CATEGORY = "_for_testing/async"

    async def execute(self, value, sleep_seconds):
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < sleep_seconds:
            await api.execution.set_progress(value=elapsed / sleep_seconds, max_value=1.0)
            await asyncio.sleep(0.01)
        return (value,)


class TestSyncProgressUpdate(ComfyNodeABC):
    @classmethod
    def INPUT_TYPES(cls) -> InputTypeDict:
        return _progress_inputs()

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "execute"
    CATEGORY = "_for_testing/async"

    def execute(self, value, sleep_seconds):
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < sleep_seconds:
            api_sync.execution.set_progress(value=elapsed / sleep_seconds, max_value=1.0)
            time.sleep(0.01)
        return (value,)


class TestProgressLoop:
    """A synchronous loop of `steps` steps, each `interval` seconds, reported through a
    ProgressBar that names no node (the engine must know which node is running)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": (IO.ANY, {}),
                "steps": ("INT", {"default": 10, "min": 1, "max": 100000}),
                "interval": ("FLOAT", {"default": 0.01, "min": 0.0, "max": 10.0}),
            },
        }

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "loop"
    CATEGORY = "_for_testing"

    def loop(self, value, steps, interval):
        progress = ProgressBar(steps)
        for _ in range(steps):
            time.sleep(interval)
            progress.update(1)
        return (value,)


class TestInterruptPoll:
    """A synchronous loop that only polls `comfy.model_management` for an interrupt."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "value": (IO.ANY, {}),
                "seconds": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 60.0}),
            },
        }

    RETURN_TYPES = (IO.ANY,)
    FUNCTION = "poll"
    CATEGORY = "_for_testing"

    def poll(self, value, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            comfy.model_management.throw_exception_if_processing_interrupted()
            time.sleep(0.01)
        return (value,)


NODE_CLASS_MAPPINGS = {
    "TestAsyncProgressUpdate": TestAsyncProgressUpdate,
    "TestSyncProgressUpdate": TestSyncProgressUpdate,
    "TestProgressLoop": TestProgressLoop,
    "TestInterruptPoll": TestInterruptPoll,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "TestAsyncProgressUpdate": "Async Progress Update Test Node",
    "TestSyncProgressUpdate": "Sync Progress Update Test Node",
    "TestProgressLoop": "Progress Loop",
    "TestInterruptPoll": "Interrupt Poll",
}
