"""`comfy_api.latest`: the `ComfyAPI` facade for node code, async and sync.

Only `execution.set_progress` exists so far; it updates the node's `progress_state` (and its
preview) without the legacy `progress` message, as in ComfyUI. The V3 node schema (`io`, `ui`)
is not provided yet.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import torch
from PIL import Image

from comfyd.engine import context

PREVIEW_MAX_SIZE = 512
"""Longest side of a progress preview, ComfyUI's default `--preview-size`."""

__all__ = ["ComfyAPI", "ComfyAPISync", "ComfyExtension"]


class ComfyAPI:
    """The async API: `await ComfyAPI().execution.set_progress(...)`."""

    VERSION = "latest"
    STABLE = False

    class Execution:
        async def set_progress(
            self,
            value: float,
            max_value: float,
            node_id: str | None = None,
            preview_image: Any = None,
            ignore_size_limit: bool = False,
        ) -> None:
            """Show `value / max_value` (and `preview_image`) on `node_id` or the running node.

            `preview_image` is a PIL image or an IMAGE tensor (`[B,H,W,C]`, the first is shown);
            it is sent at most `PREVIEW_MAX_SIZE` pixels wide unless `ignore_size_limit`.
            """
            _set_progress(value, max_value, node_id, preview_image, ignore_size_limit)

    def __init__(self) -> None:
        self.execution = self.Execution()


class ComfyAPISync:
    """The same API for synchronous node code: `ComfyAPISync().execution.set_progress(...)`."""

    VERSION = "latest"
    STABLE = False

    class Execution:
        def set_progress(
            self,
            value: float,
            max_value: float,
            node_id: str | None = None,
            preview_image: Any = None,
            ignore_size_limit: bool = False,
        ) -> None:
            _set_progress(value, max_value, node_id, preview_image, ignore_size_limit)

    def __init__(self) -> None:
        self.execution = self.Execution()


def _set_progress(
    value: float, max_value: float, node_id: str | None, preview_image: Any, ignore_size_limit: bool
) -> None:
    preview = _preview_tuple(preview_image, ignore_size_limit)
    context.set_progress(value, max_value, node_id=node_id, preview=preview)


def _preview_tuple(preview_image: Any, ignore_size_limit: bool) -> Any:
    """ComfyUI's preview form, `(format, PIL image, max size)`; anything else passes through."""
    if isinstance(preview_image, torch.Tensor):
        preview_image = _tensor_to_image(preview_image)
    if isinstance(preview_image, Image.Image):
        max_size = None if ignore_size_limit else PREVIEW_MAX_SIZE
        return (preview_image.format or "JPEG", preview_image, max_size)
    return preview_image


def _tensor_to_image(image: torch.Tensor) -> Image.Image:
    if image.ndim == 4:
        image = image[0]
    array = (image.detach().cpu().clamp(0, 1).numpy() * 255).round().astype(np.uint8)
    return Image.fromarray(array.squeeze(-1) if array.shape[-1] == 1 else array)


class ComfyExtension(ABC):
    """What a V3 pack's `comfy_entrypoint()` returns: the node classes it provides."""

    async def on_load(self) -> None:
        """Called once when the extension is loaded, before its nodes are listed."""
        return None

    @abstractmethod
    async def get_node_list(self) -> list[type]:
        """The pack's node classes."""
