"""Names for the SDK's flexible argument types, and the `USE_CLIENT_DEFAULT` sentinel.

A leaf module: it imports nothing from the rest of the client.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import IO, Any, Final, TypeAlias

import httpx

__all__ = [
    "USE_CLIENT_DEFAULT",
    "HeaderTypes",
    "ImageSource",
    "Prompt",
    "TimeoutTypes",
    "UseClientDefault",
]

Prompt: TypeAlias = Mapping[str, Mapping[str, Any]]
"""An API-format graph: node id → `{"class_type": ..., "inputs": {...}}`."""

ImageSource: TypeAlias = bytes | str | os.PathLike[str] | IO[bytes]
"""What `upload_image` sends: the bytes themselves, a path to read, or an open binary file."""

HeaderTypes: TypeAlias = Mapping[str, str]
TimeoutTypes: TypeAlias = float | httpx.Timeout | None
"""Seconds, an `httpx.Timeout`, or None for no limit."""


class UseClientDefault(enum.Enum):
    """The type of `USE_CLIENT_DEFAULT`: "whatever the client was built with".

    It is distinct from None, which means "none at all": `queue_prompt(graph, client_id=None)`
    queues without a client id (the server then sends the run's events to no socket), while
    leaving `client_id` out sends the client's own id.
    """

    USE_CLIENT_DEFAULT = "USE_CLIENT_DEFAULT"

    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"


USE_CLIENT_DEFAULT: Final = UseClientDefault.USE_CLIENT_DEFAULT
