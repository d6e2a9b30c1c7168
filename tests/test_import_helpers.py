"""Helpers for the import tests: real export files built from the reference rows in ../shared/data.

The reference material holds CORDIS tables as pandas re-saved CSVs and xlsx, legacy CORDIS and
Erasmus+ Project Results Platform rows as one-row JSON objects. The exporters here write those rows
in the formats the real exports come in — ``;``-separated CSV with quoted multi-line fields (CORDIS),
xlsx with one sheet ``DATA`` and all-text cells, zip archives, platform xlsx/CSV with the JSON keys as
header — so the importers are tested on files, as a user would run them. (No tests in this module;
the fixtures are imported by the test_import_* modules.)
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kg.model.namespaces import sparql_prefixes
from kg.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
HE = DATA / "cordis-horizon-europe"
HEAD = HE / "head-100-rows"
H2020_REF = DATA / "cordis-h2020-2017-reference"
LEGACY = DATA / "cordis-legacy-csv"
ERASMUS = DATA / "erasmus-plus-results-platform"
BASE = "https://w3id.org/euprojects/"
ID = BASE + "id/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
P = sparql_prefixes()


# --------------------------------------------------------------------------- exporters
def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_official_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """CORDIS's own CSV: ';'-separated, fields quoted where needed (multi-line objectives)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def write_data_xlsx(path: Path, header: list[str], rows: list[list[str]], sheet: str = "DATA") -> Path:
    """An xlsx like CORDIS's: one sheet, every cell text."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for row in rows:
        ws.append([str(v) for v in row])
    wb.save(path)
    return path


def erasmus_rows(*names: str) -> list[tuple[str, dict[str, str]]]:
    """The platform rows (file stem, row) of the reference JSON files, all 13 when no names are given."""
    files = sorted(ERASMUS.glob("*.json"))
    if names:
        files = [f for f in files if f.stem in names]
    return [(f.stem, json.loads(f.read_text(encoding="utf-8"))) for f in files]


def write_erasmus_xlsx(path: Path, row: dict[str, str]) -> Path:
    """A Project Results Platform xlsx export: header = the row's columns in order, one row per project."""
    return write_data_xlsx(path, list(row), [list(row.values())], sheet="Projects")


def write_erasmus_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    header = list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow([row.get(h, "") for h in header])
    return path


def legacy_line(values: list[str]) -> str:
    """A line of the old CORDIS export: ';'-separated, every field quoted, quotes inside NOT escaped."""
    return ";".join(f'"{v}"' for v in values)


# --------------------------------------------------------------------------- stores
def fresh_var(seed_build: Path, tmp: Path) -> Path:
    """A private copy of the session's seed build (var dir with var/store → builds/<id>)."""
    var = tmp / "var"
    shutil.copytree(seed_build, var, symlinks=True)
    return var


def open_store(var: Path) -> OxigraphStore:
    return OxigraphStore(var / "store", read_only=True)


def select(var: Path, query: str) -> list[dict[str, str]]:
    with open_store(var) as store:
        solutions = store.query(P + query)
        names = [v.value for v in solutions.variables]
        return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def values(var: Path, query: str, name: str) -> set[str]:
    return {row[name] for row in select(var, query) if name in row}


def count(var: Path, graph: str | None = None) -> int:
    with open_store(var) as store:
        return store.count(graph)


def zip_files(path: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, arcname=f"cordis-export/{f.name}")
    return path


@pytest.fixture(scope="module")
def he_official(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The Horizon Europe head-100 tables as CORDIS publishes them: ';' CSV with a multi-line
    objective, plus the same project/organization tables as DATA-sheet xlsx, plus a zip of the CSVs."""
    out = tmp_path_factory.mktemp("he-official")
    files: dict[str, Path] = {}
    for table in ("project", "organization", "legalBasis", "topics", "euroSciVoc", "webLink"):
        header, rows = read_csv(HEAD / f"{table}_df_100.csv")
        if table == "project":
            i = header.index("objective")
            rows = [list(r) for r in rows]
            # CORDIS objectives hold line breaks; the official CSV quotes them
            rows[1][i] = rows[1][i].replace(". ", ".\n", 2)
        files[table] = write_official_csv(out / f"{table}.csv", header, rows)
    for table in ("project", "organization"):
        header, rows = read_csv(HEAD / f"{table}_df_100.csv")
        files[f"{table}.xlsx"] = write_data_xlsx(out / f"{table}.xlsx", header, rows)
    files["zip"] = zip_files(out / "cordis-HORIZONprojects-csv.zip", [files[t] for t in ("project", "organization", "legalBasis", "topics")])
    return files
