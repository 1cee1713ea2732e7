"""Decoding `/ws` frames into events: the layouts the test server does not send on demand
(legacy previews, progress text without a prompt id) and messages the SDK has no model for."""

from __future__ import annotations

import json
import struct

import pytest

from comfyd.client import Executing, ExecutionError, PreviewImage, ProgressText, Status, Unknown
from comfyd.client._events import decode_binary, decode_text


def _text_frame(node_id: str, text: str, prompt_id: str | None = None) -> bytes:
    head = struct.pack(">I", 3)
    if prompt_id is not None:
        head += struct.pack(">I", len(prompt_id)) + prompt_id.encode()
    return head + struct.pack(">I", len(node_id.encode())) + node_id.encode() + text.encode()


@pytest.mark.parametrize(
    ("code", "image_type"),
    [pytest.param(1, "image/jpeg", id="jpeg"), pytest.param(2, "image/png", id="png")],
)
def test_legacy_preview_frame_decodes_to_preview_image_without_ids(code, image_type):
    event = decode_binary(struct.pack(">II", 1, code) + b"IMAGE", text_has_prompt_id=False)

    assert event == PreviewImage(image=b"IMAGE", image_type=image_type)


def test_preview_with_metadata_frame_carries_its_node_and_prompt():
    metadata = json.dumps(
        {"node_id": "5", "prompt_id": "p", "display_node_id": "5", "image_type": "image/jpeg"}
    ).encode()
    frame = struct.pack(">II", 4, len(metadata)) + metadata + b"JPEG"

    event = decode_binary(frame, text_has_prompt_id=False)

    assert (event.image, event.image_type, event.node_id, event.prompt_id) == (
        b"JPEG",
        "image/jpeg",
        "5",
        "p",
    )


def test_progress_text_frame_without_prompt_id_names_only_the_node():
    event = decode_binary(_text_frame("12", "héllo"), text_has_prompt_id=False)

    assert event == ProgressText(node_id="12", text="héllo")


def test_progress_text_frame_with_prompt_id_when_both_sides_agreed():
    event = decode_binary(_text_frame("12", "step 3", prompt_id="abc"), text_has_prompt_id=True)

    assert event == ProgressText(node_id="12", text="step 3", prompt_id="abc")


def test_unknown_or_truncated_binary_frames_become_unknown():
    assert decode_binary(struct.pack(">I", 9) + b"xyz", text_has_prompt_id=False) == Unknown(
        type="binary:9", data=b"xyz"
    )
    truncated = struct.pack(">II", 3, 100) + b"short"
    assert decode_binary(truncated, text_has_prompt_id=False).type == "binary"


def test_text_messages_decode_to_their_models_and_keep_unknown_fields():
    status = decode_text(
        '{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 2}}, "sid": "x"}}'
    )
    done = decode_text('{"type": "executing", "data": {"node": null, "prompt_id": "p", "extra": 1}}')

    assert isinstance(status, Status) and status.queue_remaining == 2 and status.sid == "x"
    assert isinstance(done, Executing) and done.node is None and done.model_extra == {"extra": 1}


def test_execution_blocked_errors_are_marked_as_blocks():
    blocked = decode_text(
        '{"type": "execution_error", "data": {"prompt_id": "p", "node_id": "3", "node_type": "X",'
        ' "exception_type": "ExecutionBlocked", "exception_message": "Execution Blocked: no"}}'
    )

    assert isinstance(blocked, ExecutionError) and blocked.is_block


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '{"type": "my.event", "data": {"a": 1}}',
            Unknown(type="my.event", data={"a": 1}),
            id="custom-type",
        ),
        pytest.param(
            '{"type": "progress", "data": {"value": "x"}}',
            Unknown(type="progress", data={"value": "x"}),
            id="bad-fields",
        ),
        pytest.param("not json", Unknown(type="invalid_json", data="not json"), id="not-json"),
    ],
)
def test_messages_without_a_fitting_model_become_unknown(text, expected):
    assert decode_text(text) == expected
