"""Output caches: what a node produced, kept across prompts under its input signature.

Three policies, as ComfyUI's `--cache-classic`, `--cache-lru N` and `--cache-none`:

- `ClassicCache` keeps only what the current prompt uses; switching graphs drops the rest.
- `LRUCache(N)` keeps results across prompts and, once it holds more than N, drops those least
  recently used (never those the current prompt uses).
- `NullCache` reuses nothing between prompts.

A cache is bound to one run at a time (`begin`), which maps node ids to signatures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from comfyd.engine.signatures import Signature, Signer


@dataclass(slots=True)
class CacheEntry:
    """A node's outputs (a list of per-call values per output) and its ui record."""

    outputs: list[list[Any]]
    ui: dict[str, Any] | None = None


class OutputCache:
    """Base: storage by signature, node-id lookups through the current run's signer."""

    def __init__(self) -> None:
        self._entries: dict[Signature, CacheEntry] = {}
        # The signature of the prompt node each entry belongs to: an expanded node's results
        # live as long as the node that expanded it, as ComfyUI's hierarchical subcaches do.
        self._roots: dict[Signature, Signature] = {}
        self._signer: Signer | None = None
        self._prompt_keys: set[Signature] = set()

    def begin(self, signer: Signer, node_ids: Iterable[str]) -> None:
        """Start a run: remember the signatures of its prompt nodes, then drop what policy says."""
        self._signer = signer
        self._prompt_keys = {signer.signatures[n] for n in node_ids if n in signer.signatures}
        self.clean_unused()

    def end(self) -> None:
        """The run is over; the signer (and the prompt it holds) is released."""
        self._signer = None

    def clean_unused(self) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self._entries.clear()
        self._roots.clear()

    def _drop(self, keys: list[Signature]) -> None:
        for key in keys:
            del self._entries[key]
            del self._roots[key]

    def __len__(self) -> int:
        return len(self._entries)

    def _key(self, node_id: str) -> Signature | None:
        return self._signer.get(node_id) if self._signer is not None else None

    def get(self, node_id: str) -> CacheEntry | None:
        """The entry for `node_id` in the current run, or None when it must run."""
        key = self._key(node_id)
        return None if key is None else self._entries.get(key)

    def set(self, node_id: str, entry: CacheEntry) -> None:
        key = self._key(node_id)
        if key is not None:
            root = self._key(self._signer.dynprompt.get_real_node_id(node_id))
            self._entries[key] = entry
            self._roots[key] = root if root is not None else key

    def cached_node_ids(self, node_ids: Iterable[str]) -> list[str]:
        return [n for n in node_ids if self.get(n) is not None]


class ClassicCache(OutputCache):
    def clean_unused(self) -> None:
        self._drop([k for k, root in self._roots.items() if root not in self._prompt_keys])


class LRUCache(OutputCache):
    def __init__(self, max_size: int) -> None:
        super().__init__()
        self.max_size = max_size
        self._generation = 0
        self._min_generation = 0
        self._used: dict[Signature, int] = {}

    def begin(self, signer: Signer, node_ids: Iterable[str]) -> None:
        self._generation += 1
        super().begin(signer, node_ids)

    def clean_unused(self) -> None:
        # Use is tracked per prompt-node signature (the root of each entry).
        for key in self._prompt_keys:
            self._used[key] = self._generation
        while len(self._entries) > self.max_size and self._min_generation < self._generation:
            self._min_generation += 1
            self._drop([k for k, root in self._roots.items() if self._used.get(root, 0) < self._min_generation])
        live = set(self._roots.values())
        for root in [r for r in self._used if r not in live and r not in self._prompt_keys]:
            del self._used[root]

    def get(self, node_id: str) -> CacheEntry | None:
        entry = super().get(node_id)
        if entry is not None:
            self._used[self._roots[self._key(node_id)]] = self._generation
        return entry

    def set(self, node_id: str, entry: CacheEntry) -> None:
        super().set(node_id, entry)
        key = self._key(node_id)
        if key is not None:
            self._used[self._roots[key]] = self._generation


class NullCache(OutputCache):
    """Keeps outputs only for the run that made them."""

    def clean_unused(self) -> None:
        self.clear()

    def end(self) -> None:
        super().end()
        self.clear()
