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

Typical use::

    with staged_build(var_dir) as build_dir:
        with OxigraphStore(build_dir) as store:
            ...  # load, validate; an exception discards the build
    # promoted and pruned here
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from kg.store.base import StoreError

__all__ = ["builds", "current", "discard", "new_build_dir", "promote", "prune", "staged_build"]

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
