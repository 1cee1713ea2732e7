"""`Worker`: claims queued jobs and runs them on a thread of its own, as ComfyUI's prompt worker.

The worker thread owns an event loop, a database engine bound to that loop and a
`PromptExecutor` (so caches survive between prompts). Engine events go out on the bus as they
happen; a job's history is committed before its final `executing {node: null}` is published.
One transaction ends a job and claims the next; with nothing queued, the worker's claim waits in
the writer, which claims a prompt queued by this process in the very transaction that stores it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable

from comfyd.db.base import create_engine, session_factory
from comfyd.db.models import JobRecord
from comfyd.engine import folders
from comfyd.engine.caches import OutputCache
from comfyd.engine.events import EngineEvent
from comfyd.engine.executor import PromptExecutor, RunResult
from comfyd.engine.registry import NodeRegistry
from comfyd.jobs.bus import EventBus
from comfyd.jobs.events import Envelope, ExecutionDone, QueueStatus
from comfyd.jobs.queue import JobQueue, QueueCounts
from comfyd.jobs.states import JobStatus

logger = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 1.0


class Worker:
    """Runs jobs from the queue until stopped. `wake`, `interrupt` and `free` are thread-safe."""

    def __init__(
        self,
        *,
        registry: NodeRegistry,
        database_url: str,
        bus: EventBus,
        cache_factory: Callable[[], OutputCache],
        worker_id: str | None = None,
        counts: QueueCounts | None = None,
        scoped: bool = False,
    ) -> None:
        """`scoped`: jobs belong to scopes (workspaces, when sign-in is required); each runs with
        its owner's input, output and temp directories, its events are tagged with that scope, and
        cached results never pass from one scope to another."""
        self.registry = registry
        self.counts = counts
        self.database_url = database_url
        self.bus = bus
        self.executor = PromptExecutor(registry, cache=cache_factory())
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._ready = threading.Event()
        self._stopping = False
        self._free_memory = False
        self._current: JobRecord | None = None
        self.scoped = scoped
        self._cache_scope: str | None = None

    @property
    def current_prompt_id(self) -> str | None:
        return self.executor.current_prompt_id

    @property
    def current_client_id(self) -> str | None:
        job = self._current
        return None if job is None else job.client_id

    @property
    def current_owner(self) -> str | None:
        """The owner (`user_id`) of the job running now, or None when idle."""
        job = self._current
        return None if job is None else job.user_id

    def start(self) -> None:
        self._thread = threading.Thread(target=self._thread_main, name="comfyd-worker", daemon=True)
        self._thread.start()
        self._ready.wait(30)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        self.executor.interrupt()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Tell the worker that a job may be waiting."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def interrupt(self, prompt_id: str | None = None) -> bool:
        return self.executor.interrupt(prompt_id)

    def free(self, *, unload_models: bool = False, free_memory: bool = False) -> None:
        """ComfyUI's `/free`: after the current job, drop cached results when asked to."""
        self._free_memory = self._free_memory or free_memory
        self.wake()

    def _thread_main(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        engine = create_engine(self.database_url)
        queue = JobQueue(session_factory(engine), self.counts)
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._ready.set()
        job: JobRecord | None = None
        try:
            while not self._stopping:
                self._apply_free()
                if job is None:
                    self._wake.clear()
                    job = await queue.claim_next(self.worker_id, wait=IDLE_POLL_SECONDS, wake=self._wake)
                    continue
                self._current = job
                try:
                    job = await self._run(queue, job)
                finally:
                    self._current = None
            if job is not None:  # claimed as the last one ended, just before the stop
                await queue.release(job.id)
        finally:
            await engine.dispose()

    def _apply_free(self) -> None:
        if self._free_memory:
            self._free_memory = False
            self.executor.reset()

    def _publish(self, event: EngineEvent, job: JobRecord) -> None:
        scope = job.user_id if self.scoped else None
        self.bus.publish(Envelope(event, prompt_id=job.id, client_id=job.client_id, scope=scope))

    def _enter_scope(self, job: JobRecord) -> str | None:
        """The job's file scope; a change of scope empties the output cache first, so one
        workspace's cached results (and the files they name) are never served to another."""
        if not self.scoped:
            return None
        if job.user_id != self._cache_scope:
            self.executor.reset()
            self._cache_scope = job.user_id
        return job.user_id

    async def _run(self, queue: JobQueue, job: JobRecord) -> JobRecord | None:
        """Run `job` and store its end; returns the next job, claimed in the same transaction."""
        self._publish(QueueStatus(queue_remaining=await queue.remaining()), job)
        extra_data = {**job.extra_data, **(job.secrets or {})}
        try:
            with folders.current().scope(self._enter_scope(job)):
                result = await self.executor.execute(
                    job.prompt,
                    prompt_id=job.id,
                    execute_outputs=job.outputs_to_execute,
                    extra_data=extra_data,
                    on_event=lambda event: self._publish(event, job),
                )
        except Exception as exc:  # a bug in the engine itself; the job must still end
            logger.exception("Engine failure while running %s", job.id)
            result = RunResult(status_str="error", completed=False)
            result.messages.append(("execution_error", {"prompt_id": job.id, "exception_message": str(exc)}))
        claimer = None if self._stopping else self.worker_id
        next_job = await queue.finish(job.id, _final_status(result), claim_next_for=claimer, **_history_fields(result))
        self._publish(ExecutionDone(prompt_id=job.id), job)
        self._publish(QueueStatus(queue_remaining=await queue.remaining()), job)
        return next_job


def _final_status(result: RunResult) -> JobStatus:
    if result.is_success:
        return JobStatus.COMPLETED
    if any(kind == "execution_interrupted" for kind, _ in result.messages):
        return JobStatus.CANCELLED
    return JobStatus.FAILED


def _history_fields(result: RunResult) -> dict:
    error = result.error.data() if result.error is not None else None
    return {
        "outputs": result.outputs,
        "meta": result.meta,
        "messages": [[kind, data] for kind, data in result.messages],
        "error": error,
    }
