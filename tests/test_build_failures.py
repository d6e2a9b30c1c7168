"""Broken input fails the build with a message naming file and field, and the served store stays intact."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kg.model.namespaces import sparql_prefixes
from kg.store import OxigraphStore
from kgtesting import run_kg

COUNT_PROJECTS = sparql_prefixes("kg") + "SELECT (COUNT(?p) AS ?n) WHERE { ?p a kg:Project }"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var dir holding a good build of data/ — the store every failing build must leave alone."""
    var = tmp_path_factory.mktemp("served")
    run_kg("build", "--var-dir", str(var), check=True)
    return var


def store_target(var: Path) -> Path:
    return (var / "store").resolve()


def project_count(var: Path) -> int:
    with OxigraphStore(var / "store", read_only=True) as st:
        return int(next(iter(st.query(COUNT_PROJECTS)))["n"].value)


def record_path(data: Path, acronym: str) -> Path:
    for path in sorted((data / "projects").glob("*.yaml")):
        if (yaml.safe_load(path.read_text()) or {}).get("acronym") == acronym:
            return path
    raise AssertionError(f"no record with acronym {acronym}")


def edit_record(data: Path, acronym: str, change) -> Path:
    path = record_path(data, acronym)
    record = yaml.safe_load(path.read_text())
    change(record)
    path.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False))
    return path


def failing_build(data: Path, var: Path, *expected: str) -> str:
    before_target, before_count = store_target(var), project_count(var)
    proc = run_kg("build", "--data-dir", str(data), "--var-dir", str(var))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"build should fail:\n{output}"
    for text in expected:
        assert text in output, f"{text!r} not in build output:\n{output}"
    # the previous store is untouched and still answers
    assert store_target(var) == before_target
    assert project_count(var) == before_count == 5
    return output


def test_bad_date(data_copy: Path, served: Path):
    path = edit_record(data_copy, "IC4LOP", lambda r: r.update(start="2019-13-15"))
    failing_build(data_copy, served, path.name, "start", "month 13 does not exist")


def test_end_before_start(data_copy: Path, served: Path):
    path = edit_record(data_copy, "LIAISON", lambda r: r.update(start="2022-04-02", end="2020-02-03"))
    failing_build(data_copy, served, path.name, "end", "end date 2020-02-03 is before start date 2022-04-02")


def test_unknown_country(data_copy: Path, served: Path):
    path = edit_record(data_copy, "ECCIPA", lambda r: r["countries"].append("Atlantis"))
    failing_build(data_copy, served, path.name, "countries[3]", "unknown country 'Atlantis'")


def test_sdg_18_does_not_exist(data_copy: Path, served: Path):
    path = edit_record(data_copy, "IC4LOP", lambda r: r.update(sdgs=[4, 18]))
    failing_build(data_copy, served, path.name, "sdgs[1]", "'18'")


def test_missing_title(data_copy: Path, served: Path):
    path = edit_record(data_copy, "ECCIPA", lambda r: r.pop("title"))
    failing_build(data_copy, served, path.name, "title", "Field required")


def test_malformed_file(data_copy: Path, served: Path):
    path = record_path(data_copy, "LIAISON")
    path.write_text(path.read_text() + "\nobjectives: [unclosed, list\n")
    failing_build(data_copy, served, path.name, "malformed YAML")


def test_unknown_field_is_named(data_copy: Path, served: Path):
    path = edit_record(data_copy, "IC4LOP", lambda r: r.update(titel="typo"))
    failing_build(data_copy, served, path.name, "titel", "unknown field")


def test_shacl_violation_names_file_entity_and_property(data_copy: Path, served: Path):
    # passes the record model, but the grant-number pattern of the shapes rejects it
    path = edit_record(data_copy, "ECCIPA", lambda r: r["grant"].update(number="not a grant number"))
    output = failing_build(data_copy, served, "violation", str(Path("projects") / path.name), "grantNumber")
    assert "https://w3id.org/euprojects/id/project/" in output


def test_a_good_build_replaces_the_store_atomically(data_copy: Path, tmp_path: Path):
    var = tmp_path / "var"
    run_kg("build", "--data-dir", str(data_copy), "--var-dir", str(var), check=True)
    first = store_target(var)
    edit_record(data_copy, "IC4LOP", lambda r: r.update(acronym="IC4LOP2"))
    reader = OxigraphStore(var / "store", read_only=True)  # a reader holding the old build open
    run_kg("build", "--data-dir", str(data_copy), "--var-dir", str(var), check=True)
    second = store_target(var)
    assert first != second and (var / "store").is_symlink()
    with OxigraphStore(var / "store", read_only=True) as st:
        assert any(r["a"].value == "IC4LOP2" for r in st.query(sparql_prefixes("kg") + "SELECT ?a { ?p kg:acronym ?a }"))
    assert project_count(var) == 5
    # the old reader still answers from the build it opened
    assert int(next(iter(reader.query(COUNT_PROJECTS)))["n"].value) == 5
    reader.close()


def test_personal_data_only_when_enabled(tmp_path: Path):
    var = tmp_path / "var"
    run_kg("build", "--var-dir", str(var), "--include-personal-data", check=True)
    with OxigraphStore(var / "store", read_only=True) as st:
        emails = {r["e"].value for r in st.query("SELECT ?e WHERE { ?c <http://www.w3.org/2006/vcard/ns#hasEmail> ?e }")}
    assert "mailto:daria.labarbera@cesie.org" in emails


def test_kg_validate_reports_text_and_turtle(data_copy: Path, tmp_path: Path):
    ok = run_kg("validate", "--data-dir", str(data_copy))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    edit_record(data_copy, "ECCIPA", lambda r: r["grant"].update(number="not a grant number"))
    bad = run_kg("validate", "--data-dir", str(data_copy))
    assert bad.returncode == 1 and "grantNumber" in bad.stdout
    report = tmp_path / "report.ttl"
    bad = run_kg("validate", "--data-dir", str(data_copy), "--format", "turtle", "--output", str(report))
    assert bad.returncode == 1
    import rdflib

    g = rdflib.Graph().parse(report, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, sh.conforms, rdflib.Literal(False)) in g


def test_kg_validate_with_the_reference_engine_reports_what_the_fast_one_reports(data_copy: Path):
    edit_record(data_copy, "ECCIPA", lambda r: r["grant"].update(number="not a grant number"))
    fast = run_kg("validate", "--data-dir", str(data_copy))
    reference = run_kg("validate", "--data-dir", str(data_copy), "--engine", "pyshacl")
    assert fast.returncode == reference.returncode == 1, reference.stdout + reference.stderr
    assert "grantNumber" in reference.stdout
    assert sorted(fast.stdout.splitlines()) == sorted(reference.stdout.splitlines())
    unknown = run_kg("validate", "--data-dir", str(data_copy), "--engine", "topbraid")
    assert unknown.returncode == 2 and "engine must be one of fast, pyshacl" in unknown.stdout + unknown.stderr


def test_pinned_uri_key_survives_a_new_grant_number():
    from kg.model.records import ProjectRecord
    from kg.model.uris import Minter

    base = {"id": "ic4lop", "source": {"path": "sources/x.txt"}, "title": "IC4LOP"}
    m = Minter("https://w3id.org/euprojects/")
    assert m.project(ProjectRecord.model_validate(base)).endswith("/id/project/ic4lop")
    later = {**base, "uri_key": "ic4lop", "grant": {"number": "2018-3-IT03-KA347-000000"}}
    assert m.project(ProjectRecord.model_validate(later)).endswith("/id/project/ic4lop")
