"""How imports live in the store: immutable gzip N-Quads artefacts, the manifest and the lock.

Every build directory carries ``kg-imports.json`` (the manifest: which artefact makes which import
graph) and ``kg-registry.sqlite`` (organisations and the keys they are known by). Artefacts are
immutable, content-addressed files under ``var/imports/<source>/<name>/``, written while they are
bulk-loaded into the new build (:class:`Artefact`: a loader thread, a bounded queue). ``kg build``
(:func:`carry_over`) bulk-loads every artefact of the current manifest into its new store, so imports
survive rebuilds. Imports and builds take the same lock (``var/.kg.lock``), so they never race.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import queue
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

from kg.settings import Settings
from kg.store import releases
from kg.store.base import StoreError

MANIFEST = "kg-imports.json"


REGISTRY = "kg-registry.sqlite"


IMPORTS_DIR = "imports"


REJECTS_DIR = "rejects"


LOCK = ".kg.lock"


# --------------------------------------------------------------------------- locking and manifests
@contextlib.contextmanager
def store_lock(var_dir: Path) -> Iterator[None]:
    """One writer of releases at a time (imports and builds)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(build_dir: Path | None) -> dict:
    if build_dir is None:
        return {"imports": []}
    path = Path(build_dir) / MANIFEST
    if not path.is_file():
        return {"imports": []}
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(build_dir: Path, manifest: dict) -> None:
    tmp = build_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, build_dir / MANIFEST)


def list_imports(settings: Settings) -> list[dict]:
    """The imports the served store holds (from its manifest)."""
    assert settings.var_dir is not None
    return read_manifest(releases.current(settings.var_dir))["imports"]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


LOAD_CHUNK_BYTES = 64 << 20  # the bulk loader's memory grows with its input: feed it in slices


def load_import(store: ox.Store, var: Path, entry: dict) -> None:
    """Bulk-load the artefact of one manifest entry after checking it is there and unchanged
    (:class:`~kg.store.base.StoreError` otherwise)."""
    path = var / entry["artefact"]
    if not path.is_file():
        raise StoreError(f"import {entry['graph']}: artefact {path} is missing; re-run the import")
    if _sha256_file(path) != entry["sha256"]:
        raise StoreError(f"import {entry['graph']}: artefact {path} was altered (checksum differs)")
    _load_artefact(store, path)


def _load_artefact(store: ox.Store, path: Path) -> None:
    """Bulk-load a gzip N-Quads artefact in slices of whole lines (N-Quads has one statement per line),
    so the loader's memory stays bounded whatever the artefact's size."""
    with gzip.open(path, "rb") as stream:
        while True:
            chunk = stream.read(LOAD_CHUNK_BYTES)
            if not chunk:
                break
            if not chunk.endswith(b"\n"):
                chunk += stream.readline()
            store.bulk_load(input=chunk, format=ox.RdfFormat.N_QUADS)


def carry_over(settings: Settings, build_dir: Path, *, progress: Callable[[str], None] | None = None) -> int:
    """Put the current release's imports into a new build (``kg build``): bulk-load each artefact of the
    current manifest, copy the registry and the manifest. Returns the number of imports carried over;
    raises :class:`~kg.store.base.StoreError` if an artefact is missing or altered (the build then fails)."""
    assert settings.var_dir is not None
    current = releases.current(settings.var_dir)
    manifest = read_manifest(current)
    entries = manifest.get("imports", [])
    if current is not None and (current / REGISTRY).is_file():
        shutil.copy2(current / REGISTRY, build_dir / REGISTRY)
    if not entries:
        return 0
    store = ox.Store(str(build_dir))
    try:
        for entry in entries:
            if progress:
                progress(f"loading import {entry['source']}/{entry['name']} ({entry['quads']} quads)")
            load_import(store, settings.var_dir, entry)
        store.flush()
    finally:
        del store
    write_manifest(build_dir, manifest)
    return len(entries)


def gc_artefacts(var_dir: Path) -> list[Path]:
    """Remove artefacts no remaining build refers to (and the directories of imports left empty)."""
    referenced = set()
    for build in releases.builds(var_dir):
        for entry in read_manifest(build).get("imports", []):
            referenced.add((var_dir / entry["artefact"]).resolve())
    removed = []
    root = var_dir / IMPORTS_DIR
    if root.is_dir():
        for path in root.glob("*/*/*.nq.gz"):
            if path.resolve() not in referenced:
                path.unlink(missing_ok=True)
                removed.append(path)
                for folder in (path.parent, path.parent.parent):  # <source>/<name>/, then <source>/
                    with contextlib.suppress(OSError):  # not empty
                        folder.rmdir()
    return removed


class _HashingFile:
    """A binary file that hashes (SHA-256) what is written to it."""

    def __init__(self, path: Path):
        self.file = open(path, "wb")
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()


ARTEFACT_CHUNK_BYTES = 32 << 20  # N-Quads handed to the loader at a time (whole lines)


ARTEFACT_QUEUE = 2  # chunks waiting for the loader: bounds the memory mapping can run ahead with


ARTEFACT_COMPRESSLEVEL = 1


# each chunk goes to the loader as a shard file, ``bulk_load(path=…)``, not as bytes: on the same 10k-project
# CORDIS N-Quads it cost 9.6–11.4 CPU-s against 11.7–12.5 for bytes (bench/load_strategies.py, docs/benchmarks.md)
ARTEFACT_SHARDS = True


class Artefact:
    """The import's graph as gzip N-Quads, written as records are mapped.

    Mapping hands it N-Quads lines; they are gathered into chunks of whole lines, and a second thread
    gzips each chunk into the artefact and — when a ``store`` is given — bulk-loads it into the new
    build at once (Oxigraph's bulk loader and zlib release the GIL, so loading runs on the second core
    while mapping goes on). The queue between the two is bounded, so memory stays flat."""

    def __init__(
        self,
        path: Path,
        store: ox.Store | None = None,
        *,
        chunk_bytes: int = ARTEFACT_CHUNK_BYTES,
        lenient: bool = False,
        shards: bool = ARTEFACT_SHARDS,
    ):
        self.path = path
        self.lenient = lenient
        # shards: each chunk goes to the loader as a file (``bulk_load(path=…)``), not as bytes
        self._shard = path.with_name(path.name + ".shard.nq") if shards else None
        self._file = _HashingFile(path)
        self.stream = gzip.GzipFile(filename=str(path), mode="wb", compresslevel=ARTEFACT_COMPRESSLEVEL, fileobj=self._file)
        self.store = store
        self.quads = 0
        self.sha256: str | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._chunk_bytes = chunk_bytes
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=ARTEFACT_QUEUE)
        self._error: BaseException | None = None
        self._abort = False
        self._closed = False
        self._thread = threading.Thread(target=self._consume, name="kg-import-loader", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the mapping side
    def write(self, quads: list[str] | list[ox.Quad]) -> None:
        if not quads:
            return
        if isinstance(quads[0], str):
            data = "".join(quads).encode("utf-8")
        else:
            data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
        self.quads += len(quads)
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self._chunk_bytes:
            # fixed-size chunks: measured at 100k CORDIS projects, loading in 32 MiB calls costs the same
            # CPU as one raw `oxigraph load` (91 s vs 89 s); chunks growing to 128 MiB cost more (102 s)
            self._hand_over()

    def _hand_over(self) -> None:
        if self._parts:
            chunk = b"".join(self._parts)
            self._parts, self._size = [], 0
            self._put(chunk)

    def _put(self, item: bytes | None) -> None:
        while True:
            if self._error is not None:
                raise self._error
            if not self._thread.is_alive():
                if item is None:
                    return
                raise RuntimeError("the loader of the new build stopped before the import's graph was written")
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Write (and load) what is left and wait for the loader; re-raises the loader's error."""
        if self._closed:
            return
        self._closed = True
        try:
            self._hand_over()
            self._put(None)
            self._thread.join()
            if self._error is not None:
                raise self._error
        finally:
            self._finish()

    def abort(self) -> None:
        """Stop without loading what is queued (the import failed); waits for a load in progress."""
        if self._closed and not self._thread.is_alive() and self.stream.closed:
            return
        self._abort = True
        self._closed = True
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.2)
                break
            except queue.Full:
                continue
        self._thread.join()
        self._finish()

    def _finish(self) -> None:
        self.store = None
        if not self.stream.closed:
            self.stream.close()
        self._file.close()
        self.sha256 = self._file.digest.hexdigest()

    # ------------------------------------------------------------------ the loader thread
    def _consume(self) -> None:
        try:
            while True:
                chunk = self._queue.get()
                if chunk is None or self._abort:
                    return
                self.stream.write(chunk)
                if self.store is not None:
                    # lenient: the lines were made by kg.mapping.LineSink, which has checked every IRI and
                    # language tag (pyoxigraph's own checks) the first time it met it
                    if self._shard is not None:
                        self._shard.write_bytes(chunk)
                        self.store.bulk_load(path=str(self._shard), format=ox.RdfFormat.N_QUADS, lenient=self.lenient)
                    else:
                        self.store.bulk_load(input=chunk, format=ox.RdfFormat.N_QUADS, lenient=self.lenient)
        except BaseException as exc:
            self._error = exc
        finally:
            if self._shard is not None:
                self._shard.unlink(missing_ok=True)
