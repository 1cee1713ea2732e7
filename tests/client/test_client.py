"""`ComfyClient` and `AsyncComfyClient` against a real `comfyd serve`.

Most tests take the `client` fixture and so run once per twin. `httpx.MockTransport` stands in
for the server only for error answers the real server does not give on demand.
"""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from client_graphs import failing_graph, image_graph, invalid_graph, slow_graph
from twins import surface

from comfyd.client import (
    APIError,
    AsyncComfyClient,
    AuthenticationFailed,
    ComfyClient,
    Conflict,
    Executed,
    Executing,
    ExecutionCached,
    ExecutionError,
    ExecutionFailed,
    ExecutionStart,
    ExecutionSuccess,
    FeatureFlags,
    NotFound,
    PreviewImage,
    Progress,
    ProgressState,
    ProgressText,
    PromptInvalid,
    RunTimedOut,
    Status,
    TransportError,
    UnexpectedResponse,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NOISE = {"status", "feature_flags", "progress", "progress_state", "progress_text", "preview_image"}


def until_done(stream, prompt_id: str) -> list:
    """Events from `stream` up to and including the prompt's `executing {node: null}`."""
    seen = []
    for event in stream:
        seen.append(event)
        if isinstance(event, Executing) and event.node is None and event.prompt_id == prompt_id:
            return seen
    raise AssertionError(f"The stream ended before prompt {prompt_id} finished: {seen}")


@contextlib.contextmanager
def running_blocker(server) -> Iterator[str]:
    """A slow prompt that holds the worker until the block ends, then is interrupted."""
    with ComfyClient(server.url) as helper:
        blocker = helper.queue_prompt(slow_graph(steps=3000, interval=0.01), client_id=None).prompt_id
        deadline = time.monotonic() + 30
        while blocker not in [item.prompt_id for item in helper.get_queue().queue_running]:
            assert time.monotonic() < deadline, "the blocking prompt never started"
            time.sleep(0.02)
        try:
            yield blocker
        finally:
            helper.interrupt(blocker)
            while helper.get_queue().queue_running:
                time.sleep(0.02)


def unused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# -- running prompts --------------------------------------------------------------------------


def test_run_returns_the_saved_image_which_view_downloads(client):
    result = client.run(image_graph("run"), timeout=60)

    assert result.status.status_str == "success" and result.status.completed
    [file] = result.files
    assert file.filename.startswith("run_") and (file.subfolder, file.type) == ("", "output")
    assert client.view(**file.view_args).startswith(PNG_MAGIC)


def test_run_passes_every_event_to_on_event_in_comfyui_order(client):
    events = []
    result = client.run(image_graph("order"), timeout=60, on_event=events.append)

    assert isinstance(events[0], Status) and events[0].sid == client.client_id
    flow = [event for event in events if event.type not in NOISE]
    assert [type(event) for event in flow] == [
        ExecutionStart,
        ExecutionCached,
        Executing,
        Executing,
        Executing,
        Executed,
        ExecutionSuccess,
        Executing,
    ]
    assert [event.node for event in flow if isinstance(event, Executing)] == ["1", "2", "3", None]
    assert {event.prompt_id for event in flow} == {result.prompt_id}
    assert flow[5].output == result.outputs["3"]


def test_events_yields_typed_messages_of_a_prompt_queued_while_connected(client):
    with client.events() as stream:
        queued = client.queue_prompt(image_graph("stream"))
        seen = until_done(stream, queued.prompt_id)

    assert isinstance(seen[0], Status) and seen[0].sid == client.client_id
    flags = next(event for event in seen if isinstance(event, FeatureFlags))
    assert flags.model_extra["supports_preview_metadata"] is True
    executed = next(event for event in seen if isinstance(event, Executed))
    assert executed.node == "3" and executed.output["images"][0]["filename"].startswith("stream_")


def test_queue_prompt_with_client_id_none_sends_that_prompts_events_to_no_socket(client):
    with client.events() as stream:
        silent = client.queue_prompt(image_graph("silent"), client_id=None)
        loud = client.queue_prompt(image_graph("loud"))
        seen = until_done(stream, loud.prompt_id)

    assert silent.prompt_id != loud.prompt_id
    assert [event.prompt_id for event in seen if isinstance(event, ExecutionStart)] == [loud.prompt_id]


def test_events_decode_preview_and_progress_text_frames_with_their_node_and_prompt(client):
    events = []
    result = client.run(slow_graph(steps=3, interval=0.01), timeout=60, on_event=events.append)

    [text] = [event for event in events if isinstance(event, ProgressText)]
    assert (text.node_id, text.prompt_id, text.text) == ("2", result.prompt_id, "working")
    [preview] = [event for event in events if isinstance(event, PreviewImage)]
    assert preview.image_type == "image/png" and preview.image.startswith(PNG_MAGIC)
    assert (preview.node_id, preview.prompt_id) == ("2", result.prompt_id)
    progress = [event for event in events if isinstance(event, Progress)]
    assert [(event.node, event.value, event.max) for event in progress] == [
        ("2", 1, 3),
        ("2", 2, 3),
        ("2", 3, 3),
    ]
    states = [
        event.nodes["2"]["state"]
        for event in events
        if isinstance(event, ProgressState) and "2" in event.nodes
    ]
    assert states[-1] == "finished"


def test_run_raises_execution_failed_with_the_error_of_the_failing_node(client):
    with pytest.raises(ExecutionFailed) as failed:
        client.run(failing_graph("the node gave up"), timeout=60)

    error = failed.value.event
    assert isinstance(error, ExecutionError) and not failed.value.is_interrupted
    assert (error.node_id, error.node_type) == ("2", "ClientFailImage")
    assert (error.exception_type, error.exception_message.strip()) == ("RuntimeError", "the node gave up")
    assert str(failed.value).endswith("(ClientFailImage): RuntimeError: the node gave up")
    assert failed.value.prompt_id == error.prompt_id


def test_interrupt_stops_the_running_prompt_and_run_raises_execution_failed(client, server):
    with ComfyClient(server.url) as helper:

        def interrupt_when_node_2_progresses(event) -> None:
            if isinstance(event, Progress) and event.node == "2" and event.value == 1:
                helper.interrupt()

        with pytest.raises(ExecutionFailed) as failed:
            client.run(
                slow_graph(steps=500, interval=0.02), timeout=60, on_event=interrupt_when_node_2_progresses
            )

    assert failed.value.is_interrupted
    assert (failed.value.event.node_id, failed.value.event.node_type) == ("2", "ClientSlowImage")
    assert client.get_job(failed.value.prompt_id).status == "cancelled"


def test_run_raises_execution_failed_when_its_prompt_is_deleted_before_it_runs(client, server):
    with running_blocker(server) as blocker, ComfyClient(server.url) as helper:

        def delete_pending_prompts(event) -> None:
            if isinstance(event, Status) and event.sid is None:
                for item in helper.get_queue().queue_pending:
                    helper.cancel_job(item.prompt_id)

        with pytest.raises(ExecutionFailed) as failed:
            client.run(image_graph("deleted"), timeout=30, on_event=delete_pending_prompts)

        assert helper.get_job(blocker).status == "in_progress"
    assert failed.value.event is None and "left the queue without running" in str(failed.value)


def test_run_raises_run_timed_out_and_leaves_the_prompt_on_the_server(client):
    with pytest.raises(RunTimedOut) as timed_out:
        client.run(slow_graph(steps=300, interval=0.01), timeout=0.5)

    assert isinstance(timed_out.value, TimeoutError) and timed_out.value.timeout == 0.5
    assert client.get_job(timed_out.value.prompt_id).status in {"pending", "in_progress"}
    client.interrupt(timed_out.value.prompt_id)


# -- queueing and validation ------------------------------------------------------------------


def test_queue_prompt_raises_prompt_invalid_with_node_errors_for_a_missing_input(client):
    with pytest.raises(PromptInvalid) as invalid:
        client.queue_prompt(invalid_graph())

    error = invalid.value
    assert error.status == 400 and error.error["type"] == "prompt_outputs_failed_validation"
    assert error.node_errors["2"]["class_type"] == "ImageInvert"
    assert [e["type"] for e in error.node_errors["2"]["errors"]] == ["required_input_missing"]
    assert str(error).splitlines() == [
        "Prompt outputs failed validation",
        "node 2 (ImageInvert): Required input is missing: image",
    ]


def test_run_of_a_graph_with_one_invalid_output_runs_the_rest_and_reports_its_node_errors(client):
    graph = image_graph("partial")
    graph["4"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "never"}}

    result = client.run(graph, timeout=60)

    assert list(result.outputs) == ["3"] and list(result.node_errors) == ["4"]
    assert result.node_errors["4"]["errors"][0]["type"] == "required_input_missing"


def test_run_raises_prompt_invalid_for_an_unknown_node_class(client):
    with pytest.raises(PromptInvalid) as invalid:
        client.run({"1": {"class_type": "NoSuchNode", "inputs": {}}}, timeout=30)

    assert invalid.value.node_errors == {} and invalid.value.error["extra_info"]["class_type"] == "NoSuchNode"
    assert str(invalid.value) == f"{invalid.value.error['message']}: Node ID '#1'"


def test_queue_prompt_raises_conflict_for_a_prompt_id_already_taken(client):
    prompt_id = str(uuid.uuid4())
    assert client.queue_prompt(image_graph("conflict"), prompt_id=prompt_id).prompt_id == prompt_id

    with pytest.raises(Conflict) as conflict:
        client.queue_prompt(image_graph("conflict"), prompt_id=prompt_id)
    assert conflict.value.status == 409 and isinstance(conflict.value, APIError)


def test_get_queue_shows_running_and_pending_prompts_and_cancel_job_deletes_a_pending_one(client, server):
    with running_blocker(server) as blocker:
        pending = client.queue_prompt(image_graph("cancelled"))
        queue = client.get_queue()
        assert [item.prompt_id for item in queue.queue_running] == [blocker]
        [item] = queue.queue_pending
        assert item.prompt_id == pending.prompt_id and item.prompt["3"]["class_type"] == "SaveImage"
        assert item.extra_data["client_id"] == client.client_id and item.outputs_to_execute == ["3"]

        assert client.cancel_job(pending.prompt_id) is True
        assert client.get_queue().queue_pending == []


def test_cancel_job_of_a_finished_prompt_cancels_nothing(client):
    result = client.run(image_graph("finished"), timeout=60)

    assert client.cancel_job(result.prompt_id) is False


# -- history and jobs ---------------------------------------------------------------------------


def test_get_history_returns_a_finished_prompt_by_id_and_among_the_last_n(client):
    result = client.run(image_graph("history"), timeout=60)

    entry = client.get_history(result.prompt_id)[result.prompt_id]
    assert entry.status.status_str == "success" and entry.outputs == result.outputs
    assert (
        entry.prompt.prompt_id == result.prompt_id and entry.prompt.prompt["3"]["class_type"] == "SaveImage"
    )
    assert [name for name, _data in entry.status.messages][0] == "execution_start"
    assert list(client.get_history(max_items=1)) == [result.prompt_id]
    assert client.get_history(str(uuid.uuid4())) == {}


def test_get_jobs_and_get_job_show_a_finished_prompt_as_completed(client):
    result = client.run(image_graph("jobs"), timeout=60)

    page = client.get_jobs(status=["completed"], limit=1, sort_by="created_at", sort_order="desc")
    assert [job.id for job in page.jobs] == [result.prompt_id]
    assert page.pagination.limit == 1 and page.pagination.has_more is (page.pagination.total > 1)
    job = client.get_job(result.prompt_id)
    assert job.status == "completed" and job.outputs == result.outputs and job.outputs_count == 1
    assert job.execution_status.status_str == "success"


def test_get_job_of_an_unknown_id_raises_not_found(client):
    with pytest.raises(NotFound) as missing:
        client.get_job(str(uuid.uuid4()))

    assert missing.value.status == 404 and missing.value.body == {"error": "Job not found"}


# -- nodes, files, control ----------------------------------------------------------------------


def test_get_node_defs_lists_every_node_and_get_node_def_returns_one_or_none(client):
    assert {"EmptyImage", "ImageInvert", "SaveImage", "ClientSlowImage"} <= client.get_node_defs().keys()

    save = client.get_node_def("SaveImage")
    assert save.name == "SaveImage" and save.output_node and "images" in save.input["required"]
    assert client.get_node_def("NoSuchNode") is None


def test_upload_image_stores_bytes_paths_and_files_that_view_returns(client, tmp_path):
    png = client.view(**client.run(image_graph("upload"), timeout=60).files[0].view_args)

    uploaded = client.upload_image(png, filename="client_upload.png", subfolder="sdk", overwrite=True)
    assert (uploaded.name, uploaded.subfolder, uploaded.type) == ("client_upload.png", "sdk", "input")
    assert client.view(uploaded.name, subfolder="sdk", type="input") == png

    path = tmp_path / f"{uuid.uuid4().hex}.png"
    path.write_bytes(png)
    assert client.upload_image(path).name == path.name
    with path.open("rb") as file:
        assert client.upload_image(file, type="temp").type == "temp"
    assert client.view(path.name, type="temp") == png


def test_upload_image_of_bytes_without_a_filename_is_refused_before_sending(client):
    with pytest.raises(ValueError, match="filename="):
        client.upload_image(b"not sent")


def test_view_of_a_missing_file_raises_not_found(client):
    with pytest.raises(NotFound):
        client.view(f"{uuid.uuid4().hex}.png")


def test_free_and_interrupt_with_nothing_running_are_accepted(client):
    assert client.free(unload_models=True, free_memory=True) is None
    assert client.interrupt() is None
    assert client.interrupt(str(uuid.uuid4())) is None


def test_user_sends_comfy_user_so_a_multi_user_server_keeps_jobs_apart(start_server):
    server = start_server("--multi-user")
    with ComfyClient(server.url, user="alice") as alice, ComfyClient(server.url, user="bob") as bob:
        result = alice.run(image_graph("alice"), timeout=60)

        assert [job.id for job in alice.get_jobs().jobs] == [result.prompt_id]
        assert bob.get_jobs().jobs == []
        with pytest.raises(NotFound):
            bob.get_job(result.prompt_id)


# -- failures -----------------------------------------------------------------------------------


def test_an_unreachable_server_raises_transport_error_for_http_and_for_run():
    with ComfyClient(unused_url(), timeout=5) as client:
        with pytest.raises(TransportError) as http_failure:
            client.get_queue()
        assert http_failure.value.request.url.path == "/api/queue"
        with pytest.raises(TransportError, match="Cannot connect"):
            client.run(image_graph("nowhere"))


@pytest.mark.anyio
async def test_an_unreachable_server_raises_transport_error_for_the_async_client():
    async with AsyncComfyClient(unused_url(), timeout=5) as client:
        with pytest.raises(TransportError):
            await client.get_queue()
        with pytest.raises(TransportError, match="Cannot connect"):
            await client.run(image_graph("nowhere"))


def _answer(status: int, content: bytes, content_type: str = "application/json") -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=content, headers={"content-type": content_type})
    )


ERROR_ANSWERS = [
    pytest.param(401, b'{"error": "no"}', AuthenticationFailed, id="401-authentication-failed"),
    pytest.param(403, b"Forbidden", AuthenticationFailed, id="403-authentication-failed"),
    pytest.param(500, b"<html>oops</html>", APIError, id="500-html-api-error"),
    pytest.param(400, b'{"error": "bad"}', APIError, id="400-outside-prompt-api-error"),
    pytest.param(200, b"not json", UnexpectedResponse, id="200-not-json-unexpected"),
    pytest.param(200, b'{"queue_running": 5}', UnexpectedResponse, id="200-wrong-shape-unexpected"),
]


@pytest.mark.parametrize(("status", "content", "expected"), ERROR_ANSWERS)
def test_error_answers_map_to_the_sdk_exception_with_status_body_and_response(status, content, expected):
    with ComfyClient(transport=_answer(status, content)) as client, pytest.raises(expected) as raised:
        client.get_queue()

    assert type(raised.value) is expected
    assert raised.value.status == status and raised.value.response.status_code == status
    assert raised.value.request.url.path == "/api/queue" and raised.value.body is not None


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "content", "expected"), ERROR_ANSWERS)
async def test_error_answers_map_to_the_same_exceptions_in_the_async_client(status, content, expected):
    async with AsyncComfyClient(transport=_answer(status, content)) as client:
        with pytest.raises(expected) as raised:
            await client.get_queue()

    assert type(raised.value) is expected and raised.value.status == status


def test_a_network_error_from_the_transport_becomes_transport_error_with_the_request():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("too slow", request=request)

    with (
        ComfyClient(transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(TransportError) as raised,
    ):
        client.interrupt()

    assert isinstance(raised.value.__cause__, httpx.ReadTimeout) and raised.value.request.method == "POST"


# -- the twins ----------------------------------------------------------------------------------




def test_sync_and_async_clients_have_the_same_methods_and_parameters():
    sync, async_ = surface(ComfyClient), surface(AsyncComfyClient)

    assert sync.pop("close") == async_.pop("aclose")
    assert sync == async_


@pytest.mark.anyio
async def test_async_events_iterate_with_async_for_and_run_awaits_a_coroutine_on_event(server):
    seen = []

    async def remember(event) -> None:
        seen.append(event)

    async with AsyncComfyClient(server.url) as client:
        async with client.events() as stream:
            queued = await client.queue_prompt(image_graph("async_for"))
            async for event in stream:
                if (
                    isinstance(event, Executing)
                    and event.node is None
                    and event.prompt_id == queued.prompt_id
                ):
                    break
        result = await client.run(image_graph("async_callback"), timeout=60, on_event=remember)

    assert any(isinstance(event, ExecutionSuccess) and event.prompt_id == result.prompt_id for event in seen)
