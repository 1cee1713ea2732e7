"""Whether a linked output type fits an input type, as ComfyUI's `validate_node_input`."""

from __future__ import annotations

from typing import Any


def types_match(received: Any, expected: Any, *, strict: bool = False) -> bool:
    """True when an output of type `received` may feed an input of type `expected`.

    ComfyUI compares with `!=` on purpose: its `IO.ANY` ("*") and pack-defined type objects
    override `__ne__` to match anything. A plain "*" string is a wildcard here too, on either
    side. Otherwise comma-separated unions match when they share a type (all of `received` must
    be accepted with `strict`).
    """
    if not received != expected:
        return True
    if not isinstance(received, str) or not isinstance(expected, str):
        return False
    if received == "*" or expected == "*":
        return True
    received_set = {t.strip() for t in received.split(",")}
    expected_set = {t.strip() for t in expected.split(",")}
    if "*" in received_set or "*" in expected_set:
        return True
    if strict:
        return received_set <= expected_set
    return bool(received_set & expected_set)
