"""Nodes for the client and CLI tests, loaded by the test server through `extra_model_paths.yaml`.

`ClientSlowImage` sleeps in small steps, reporting each through `comfy.utils.ProgressBar` (with a
PNG preview) and showing progress text, and stops at the next step when interrupted. It always
re-runs (IS_CHANGED is NaN), so test prompts never come from the cache. `ClientFailImage` raises.
"""

import time

from comfy.utils import ProgressBar
from PIL import Image

from comfyd.engine.context import send_progress_text


class ClientSlowImage:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "steps": ("INT", {"default": 10, "min": 1, "max": 1000000}),
                "interval": ("FLOAT", {"default": 0.05, "min": 0.0, "max": 10.0, "step": 0.001}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "_for_testing"

    @classmethod
    def IS_CHANGED(cls, **kwargs):
        return float("nan")

    def run(self, image, steps, interval):
        send_progress_text("working")
        bar = ProgressBar(steps)
        preview = ("PNG", Image.new("RGB", (4, 4), "red"), 64)
        for step in range(steps):
            time.sleep(interval)
            bar.update_absolute(step + 1, steps, preview if step == 0 else None)
        return (image,)


class ClientFailImage:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "message": ("STRING", {"default": "boom"})}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "_for_testing"

    def run(self, image, message):
        raise RuntimeError(message)


NODE_CLASS_MAPPINGS = {"ClientSlowImage": ClientSlowImage, "ClientFailImage": ClientFailImage}
