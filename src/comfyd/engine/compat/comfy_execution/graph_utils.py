"""`comfy_execution.graph_utils`: node expansion helpers, the engine's own classes re-exported."""

from comfyd.engine.blocker import ExecutionBlocker
from comfyd.engine.graph_builder import GraphBuilder, Node, add_graph_prefix, is_link

__all__ = ["ExecutionBlocker", "GraphBuilder", "Node", "add_graph_prefix", "is_link"]
