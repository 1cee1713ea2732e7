"""Exceptions raised by the engine.

    EngineError
    ├── GraphError
    │   ├── NodeNotFoundError        a link or lookup names a node the prompt does not have
    │   ├── DuplicateNodeError       an expansion adds a node id that already exists
    │   ├── DependencyCycleError     the nodes left to run block each other
    │   └── NodeInputError           check_lazy_status asked for an input that cannot be scheduled
    └── InterruptProcessingException the run was interrupted (between nodes or inside one)

`InterruptProcessingException` keeps ComfyUI's name because node packs catch it by that name
through `comfy.model_management`.
"""


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class GraphError(EngineError):
    """The prompt graph cannot be built or scheduled as given."""


class NodeNotFoundError(GraphError):
    def __init__(self, node_id: str) -> None:
        super().__init__(f"Node {node_id} not found")
        self.node_id = node_id


class DuplicateNodeError(GraphError):
    def __init__(self, node_id: str) -> None:
        super().__init__(
            f"Attempt to add duplicate node {node_id}. Ensure node ids are unique and deterministic "
            "or use graph_utils.GraphBuilder."
        )
        self.node_id = node_id


class DependencyCycleError(GraphError):
    def __init__(self, nodes: list[str]) -> None:
        super().__init__("Dependency cycle detected")
        self.nodes = nodes


class NodeInputError(GraphError):
    """A node asked (through check_lazy_status) for an input that is absent or constant."""


class InterruptProcessingException(EngineError):
    """The current prompt was interrupted; raised between nodes or from a node's progress call."""

    def __init__(self, message: str = "Processing interrupted") -> None:
        super().__init__(message)
