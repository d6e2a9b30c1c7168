"""Shared fixtures: the project root, ../shared, and a seed build made once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kgtesting import ROOT, SHARED, run_kg


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"reference material not found at {SHARED} (../shared beside the checkout)")
    return SHARED


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`kg build` of the real data/ into a fresh var dir; returns the var dir."""
    var = tmp_path_factory.mktemp("var")
    run_kg("build", "--var-dir", str(var), check=True)
    return var


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ that a test may break."""
    dst = tmp_path / "data"
    shutil.copytree(ROOT / "data", dst)
    return dst


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory):
    """A real Virtuoso 7 on free loopback ports with its own ini and database in a tmp dir (tests/virtuosolive.py)."""
    from virtuosolive import available, start_virtuoso, stop_virtuoso

    if not available():
        pytest.fail("virtuoso-t / isql-vt not found: install the Debian package virtuoso-opensource (make test does)")
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        stop_virtuoso(server)
