"""`comfy_api.v0_0_2`: the pinned 0.0.2 API, the same surface as `latest` with its own version."""

from comfyd.engine.compat.comfy_api import latest
from comfyd.engine.compat.comfy_api.latest import ComfyExtension

__all__ = ["ComfyAPI", "ComfyAPISync", "ComfyExtension"]


class ComfyAPI(latest.ComfyAPI):
    VERSION = "0.0.2"


class ComfyAPISync(latest.ComfyAPISync):
    VERSION = "0.0.2"
