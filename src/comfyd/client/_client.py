"""`ComfyClient` and `AsyncComfyClient`: twins that add only I/O to `BaseClient` (`_calls.py`).

Each public method asks the base for a `Call` and sends it; the base builds the request and
reads the answer. Both speak ComfyUI's wire API, so they work against ComfyUI as well as comfyd.
Keep the two classes' methods and arguments identical.

Every method takes `cancel=`, a `CancelToken`: cancelling it (from any thread) ends the call at
once with `Cancelled` and closes its connection. The sync client's default transport can abort
a blocked socket read for that; an async call can also simply be cancelled as a task.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from comfyd.client._calls import BaseClient, Call, transport_errors
from comfyd.client._cancel import CancelToken, cancellable
from comfyd.client._events import Event
from comfyd.client._models import (
    HistoryEntry,
    Job,
    JobList,
    NodeDef,
    Queue,
    QueuedPrompt,
    RunResult,
    UploadedImage,
)
from comfyd.client._runs import Deadline, RunTracker, Step
from comfyd.client._streams import AsyncEventStream, Backoff, EventStream
from comfyd.client._transport import AbortableTransport, abortable
from comfyd.client._types import (
    USE_CLIENT_DEFAULT,
    HeaderTypes,
    ImageSource,
    Prompt,
    TimeoutTypes,
    UseClientDefault,
)

__all__ = ["AsyncComfyClient", "ComfyClient"]

DEFAULT_BASE_URL = "http://127.0.0.1:8188"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_RECONNECT = Backoff()

T = TypeVar("T")
EventCallback = Callable[[Event], object]


class ComfyClient(BaseClient):
    """A synchronous client for a ComfyUI-compatible server.

        with ComfyClient("http://127.0.0.1:8188") as client:
            result = client.run(graph)
            png = client.view(**result.files[0].view_args)

    `client_id` names this client's `/ws` connection (a random one by default); the server sends a
    prompt's progress to the client id it was queued with. `user` is sent as `Comfy-User`, which
    picks the user on a `--multi-user` server. `reconnect` is how event streams reopen a broken
    connection (None: they end instead). `transport` replaces the network transport (calls through
    another transport are cancelled only between network operations).
    """

    def __init__(
        self,
        base_url: str | httpx.URL = DEFAULT_BASE_URL,
        *,
        client_id: str | None = None,
        user: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        reconnect: Backoff | None = DEFAULT_RECONNECT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url, client_id=client_id, user=user, headers=headers, timeout=timeout, reconnect=reconnect
        )
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=self.headers,
            timeout=timeout,
            transport=transport or AbortableTransport(),
        )

    def _send(self, call: Call[T], cancel: CancelToken | None) -> T:
        if cancel is not None:
            cancel.raise_if_cancelled()
        with abortable(cancel), transport_errors(cancel):
            response = self._http.request(
                call.method, call.path, params=call.params, json=call.json, files=call.files, data=call.data
            )
        return self._finish(call, response)

    def queue_prompt(
        self,
        prompt: Prompt,
        *,
        client_id: str | None | UseClientDefault = USE_CLIENT_DEFAULT,
        extra_data: Mapping[str, Any] | None = None,
        front: bool = False,
        number: float | None = None,
        prompt_id: str | None = None,
        partial_execution_targets: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> QueuedPrompt:
        """Queue an API-format graph. Raises `PromptInvalid` when the server rejects it (400) and
        `Conflict` when `prompt_id` is already taken (409). `client_id=None` queues it for no socket."""
        return self._send(
            self._queue_prompt(
                prompt,
                client_id=client_id,
                extra_data=extra_data,
                front=front,
                number=number,
                prompt_id=prompt_id,
                partial_execution_targets=partial_execution_targets,
            ),
            cancel,
        )

    def get_queue(self, *, cancel: CancelToken | None = None) -> Queue:
        """The running and pending prompts."""
        return self._send(self._get_queue(), cancel)

    def get_history(
        self,
        prompt_id: str | None = None,
        *,
        max_items: int | None = None,
        offset: int | None = None,
        cancel: CancelToken | None = None,
    ) -> dict[str, HistoryEntry]:
        """Finished prompts by id, oldest first; with `prompt_id`, that one (an empty dict if unknown)."""
        return self._send(self._get_history(prompt_id, max_items=max_items, offset=offset), cancel)

    def get_jobs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        cancel: CancelToken | None = None,
    ) -> JobList:
        """A page of the Jobs API; `status` is one or more of pending, in_progress, completed,
        failed, cancelled."""
        return self._send(
            self._get_jobs(status=status, limit=limit, offset=offset, sort_by=sort_by, sort_order=sort_order),
            cancel,
        )

    def get_job(self, job_id: str, *, cancel: CancelToken | None = None) -> Job:
        """One job with its outputs and workflow; raises `NotFound` for an unknown id."""
        return self._send(self._get_job(job_id), cancel)

    def cancel_job(self, job_id: str, *, cancel: CancelToken | None = None) -> bool:
        """Delete the job if pending, interrupt it if running; whether anything was cancelled."""
        return self._send(self._cancel_job(job_id), cancel)

    def interrupt(self, prompt_id: str | None = None, *, cancel: CancelToken | None = None) -> None:
        """Interrupt the running prompt; with `prompt_id`, only if that is the one running."""
        self._send(self._interrupt(prompt_id), cancel)

    def free(
        self, *, unload_models: bool = False, free_memory: bool = False, cancel: CancelToken | None = None
    ) -> None:
        """Ask the worker to unload models and/or drop its caches once it is idle."""
        self._send(self._free(unload_models=unload_models, free_memory=free_memory), cancel)

    def get_node_defs(self, *, cancel: CancelToken | None = None) -> dict[str, NodeDef]:
        """Every node class the server knows (`/object_info`)."""
        return self._send(self._get_node_defs(), cancel)

    def get_node_def(self, node_class: str, *, cancel: CancelToken | None = None) -> NodeDef | None:
        """One node class, or None if the server has no such class (ComfyUI answers `{}`)."""
        return self._send(self._get_node_def(node_class), cancel)

    def upload_image(
        self,
        image: ImageSource,
        *,
        filename: str | None = None,
        subfolder: str = "",
        type: str = "input",
        overwrite: bool = False,
        cancel: CancelToken | None = None,
    ) -> UploadedImage:
        """Upload bytes, a file path or an open binary file; `filename` is required for bytes.
        The answer names the file as stored, which differs when a different file had the name."""
        return self._send(
            self._upload_image(image, filename=filename, subfolder=subfolder, type=type, overwrite=overwrite),
            cancel,
        )

    def view(
        self, filename: str, *, subfolder: str = "", type: str = "output", cancel: CancelToken | None = None
    ) -> bytes:
        """A file from the output, input or temp directory; raises `NotFound` if it is missing."""
        return self._send(self._view(filename, subfolder=subfolder, type=type), cancel)

    def events(
        self,
        *,
        client_id: str | None | UseClientDefault = USE_CLIENT_DEFAULT,
        reconnect: Backoff | None | UseClientDefault = USE_CLIENT_DEFAULT,
        cancel: CancelToken | None = None,
    ) -> EventStream:
        """A `/ws` event stream under this client's id (`client_id=None`: one the server picks).
        Open it (`with`) before queueing, so that no event of the prompt is missed. A broken
        connection is reopened per `reconnect` (see `Backoff`) and announced by a `Reconnected`
        event; `cancel` ends the stream, even while it waits, with `Cancelled`."""
        return EventStream(**self._stream_args(client_id, reconnect, cancel))

    def run(
        self,
        prompt: Prompt,
        *,
        extra_data: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        on_event: EventCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> RunResult:
        """Queue `prompt`, follow it over `/ws` to its end, and return its outputs.

        Raises `PromptInvalid` if it is rejected, `ExecutionFailed` if it fails, is interrupted
        or is deleted before it runs (or was lost with a restarted server), `RunTimedOut` after
        `timeout` seconds (None: no limit) and `Cancelled` when `cancel` fires; the prompt itself
        stays on the server in the last two cases. The socket reconnects by itself; when the
        server could not replay what it missed, the prompt's state is read over HTTP instead.
        `on_event` is called with every event the socket delivers while waiting.
        """
        deadline = Deadline(timeout)
        with self.events(cancel=cancel) as stream:
            tracker = RunTracker(self.queue_prompt(prompt, extra_data=extra_data, cancel=cancel))
            while True:
                try:
                    event = stream.receive(deadline.remaining())
                except TimeoutError:
                    raise tracker.timed_out(deadline) from None
                if on_event is not None:
                    on_event(event)
                if self._has_ended(tracker, tracker.observe(event), cancel):
                    break
        return tracker.finish(self.get_history(tracker.prompt_id, cancel=cancel))

    def _has_ended(self, tracker: RunTracker, step: Step, cancel: CancelToken | None) -> bool:
        """Whether the run is over after an event, asking the server when the event says to look."""
        if step is Step.CONTINUE or step is Step.DONE:
            return step is Step.DONE
        queue = self.get_queue(cancel=cancel)
        history = self.get_history(tracker.prompt_id, cancel=cancel)
        return (
            tracker.is_gone(queue, history)
            if step is Step.CHECK_QUEUE
            else tracker.has_settled(queue, history)
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ComfyClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncComfyClient(BaseClient):
    """The async twin of `ComfyClient`: the same methods, awaited.

    async with AsyncComfyClient("http://127.0.0.1:8188") as client:
        result = await client.run(graph)
    """

    def __init__(
        self,
        base_url: str | httpx.URL = DEFAULT_BASE_URL,
        *,
        client_id: str | None = None,
        user: str | None = None,
        headers: HeaderTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        reconnect: Backoff | None = DEFAULT_RECONNECT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url, client_id=client_id, user=user, headers=headers, timeout=timeout, reconnect=reconnect
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport
        )

    async def _send(self, call: Call[T], cancel: CancelToken | None) -> T:
        request = self._http.request(
            call.method, call.path, params=call.params, json=call.json, files=call.files, data=call.data
        )
        with transport_errors(cancel):
            response = await cancellable(request, cancel)
        return self._finish(call, response)

    async def queue_prompt(
        self,
        prompt: Prompt,
        *,
        client_id: str | None | UseClientDefault = USE_CLIENT_DEFAULT,
        extra_data: Mapping[str, Any] | None = None,
        front: bool = False,
        number: float | None = None,
        prompt_id: str | None = None,
        partial_execution_targets: Sequence[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> QueuedPrompt:
        """See `ComfyClient.queue_prompt`."""
        return await self._send(
            self._queue_prompt(
                prompt,
                client_id=client_id,
                extra_data=extra_data,
                front=front,
                number=number,
                prompt_id=prompt_id,
                partial_execution_targets=partial_execution_targets,
            ),
            cancel,
        )

    async def get_queue(self, *, cancel: CancelToken | None = None) -> Queue:
        return await self._send(self._get_queue(), cancel)

    async def get_history(
        self,
        prompt_id: str | None = None,
        *,
        max_items: int | None = None,
        offset: int | None = None,
        cancel: CancelToken | None = None,
    ) -> dict[str, HistoryEntry]:
        return await self._send(self._get_history(prompt_id, max_items=max_items, offset=offset), cancel)

    async def get_jobs(
        self,
        *,
        status: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        cancel: CancelToken | None = None,
    ) -> JobList:
        return await self._send(
            self._get_jobs(status=status, limit=limit, offset=offset, sort_by=sort_by, sort_order=sort_order),
            cancel,
        )

    async def get_job(self, job_id: str, *, cancel: CancelToken | None = None) -> Job:
        return await self._send(self._get_job(job_id), cancel)

    async def cancel_job(self, job_id: str, *, cancel: CancelToken | None = None) -> bool:
        return await self._send(self._cancel_job(job_id), cancel)

    async def interrupt(self, prompt_id: str | None = None, *, cancel: CancelToken | None = None) -> None:
        await self._send(self._interrupt(prompt_id), cancel)

    async def free(
        self, *, unload_models: bool = False, free_memory: bool = False, cancel: CancelToken | None = None
    ) -> None:
        await self._send(self._free(unload_models=unload_models, free_memory=free_memory), cancel)

    async def get_node_defs(self, *, cancel: CancelToken | None = None) -> dict[str, NodeDef]:
        return await self._send(self._get_node_defs(), cancel)

    async def get_node_def(self, node_class: str, *, cancel: CancelToken | None = None) -> NodeDef | None:
        return await self._send(self._get_node_def(node_class), cancel)

    async def upload_image(
        self,
        image: ImageSource,
        *,
        filename: str | None = None,
        subfolder: str = "",
        type: str = "input",
        overwrite: bool = False,
        cancel: CancelToken | None = None,
    ) -> UploadedImage:
        # Reading a path here blocks briefly; uploads are small next to the request itself.
        return await self._send(
            self._upload_image(image, filename=filename, subfolder=subfolder, type=type, overwrite=overwrite),
            cancel,
        )

    async def view(
        self, filename: str, *, subfolder: str = "", type: str = "output", cancel: CancelToken | None = None
    ) -> bytes:
        return await self._send(self._view(filename, subfolder=subfolder, type=type), cancel)

    def events(
        self,
        *,
        client_id: str | None | UseClientDefault = USE_CLIENT_DEFAULT,
        reconnect: Backoff | None | UseClientDefault = USE_CLIENT_DEFAULT,
        cancel: CancelToken | None = None,
    ) -> AsyncEventStream:
        """See `ComfyClient.events`; use it with `async with` and `async for`."""
        return AsyncEventStream(**self._stream_args(client_id, reconnect, cancel))

    async def run(
        self,
        prompt: Prompt,
        *,
        extra_data: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        on_event: EventCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> RunResult:
        """See `ComfyClient.run`. `on_event` may also be a coroutine function."""
        deadline = Deadline(timeout)
        async with self.events(cancel=cancel) as stream:
            tracker = RunTracker(await self.queue_prompt(prompt, extra_data=extra_data, cancel=cancel))
            while True:
                try:
                    event = await stream.receive(deadline.remaining())
                except TimeoutError:
                    raise tracker.timed_out(deadline) from None
                if on_event is not None and inspect.isawaitable(result := on_event(event)):
                    await result
                if await self._has_ended(tracker, tracker.observe(event), cancel):
                    break
        return tracker.finish(await self.get_history(tracker.prompt_id, cancel=cancel))

    async def _has_ended(self, tracker: RunTracker, step: Step, cancel: CancelToken | None) -> bool:
        if step is Step.CONTINUE or step is Step.DONE:
            return step is Step.DONE
        queue = await self.get_queue(cancel=cancel)
        history = await self.get_history(tracker.prompt_id, cancel=cancel)
        return (
            tracker.is_gone(queue, history)
            if step is Step.CHECK_QUEUE
            else tracker.has_settled(queue, history)
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncComfyClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
