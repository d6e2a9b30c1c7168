"""SHACL validation of the whole new store at import (default) and at build time: a conflict between
two imports — which neither shows alone — is refused and nothing already served changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.imports.context import ImportFailed
from kg.imports.pipeline import run_import
from kg.release.build import BuildFailed, build
from kg.settings import Settings
from kg.store import releases
from test_import_helpers import HEAD, count, fresh_var, read_csv, write_official_csv


def _conflicting_copy(tmp: Path) -> tuple[Path, str]:
    """The first project of the head-100 table again, with another start date (a valid row alone)."""
    header, rows = read_csv(HEAD / "project_df_100.csv")
    row = list(rows[0])
    i = header.index("startDate")
    old = row[i]
    row[i] = "2001-01-01" if not old.startswith("2001-01-01") else "2002-02-02"
    return write_official_csv(tmp / "project.csv", header, [row]), row[header.index("id")]


@pytest.fixture()
def var(seed_build: Path, tmp_path: Path) -> Path:
    var = fresh_var(seed_build, tmp_path)
    run_import(Settings(var_dir=var), "cordis", [HEAD / "project_df_100.csv"], name="he")
    return var


def test_import_conflicting_with_another_import_is_refused(var: Path, tmp_path: Path):
    table, key = _conflicting_copy(tmp_path)
    served, total, builds = releases.current(var), count(var), releases.builds(var)
    with pytest.raises(ImportFailed, match=r"SHACL: \d+ violation") as err:
        run_import(Settings(var_dir=var), "cordis", [table], name="other")
    assert f"project/{key}" in str(err.value)
    assert releases.current(var) == served and count(var) == total and releases.builds(var) == builds
    assert not (var / "imports" / "cordis" / "other").exists()


def test_build_refuses_imports_that_conflict_and_keeps_the_store(var: Path, tmp_path: Path):
    table, _ = _conflicting_copy(tmp_path)
    run_import(Settings(var_dir=var), "cordis", [table], name="other", validate=False)  # operator's choice
    served, total = releases.current(var), count(var)
    with pytest.raises(BuildFailed, match="with its imports") as err:
        build(Settings(var_dir=var))
    assert err.value.report is not None and err.value.report.violations
    assert releases.current(var) == served and count(var) == total
