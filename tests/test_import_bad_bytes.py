"""No bad byte in (issue 14): control characters, damaged archives, curated source paths outside
data/, and the report that lists every reject.

Real platform rows (../shared/data) written as the Erasmus+ export CSV, with a NUL, an ESC or a DEL
planted in a value; real zip archives damaged the two ways a download is (not a zip at all, a
member whose bytes no longer match their CRC); copies of the real curated records with their
``source.path`` pointing out of data/.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from kg.imports.context import ImportFailed
from kg.imports.pipeline import run_import
from kg.imports.tables import CellError, check_values, open_tables, strip_control
from kg.model.errors import RecordsInvalid
from kg.release.build import assemble
from kg.settings import Settings
from kgtesting import ROOT, run_kg
from test_import_helpers import BASE, erasmus_rows, fresh_var, values, write_erasmus_csv

TITLE = "Project Title"


def platform_rows() -> list[dict[str, str]]:
    """The six real Erasmus+ rows of one layout (KA1 2014-2018, KA2; 622 columns), as one export."""
    rows = [row for stem, row in erasmus_rows() if stem.startswith("ErasmusPlus_")]
    assert len({tuple(r) for r in rows}) == 1 and len(rows) == 6
    return rows


def record_lines(path: Path) -> list[int]:
    """The line each record of a CSV starts on (header = line 1; quoted fields span lines)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        starts, last = [], reader.line_num
        for _ in reader:
            starts.append(last + 1)
            last = reader.line_num
    return starts


def test_control_characters_are_named_by_column_and_position():
    with pytest.raises(CellError) as caught:
        check_values({"a": "fine\ttab\nand line", "b": "NUL\x00here"})
    assert caught.value.column == "b"
    assert "control character U+0000 (NUL) at character 4" in caught.value.reason
    check_values({"a": "tab\there", "b": "CRLF\r\nlines"})  # tab and line breaks are text
    for ch in ("\x1b", "\x7f", "\x85", "\ufffe"):
        with pytest.raises(CellError):
            check_values({"x": f"a{ch}b"})
    assert strip_control("a\x00b\x1bc\x00") == ("abc", ["U+0000 (NUL)", "U+001B (ESC)"])


@pytest.fixture(scope="module")
def dirty_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    """The real platform rows, three of them with a control character in a value (in different columns)."""
    out = tmp_path_factory.mktemp("dirty")
    rows = platform_rows()
    assert len(rows) >= 5
    rows[0] = dict(rows[0], **{TITLE: rows[0][TITLE] + "\x00"})
    rows[1] = dict(rows[1], **{TITLE: "\x1b[31m" + rows[1][TITLE]})
    summary = "Project Summary"
    rows[2] = dict(rows[2], **{summary: rows[2][summary][:20] + "\x7f" + rows[2][summary][20:]})
    return write_erasmus_csv(out / "platform-export.csv", rows), rows


def test_a_control_character_rejects_its_row_every_reject_in_the_report(seed_build: Path, tmp_path: Path, dirty_export):
    export, rows = dirty_export
    var = fresh_var(seed_build, tmp_path)
    result = run_import(Settings(root=ROOT, var_dir=var), "erasmus", [export], name="dirty")
    lines = record_lines(export)
    bad = {r.row: r for r in result.rejects if "control character" in r.reason}
    assert sorted(bad) == lines[:3]  # the CSV lines the first three records start on
    first, second, third = (bad[n] for n in lines[:3])
    assert first.column == TITLE and "U+0000 (NUL)" in first.reason
    assert second.column == TITLE and "U+001B (ESC)" in second.reason
    assert third.column == "Project Summary" and "U+007F (DEL)" in third.reason
    assert str(first).startswith(f"platform-export.csv:2:{TITLE}: control character U+0000 (NUL) at character")
    # the report lists every reject, one CSV row each
    assert result.rejects_path is not None
    with open(result.rejects_path, newline="", encoding="utf-8") as f:
        report = list(csv.DictReader(f))
    assert len(report) == len(result.rejects)
    assert {(int(r["row"]), r["column"]) for r in report} >= {(lines[0], TITLE), (lines[1], TITLE), (lines[2], "Project Summary")}
    # the other rows loaded; no control character anywhere in the graph
    graph = f"{BASE}graph/import/erasmus/dirty"
    titles = values(var, f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ ?p a kg:Project ; dct:title ?t }} }}", "t")
    assert rows[3][TITLE].strip() in {t.strip() for t in titles}
    found = values(var, f'SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER(isLiteral(?o) && REGEX(STR(?o), "[\\u0000-\\u0008\\u001B\\u007F]")) }} }}', "o")
    assert found == set()


def test_strip_control_removes_and_reports(seed_build: Path, tmp_path: Path, dirty_export):
    export, rows = dirty_export
    var = fresh_var(seed_build, tmp_path)
    proc = run_kg("import", "erasmus", str(export), "--name", "stripped", "--strip-control", "--var-dir", str(var))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"repaired: platform-export.csv:2:{TITLE}: removed control character(s) U+0000 (NUL); row kept" in proc.stderr
    lines = record_lines(export)
    graph = f"{BASE}graph/import/erasmus/stripped"
    titles = values(var, f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ ?p a kg:Project ; dct:title ?t }} }}", "t")
    assert rows[0][TITLE].replace("\x00", "").strip() in titles
    assert rows[1][TITLE].replace("\x1b", "").strip() in titles
    [report] = (var / "rejects").glob("erasmus-stripped-*.csv")
    with open(report, newline="", encoding="utf-8") as f:
        repaired = [r for r in csv.DictReader(f) if "removed control character" in r["reason"]]
    assert {(int(r["row"]), r["column"]) for r in repaired} == {(lines[0], TITLE), (lines[1], TITLE), (lines[2], "Project Summary")}


# --------------------------------------------------------------------------- damaged archives
def test_a_damaged_zip_is_one_line(seed_build: Path, tmp_path: Path):
    var = fresh_var(seed_build, tmp_path)
    not_zip = tmp_path / "cordis-export.zip"
    not_zip.write_text("<html>the download page, not the archive</html>\n", encoding="utf-8")
    rows = platform_rows()
    csv_file = write_erasmus_csv(tmp_path / "platform-export.csv", rows)
    crc = tmp_path / "erasmus-export.zip"
    with zipfile.ZipFile(crc, "w", zipfile.ZIP_STORED) as z:
        z.write(csv_file, arcname="platform-export.csv")
    data = bytearray(crc.read_bytes())
    at = data.index(b"Project Identifier") + 200  # inside the stored member's bytes
    data[at] = data[at] ^ 0x20
    crc.write_bytes(bytes(data))
    not_xlsx = tmp_path / "export.xlsx"
    not_xlsx.write_bytes(b"PK\x03\x04 truncated")
    for source, path, expected in (
        ("cordis", not_zip, "cordis-export.zip: damaged or not a zip archive"),
        ("erasmus", crc, "erasmus-export.zip!platform-export.csv: damaged or not a zip archive (Bad CRC-32"),
    ):
        proc = run_kg("import", source, str(path), "--name", "damaged", "--var-dir", str(var))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert expected in proc.stderr.replace("\n", ""), proc.stderr
        assert len([line for line in proc.stderr.splitlines() if line.strip()]) <= 2, proc.stderr
    with pytest.raises(CellError, match="damaged or not a zip archive"):
        list(open_tables([not_zip]))
    with pytest.raises(ImportFailed, match="export.xlsx: damaged or not a zip archive"):
        run_import(Settings(root=ROOT, var_dir=var), "erasmus", [not_xlsx], name="damaged")


# --------------------------------------------------------------------------- curated source paths
def test_a_curated_source_path_outside_data_is_an_error(data_copy: Path):
    """Three records pointing out of data/ three ways: each one error at its file, line and column."""
    planted = {}
    for record, outside in (("eccipa", "/etc/hostname"), ("ic4lop", "../../../../etc/passwd"), ("liaison", "sources/../../../etc/passwd")):
        path = data_copy / "projects" / f"{record}.yaml"
        text = path.read_text(encoding="utf-8")
        [line] = [line for line in text.splitlines() if line.startswith("  path: sources/")]
        path.write_text(text.replace(line + "\n", f"  path: {outside}\n"), encoding="utf-8")
        planted[path] = text.splitlines().index(line) + 1
    with pytest.raises(RecordsInvalid) as caught:
        assemble(Settings(root=ROOT, data_dir=data_copy))
    errors = {e.path: e for e in caught.value.errors if e.field == "source.path"}
    assert set(errors) == set(planted)
    for path, line in planted.items():
        assert "data directory" in errors[path].message and errors[path].line == line
    proc = run_kg("validate", "--data-dir", str(data_copy))
    assert proc.returncode == 1 and "source.path" in proc.stderr and "/etc/hostname" in proc.stderr


def test_a_curated_source_symlinked_out_of_data_is_an_error(data_copy: Path, tmp_path: Path):
    outside = tmp_path / "secret.txt"
    outside.write_text("not for publishing\n", encoding="utf-8")
    (data_copy / "sources" / "linked-out.txt").symlink_to(outside)
    path = data_copy / "projects" / "eccipa.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  path: sources/003_b6e3edf6708f26aa.txt\n", "  path: sources/linked-out.txt\n"), encoding="utf-8")
    with pytest.raises(RecordsInvalid) as caught:
        assemble(Settings(root=ROOT, data_dir=data_copy))
    [error] = [e for e in caught.value.errors if e.field == "source.path"]
    assert "lies outside the data directory" in error.message
