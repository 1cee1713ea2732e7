"""`DynamicPrompt`: the prompt being executed, plus the ephemeral nodes its expansions add.

Ephemeral nodes remember their parent (the node that expanded them) and their display node (the
node the UI shows their progress on), so events can name the real, visible node.
"""

from __future__ import annotations

from typing import Any

from comfyd.engine.errors import NodeNotFoundError

Prompt = dict[str, dict[str, Any]]
"""API-format prompt: node id -> {"class_type", "inputs", "_meta"}."""


class DynamicPrompt:
    """A prompt that grows as nodes expand; the original prompt is never modified."""

    def __init__(self, original_prompt: Prompt) -> None:
        self.original_prompt = original_prompt
        self.ephemeral_prompt: Prompt = {}
        self.ephemeral_parents: dict[str, str] = {}
        self.ephemeral_display: dict[str, str] = {}

    def get_node(self, node_id: str) -> dict[str, Any]:
        node = self.ephemeral_prompt.get(node_id)
        if node is None:
            node = self.original_prompt.get(node_id)
            if node is None:
                raise NodeNotFoundError(node_id)
        return node

    def has_node(self, node_id: str) -> bool:
        return node_id in self.original_prompt or node_id in self.ephemeral_prompt

    def add_ephemeral_node(self, node_id: str, node_info: dict[str, Any], parent_id: str, display_id: str) -> None:
        self.ephemeral_prompt[node_id] = node_info
        self.ephemeral_parents[node_id] = parent_id
        self.ephemeral_display[node_id] = display_id

    def get_real_node_id(self, node_id: str) -> str:
        """The original prompt node that (transitively) expanded `node_id`."""
        while node_id in self.ephemeral_parents:
            node_id = self.ephemeral_parents[node_id]
        return node_id

    def get_parent_node_id(self, node_id: str) -> str | None:
        return self.ephemeral_parents.get(node_id)

    def get_display_node_id(self, node_id: str) -> str:
        while node_id in self.ephemeral_display:
            node_id = self.ephemeral_display[node_id]
        return node_id

    def all_node_ids(self) -> set[str]:
        return set(self.original_prompt) | set(self.ephemeral_prompt)

    def get_original_prompt(self) -> Prompt:
        return self.original_prompt
