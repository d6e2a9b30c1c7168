"""The result cache of ``/sparql`` (held by the web app context; here, below the web, because it is
a plain bounded map any face could use): a release never changes, so the answer to the same query text,
dataset and format is the same until the next promotion (or the next write with the token).

Answers that came whole (up to ``stream_buffer_bytes``) are kept in memory, least recently used
first out, up to ``cache_bytes`` in all (Settings; 0 turns the cache off). The key is the query text,
the dataset (``default-graph-uri`` / ``named-graph-uri``), the negotiated format(s), the base IRI
the query resolves against, the release (the build directory served) and the write generation (a
counter that every update or Graph Store write moves on). Every answer carries a weak ``ETag`` made
from that key, so ``If-None-Match`` answers 304 without running the query, cached or not, and on
any server process serving the same release.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["Entry", "ResultCache", "etag_for"]


@dataclass(frozen=True)
class Entry:
    body: bytes
    media_type: str
    etag: str


def etag_for(key: tuple[str, ...]) -> str:
    return 'W/"' + hashlib.sha256("\x1f".join(key).encode("utf-8", "surrogatepass")).hexdigest()[:32] + '"'


class ResultCache:
    """An LRU map of keys to whole answers, bounded by the bytes of the answers and their keys."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self.size = 0
        self.release: str | None = None
        self.hits = self.misses = 0

    @staticmethod
    def _cost(key: tuple[str, ...], entry: Entry) -> int:
        return len(entry.body) + sum(len(part) for part in key) + 200  # the entry's own objects, roughly

    def for_release(self, release: str) -> ResultCache:
        """Forget everything when the served release changed (a promotion)."""
        if release != self.release:
            self.clear()
            self.release = release
        return self

    def get(self, key: tuple[str, ...]) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        cost = self._cost(key, entry)
        if cost > self.max_bytes // 4:  # one answer never takes more than a quarter of the cache
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= self._cost(key, old)
        self._entries[key] = entry
        self.size += cost
        while self.size > self.max_bytes and self._entries:
            k, e = self._entries.popitem(last=False)
            self.size -= self._cost(k, e)

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._entries)
