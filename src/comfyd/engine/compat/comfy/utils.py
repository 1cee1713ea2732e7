"""`comfy.utils`: `ProgressBar` and the few tensor and file helpers node packs commonly call.

`ProgressBar` reports through the engine's progress hook, which sends the legacy `progress`
message and updates `progress_state` for the node that is running.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from comfyd.engine import context

logger = logging.getLogger(__name__)

ProgressHook = Callable[..., None]
"""`hook(value, total, preview, prompt_id=None, node_id=None)`, as ComfyUI calls it."""


def _report_to_engine(
    value: float, total: float, preview: Any = None, prompt_id: str | None = None, node_id: str | None = None
) -> None:
    # Looked up on each call, not bound at import, so the engine's hook stays the one in use.
    context.report_progress(value, total, preview, prompt_id=prompt_id, node_id=node_id)


PROGRESS_BAR_ENABLED = True
"""Console progress bars (tqdm) in ComfyUI; comfyd draws none, but packs read the flag."""

PROGRESS_BAR_HOOK: ProgressHook | None = _report_to_engine
"""The hook new `ProgressBar`s report to. Packs that wrap it should call the previous hook."""


def set_progress_bar_enabled(enabled: bool) -> None:
    global PROGRESS_BAR_ENABLED
    PROGRESS_BAR_ENABLED = enabled


def set_progress_bar_global_hook(function: ProgressHook | None) -> None:
    """Replace the hook for bars created from now on, as ComfyUI allows.

    ComfyUI's own server installs its hook this way at start-up; comfyd's hook is already in
    place, so packs that read `PROGRESS_BAR_HOOK`, wrap it and set the wrapper keep working.
    """
    global PROGRESS_BAR_HOOK
    PROGRESS_BAR_HOOK = function


class ProgressBar:
    """A node's progress: `update(1)` per step, or `update_absolute(value, total, preview)`.

    With no `node_id` the progress belongs to the node that is running. Each update raises
    `InterruptProcessingException` if the run was interrupted, which is how long loops stop.
    """

    def __init__(self, total: float, node_id: str | None = None) -> None:
        self.total = total
        self.current: float = 0
        self.node_id = node_id
        self.hook = PROGRESS_BAR_HOOK

    def update_absolute(self, value: float, total: float | None = None, preview: Any = None) -> None:
        if total is not None:
            self.total = total
        self.current = min(value, self.total)
        if self.hook is not None:
            self.hook(self.current, self.total, preview, node_id=self.node_id)

    def update(self, value: float) -> None:
        self.update_absolute(self.current + value)


def common_upscale(
    samples: torch.Tensor, width: int, height: int, upscale_method: str, crop: str
) -> torch.Tensor:
    """Resize `[B, C, H, W]` (or `[B, C, T, H, W]`) samples to `height` x `width`.

    `crop="center"` first cuts the samples to the target aspect ratio. Methods are the modes
    of `torch.nn.functional.interpolate` ("nearest-exact", "bilinear", "area", "bicubic", ...)
    plus "lanczos".
    """
    if samples.ndim == 5:
        batch, channels, frames = samples.shape[:3]
        flat = samples.movedim(2, 1).reshape(batch * frames, channels, *samples.shape[-2:])
        out = common_upscale(flat, width, height, upscale_method, crop)
        return out.reshape(batch, frames, channels, height, width).movedim(1, 2)
    if crop == "center":
        samples = _center_crop(samples, width / height)
    if upscale_method == "lanczos":
        return lanczos(samples, width, height)
    if upscale_method == "bislerp":
        # TODO: implement bislerp when a built-in latent upscaler needs it.
        raise NotImplementedError("The 'bislerp' upscale method is not supported by comfyd yet.")
    return torch.nn.functional.interpolate(samples, size=(height, width), mode=upscale_method)


def _center_crop(samples: torch.Tensor, aspect: float) -> torch.Tensor:
    old_height, old_width = samples.shape[-2:]
    old_aspect = old_width / old_height
    x = y = 0
    if old_aspect > aspect:
        x = round((old_width - old_width * (aspect / old_aspect)) / 2)
    elif old_aspect < aspect:
        y = round((old_height - old_height * (old_aspect / aspect)) / 2)
    return samples.narrow(-2, y, old_height - 2 * y).narrow(-1, x, old_width - 2 * x)


def lanczos(samples: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Lanczos resize through Pillow; values are clamped to 0..1 and quantised to 8 bits."""
    frames = []
    for sample in samples.movedim(1, -1).clamp(0, 1):
        array = (sample.cpu().numpy() * 255).round().astype(np.uint8)
        channels = [Image.fromarray(array[..., c]) for c in range(array.shape[-1])]
        resized = [np.asarray(ch.resize((width, height), Image.Resampling.LANCZOS)) for ch in channels]
        frames.append(torch.from_numpy(np.stack(resized, axis=-1).astype(np.float32) / 255.0))
    return torch.stack(frames).movedim(-1, 1).to(samples.device, samples.dtype)


def load_torch_file(
    ckpt: str | Path,
    safe_load: bool = False,
    device: torch.device | None = None,
    return_metadata: bool = False,
) -> Any:
    """Load a state dict from a `.safetensors`/`.sft` file or a torch pickle.

    Pickles are always loaded with `weights_only=True` (`safe_load` is accepted for
    compatibility): a server that runs other people's workflows must not unpickle code. A
    checkpoint wrapped in `{"state_dict": ...}` (or in one single key) is unwrapped.
    """
    device = device or torch.device("cpu")
    path = str(ckpt)
    metadata = None
    if path.lower().endswith((".safetensors", ".sft")):
        state_dict, metadata = _load_safetensors(path, device)
    else:
        state_dict = _unwrap_state_dict(torch.load(path, map_location=device, weights_only=True))
    return (state_dict, metadata) if return_metadata else state_dict


def _load_safetensors(path: str, device: torch.device) -> tuple[dict[str, torch.Tensor], dict | None]:
    if importlib.util.find_spec("safetensors") is None:
        raise ImportError(f"Loading {path} needs the 'safetensors' package, which is not installed.")
    from safetensors import safe_open

    with safe_open(path, framework="pt", device=device.type) as handle:
        return {key: handle.get_tensor(key) for key in handle.keys()}, handle.metadata()


def _unwrap_state_dict(loaded: Any) -> Any:
    if isinstance(loaded, dict) and "state_dict" in loaded:
        return loaded["state_dict"]
    if isinstance(loaded, dict) and len(loaded) == 1:
        (inner,) = loaded.values()
        if isinstance(inner, dict):
            return inner
    return loaded
