"""`comfy_execution.utils`: which node is running, for code that reports on its behalf."""

from comfyd.engine.context import NodeContext as ExecutionContext
from comfyd.engine.context import current_node

__all__ = ["ExecutionContext", "get_executing_context"]


def get_executing_context() -> ExecutionContext | None:
    """The running node's `(prompt_id, node_id, list_index)`, or `None` outside a node."""
    return current_node()
