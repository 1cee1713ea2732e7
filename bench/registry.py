"""Registry search on a large catalogue: 10,000 packs defining 100,000 node classes.

Bulk-loads a generated catalogue (pack ids such as `comfyui-upscale-tools-00042`, node classes
such as `ImpactUpscaleLatentAdvanced`, ten per pack in one active version) into a fresh database,
then measures `GET /nodes/search` latency, one request at a time, for an exact pack id, a word of
pack names, a node-class prefix, an exact `comfy_node_search` and a query that finds nothing:

- service: `Catalog.search_packs` in this process (SQL plus building the wire `Node`s);
- HTTP: a real `comfyd registry` (uvicorn) subprocess on the same database, over httpx.

The rows go in with multi-row INSERTs, not the publish path. Versions are loaded pending and
switched to active after their node classes, so the search triggers build each pack's document
once instead of once per class.

    python bench/registry.py [--packs 10000] [--classes 10] [--repeat 200] [--postgres]

`--postgres` loads a new database on the local PostgreSQL (127.0.0.1:5432), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from comfyd.db.base import create_engine, session_factory
from comfyd.db.migrate import upgrade
from comfyd.db.registry import ComfyNodeRecord, PackRecord, PackVersionRecord, PublisherRecord
from comfyd.platform.registry.catalog import Catalog
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.paging import Paging
from comfyd.platform.registry.search import SearchTerms

POSTGRES_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
BATCH = 5_000

TOPICS = (
    "Impact Upscale Latent ControlNet IPAdapter AnimateDiff Video Face Mask Prompt LoRA Sampler Tile "
    "Depth Segment Inpaint Style Color Noise Audio Text Math Logic Batch Flux Detail Refiner Pose Crystools "
    "Essentials KJ Easy Custom WAS Efficiency Comfyroll Rgthree Layer Frame"
).split()
SUFFIXES = "Pack Nodes Suite Tools Utils Plus Kit Extras Helpers Pro".split()
VERBS = (
    "Load Save Apply Encode Decode Upscale Blend Crop Resize Sample Merge Split Detect Segment Preview "
    "Convert Combine Select Adjust Generate"
).split()
OBJECTS = (
    "Image Latent Mask Model Clip Vae Conditioning Prompt Lora Video Frames Noise Sigmas Face Depth Pose "
    "Text Audio Batch Tiles"
).split()
QUALIFIERS = ("", "Advanced", "Simple", "Batch", "ByFactor", "XL", "Plus", "V2", "Tiled", "Masked")
PEOPLE = [
    f"{first}{last}"
    for first in "ada bob cy dee eve fay gus hal ivy jon".split()
    for last in "ka lo mi no".split()
]


class Catalogue:
    """The generated rows, reproducible from `seed`, and the queries the bench asks about them."""

    def __init__(self, packs: int, classes: int, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.now = datetime.now(UTC)
        self.publishers = [f"pub-{n:03d}" for n in range(max(1, packs // 20))]
        self.pack_rows = [self._pack(n) for n in range(packs)]
        self.version_rows = [self._version(pack) for pack in self.pack_rows]
        self.node_rows = [node for version in self.version_rows for node in self._nodes(version, classes)]

    def _pack(self, n: int) -> dict:
        topic, suffix = self.random.choice(TOPICS), self.random.choice(SUFFIXES)
        pack_id = f"comfyui-{topic.lower()}-{suffix.lower()}-{n:05d}"
        reviews = self.random.randint(0, 40)
        return {
            "id": pack_id,
            "normalized_id": pack_id,
            "publisher_id": self.random.choice(self.publishers),
            "name": f"ComfyUI {topic} {suffix}",
            "description": f"{topic} nodes to {self.random.choice(VERBS).lower()} "
            f"{self.random.choice(OBJECTS).lower()}s in ComfyUI workflows.",
            "author": self.random.choice(PEOPLE),
            "search_ranking": self.random.randint(1, 100) if self.random.random() < 0.1 else None,
            "total_install": int(self.random.paretovariate(1.2) * 50),
            "total_star": sum(self.random.randint(1, 5) for _ in range(reviews)),
            "total_review": reviews,
            "topic": topic,
        }

    def _version(self, pack: dict) -> dict:
        return {"id": str(uuid.uuid4()), "pack_id": pack["id"], "version": "1.0.0", "topic": pack["topic"]}

    def _nodes(self, version: dict, classes: int) -> Iterator[dict]:
        names: set[str] = set()
        while len(names) < classes:
            tag = version["topic"] if self.random.random() < 0.5 else ""
            parts = (
                tag,
                self.random.choice(VERBS),
                self.random.choice(OBJECTS),
                self.random.choice(QUALIFIERS),
            )
            names.add("".join(parts))
        for name in sorted(names):
            yield {"id": str(uuid.uuid4()), "version_id": version["id"], "name": name}

    def queries(self) -> dict[str, list[SearchTerms]]:
        """Twenty different queries of each kind, asked in turn."""
        packs = self.random.sample(self.pack_rows, 20)
        nodes = self.random.sample(self.node_rows, 20)
        return {
            "exact pack id": [SearchTerms(text=pack["id"]) for pack in packs],
            "word of pack names": [SearchTerms(text=pack["topic"].lower()) for pack in packs],
            "node class prefix": [SearchTerms(text=node["name"][:7]) for node in nodes],
            "two words": [SearchTerms(text=f"{pack['topic']} {pack['name'].split()[-1]}") for pack in packs],
            "comfy_node_search (exact)": [SearchTerms(comfy_node=node["name"]) for node in nodes],
            "no hit": [SearchTerms(text=f"zqx{n}") for n in range(20)],
        }


async def load(engine: AsyncEngine, catalogue: Catalogue) -> dict[str, float]:
    """Insert the catalogue in batches; the seconds each step took."""
    timings: dict[str, float] = {}
    stamps = {"created_at": catalogue.now, "updated_at": catalogue.now}
    pack_defaults = {
        "category": "", "license": "", "repository_url": "", "icon_url": "", "banner_url": "", "tags": [],
        "tags_admin": [], "supported_os": [], "supported_accelerators": [], "supported_comfyui_version": "",
        "supported_comfyui_frontend_version": "", "preempted_comfy_node_names": [], "github_stars": 0,
        "status": "active", "status_detail": "", **stamps,
    }  # fmt: skip
    version_defaults = {
        "changelog": "", "dependencies": [], "deprecated": False, "status": "pending", "status_reason": "",
        "comfy_node_extract_status": "success", "tags": [], "tags_admin": [], "supported_os": [],
        "supported_accelerators": [], "supported_comfyui_version": "", "supported_comfyui_frontend_version": "",
        "archive_key": "", **stamps,
    }  # fmt: skip
    node_defaults = {
        "category": "bench", "description": "", "input_types": "{}", "return_types": "[]", "return_names": "[]",
        "output_is_list": [], "function": "run", "deprecated": False, "experimental": False, "policy": "active",
    }  # fmt: skip
    publishers = [{"id": p, "name": p, "description": "", "website": "", "support_email": "",
                   "source_code_repo": "", "logo_url": "", "status": "ACTIVE", **stamps}
                  for p in catalogue.publishers]  # fmt: skip
    packs = [{**pack_defaults, **_without(pack, "topic")} for pack in catalogue.pack_rows]
    versions = [
        {**version_defaults, **_without(v, "topic"), "archive_key": f"{v['pack_id']}/1.0.0.zip"}
        for v in catalogue.version_rows
    ]
    nodes = [{**node_defaults, **node} for node in catalogue.node_rows]
    for step, table, rows in (
        ("publishers", PublisherRecord.__table__, publishers),
        ("packs", PackRecord.__table__, packs),
        ("versions (pending)", PackVersionRecord.__table__, versions),
        ("node classes", ComfyNodeRecord.__table__, nodes),
    ):
        started = time.perf_counter()
        async with engine.begin() as connection:
            for start in range(0, len(rows), BATCH):
                await connection.execute(insert(table), rows[start : start + BATCH])
        timings[step] = time.perf_counter() - started
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(update(PackVersionRecord.__table__).values(status="active"))
    timings["versions made active (index built)"] = time.perf_counter() - started
    return timings


def _without(row: dict, key: str) -> dict:
    return {name: value for name, value in row.items() if name != key}


async def time_calls(
    call: Callable[[SearchTerms], Awaitable[int]], terms: list[SearchTerms], repeat: int
) -> tuple:
    """p50 and p99 in milliseconds over `repeat` calls, and the mean number of matches."""
    for query in terms:  # warm up: caches, statement compilation, connections
        await call(query)
    elapsed, totals = [], []
    for n in range(repeat):
        started = time.perf_counter()
        totals.append(await call(terms[n % len(terms)]))
        elapsed.append((time.perf_counter() - started) * 1000)
    return statistics.median(elapsed), percentile(elapsed, 0.99), statistics.mean(totals)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure_service(engine: AsyncEngine, queries: dict, repeat: int) -> dict:
    catalog = Catalog(session_factory(engine))
    links = Links("http://bench.invalid")

    async def call(terms: SearchTerms) -> int:
        return (await catalog.search_packs(terms, Paging.of(1, 10), links=links)).total

    return {kind: await time_calls(call, terms, repeat) for kind, terms in queries.items()}


async def measure_http(url: str, queries: dict, repeat: int) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:

        async def call(terms: SearchTerms) -> int:
            params = {"search": terms.text, "comfy_node_search": terms.comfy_node}
            reply = await http.get("/nodes/search", params={k: v for k, v in params.items() if v})
            reply.raise_for_status()
            return reply.json()["total"]

        return {kind: await time_calls(call, terms, repeat) for kind, terms in queries.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def registry_server(base_dir: Path, database_url: str) -> Iterator[str]:
    """`comfyd registry` (uvicorn) on the bench's database, in its own process group; its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "comfyd", "registry", "--port", str(port), "--verbose", "WARNING"]
    command += ["--base-directory", str(base_dir), "--database-url", database_url]
    with open(base_dir / "registry.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((base_dir / "registry.log").read_text(errors="replace"))
            try:
                if httpx.get(f"{url}/nodes", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def database(base_dir: Path, postgres: bool) -> Iterator[str]:
    """A new, empty database: a SQLite file under `base_dir`, or a PostgreSQL database."""
    if not postgres:
        yield f"sqlite+aiosqlite:///{base_dir / 'user' / 'comfyd.db'}"
        return
    name = f"comfyd_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_maintenance(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        asyncio.run(_maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _maintenance(statement: str) -> None:
    engine = create_async_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def prepare(database_url: str, catalogue: Catalogue, queries: dict, repeat: int) -> tuple[dict, dict]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        timings = await load(engine, catalogue)
        if engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: drop the dead rows the index triggers
            # left behind and refresh the planner's statistics.
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM ANALYZE"))
        return timings, await measure_service(engine, queries, repeat)
    finally:
        await engine.dispose()


def print_table(args, catalogue: Catalogue, timings: dict, service: dict, http: dict) -> None:
    kind = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"comfyd registry search bench - {kind}, {len(catalogue.pack_rows):,} packs, "
        f"{len(catalogue.node_rows):,} node classes, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print("load: " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in timings.items()))
    print(
        f"latency in ms over {args.repeat} requests each, page size 10; HTTP = real uvicorn subprocess + httpx"
    )
    print(
        f"| {'query':<27} | {'matches':>8} | {'service p50':>11} | {'service p99':>11} | {'HTTP p50':>8} | {'HTTP p99':>8} |"
    )
    print(f"|{'-' * 29}|{'-' * 10}|{'-' * 13}|{'-' * 13}|{'-' * 10}|{'-' * 10}|")
    for query, (p50, p99, matches) in service.items():
        http_p50, http_p99, _ = http[query]
        print(
            f"| {query:<27} | {matches:>8.0f} | {p50:>11.2f} | {p99:>11.2f} | {http_p50:>8.2f} | {http_p99:>8.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--packs", type=int, default=10_000, help="packs in the catalogue")
    parser.add_argument("--classes", type=int, default=10, help="node classes per pack")
    parser.add_argument("--repeat", type=int, default=200, help="requests per query kind")
    parser.add_argument("--postgres", action="store_true", help="use a new database on the local PostgreSQL")
    args = parser.parse_args()
    catalogue = Catalogue(args.packs, args.classes)
    queries = catalogue.queries()
    with (
        tempfile.TemporaryDirectory(prefix="comfyd-bench-registry-") as tmp,
        database(Path(tmp), args.postgres) as url,
    ):
        timings, service = asyncio.run(prepare(url, catalogue, queries, args.repeat))
        with registry_server(Path(tmp), url) as server:
            http = asyncio.run(measure_http(server, queries, args.repeat))
    print_table(args, catalogue, timings, service, http)


if __name__ == "__main__":
    main()
