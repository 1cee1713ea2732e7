"""What the server says about itself: `/system_stats`, `/features`, `/info`.

comfyd claims one ComfyUI version, the one whose wire behaviour it follows, so the frontend's
version checks and compatibility notices reason about the right API. Memory figures come from
`psutil` when it is installed and from the operating system otherwise; comfyd never imports
torch just to answer these routes.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import comfyd

COMFYUI_VERSION = "0.3.64"
"""The ComfyUI release whose routes and messages comfyd reproduces."""

FRONTEND_PACKAGE = "comfyui-frontend-package"
TEMPLATES_PACKAGE = "comfyui-workflow-templates"

# Remote-config keys the official frontend reads from `/features` (frontend.md §3). A self-hosted
# server has no sign-in service, hosted uploads, secrets store or survey behind it, and it must
# not ask the page to report telemetry, so each of those is switched off explicitly rather than
# left to a build-time default that assumes Comfy's cloud.
SELF_HOSTED_REMOTE_CONFIG: dict[str, Any] = {
    "enable_telemetry": False,
    "local_web_sso": False,
    "sso_enabled": False,
    "deploy_to_cloud": False,
    "model_upload_button_enabled": False,
    "private_models_enabled": False,
    "user_secrets_enabled": False,
    "comfyhub_upload_enabled": False,
    "onboarding_survey_enabled": False,
}

API_PREFIXES = ("", "/api")
INTERNAL_PREFIX = "/internal"


@dataclass(frozen=True)
class Memory:
    """Physical memory in bytes: all of it, and what is available to new work."""

    total: int
    free: int


def memory() -> Memory:
    """The machine's memory, from `psutil` if installed, else `/proc/meminfo` or `sysconf`."""
    try:
        import psutil
    except ImportError:
        return _memory_from_proc() or _memory_from_sysconf()
    stats = psutil.virtual_memory()
    return Memory(total=int(stats.total), free=int(stats.available))


def _memory_from_proc(path: Path = Path("/proc/meminfo")) -> Memory | None:
    """Linux without psutil: MemTotal and MemAvailable (what psutil reports as `available`)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    values = {}
    for line in lines:
        key, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[key] = int(fields[0]) * 1024  # the file counts kibibytes
    if "MemTotal" not in values:
        return None
    return Memory(total=values["MemTotal"], free=values.get("MemAvailable", values.get("MemFree", 0)))


def _memory_from_sysconf() -> Memory:
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return Memory(total=page * os.sysconf("SC_PHYS_PAGES"), free=page * os.sysconf("SC_AVPHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return Memory(total=0, free=0)


@functools.cache
def package_version(distribution: str) -> str | None:
    """The installed version of a distribution, or `None` when it is not installed.

    Read once per process: a package upgraded under a running server is not in use until restart.
    """
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def pytorch_version() -> str:
    """torch's version, read from its metadata unless torch is already imported."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return str(torch.__version__)
    return package_version("torch") or ""


def system_stats(argv: list[str] | None = None) -> dict[str, Any]:
    """`GET /system_stats` in ComfyUI's shape, with the single CPU device ComfyUI lists under --cpu.

    On the CPU device ComfyUI reports system RAM as its VRAM (total and free), and so does comfyd.
    `comfyd_version` is an addition; clients that do not know it ignore it.
    """
    ram = memory()
    templates_version = package_version(TEMPLATES_PACKAGE)
    return {
        "system": {
            "os": os.name,
            "ram_total": ram.total,
            "ram_free": ram.free,
            "comfyui_version": COMFYUI_VERSION,
            "comfyd_version": comfyd.__version__,
            "required_frontend_version": package_version(FRONTEND_PACKAGE),
            "installed_templates_version": templates_version,
            # comfyd requires no particular templates release; it serves whatever is installed.
            "required_templates_version": None,
            "python_version": sys.version,
            "pytorch_version": pytorch_version(),
            "embedded_python": False,
            "argv": list(sys.argv if argv is None else argv),
        },
        "devices": [
            {
                "name": "cpu",
                "type": "cpu",
                "index": None,
                "vram_total": ram.total,
                "vram_free": ram.free,
                "torch_vram_total": ram.total,
                "torch_vram_free": ram.free,
            }
        ],
    }


def features(server_flags: dict[str, Any], https_origin: str | None = None) -> dict[str, Any]:
    """`GET /features`: the `/ws` feature flags plus the remote config a self-hosted server gives.

    The server's own flags win over a remote-config key of the same name. Served over https
    (`https_origin`), the server also points the frontend's platform bases at itself: release
    notes, customers and credits (`comfy_api_base_url`), workspaces and billing
    (`comfy_cloud_base_url`). The frontend ignores bases that are not https, so over plain http
    they are left to its defaults.
    """
    bases = {}
    if https_origin is not None:
        bases = {"comfy_api_base_url": https_origin, "comfy_cloud_base_url": https_origin}
    return {**SELF_HOSTED_REMOTE_CONFIG, **bases, **server_flags}


def server_info() -> dict[str, Any]:
    """`GET /info`: which server this is and which ComfyUI API it speaks."""
    return {
        "name": "comfyd",
        "version": comfyd.__version__,
        "comfyui_version": COMFYUI_VERSION,
        "api_prefixes": list(API_PREFIXES),
        "internal_prefix": INTERNAL_PREFIX,
    }
