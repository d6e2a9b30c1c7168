"""A release's read model opened for reading: read-only and immutable (``mode=ro&immutable=1``: no
locks, no journal, the file never changes), a small pool of connections (so concurrent reads are
bounded), and every read under a deadline — SQLite's progress handler stops a statement past it.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from kg.readmodel.derive import FILE

__all__ = ["Deadline", "ReadModel", "open_release"]


class Deadline(Exception):
    """A read-model read ran past its time limit (or waited too long for a connection)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the read took longer than its limit of {seconds:g} s")
        self.seconds = seconds


class ReadModel:
    """``kg-read.sqlite`` of one release. ``read(timeout)`` lends a connection for one read."""

    def __init__(self, path: str | Path, *, connections: int = 4) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no read model at {self.path}")
        self._free: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._size = max(1, connections)
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1"
        for _ in range(self._size):
            con = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            con.execute("PRAGMA query_only = ON")
            con.execute("PRAGMA cache_size = -16000")
            self._all.append(con)
            self._free.put(con)
        self.build = self.meta().get("build", "")

    def close(self) -> None:
        for con in self._all:
            con.close()
        self._all.clear()

    def meta(self) -> dict[str, str]:
        with self.read(30.0) as con:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())

    @contextmanager
    def read(self, timeout: float) -> Iterator[sqlite3.Connection]:
        """A connection whose statements stop (:class:`Deadline`) ``timeout`` seconds from now,
        waiting for one at most that long."""
        deadline = time.monotonic() + timeout
        try:
            con = self._free.get(timeout=timeout)
        except queue.Empty:
            raise Deadline(timeout) from None
        stopped = False

        def check() -> int:
            nonlocal stopped
            if time.monotonic() > deadline:
                stopped = True
                return 1
            return 0

        con.set_progress_handler(check, 1000)
        try:
            yield con
        except sqlite3.OperationalError as exc:
            if stopped or "interrupted" in str(exc):
                raise Deadline(timeout) from None
            raise
        finally:
            con.set_progress_handler(None, 0)
            self._free.put(con)


def open_release(build_dir: str | Path, *, connections: int = 4) -> ReadModel | None:
    """The read model of the release in ``build_dir``, or None when it has none (an older build)."""
    path = Path(build_dir) / FILE
    if not path.is_file():
        return None
    return ReadModel(path, connections=connections)
