"""Releases: build a new store aside, then switch to it atomically.

Layout under the var dir::

    var/builds/<build-id>/   each a complete Oxigraph store directory
    var/store -> builds/<build-id>   a relative symlink to the current build

A build id is a UTC timestamp with microseconds plus a short random suffix
(``20250101T120000.123456Z-3fa9c1``), so ids sort by age.

``promote`` makes a temporary symlink beside ``var/store`` and ``os.replace``-s it over
``var/store`` (an atomic rename): a new reader sees the old build or the new one, never
nothing. A reader that already opened the old build keeps working (stores resolve the symlink
when they open); the old directory stays until ``prune`` removes it, and ``prune`` never removes
the current build. Close a build's read-write store before promoting it: readers open it
read-only, which must not happen while a writer has it open.

A release is immutable once promoted, so it travels whole: ``ship`` copies one build directory
(RocksDB's files and every ``kg-*`` file or directory beside them) into another var dir's
``builds/`` under the same id, hard-linking RocksDB's immutable ``*.sst`` files where both lie on
one filesystem; the receiving side then ``promote``-s it. ``mirror`` copies a release's graphs
into a remote SPARQL store (``KG_STORE``, e.g. Virtuoso) and records which release it holds.

Typical use::

    with staged_build(var_dir) as build_dir:
        with OxigraphStore(build_dir) as store:
            ...  # load, validate; an exception discards the build
    # promoted and pruned here
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg.store.base import Store, StoreError
from kg.store.oxigraph import OxigraphStore

__all__ = [
    "RELEASE_GRAPH",
    "Mirrored",
    "Shipped",
    "builds",
    "current",
    "discard",
    "find_build",
    "mirror",
    "mirrored_release",
    "new_build_dir",
    "promote",
    "prune",
    "ship",
    "staged_build",
]

BUILDS = "builds"
STORE_LINK = "store"


def _builds_dir(var_dir: Path) -> Path:
    return Path(var_dir) / BUILDS


def new_build_dir(var_dir: str | Path) -> Path:
    """Create and return an empty, uniquely named ``var/builds/<build-id>/``."""
    builds_dir = _builds_dir(Path(var_dir))
    builds_dir.mkdir(parents=True, exist_ok=True)
    while True:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = builds_dir / f"{stamp}-{secrets.token_hex(3)}"
        try:
            path.mkdir()
        except FileExistsError:  # pragma: no cover - same microsecond and same random suffix
            continue
        return path


def builds(var_dir: str | Path) -> list[Path]:
    """All build directories, oldest first."""
    builds_dir = _builds_dir(Path(var_dir))
    if not builds_dir.is_dir():
        return []
    return sorted(p for p in builds_dir.iterdir() if p.is_dir() and not p.is_symlink())


def current(var_dir: str | Path) -> Path | None:
    """The build ``var/store`` points at (resolved), or None when there is none."""
    link = Path(var_dir) / STORE_LINK
    if not link.exists():
        return None
    return link.resolve()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - not every platform opens directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def promote(var_dir: str | Path, build_dir: str | Path) -> None:
    """Point ``var/store`` at ``build_dir`` in one atomic rename."""
    var = Path(var_dir)
    build = Path(build_dir).resolve()
    builds_dir = _builds_dir(var).resolve()
    if build.parent != builds_dir:
        raise StoreError(f"{build_dir} is not a build under {builds_dir}")
    if not build.is_dir():
        raise StoreError(f"build {build_dir} does not exist")
    link = var / STORE_LINK
    if link.exists() and not link.is_symlink():
        raise StoreError(f"{link} is a real directory, not a release symlink; move it away first")
    tmp = var / f".{STORE_LINK}.{secrets.token_hex(4)}.tmp"
    os.symlink(Path(BUILDS) / build.name, tmp, target_is_directory=True)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(var)


def discard(build_dir: str | Path) -> None:
    """Remove a (failed) build. Refuses the current build."""
    build = Path(build_dir)
    var = build.resolve().parent.parent
    live = current(var)
    if live is not None and live == build.resolve():
        raise StoreError(f"{build_dir} is the current build; it cannot be discarded")
    shutil.rmtree(build, ignore_errors=True)


def prune(var_dir: str | Path, *, keep: int = 2) -> list[Path]:
    """Remove old builds, keeping the newest ``keep`` and always the current one.

    Returns the removed directories. A build still being written is among the newest, so keep
    at least 1 while another build may be running.
    """
    if keep < 0:
        raise ValueError("keep must be >= 0")
    all_builds = builds(var_dir)
    live = current(var_dir)
    kept = set(all_builds[len(all_builds) - keep :]) if keep else set()
    removed = []
    for build in all_builds:
        if build in kept or (live is not None and build.resolve() == live):
            continue
        shutil.rmtree(build, ignore_errors=True)
        removed.append(build)
    return removed


@contextmanager
def staged_build(var_dir: str | Path, *, keep: int = 2) -> Iterator[Path]:
    """A new build directory; promoted (and old builds pruned) when the block succeeds,
    discarded when it raises."""
    build = new_build_dir(var_dir)
    try:
        yield build
    except BaseException:
        discard(build)
        raise
    promote(var_dir, build)
    prune(var_dir, keep=keep)


# --------------------------------------------------------------------------- shipping


@dataclass
class Shipped:
    """What :func:`ship` did: the build's new home and how its files got there."""

    build: Path
    linked: int = 0  # files hard-linked (same filesystem, immutable)
    copied: int = 0  # files copied
    bytes_copied: int = 0
    already: bool = False  # the destination had this release already


#: RocksDB never changes a file of these kinds once written: safe to share by hard link.
IMMUTABLE_SUFFIXES = (".sst", ".blob")


def find_build(var_dir: str | Path, build_id: str | None = None) -> Path:
    """The build ``build_id`` under ``var_dir`` (default: the current one); ``StoreError`` when absent."""
    if build_id is None:
        live = current(var_dir)
        if live is None:
            raise StoreError(f"no current release under {var_dir}: run `kg build` first")
        return live
    if "/" in build_id or build_id.startswith("."):
        raise StoreError(f"not a build id: {build_id!r}")
    build = _builds_dir(Path(var_dir)) / build_id
    if not build.is_dir():
        raise StoreError(f"no build {build_id} under {_builds_dir(Path(var_dir))}")
    return build


def _copy_tree(src: Path, dst: Path, shipped: Shipped, link: bool) -> bool:
    """Copy ``src`` into the new directory ``dst``; returns whether hard links still work."""
    dst.mkdir()
    for entry in sorted(src.iterdir()):
        target = dst / entry.name
        if entry.name == "LOCK":  # RocksDB's lock file: the receiver makes its own
            continue
        if entry.is_dir() and not entry.is_symlink():
            link = _copy_tree(entry, target, shipped, link)
            continue
        if link and entry.suffix in IMMUTABLE_SUFFIXES:
            try:
                os.link(entry, target)
                shipped.linked += 1
                continue
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                    raise
                link = False  # another filesystem: copy from here on
        shutil.copy2(entry, target, follow_symlinks=False)
        shipped.copied += 1
        shipped.bytes_copied += target.lstat().st_size
    return link


def ship(build_dir: str | Path, dest_var: str | Path, *, link: bool = True) -> Shipped:
    """Copy the release ``build_dir`` into ``dest_var/builds/<same id>/`` (not promoted there).

    Every file goes: RocksDB's and the project's ``kg-*`` files and directories. ``*.sst`` files
    are hard-linked when ``link`` and both sides share a filesystem (RocksDB never rewrites one),
    anything else is copied. The copy is made under a hidden name and renamed into place, so the
    destination never shows a half release; shipping a release it already has does nothing.
    """
    build = Path(build_dir).resolve()
    if not build.is_dir():
        raise StoreError(f"no release at {build_dir}")
    if not any(build.glob("CURRENT")):
        raise StoreError(f"{build_dir} is not a release (no RocksDB CURRENT file)")
    builds_dir = _builds_dir(Path(dest_var))
    builds_dir.mkdir(parents=True, exist_ok=True)
    final = builds_dir / build.name
    if final.resolve() == build:
        raise StoreError(f"{build_dir} is already under {dest_var}")
    if final.is_dir():
        return Shipped(final, already=True)
    incoming = Path(tempfile.mkdtemp(prefix=f".incoming-{build.name}-", dir=builds_dir))
    incoming.rmdir()
    shipped = Shipped(final)
    try:
        _copy_tree(build, incoming, shipped, link)
        os.replace(incoming, final)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    _fsync_dir(builds_dir)
    return shipped


# --------------------------------------------------------------------------- a remote mirror

#: The graph of a remote store that says which release it holds (``kg release`` / ``/healthz``).
RELEASE_GRAPH = "urn:x-kg:release"
_RELEASE = ox.NamedNode(RELEASE_GRAPH)
_BUILD_ID = ox.NamedNode("urn:x-kg:build-id")
#: Graphs up to this size (N-Triples) are replaced in one request (atomic per graph on Virtuoso).
WHOLE_GRAPH_BYTES = 64 << 20


@dataclass
class Mirrored:
    build_id: str
    graphs: dict[str, int] = field(default_factory=dict)  # graph → triples copied
    dropped: list[str] = field(default_factory=list)  # graphs the remote had that the release has not


def mirrored_release(target: Store) -> str | None:
    """The release id a remote store says it holds (written by :func:`mirror`), or None."""
    rows = target.query(f"SELECT ?id WHERE {{ GRAPH <{RELEASE_GRAPH}> {{ <{RELEASE_GRAPH}> <{_BUILD_ID.value}> ?id }} }}")
    for row in rows:  # type: ignore[union-attr]  # a SELECT gives solutions
        return str(row["id"].value)
    return None


def mirror(build_dir: str | Path, target: Store, *, progress: Callable[[str], None] | None = None) -> Mirrored:
    """Make the remote ``target`` hold what the release ``build_dir`` holds, graph by graph.

    Each named graph is replaced (in one request up to :data:`WHOLE_GRAPH_BYTES`, else dropped
    and loaded in pieces); graphs the release no longer has are dropped; the release id goes
    into :data:`RELEASE_GRAPH` last, so a reader of that graph sees the id of a release whose
    graphs are all there. Readers of the remote store may see some graphs of the new release and
    some of the old while this runs: a remote store has no atomic switch (docs/scaling.md).
    """
    build = Path(build_dir).resolve()
    result = Mirrored(build.name)
    with OxigraphStore(build, read_only=True) as source, tempfile.TemporaryDirectory(prefix="kg-mirror-") as spool:
        wanted = source.graphs()
        for graph in wanted:
            # each graph through a file: an import's graph may be larger than memory should hold
            path = Path(spool) / "graph.nt"
            source.native.dump(output=str(path), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            size = path.stat().st_size
            if progress:
                progress(f"copying <{graph}> ({size} bytes)")
            if size <= WHOLE_GRAPH_BYTES:
                target.replace_graph(graph, ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
            else:
                target.update(f"DROP SILENT GRAPH <{graph}>")
                target.bulk_load(path=path, format="ntriples", graph=graph)
            with path.open("rb") as handle:
                result.graphs[graph] = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        if next(iter(source.native.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
            # every source is its own named graph; a store's default graph has no portable name
            raise StoreError(f"release {build.name} has triples in its default graph: a remote mirror takes named graphs only")
    for graph in target.graphs():
        if graph not in result.graphs and graph != RELEASE_GRAPH:
            target.update(f"DROP SILENT GRAPH <{graph}>")
            result.dropped.append(graph)
    target.replace_graph(RELEASE_GRAPH, [ox.Triple(_RELEASE, _BUILD_ID, ox.Literal(build.name))])
    target.flush()
    return result
