"""Shared fixtures: the project root, ../shared, and a seed build made once per session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
KG = [sys.executable, "-m", "kg.cli"]


def run_kg(*args: str, env: dict[str, str] | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real `kg` command line in a subprocess (as a user would)."""
    import os

    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    proc = subprocess.run([*KG, *args], cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"kg {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


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
