"""`Run`: the state of one prompt execution that node code can reach through the context."""

from __future__ import annotations

from typing import Any

from comfyd.engine.events import EventSink, ProgressText
from comfyd.engine.progress import ProgressRegistry
from comfyd.engine.prompt import DynamicPrompt


class Run:
    """One prompt being executed: its id, graph, event sink, progress and interrupt flag.

    `interrupted` is a plain attribute: setting it from another thread is safe, and the run
    checks it before every node call and inside every progress report.
    """

    def __init__(self, prompt_id: str, dynprompt: DynamicPrompt, emit: EventSink, extra_data: dict[str, Any]):
        self.prompt_id = prompt_id
        self.dynprompt = dynprompt
        self.emit = emit
        self.extra_data = extra_data
        self.progress = ProgressRegistry(prompt_id, dynprompt, emit)
        self.interrupted = False
        self.last_node_id: str | None = None

    def send_progress_text(self, text: str, node_id: str) -> None:
        self.emit(ProgressText.model_construct(prompt_id=self.prompt_id, node_id=node_id, text=text))
