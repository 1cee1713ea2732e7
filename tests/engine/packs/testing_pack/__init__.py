"""comfyd's engine conformance node pack.

Loaded as a custom node pack (through `tests/engine/extra_model_paths.yaml`), it imports nothing
from comfyd: only torch and the ComfyUI import surface that real packs use. Each module groups the
nodes for one area of engine behaviour; the class names follow ComfyUI's own test pack, because
they describe that behaviour.
"""

from . import async_nodes, conditions, flow_control, lists, progress, specific, stubs

_MODULES = (stubs, specific, flow_control, conditions, lists, async_nodes, progress)

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}
for _module in _MODULES:
    NODE_CLASS_MAPPINGS.update(_module.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(_module.NODE_DISPLAY_NAME_MAPPINGS)
