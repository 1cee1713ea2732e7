"""What the server tests share: graphs, a node pack with slow nodes, and a `/ws` reader.

    base = with_slow_pack(tmp_path_factory.mktemp("comfyd"))
    server = start_module_server(base_dir=base)
    with listen(server, client_id) as events:
        prompt_id = queue_prompt(http, slow_graph(steps=5), client_id=client_id)
        messages = events.until_done(prompt_id)
"""

from __future__ import annotations

import contextlib
import json
import struct
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.sync.client import ClientConnection, connect

# `SlowImage` sleeps in small steps and reports each through `comfy.utils.ProgressBar`, so it makes
# progress events and stops at the next step when interrupted. It always re-runs (IS_CHANGED is
# NaN), so repeated test prompts never hit the cache. `FailImage` raises.
SLOW_PACK = '''
import time

from PIL import Image

from comfy.utils import ProgressBar


class SlowImage:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "image": ("IMAGE",),
                "steps": ("INT", {"default": 10, "min": 1, "max": 1000000}),
                "interval": ("FLOAT", {"default": 0.05, "min": 0.0, "max": 10.0, "step": 0.001}),
                "preview": ("BOOLEAN", {"default": False}),
            }
        }

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "_for_testing"

    @classmethod
    def IS_CHANGED(cls, **kwargs):
        return float("nan")

    def run(self, image, steps, interval, preview):
        bar = ProgressBar(steps)
        for step in range(steps):
            time.sleep(interval)
            shown = ("JPEG", Image.new("RGB", (16, 16), "red"), 64) if preview else None
            bar.update_absolute(step + 1, steps, shown)
        return (image,)


class FailImage:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "message": ("STRING", {"default": "boom"})}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "_for_testing"

    def run(self, image, message):
        raise RuntimeError(message)


NODE_CLASS_MAPPINGS = {"SlowImage": SlowImage, "FailImage": FailImage}
'''

TIMEOUT = 60


def with_slow_pack(base_dir: Path) -> Path:
    """Install the slow pack in `base_dir/custom_nodes` (before the server starts); returns base_dir."""
    pack = base_dir / "custom_nodes" / "slow_pack"
    pack.mkdir(parents=True, exist_ok=True)
    (pack / "__init__.py").write_text(SLOW_PACK)
    return base_dir


# -- graphs ---------------------------------------------------------------------------------------


def empty_image(color: int = 0) -> dict:
    return {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": color}}


def image_graph(prefix: str = "test", *, color: int = 0) -> dict:
    """EmptyImage (1) → ImageInvert (2) → SaveImage (3). Change `color` to miss the cache."""
    return {
        "1": empty_image(color),
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


def slow_graph(*, steps: int = 10, interval: float = 0.05, preview: bool = False, color: int = 0) -> dict:
    """EmptyImage (1) → SlowImage (2) → PreviewImage (3). SlowImage never comes from the cache."""
    return {
        "1": empty_image(color),
        "2": {
            "class_type": "SlowImage",
            "inputs": {"image": ["1", 0], "steps": steps, "interval": interval, "preview": preview},
        },
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
    }


def slow_chain(length: int, *, steps: int, interval: float, color: int = 0) -> dict:
    """EmptyImage (1) → SlowImage (2) → ... → SlowImage (length + 1) → PreviewImage (length + 2)."""
    graph = {"1": empty_image(color)}
    for i in range(2, length + 2):
        graph[str(i)] = {
            "class_type": "SlowImage",
            "inputs": {"image": [str(i - 1), 0], "steps": steps, "interval": interval, "preview": False},
        }
    graph[str(length + 2)] = {"class_type": "PreviewImage", "inputs": {"images": [str(length + 1), 0]}}
    return graph


def failing_graph(message: str = "boom") -> dict:
    """EmptyImage (1) → FailImage (2) → PreviewImage (3): fails at run time, in node 2."""
    return {
        "1": empty_image(),
        "2": {"class_type": "FailImage", "inputs": {"image": ["1", 0], "message": message}},
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
    }


# -- HTTP -----------------------------------------------------------------------------------------


def queue_prompt(http: httpx.Client, graph: dict, **body: Any) -> str:
    """POST /prompt and return the new prompt id (fails the test on any other answer)."""
    reply = http.post("/prompt", json={"prompt": graph, **body})
    assert reply.status_code == 200, reply.text
    return reply.json()["prompt_id"]


def wait_for(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Poll `check` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_history(http: httpx.Client, prompt_id: str, timeout: float = TIMEOUT) -> dict:
    """The history entry of `prompt_id`, once it has finished."""
    return wait_for(lambda: http.get(f"/history/{prompt_id}").json().get(prompt_id), f"{prompt_id} to finish", timeout)


def wait_until_running(http: httpx.Client, prompt_id: str, timeout: float = TIMEOUT) -> None:
    def running() -> bool:
        return any(item[1] == prompt_id for item in http.get("/queue").json()["queue_running"])

    wait_for(running, f"{prompt_id} to run", timeout)


def wait_until_idle(http: httpx.Client, timeout: float = TIMEOUT) -> None:
    wait_for(lambda: http.get("/prompt").json()["exec_info"]["queue_remaining"] == 0, "an empty queue", timeout)


@contextlib.contextmanager
def blocking_prompt(http: httpx.Client, **body: Any) -> Iterator[str]:
    """A slow prompt that holds the worker while the block runs; interrupted (and finished) after it."""
    prompt_id = queue_prompt(http, slow_graph(steps=100_000, interval=0.01), **body)
    try:
        wait_until_running(http, prompt_id)
        yield prompt_id
    finally:
        http.post("/interrupt", json={"prompt_id": prompt_id})
        wait_for_history(http, prompt_id)


# -- /ws ------------------------------------------------------------------------------------------


def new_client_id() -> str:
    return uuid.uuid4().hex


class EventReader:
    """Reads a `/ws` socket: JSON messages in order; binary frames are kept in `frames`."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[bytes] = []
        self.greeting: dict = {}
        self.sid = ""
        self.server_flags: dict | None = None

    def next(self, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = self.ws.recv(timeout=max(deadline - time.monotonic(), 0.001))
            if isinstance(message, bytes):
                self.frames.append(message)
                continue
            return json.loads(message)

    def until(self, match: Callable[[dict], bool], timeout: float = TIMEOUT) -> list[dict]:
        """Every message up to and including the first that `match`es."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            message = self.next(max(deadline - time.monotonic(), 0.001))
            seen.append(message)
            if match(message):
                return seen

    def until_done(self, prompt_id: str, timeout: float = TIMEOUT) -> list[dict]:
        """Every message up to and including the prompt's final `executing {node: null}`."""
        return self.until(lambda m: is_done(m, prompt_id), timeout)

    def quiet(self, seconds: float) -> list[dict]:
        """Every JSON message that arrives within `seconds`."""
        deadline = time.monotonic() + seconds
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                seen.append(self.next(left))
            except TimeoutError:
                break
        return seen

    def frame_types(self) -> list[int]:
        return [struct.unpack(">I", frame[:4])[0] for frame in self.frames]


def is_done(message: dict, prompt_id: str) -> bool:
    data = message["data"]
    return message["type"] == "executing" and data.get("node") is None and data.get("prompt_id") == prompt_id


def of_prompt(messages: list[dict], prompt_id: str) -> list[dict]:
    return [m for m in messages if isinstance(m["data"], dict) and m["data"].get("prompt_id") == prompt_id]


def executing_nodes(messages: list[dict]) -> list[str]:
    return [m["data"]["node"] for m in messages if m["type"] == "executing" and m["data"]["node"] is not None]


@contextlib.contextmanager
def listen(
    server,
    client_id: str | None = None,
    *,
    flags: dict | None = None,
    path: str = "/ws",
    token: str | None = None,
    headers: dict | None = None,
):
    """A `/ws` connection whose greeting (`status` with the sid) has been read.

    With `flags`, the first message sent is `feature_flags` and the server's reply is read too;
    the reader's `sid`, `greeting` and `server_flags` attributes hold what came back. `token` goes
    in the query, as browsers send credentials on a WebSocket; `headers` go on the handshake.
    """
    query = {"clientId": client_id, "token": token}
    url = server.ws_url.replace("/ws", path) + ("?" + urlencode({k: v for k, v in query.items() if v}) if any(query.values()) else "")
    with connect(url, max_size=None, additional_headers=headers) as ws:
        reader = EventReader(ws)
        reader.greeting = reader.next()
        assert reader.greeting["type"] == "status", reader.greeting
        reader.sid = reader.greeting["data"]["sid"]
        if flags is not None:
            ws.send(json.dumps({"type": "feature_flags", "data": flags}))
            reader.server_flags = reader.until(lambda m: m["type"] == "feature_flags")[-1]["data"]
        yield reader
