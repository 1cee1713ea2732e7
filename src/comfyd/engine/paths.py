"""Keeping file names that come from prompts and requests inside the directory they name.

Two checks live here: `resolve_inside`, which follows symlinks and is the one to use for any path a
client chose, and `clean_relative`, ComfyUI's lexical normalisation for model names, which stays
inside the folder but still lets a model folder hold symlinks to files kept elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path


class PathEscapesRoot(ValueError):
    """A path built from untrusted parts would leave the directory it must stay in."""

    def __init__(self, path: Path | str, root: Path | str) -> None:
        super().__init__(f"The path {path} is outside {root}; leaving that directory is not allowed.")
        self.path = Path(path)
        self.root = Path(root)


def resolve_inside(root: Path | str, *parts: str) -> Path | None:
    """Join `parts` onto `root` and resolve symlinks; `None` when the result is outside `root`.

    The root itself counts as inside. An absolute part replaces what came before it, exactly as
    `Path.joinpath` does, and is then rejected unless it happens to point inside the root. A part
    holding a NUL byte names no file at all, and a symlink loop leads nowhere, so both count as
    outside too.
    """
    if any("\x00" in part for part in parts):
        return None
    base = Path(root).resolve()
    try:
        candidate = base.joinpath(*parts).resolve()
    except RuntimeError:  # pathlib's "Symlink loop from ..."
        return None
    if candidate == base or candidate.is_relative_to(base):
        return candidate
    return None


def is_inside(root: Path | str, path: Path | str) -> bool:
    """Whether `path`, with symlinks resolved, is `root` or lies below it."""
    return resolve_inside(root, str(path)) is not None


def clean_relative(name: str) -> str | None:
    """Normalise `name` as a path relative to some folder, dropping any `..` that would climb out.

    ComfyUI anchors the name at "/" and normalises it, so `../../x` becomes `x`; this does the same.
    Returns `None` for a name that normalises to nothing (``""``, ``"."``, ``"/"``).
    """
    text = os.path.relpath(os.path.join(os.sep, name), os.sep)
    return None if text == "." else text
