"""`comfy_execution.graph`: the prompt and graph classes packs see, the engine's own re-exported.

Flow-control packs receive a `DynamicPrompt` as the `DYNPROMPT` hidden input and catch these
errors by their ComfyUI names.
"""

from comfyd.engine.blocker import ExecutionBlocker
from comfyd.engine.errors import DependencyCycleError, NodeInputError, NodeNotFoundError
from comfyd.engine.prompt import DynamicPrompt
from comfyd.engine.registry import input_info as get_input_info

__all__ = [
    "DependencyCycleError",
    "DynamicPrompt",
    "ExecutionBlocker",
    "NodeInputError",
    "NodeNotFoundError",
    "get_input_info",
]
