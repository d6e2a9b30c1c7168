"""Record errors name the file, line and column of the offending value: ``file:line:column: field: message``.

Each test breaks a copy of a real file of ``data/`` (flow style ``[a, b]`` / ``{k: v}`` and block style
alike) and checks the exact position, found in the edited text, of the value the error is about: errors
of the record model (wrong type, missing or unknown field, malformed YAML) and of the mapping stage
(countries, SDGs, programmes that do not resolve), in the records and in the programme scheme.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.curated import load_model
from kg.model.errors import RecordError, RecordsInvalid
from kg.model.records import ProjectRecord
from kg.release.build import assemble
from kg.settings import Settings
from kgtesting import ROOT, run_kg


def edit(path: Path, old: str, new: str) -> str:
    """Replace ``old`` (once, exactly) in the file; return the new text."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def position(text: str, line_text: str, value: str) -> tuple[int, int]:
    """1-based (line, column) of ``value`` on the one line that reads ``line_text``."""
    lines = text.splitlines()
    found = [i for i, line in enumerate(lines) if line == line_text]
    assert len(found) == 1, f"{line_text!r} should be one line of the text"
    return found[0] + 1, lines[found[0]].index(value) + 1


def errors_of(data: Path) -> list[RecordError]:
    with pytest.raises(RecordsInvalid) as caught:
        assemble(Settings(root=ROOT, data_dir=data))
    return caught.value.errors


def only(errors: list[RecordError], field: str) -> RecordError:
    matching = [e for e in errors if e.field == field]
    assert len(matching) == 1, f"one error for {field} expected, got {[str(e) for e in errors]}"
    return matching[0]


# --------------------------------------------------------------------------- the mapping stage


def test_unknown_country_in_a_flow_list(data_copy: Path):
    path = data_copy / "projects" / "eccipa.yaml"
    text = edit(path, "countries: [Germany, Italy, Spain]\n", "countries: [Germany, Italy, Spain, Atlantis]\n")
    line, column = position(text, "countries: [Germany, Italy, Spain, Atlantis]", "Atlantis")
    error = only(errors_of(data_copy), "countries[3]")
    assert (error.path, error.line, error.column) == (path, line, column)
    assert str(error).startswith(f"{path}:{line}:{column}: countries[3]: unknown country 'Atlantis'")


def test_unknown_country_in_a_block_list(data_copy: Path):
    path = data_copy / "projects" / "eccipa.yaml"
    text = edit(path, "countries: [Germany, Italy, Spain]\n", "countries:\n  - Germany\n  - Atlantis\n  - Spain\n")
    line, column = position(text, "  - Atlantis", "Atlantis")
    error = only(errors_of(data_copy), "countries[1]")
    assert (error.line, error.column) == (line, column)
    assert str(error).startswith(f"{path}:{line}:{column}: countries[1]: unknown country 'Atlantis'")


def test_unknown_city_country_in_a_flow_mapping_of_a_block_list(data_copy: Path):
    path = data_copy / "projects" / "learning-cities-migrants-inclusion.yaml"
    text = edit(path, "  - {name: Berlin, country: DE}\n", "  - {name: Berlin, country: Atlantis}\n")
    line, column = position(text, "  - {name: Berlin, country: Atlantis}", "Atlantis")
    error = only(errors_of(data_copy), "cities[1].country")
    assert (error.path, error.line, error.column) == (path, line, column)


def test_unknown_sdg_and_programme_in_one_file(data_copy: Path):
    path = data_copy / "projects" / "cosmopolitan-towns-network.yaml"
    text = path.read_text(encoding="utf-8")
    programme = next(line for line in text.splitlines() if line.startswith("programme: "))
    edit(path, '\nsdgs: ["10", "11"]\n', '\nsdgs: ["10", "18"]\n')
    text = edit(path, f"\n{programme}\n", "\nprogramme: no-such-programme\n")
    errors = errors_of(data_copy)
    sdg = only(errors, "sdgs[1]")
    assert (sdg.line, sdg.column) == position(text, 'sdgs: ["10", "18"]', '"18"')
    wrong = only(errors, "programme")
    assert (wrong.line, wrong.column) == position(text, "programme: no-such-programme", "no-such-programme")
    assert "is not a concept of the programme scheme" in wrong.message


def test_unknown_funder_country_in_the_programme_scheme(data_copy: Path):
    path = data_copy / "vocab" / "programmes.yaml"
    text = edit(path, "    short_name: NA beim BIBB\n    country: DE\n", "    short_name: NA beim BIBB\n    country: Atlantis\n")
    error = only(errors_of(data_copy), "funders[4].country")
    assert (error.path, error.line, error.column) == (path, *position(text, "    country: Atlantis", "Atlantis"))


# --------------------------------------------------------------------------- the record model


def load_errors(path: Path) -> list[RecordError]:
    with pytest.raises(RecordsInvalid) as caught:
        load_model(path, ProjectRecord)
    return caught.value.errors


def test_wrong_type_is_placed_at_the_value(data_copy: Path):
    path = data_copy / "projects" / "eccipa.yaml"
    text = edit(path, "\npartner_count: 5\n", "\npartner_count: five\n")
    error = only(load_errors(path), "partner_count")
    line, column = position(text, "partner_count: five", "five")
    assert (error.line, error.column) == (line, column)
    assert str(error) == f"{path}:{line}:{column}: partner_count: Input should be a valid integer, unable to parse string as an integer"


def test_wrong_type_inside_a_flow_mapping(data_copy: Path):
    path = data_copy / "projects" / "learning-cities-migrants-inclusion.yaml"
    text = edit(path, "labels: {en: Dunkirk}}", "labels: {en: [Dunkirk]}}")
    error = only(load_errors(path), "cities[2].labels.en")
    assert (error.line, error.column) == position(text, "  - {name: Dunkerque, country: FR, labels: {en: [Dunkirk]}}", "[Dunkirk]")


def test_missing_required_field_is_placed_at_the_mapping_that_lacks_it(data_copy: Path):
    path = data_copy / "projects" / "eccipa.yaml"
    text = edit(path, "\ntitle: ECCIPA\n", "\n")
    error = only(load_errors(path), "title")
    assert error.message == "Field required"
    assert (error.line, error.column) == position(text, "id: eccipa", "id")  # the record's mapping starts there


def test_missing_nested_field_is_placed_at_its_mapping(data_copy: Path):
    path = data_copy / "projects" / "eccipa.yaml"
    text = edit(path, "\n  path: sources/003_b6e3edf6708f26aa.txt\n", "\n")
    error = only(load_errors(path), "source.path")
    # the source mapping now starts with its (indented) comment's next key
    assert (error.line, error.column) == position(text, "  title: ECCIPA – Project leaflet", "title")


def test_unknown_field_is_placed_at_its_key(data_copy: Path):
    path = data_copy / "projects" / "eccipa.yaml"
    text = edit(path, "\nacronym: ECCIPA\n", "\nacronym: ECCIPA\ntitel: typo\n")
    error = only(load_errors(path), "titel")
    assert (error.line, error.column) == position(text, "titel: typo", "titel")
    assert "unknown field" in error.message and "src/kg/model/records.py" in error.message


def test_malformed_yaml_names_line_and_column(data_copy: Path):
    path = data_copy / "projects" / "liaison.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "objectives: [unclosed, list\n", encoding="utf-8")
    (error,) = load_errors(path)
    assert error.message.startswith("malformed YAML")
    assert error.line == len(text.splitlines()) + 2 and error.column == 1  # where the parser gave up: the end
    assert str(error).startswith(f"{path}:{error.line}:1: malformed YAML")


def test_errors_without_a_position_print_as_before():
    assert str(RecordError(Path("a.yaml"), "title", "Field required")) == "a.yaml: title: Field required"
    assert str(RecordError(Path("a.yaml"), "", "cannot read", 3)) == "a.yaml:3: cannot read"
    assert str(RecordError(Path("a.yaml"), "x", "bad", 3, 7)) == "a.yaml:3:7: x: bad"


# --------------------------------------------------------------------------- what the kg command prints


def test_kg_validate_prints_file_line_column(data_copy: Path):
    path = data_copy / "projects" / "eccipa.yaml"
    text = edit(path, "countries: [Germany, Italy, Spain]\n", "countries: [Germany, Italy, Spain, Atlantis]\n")
    line, column = position(text, "countries: [Germany, Italy, Spain, Atlantis]", "Atlantis")
    proc = run_kg("validate", "--data-dir", str(data_copy))
    assert proc.returncode == 1
    assert f"error: {path}:{line}:{column}: countries[3]: unknown country 'Atlantis'" in proc.stderr
    assert f"{path}:{line}:{column}" in proc.stderr.replace("\n", "").replace(" ", "").replace("│", "")  # the table too


def test_kg_build_prints_paths_below_the_working_directory_relative(tmp_path: Path, data_copy: Path):
    """What the README's "Adding or fixing a project" shows: run where ``data/`` is, paths as typed."""
    path = data_copy / "projects" / "eccipa.yaml"
    text = edit(path, "countries: [Germany, Italy, Spain]\n", "countries: [Germany, Italy, Spain, Atlantis]\n")
    line, column = position(text, "countries: [Germany, Italy, Spain, Atlantis]", "Atlantis")
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "--data-dir", "data", "--var-dir", str(tmp_path / "var")],
        cwd=data_copy.parent, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=600,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    printed = (
        f"error: data/projects/eccipa.yaml:{line}:{column}: countries[3]: unknown country 'Atlantis'; "
        "did you mean 'Albania' or 'Malawi' or 'Latvia'?\n"
        "Build failed; the served store was left unchanged.\n"
    )
    assert printed in proc.stderr
    assert printed in (ROOT / "README.md").read_text(encoding="utf-8"), "the README's example is not what kg build prints"
