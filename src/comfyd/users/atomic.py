"""Replacing a file in one step, so a crash or a concurrent reader never sees half of it."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any


def write_bytes(path: Path, content: bytes) -> None:
    """Write `content` to a sibling temporary file, then rename it over `path`.

    The temporary file is created with `open(..., "xb")` rather than `tempfile.mkstemp`, so it gets
    the process umask's permissions (0600 from mkstemp would surprise other tools reading user data).
    Its name starts with a dot, which ComfyUI's user-data listing skips.
    """
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "xb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_json(path: Path, data: Any, *, indent: int | None = None) -> None:
    """Write `data` as JSON (as `json.dumps` formats it), creating the parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, json.dumps(data, indent=indent).encode("utf-8"))
