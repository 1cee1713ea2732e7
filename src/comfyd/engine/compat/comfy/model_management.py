"""`comfy.model_management`: interruption and device queries, as node packs call them.

comfyd runs nodes on the CPU and keeps no model manager, so the device functions name the CPU
and the memory functions do nothing. Interruption is per run: ComfyUI's global flag becomes
"every run in progress" when set from outside a run, and "this run" when set from a node.
"""

from __future__ import annotations

import os

import torch

from comfyd.engine import context
from comfyd.engine.errors import InterruptProcessingException

__all__ = [
    "OOM_EXCEPTION",
    "InterruptProcessingException",
    "cpu_mode",
    "get_free_memory",
    "get_torch_device",
    "get_total_memory",
    "intermediate_device",
    "interrupt_current_processing",
    "is_device_cpu",
    "is_device_mps",
    "processing_interrupted",
    "soft_empty_cache",
    "text_encoder_device",
    "throw_exception_if_processing_interrupted",
    "unet_offload_device",
    "unload_all_models",
    "vae_device",
]

OOM_EXCEPTION = torch.cuda.OutOfMemoryError
"""What packs catch to retry with smaller tiles."""

_CPU = torch.device("cpu")


def interrupt_current_processing(value: bool = True) -> None:
    context.interrupt_all(value)


def processing_interrupted() -> bool:
    return context.is_interrupted()


def throw_exception_if_processing_interrupted() -> None:
    context.check_interrupt()


def get_torch_device() -> torch.device:
    return _CPU


def intermediate_device() -> torch.device:
    return _CPU


def unet_offload_device() -> torch.device:
    return _CPU


def vae_device() -> torch.device:
    return _CPU


def text_encoder_device() -> torch.device:
    return _CPU


def cpu_mode() -> bool:
    return True


def is_device_cpu(device: torch.device) -> bool:
    return getattr(device, "type", device) == "cpu"


def is_device_mps(device: torch.device) -> bool:
    return getattr(device, "type", device) == "mps"


def get_total_memory(dev: torch.device | None = None, torch_total_too: bool = False) -> int | tuple[int, int]:
    """Physical memory in bytes (on the CPU "device"), as ComfyUI reports it."""
    total = _physical_memory()
    return (total, total) if torch_total_too else total


def get_free_memory(dev: torch.device | None = None, torch_free_too: bool = False) -> int | tuple[int, int]:
    """Available memory in bytes; packs use it to size batches and tiles."""
    free = _available_memory()
    return (free, free) if torch_free_too else free


def soft_empty_cache(force: bool = False) -> None:
    """Nothing to release: comfyd keeps no device caches."""


def unload_all_models() -> None:
    """Nothing to unload: comfyd keeps no loaded-model list."""


def _physical_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _available_memory() -> int:
    # SC_AVPHYS_PAGES counts free pages only (not reclaimable cache), which errs on the small
    # side, as a batch-sizing estimate should.
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
