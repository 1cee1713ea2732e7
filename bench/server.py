"""The server end to end: queueing, latency, the node catalogue and `/ws` fan-out, beside ComfyUI.

Starts a fresh `comfyd serve` subprocess on a temporary base directory whose `custom_nodes` holds
a generated pack of 1,000 node classes, then measures, over real HTTP and WebSockets:

- prompts/second queued in bulk (concurrent `POST /prompt` from httpx.AsyncClient tasks) and
  completed (until the queue is empty);
- submit → `execution_success` latency of a trivial graph (EmptyImage → ImageInvert →
  PreviewImage, 8x8; every prompt a new colour, so nothing is cached) and of a fully cached re-run;
- `GET /object_info` latency with the 1,000 extra classes loaded;
- the time for a `status` broadcast (triggered by `POST /queue {"clear": true}`) to reach 200
  open sockets.

Prints a table; the peer's numbers are ComfyUI 0.3.64 on the same machine class.

    python bench/server.py [--bulk 500] [--latency 200] [--clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

PEER = {  # ComfyUI 0.3.64, same machine class
    "bulk_queued": 372.0,
    "latency_p50": 3.1,
    "cached_p50": 1.8,
    "object_info": 42.0,
    "fanout": 572.0,
}

PACK = '''
def _make(index):
    class BenchNode:
        @classmethod
        def INPUT_TYPES(cls):
            return {
                "required": {
                    "value": ("INT", {"default": index, "min": 0, "max": 1 << 20, "tooltip": "a number"}),
                    "text": ("STRING", {"multiline": True, "default": "bench"}),
                    "mode": (["fast", "slow", "auto"], {"default": "auto"}),
                    "scale": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 10.0, "step": 0.01}),
                },
                "optional": {"image": ("IMAGE",)},
                "hidden": {"unique_id": "UNIQUE_ID"},
            }

        RETURN_TYPES = ("INT", "STRING")
        RETURN_NAMES = ("value", "text")
        FUNCTION = "run"
        CATEGORY = "bench/group_%d" % (index % 25)
        DESCRIPTION = "Generated node %d for the /object_info benchmark." % index

        def run(self, value, text, mode, scale, image=None, unique_id=None):
            return (value, text)

    BenchNode.__name__ = BenchNode.__qualname__ = "BenchNode%d" % index
    return BenchNode


NODE_CLASS_MAPPINGS = {"BenchNode%d" % i: _make(i) for i in range(COUNT)}
NODE_DISPLAY_NAME_MAPPINGS = {name: "Bench node %s" % name[9:] for name in NODE_CLASS_MAPPINGS}
'''


def trivial_graph(color: int) -> dict:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": color}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
    }


def write_pack(base_dir: Path, count: int) -> None:
    pack = base_dir / "custom_nodes" / "bench_pack"
    pack.mkdir(parents=True)
    (pack / "__init__.py").write_text(f"COUNT = {count}\n" + PACK)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`comfyd serve` in its own process group, logging to a file in the base directory."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        command = [sys.executable, "-m", "comfyd", "serve", "--base-directory", str(self.base_dir), "--port", str(self.port)]
        started = time.perf_counter()
        with open(self.base_dir / "server.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        while time.perf_counter() - started < 120:
            if self.process.poll() is not None:
                raise RuntimeError((self.base_dir / "server.log").read_text(errors="replace"))
            try:
                if httpx.get(f"{self.url}/prompt", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("comfyd did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def wait_idle(http: httpx.AsyncClient) -> None:
    while (await http.get("/prompt")).json()["exec_info"]["queue_remaining"]:
        await asyncio.sleep(0.005)


async def bulk(server: Server, count: int, concurrency: int, colors) -> tuple[float, float]:
    """Prompts/second queued (all POSTs answered) and completed (queue empty again)."""
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
        await wait_idle(http)
        graphs = [trivial_graph(next(colors)) for _ in range(count)]
        semaphore = asyncio.Semaphore(concurrency)

        async def post(graph: dict) -> None:
            async with semaphore:
                reply = await http.post("/prompt", json={"prompt": graph})
                reply.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(g) for g in graphs))
        queued = time.perf_counter() - started
        await wait_idle(http)
        completed = time.perf_counter() - started
    return count / queued, count / completed


class Waiter:
    """Reads one `/ws` client and stamps when each prompt's `execution_success` arrives."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.arrived: dict[str, asyncio.Future] = {}

    def future(self, prompt_id: str) -> asyncio.Future:
        return self.arrived.setdefault(prompt_id, asyncio.get_running_loop().create_future())

    async def run(self) -> None:
        async for message in self.ws:
            if isinstance(message, bytes):
                continue
            data = json.loads(message)
            if data["type"] == "execution_success":
                future = self.future(data["data"]["prompt_id"])
                if not future.done():
                    future.set_result(time.perf_counter())


async def latencies(server: Server, count: int, graph_for) -> list[float]:
    """Submit → `execution_success` in milliseconds, one prompt at a time."""
    client_id = "bench-latency"
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
        connect(f"{server.ws_url}?clientId={client_id}", max_size=None) as ws,
    ):
        await wait_idle(http)
        waiter = Waiter(ws)
        reader = asyncio.create_task(waiter.run())
        results = []
        for i in range(count):
            started = time.perf_counter()
            reply = await http.post("/prompt", json={"prompt": graph_for(i), "client_id": client_id})
            done = await asyncio.wait_for(waiter.future(reply.json()["prompt_id"]), 30)
            results.append((done - started) * 1000)
        reader.cancel()
    return results


async def object_info(server: Server, count: int) -> tuple[float, float, int]:
    """p50 and first-call `/object_info` milliseconds, and how many classes it lists."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        times = []
        size = 0
        for _ in range(count):
            # The clock stops when the last byte arrives: decoding 1 MB of JSON in the client
            # (about 10 ms here) is the client's cost, not the server's.
            started = time.perf_counter()
            reply = await http.get("/object_info")
            times.append((time.perf_counter() - started) * 1000)
            size = len(reply.json())
    return statistics.median(times), times[0], size


async def fanout(server: Server, clients: int, rounds: int) -> list[float]:
    """Milliseconds from `POST /queue {"clear": true}` until every socket has the `status` it broadcasts."""
    sockets = [await connect(f"{server.ws_url}?clientId=fan-{i}", max_size=None) for i in range(clients)]
    try:
        for ws in sockets:
            await ws.recv()  # the greeting
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            results = []
            for _ in range(rounds):

                async def first_status(ws) -> float:
                    while True:
                        message = await ws.recv()
                        if isinstance(message, str) and json.loads(message)["type"] == "status":
                            return time.perf_counter()

                waits = [asyncio.create_task(first_status(ws)) for ws in sockets]
                await asyncio.sleep(0.05)
                started = time.perf_counter()
                await http.post("/queue", json={"clear": True})
                arrived = await asyncio.wait_for(asyncio.gather(*waits), 60)
                results.append((max(arrived) - started) * 1000)
                await asyncio.sleep(0.05)
        return results
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def row(name: str, ours: float, peer: float | None, unit: str, higher_is_better: bool = False) -> str:
    if peer is None:
        return f"| {name:<46} | {ours:>10.1f} {unit:<9} | {'':>10} {'':<9} | {'':>8} |"
    ratio = ours / peer if higher_is_better else peer / ours
    return f"| {name:<46} | {ours:>10.1f} {unit:<9} | {peer:>10.1f} {unit:<9} | {ratio:>7.2f}x |"


async def measure(server: Server, args: argparse.Namespace) -> dict:
    colors = iter(range(1, 1 << 24))
    await latencies(server, 20, lambda i: trivial_graph(next(colors)))  # warm up
    results: dict = {}
    results["bulk_queued"], results["bulk_completed"] = await bulk(server, args.bulk, args.concurrency, colors)
    fresh = await latencies(server, args.latency, lambda i: trivial_graph(next(colors)))
    cached_graph = trivial_graph(next(colors))
    cached = (await latencies(server, args.latency + 1, lambda i: cached_graph))[1:]  # the first one runs
    results["latency_p50"], results["latency_p99"] = statistics.median(fresh), percentile(fresh, 0.99)
    results["cached_p50"], results["cached_p99"] = statistics.median(cached), percentile(cached, 0.99)
    results["object_info"], results["object_info_first"], results["classes"] = await object_info(server, args.object_info)
    fan = await fanout(server, args.clients, args.rounds)
    results["fanout"], results["fanout_max"] = statistics.median(fan), max(fan)
    return results


def print_table(results: dict, args: argparse.Namespace, startup: float) -> None:
    print(f"comfyd server bench - {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, server start {startup:.1f} s")
    print(f"| {'measure':<46} | {'comfyd':>20} | {'ComfyUI 0.3.64':>20} | {'vs peer':>8} |")
    print(f"|{'-' * 48}|{'-' * 22}|{'-' * 22}|{'-' * 10}|")
    print(row(f"queued in bulk ({args.bulk} POSTs, {args.concurrency} at once)", results["bulk_queued"], PEER["bulk_queued"], "prompts/s", True))
    print(row(f"completed in bulk ({args.bulk} prompts)", results["bulk_completed"], None, "prompts/s"))
    print(row("submit -> execution_success p50 (trivial graph)", results["latency_p50"], PEER["latency_p50"], "ms"))
    print(row("submit -> execution_success p99 (trivial graph)", results["latency_p99"], None, "ms"))
    print(row("fully cached re-run p50", results["cached_p50"], PEER["cached_p50"], "ms"))
    print(row("fully cached re-run p99", results["cached_p99"], None, "ms"))
    print(row(f"/object_info p50 ({results['classes']} classes; peer 478)", results["object_info"], PEER["object_info"], "ms"))
    print(row("/object_info first call", results["object_info_first"], None, "ms"))
    print(row(f"status fan-out to {args.clients} sockets p50", results["fanout"], PEER["fanout"], "ms"))
    print(row(f"status fan-out to {args.clients} sockets max", results["fanout_max"], None, "ms"))
    print("vs peer: how many times better comfyd is (>1 = faster / more throughput).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bulk", type=int, default=500, help="prompts queued in bulk")
    parser.add_argument("--concurrency", type=int, default=50, help="POSTs in flight at once")
    parser.add_argument("--latency", type=int, default=200, help="prompts per latency series")
    parser.add_argument("--object-info", type=int, default=50, help="GET /object_info calls")
    parser.add_argument("--classes", type=int, default=1000, help="node classes in the generated pack")
    parser.add_argument("--clients", type=int, default=200, help="sockets for the fan-out")
    parser.add_argument("--rounds", type=int, default=10, help="fan-out broadcasts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="comfyd-bench-") as tmp:
        base_dir = Path(tmp)
        write_pack(base_dir, args.classes)
        server = Server(base_dir)
        try:
            startup = server.start()
            results = asyncio.run(measure(server, args))
        finally:
            server.stop()
    print_table(results, args, startup)


if __name__ == "__main__":
    main()
