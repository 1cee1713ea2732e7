"""Per-node progress of one run, reported as `progress_state`, `progress` and preview events.

ComfyUI's `progress_state` carries every node that has started, not just the one that changed,
and the frontend replaces its state with it. Entries are replaced rather than mutated, so each
event can hold a cheap shallow copy of the table instead of a deep one.
"""

from __future__ import annotations

from typing import Any

from comfyd.engine.events import EventSink, PreviewImage, Progress, ProgressState
from comfyd.engine.prompt import DynamicPrompt


class ProgressRegistry:
    """Tracks `running`/`finished` state, value and max of each node of one prompt."""

    def __init__(self, prompt_id: str, dynprompt: DynamicPrompt, emit: EventSink) -> None:
        self.prompt_id = prompt_id
        self.dynprompt = dynprompt
        self.emit = emit
        self.nodes: dict[str, dict[str, Any]] = {}

    def start(self, node_id: str) -> None:
        self._set(node_id, "running", 0.0, 1.0)

    def update(
        self,
        node_id: str,
        value: float,
        max_value: float,
        preview: Any = None,
        *,
        legacy: bool,
        prompt_id: str | None = None,
    ) -> None:
        """Record progress; `legacy` also sends the old `progress` message (ProgressBar does)."""
        self._set(node_id, "running", value, max_value)
        if legacy:
            self.emit(
                Progress.model_construct(
                    value=value, max=max_value, prompt_id=prompt_id or self.prompt_id, node=node_id
                )
            )
        if preview is not None:
            self._emit_preview(node_id, preview)

    def finish(self, node_id: str) -> None:
        entry = self.nodes.get(node_id)
        max_value = entry["max"] if entry is not None else 1.0
        self._set(node_id, "finished", max_value, max_value)

    def _set(self, node_id: str, state: str, value: float, max_value: float) -> None:
        dynprompt = self.dynprompt
        self.nodes[node_id] = {
            "value": value,
            "max": max_value,
            "state": state,
            "node_id": node_id,
            "prompt_id": self.prompt_id,
            "display_node_id": dynprompt.get_display_node_id(node_id),
            "parent_node_id": dynprompt.get_parent_node_id(node_id),
            "real_node_id": dynprompt.get_real_node_id(node_id),
        }
        self.emit(ProgressState.model_construct(prompt_id=self.prompt_id, nodes=dict(self.nodes)))

    def _emit_preview(self, node_id: str, preview: Any) -> None:
        # ComfyUI's preview tuple is (format, PIL image, max_size).
        image_type, image, max_size = (tuple(preview) + (None, None, None))[:3]
        self.emit(
            PreviewImage.model_construct(
                prompt_id=self.prompt_id,
                node_id=node_id,
                display_node_id=self.dynprompt.get_display_node_id(node_id),
                parent_node_id=self.dynprompt.get_parent_node_id(node_id),
                real_node_id=self.dynprompt.get_real_node_id(node_id),
                image_type=image_type or "JPEG",
                image=image,
                max_size=max_size,
            )
        )
