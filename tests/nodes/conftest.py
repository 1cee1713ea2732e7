"""Fixtures for the built-in node tests: a fresh server layout, made current for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from comfyd.engine import folders
from comfyd.engine.folders import FolderPaths


@pytest.fixture
def layout(tmp_path) -> Iterator[FolderPaths]:
    """A `FolderPaths` under `tmp_path/comfy` with its directories created, active during the test."""
    paths = FolderPaths(tmp_path / "comfy")
    paths.ensure_directories()
    previous = folders.activate(paths)
    try:
        yield paths
    finally:
        folders.activate(previous)
