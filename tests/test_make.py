"""The Makefile's promises that are cheap to check: a run that lacks Debian packages and has neither
root nor sudo stops with one clear line (before any test runs), and ``make serve`` takes HOST and PORT."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kgtesting import ROOT


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to run make as another user")
def test_missing_packages_without_root_or_sudo_end_with_one_clear_line(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    os.chmod(tmp_path, 0o755)
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", "PATH=/usr/bin:/bin",
         "make", "-s", "system-deps", "SYSTEM_TOOLS=kg-no-such-tool:kg-no-such-package"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "needs the Debian packages kg-no-such-package" in lines[0] and "root or with sudo" in lines[0]


def test_make_serve_takes_host_and_port() -> None:
    proc = subprocess.run(
        ["make", "-n", "serve", "HOST=0.0.0.0", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "serve --host 0.0.0.0 --port 8123" in proc.stdout
