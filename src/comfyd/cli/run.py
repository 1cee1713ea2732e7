"""`comfyd run`: queue an API-format workflow on a server, show its progress, list its output files.

Output file names go to stdout, one a line (local paths with `--output-dir`); progress and
errors go to stderr, so `comfyd run wf.json | xargs ...` sees only the files.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from comfyd.client import (
    ComfyClient,
    ComfydError,
    Event,
    Executing,
    ExecutionCached,
    ExecutionStart,
    OutputFile,
    ProgressState,
    PromptInvalid,
    RunResult,
)
from comfyd.client import Progress as ProgressEvent

DEFAULT_SERVER = "http://127.0.0.1:8188"


class WorkflowError(Exception):
    """The workflow file cannot be queued as it is."""


def load_workflow(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The prompt (and `extra_data`, if any) from a file holding the prompt dict or `{"prompt": ...}`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowError(f"Cannot read {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise WorkflowError(f"{path} is not JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("prompt"), dict):
        extra_data = data.get("extra_data")
        return data["prompt"], extra_data if isinstance(extra_data, dict) else None
    if isinstance(data, dict) and isinstance(data.get("nodes"), list):
        raise WorkflowError(
            f"{path} is a UI workflow (it has a 'nodes' list). Export it in API format "
            "(Workflow > Export (API)) and run that file."
        )
    if not isinstance(data, dict) or not data or not all(isinstance(node, dict) for node in data.values()):
        raise WorkflowError(f"{path} is not an API-format workflow: expected {{node_id: {{class_type, inputs}}}}.")
    return data, None


class RunProgress:
    """A progress display fed with a run's events: nodes done of the graph's total, and the
    running node's own steps when it reports them.

    A node counts as done when it was cached, when the next node starts, or when
    `progress_state` says it finished; node ids the graph does not hold (nodes a node expanded
    into) count towards their display node.
    """

    def __init__(self, prompt: dict[str, Any], console: Console) -> None:
        self.class_types = {node_id: str(node.get("class_type")) for node_id, node in prompt.items()}
        self.done: set[str] = set()
        self.running: str | None = None
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        )
        self._nodes = self._bar.add_task("nodes", total=len(prompt))
        self._steps = self._bar.add_task("", total=None, visible=False)

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar.live.is_started:
            self._bar.stop()

    def update(self, event: Event) -> None:
        if isinstance(event, ExecutionStart):
            self._bar.start()  # only now: a rejected prompt shows no bar, just the error
        elif isinstance(event, ExecutionCached):
            self.done.update(node for node in event.nodes if node in self.class_types)
        elif isinstance(event, Executing):
            self._start(event.display_node or event.node)
        elif isinstance(event, ProgressEvent) and event.node is not None:
            self._bar.update(self._steps, completed=event.value, total=event.max, visible=True)
        elif isinstance(event, ProgressState):
            self.done.update(n for n, state in event.nodes.items() if state.get("state") == "finished" and n in self.class_types)
        self._bar.update(self._nodes, completed=len(self.done))

    def _start(self, node: str | None) -> None:
        if (node is not None and node not in self.class_types) or node == self.running:
            return
        if self.running is not None:
            self.done.add(self.running)
        self.running = node
        description = f"node {node} ({self.class_types[node]})" if node is not None else ""
        self._bar.update(self._steps, description=description, completed=0, total=None, visible=False)

    def finish(self) -> None:
        """The prompt succeeded: every node it needed is done.

        The bar is started here too, so the final count is shown even when the run ended before
        its `execution_start` was read.
        """
        if not self._bar.live.is_started:
            self._bar.start()
        self._bar.update(self._nodes, completed=len(self.class_types))
        self._bar.update(self._steps, visible=False)


def run(
    workflow: Annotated[Path, typer.Argument(help="An API-format workflow: the prompt dict, or {\"prompt\": {...}}.")],
    server: Annotated[
        str, typer.Option("--server", envvar="COMFYD_SERVER", help="The server's base URL.")
    ] = DEFAULT_SERVER,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", file_okay=False, help="Download the output files here.")
    ] = None,
) -> None:
    """Run a workflow on a server, wait for it, and print the files it wrote."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        prompt, extra_data = load_workflow(workflow)
        with ComfyClient(server) as client:
            result = _run(client, prompt, extra_data, err)
            for file in result.files:
                typer.echo(_save(client, file, output_dir) if output_dir else _server_path(file))
    except PromptInvalid as exc:
        _fail(err, f"The server rejected the workflow: {exc}")
    except (WorkflowError, ComfydError, OSError) as exc:
        _fail(err, str(exc))
    except KeyboardInterrupt:
        _fail(err, "Stopped waiting; the prompt stays queued on the server.", code=130)


def _run(client: ComfyClient, prompt: dict[str, Any], extra_data: dict[str, Any] | None, err: Console) -> RunResult:
    with RunProgress(prompt, err) as progress:
        result = client.run(prompt, extra_data=extra_data, on_event=progress.update)
        progress.finish()
    if result.node_errors:
        invalid = ", ".join(result.node_errors)
        err.print(f"[yellow]warning:[/] outputs of nodes {escape(invalid)} failed validation and did not run.")
    return result


def _server_path(file: OutputFile) -> str:
    """Where the file sits on the server, relative to its base directory: `output/sub/name.png`."""
    return str(PurePosixPath(file.type, file.subfolder, file.filename))


def _save(client: ComfyClient, file: OutputFile, output_dir: Path) -> Path:
    # The server names the subfolder; keep only plain parts of it so a hostile answer cannot
    # write outside `output_dir`.
    parts = [part for part in PurePosixPath(file.subfolder).parts if part not in ("..", ".", "/")]
    target = output_dir.joinpath(*parts, PurePosixPath(file.filename).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(client.view(**file.view_args))
    return target


def _fail(err: Console, message: str, *, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)
