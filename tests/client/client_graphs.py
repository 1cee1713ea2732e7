"""API-format graphs the client and CLI tests queue. Change `color` to miss the server's cache."""

from __future__ import annotations

import itertools

_colors = itertools.count(1)


def fresh_color() -> int:
    """A colour no earlier prompt in this test run used, so EmptyImage is not served from cache."""
    return next(_colors)


def empty_image(color: int) -> dict:
    return {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": color}}


def image_graph(prefix: str, *, color: int | None = None) -> dict:
    """EmptyImage (1) → ImageInvert (2) → SaveImage (3), built-in nodes only."""
    return {
        "1": empty_image(fresh_color() if color is None else color),
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


def invalid_graph() -> dict:
    """SaveImage whose ImageInvert lacks its `image` input: fails validation in node 2."""
    return {
        "2": {"class_type": "ImageInvert", "inputs": {}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "invalid"}},
    }


def slow_graph(*, steps: int = 10, interval: float = 0.05) -> dict:
    """EmptyImage (1) → ClientSlowImage (2) → PreviewImage (3)."""
    return {
        "1": empty_image(fresh_color()),
        "2": {
            "class_type": "ClientSlowImage",
            "inputs": {"image": ["1", 0], "steps": steps, "interval": interval},
        },
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
    }


def failing_graph(message: str) -> dict:
    """EmptyImage (1) → ClientFailImage (2) → PreviewImage (3): fails at run time in node 2."""
    return {
        "1": empty_image(fresh_color()),
        "2": {"class_type": "ClientFailImage", "inputs": {"image": ["1", 0], "message": message}},
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
    }
