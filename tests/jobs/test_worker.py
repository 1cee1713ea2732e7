"""`Worker`: runs queued jobs on its own thread and reports them on the bus, against a real file."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from job_factories import submission

from comfyd.engine import folders
from comfyd.engine.caches import ClassicCache
from comfyd.engine.compat import folder_paths
from comfyd.engine.context import check_interrupt
from comfyd.engine.folders import FolderPaths
from comfyd.engine.registry import NodeRegistry
from comfyd.jobs.bus.memory import MemoryEventBus
from comfyd.jobs.events import Envelope, ExecutionDone
from comfyd.jobs.worker import Worker

pytestmark = pytest.mark.anyio

SEEN_TOKENS: list[str | None] = []


class Emit:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"value": ("INT", {"default": 0, "min": 0, "max": 10**9})},
            "hidden": {"token": "AUTH_TOKEN_COMFY_ORG"},
        }

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True

    def run(self, value, token=None):
        SEEN_TOKENS.append(token)
        return {"ui": {"value": [value]}}


class Boom:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 0})}}

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True

    def run(self, value):
        raise RuntimeError("boom")


class Spin:
    """Runs until interrupted (or for 30 s)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 0})}}

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True

    def run(self, value):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            check_interrupt()
            time.sleep(0.005)
        return {}


class WhereAmI:
    """Writes a file where a node would save one, and reports the directory."""

    RUNS = 0

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("INT", {"default": 0})}}

    RETURN_TYPES = ()
    FUNCTION = "run"
    OUTPUT_NODE = True

    def run(self, value):
        WhereAmI.RUNS += 1
        output = Path(folder_paths.get_output_directory())
        (output / f"from-{value}.txt").write_text("x")
        return {"ui": {"dir": [str(output)]}}


def node(class_type: str, value: int = 0) -> dict:
    return {"1": {"class_type": class_type, "inputs": {"value": value}}}


class Recorder:
    """Bus subscriber: keeps every envelope; on each job's end, reads its row as another process would."""

    def __init__(self, database_path) -> None:
        self.database_path = database_path
        self.envelopes: list[Envelope] = []
        self.status_at_end: dict[str, str] = {}
        self.ended: dict[str, asyncio.Event] = {}

    def __call__(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)
        if isinstance(envelope.event, ExecutionDone):
            with sqlite3.connect(self.database_path) as connection:
                (status,) = connection.execute("SELECT status FROM jobs WHERE id = ?", (envelope.prompt_id,)).fetchone()
            self.status_at_end[envelope.prompt_id] = status
            self.event(envelope.prompt_id).set()

    def event(self, prompt_id: str) -> asyncio.Event:
        return self.ended.setdefault(prompt_id, asyncio.Event())

    async def wait(self, prompt_id: str) -> None:
        await asyncio.wait_for(self.event(prompt_id).wait(), 30)

    def kinds(self, prompt_id: str) -> list[str]:
        return [e.event.type for e in self.envelopes if e.prompt_id == prompt_id]


@pytest.fixture
async def recorder(database_path) -> AsyncIterator[Recorder]:
    yield Recorder(database_path)


def make_worker(database_path, recorder, *, scoped: bool = False) -> tuple[Worker, object]:
    registry = NodeRegistry()
    registry.register({"Emit": Emit, "Boom": Boom, "Spin": Spin, "WhereAmI": WhereAmI})
    bus = MemoryEventBus()
    unsubscribe = bus.subscribe(recorder)
    worker = Worker(
        registry=registry,
        database_url=f"sqlite+aiosqlite:///{database_path}",
        bus=bus,
        cache_factory=ClassicCache,
        scoped=scoped,
    )
    return worker, unsubscribe


@pytest.fixture
async def worker(database_path, recorder) -> AsyncIterator[Worker]:
    worker, unsubscribe = make_worker(database_path, recorder)
    yield worker
    worker.stop()
    unsubscribe()


@pytest.fixture
async def scoped_worker(database_path, recorder, tmp_path) -> AsyncIterator[Worker]:
    previous = folders.activate(FolderPaths(tmp_path / "base"))
    worker, unsubscribe = make_worker(database_path, recorder, scoped=True)
    yield worker
    worker.stop()
    unsubscribe()
    folders.activate(previous)


async def test_worker_commits_history_before_it_announces_the_end(job_queue, worker, recorder):
    record = await job_queue.submit(submission(prompt=node("Emit", 1), outputs_to_execute=["1"], client_id="c"))
    worker.start()
    await recorder.wait(record.id)
    assert recorder.status_at_end[record.id] == "completed"
    deadline = time.monotonic() + 5
    while recorder.kinds(record.id)[-1] != "status" and time.monotonic() < deadline:
        await asyncio.sleep(0.01)  # the queue's `status` follows the end
    assert recorder.kinds(record.id) == [
        "status", "execution_start", "execution_cached", "progress_state", "executing", "executed",
        "progress_state", "execution_success", "executing", "status",
    ]
    assert all(e.client_id == "c" for e in recorder.envelopes)
    done = await job_queue.get(record.id)
    assert done.outputs == {"1": {"value": [1]}}
    assert [kind for kind, _ in done.messages] == ["execution_start", "execution_cached", "execution_success"]


async def test_worker_runs_jobs_in_queue_order(job_queue, worker, recorder):
    ids = [
        (await job_queue.submit(submission(prompt=node("Emit", n), outputs_to_execute=["1"], number=n))).id
        for n in (2, 0, 1)
    ]
    worker.start()
    for prompt_id in ids:
        await recorder.wait(prompt_id)
    starts = [e.prompt_id for e in recorder.envelopes if e.event.type == "execution_start"]
    assert starts == [ids[1], ids[2], ids[0]]


async def test_worker_wakes_for_a_job_queued_while_it_idles(job_queue, worker, recorder):
    worker.start()
    await asyncio.sleep(0.1)
    record = await job_queue.submit(submission(prompt=node("Emit", 5), outputs_to_execute=["1"]))
    started = time.monotonic()
    worker.wake()
    await recorder.wait(record.id)
    assert time.monotonic() - started < 0.9  # well inside the idle poll


async def test_a_failing_node_ends_the_job_failed_with_its_error(job_queue, worker, recorder):
    record = await job_queue.submit(submission(prompt=node("Boom"), outputs_to_execute=["1"]))
    worker.start()
    await recorder.wait(record.id)
    done = await job_queue.get(record.id)
    assert done.status == "failed"
    assert done.error["exception_message"].strip() == "boom" and done.error["node_id"] == "1"
    assert done.messages[-1][0] == "execution_error"


async def test_interrupt_cancels_only_the_prompt_it_names(job_queue, worker, recorder):
    record = await job_queue.submit(submission(prompt=node("Spin"), outputs_to_execute=["1"]))
    worker.start()
    deadline = time.monotonic() + 10
    while worker.current_prompt_id != record.id and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert worker.interrupt("another-prompt") is False
    assert worker.interrupt(record.id) is True
    await recorder.wait(record.id)
    done = await job_queue.get(record.id)
    assert done.status == "cancelled" and done.messages[-1][0] == "execution_interrupted"


async def test_secrets_reach_the_nodes_but_are_gone_once_the_job_ends(job_queue, worker, recorder):
    SEEN_TOKENS.clear()
    record = await job_queue.submit(
        submission(prompt=node("Emit", 9), outputs_to_execute=["1"], secrets={"auth_token_comfy_org": "tok"})
    )
    worker.start()
    await recorder.wait(record.id)
    assert SEEN_TOKENS == ["tok"]
    done = await job_queue.get(record.id)
    assert done.secrets is None and "tok" not in repr(done.extra_data) + repr(done.messages)


async def test_a_scoped_worker_runs_each_job_in_its_owners_folders_and_tags_its_events(
    job_queue, scoped_worker, recorder, tmp_path
):
    output = tmp_path / "base" / "output"
    first = await job_queue.submit(submission(prompt=node("WhereAmI", 1), outputs_to_execute=["1"], user_id="w1"))
    second = await job_queue.submit(submission(prompt=node("WhereAmI", 1), outputs_to_execute=["1"], user_id="w2"))
    runs_before = WhereAmI.RUNS
    scoped_worker.start()
    await recorder.wait(first.id)
    await recorder.wait(second.id)
    assert (await job_queue.get(first.id)).outputs == {"1": {"dir": [str(output / "w1")]}}
    # The same prompt in another scope runs again (no cached result crosses scopes) and writes there.
    assert (await job_queue.get(second.id)).outputs == {"1": {"dir": [str(output / "w2")]}}
    assert WhereAmI.RUNS - runs_before == 2
    assert (output / "w1" / "from-1.txt").is_file() and (output / "w2" / "from-1.txt").is_file()
    assert not (output / "from-1.txt").exists()
    assert {e.scope for e in recorder.envelopes if e.prompt_id == first.id} == {"w1"}
    assert {e.scope for e in recorder.envelopes if e.prompt_id == second.id} == {"w2"}


async def test_an_unscoped_worker_shares_folders_and_tags_no_scope(job_queue, worker, recorder, tmp_path):
    layout = FolderPaths(tmp_path / "base")
    layout.ensure_directories()
    previous = folders.activate(layout)
    try:
        record = await job_queue.submit(submission(prompt=node("WhereAmI", 2), outputs_to_execute=["1"], user_id="w1"))
        worker.start()
        await recorder.wait(record.id)
    finally:
        folders.activate(previous)
    assert (await job_queue.get(record.id)).outputs == {"1": {"dir": [str(tmp_path / "base" / "output")]}}
    assert {e.scope for e in recorder.envelopes if e.prompt_id == record.id} == {None}
