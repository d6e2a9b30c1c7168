"""The fast SHACL validator (kg.validation.fast) against pySHACL, the reference, on the project's shapes.

Both validators get the same data: the seed release as ``kg.release.build.check()`` validates it, and
deliberately broken copies of it (bad and impossible dates, end before start across precisions,
unknown country, SDG 18, missing title and provenance, malformed grant number …). They must report
the same set of (focus node, result path, value, constraint component, severity) and agree on
conformance. The W3C test suite is in tests/conformance/test_w3c_shacl.py.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import SH

from kg.release.build import assemble, check, validation_quads
from kg.settings import Settings
from kg.validation.fast import FastValidator, validate_fast
from kg.validation.fast.compile import FocusScan, PathScan
from kg.validation.fast.report import report_keys
from kg.validation.fast.sparql import binds_this
from kg.validation.inputs import load_shapes, quads_to_graph
from kg.validation.reference import validate
from kg.validation.report import Report

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/euprojects/"
KG = "https://w3id.org/euprojects/def#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"

ECCIPA = BASE + "id/project/2020-1-DE02-KA202-007701"
IC4LOP = BASE + "id/project/ic4lop"
LIAISON = BASE + "id/project/liaison"
LCMI = BASE + "id/project/learning-cities-migrants-inclusion"
CTN = BASE + "id/project/cosmopolitan-towns-network"

logging.getLogger("rdflib").setLevel(logging.CRITICAL)  # rdflib logs every ill-typed literal it meets


def N(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def L(value: str, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(value, language=lang)
    return ox.Literal(value, datatype=N(XSD + datatype)) if datatype else ox.Literal(value)


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(root=ROOT)


@pytest.fixture(scope="module")
def seed(settings):
    return assemble(settings)


@pytest.fixture(scope="module")
def shapes(settings):
    return load_shapes(settings.shapes_dir)


class Data:
    """The quads check() validates, to edit: remove / replace / add statements."""

    def __init__(self, quads):
        self.quads = list(quads)
        self.graph_of = {}
        for q in self.quads:
            self.graph_of.setdefault(q.subject.value, q.graph_name)

    def objects(self, s: str, p: str) -> list:
        return [q.object for q in self.quads if q.subject.value == s and q.predicate.value == p]

    def remove(self, s: str, p: str, o=None) -> int:
        before = len(self.quads)
        self.quads = [
            q for q in self.quads
            if not (q.subject.value == s and q.predicate.value == p and (o is None or q.object == o))
        ]
        return before - len(self.quads)

    def add(self, s: str, p: str, o) -> None:
        g = self.graph_of.get(s, ox.DefaultGraph())
        self.quads.append(ox.Quad(N(s), N(p), o, g))

    def replace(self, s: str, p: str, o) -> None:
        assert self.remove(s, p), f"nothing to replace: <{s}> <{p}>"
        self.add(s, p, o)


def both(quads, shapes):
    """(pySHACL report, fast report) for the same data."""
    reference = validate(quads_to_graph(quads), shapes)
    fast = validate_fast(quads, shapes)
    return reference, fast


def keys(report) -> set:
    return set(report_keys(report.graph, blank_ids=False))


def assert_same(reference, fast) -> None:
    ref, got = keys(reference), keys(fast)
    assert got == ref, f"only pySHACL: {sorted(ref - got)}\nonly fast: {sorted(got - ref)}"
    assert fast.conforms == reference.conforms
    assert len(fast.violations) == len(reference.violations)


def has(report, focus: str, path: str | None, component: str, value: str | None = None) -> bool:
    for k in keys(report):
        f, p, v, c, _ = k
        if f[1] == focus and (path is None or p == f"<{path}>" or p == path) and c == str(SH[component]):
            if value is None or (v is not None and v[1] == value):
                return True
    return False


# --------------------------------------------------------------------------- the seed release
def test_seed_release_same_report(seed, shapes):
    reference, fast = both(validation_quads(seed), shapes)
    assert fast.conforms and reference.conforms
    assert_same(reference, fast)
    # the curator-facing results are identical too (the seed's warnings: no SDG, no country)
    as_tuples = lambda r: sorted((x.focus, x.path, x.value, x.severity, x.shape, x.message) for x in r.results)  # noqa: E731
    assert as_tuples(fast) == as_tuples(reference)
    assert len(fast.warnings) > 0


def test_check_uses_the_fast_engine_and_keeps_pyshacl(seed, settings):
    fast = check(seed, settings)
    reference = check(seed, settings, engine="pyshacl")
    assert isinstance(fast, Report) and type(reference) is Report
    row = lambda r: (r.focus, r.path, r.value, r.severity, r.message, r.where)  # noqa: E731
    assert sorted(map(row, fast.results)) == sorted(map(row, reference.results))
    assert all(r.where and r.where.startswith("data/projects/") for r in fast.results)
    assert "sh:ValidationReport" in fast.turtle()
    with pytest.raises(ValueError):
        check(seed, settings, engine="nope")


# --------------------------------------------------------------------------- broken releases
def broken_seed(seed) -> tuple[Data, list[tuple]]:
    """The seed with one defect per entity; returns the data and the results each defect must give."""
    d = Data(validation_quads(seed))
    expect = []
    # impossible date (2019-02-30 is ill-formed for xsd:date): sh:or of the date forms fails
    d.replace(IC4LOP, KG + "startDate", L("2019-02-30", "date"))
    expect.append((IC4LOP, KG + "startDate", "OrConstraintComponent"))
    # end before start, mixed precision: 2022-05 (gYearMonth) .. 2022-04-30 (date)
    d.replace(LIAISON, KG + "startDate", L("2022-05", "gYearMonth"))
    d.replace(LIAISON, KG + "endDate", L("2022-04-30", "date"))
    expect.append((LIAISON, KG + "endDate", "SPARQLConstraintComponent"))
    # end before start, years: 2020 (gYear) .. 2019-08 (gYearMonth)
    d.replace(CTN, KG + "startDate", L("2020", "gYear"))
    expect.append((CTN, KG + "endDate", "SPARQLConstraintComponent"))
    # month 13; a two-digit year
    d.replace(LCMI, KG + "startDate", L("2009-13", "gYearMonth"))
    d.add(LCMI, KG + "endDate", L("17", "gYear"))
    expect.append((LCMI, KG + "startDate", "OrConstraintComponent"))
    expect.append((LCMI, KG + "endDate", "OrConstraintComponent"))
    # a country that is not in the EU authority table
    d.add(ECCIPA, KG + "country", N(COUNTRY + "XXA"))
    expect.append((ECCIPA, KG + "country", "ClassConstraintComponent"))
    expect.append((ECCIPA, KG + "country", "NodeConstraintComponent"))
    # SDG 18 does not exist
    d.add(LCMI, KG + "sdg", N("http://metadata.un.org/sdg/18"))
    expect.append((LCMI, KG + "sdg", "OrConstraintComponent"))
    # missing title; missing provenance
    d.remove(LIAISON, DCT + "title")
    expect.append((LIAISON, DCT + "title", "MinCountConstraintComponent"))
    d.remove(LCMI, PROV + "wasDerivedFrom")
    expect.append((LCMI, PROV + "wasDerivedFrom", "MinCountConstraintComponent"))
    # malformed grant number (and so the project key is no longer the grant number)
    d.replace(ECCIPA + "/grant", KG + "grantNumber", L("n° 2020-1-DE02-KA202-007701"))
    expect.append((ECCIPA + "/grant", KG + "grantNumber", "PatternConstraintComponent"))
    expect.append((ECCIPA, DCT + "identifier", "SPARQLConstraintComponent"))
    # two English titles
    d.add(IC4LOP, DCT + "title", L("IC4LOP again", lang="en"))
    expect.append((IC4LOP, DCT + "title", "UniqueLangConstraintComponent"))
    # an amount in lower-case currency, below zero
    amount = ECCIPA + "/grant/amount"
    d.add(ECCIPA + "/grant", KG + "amount", N(amount))
    d.add(amount, RDF_TYPE, N(KG + "MonetaryAmount"))
    d.add(amount, SCHEMA + "value", L("-5.00", "decimal"))
    d.add(amount, SCHEMA + "currency", L("eur"))
    expect.append((amount, SCHEMA + "value", "MinInclusiveConstraintComponent"))
    expect.append((amount, SCHEMA + "currency", "PatternConstraintComponent"))
    # a participation without role, and no longer listed by its project
    participation = next(q.subject.value for q in d.quads if q.object == N(KG + "Participation"))
    project = d.objects(participation, KG + "inProject")[0].value
    d.remove(participation, KG + "role")
    expect.append((participation, KG + "role", "MinCountConstraintComponent"))
    d.remove(project, KG + "hasParticipation", N(participation))
    expect.append((participation, None, "EqualsConstraintComponent"))
    # expected results: range minimum above maximum; quantity and range together
    d.replace(IC4LOP + "/result/3", KG + "minQuantity", L("30", "integer"))
    expect.append((IC4LOP + "/result/3", KG + "minQuantity", "LessThanOrEqualsConstraintComponent"))
    d.add(IC4LOP + "/result/2", KG + "minQuantity", L("1", "integer"))
    expect.append((IC4LOP + "/result/2", None, "NotConstraintComponent"))
    # a count written as text; a label that is a number
    d.add(CTN, KG + "partnerCount", L("five"))
    expect.append((CTN, KG + "partnerCount", "DatatypeConstraintComponent"))
    d.add(IC4LOP + "/activity/2", "http://www.w3.org/2000/01/rdf-schema#label", L("7", "integer"))
    expect.append((IC4LOP + "/activity/2", "http://www.w3.org/2000/01/rdf-schema#label", "OrConstraintComponent"))
    return d, expect


def test_broken_release_same_violations(seed, shapes):
    d, expect = broken_seed(seed)
    reference, fast = both(d.quads, shapes)
    assert not fast.conforms
    assert_same(reference, fast)
    missing = [e for e in expect if not has(fast, *e)]
    assert missing == []


def test_broken_release_messages_name_file_and_shape(seed, shapes):
    d, _ = broken_seed(seed)
    report = validate_fast(d.quads, shapes, locate=seed.locate)
    titles = [r for r in report.violations if r.focus == LIAISON and r.path == DCT + "title"]
    assert titles and titles[0].message == "A project needs a title (dct:title) with a language tag."
    assert titles[0].where == "data/projects/liaison.yaml"
    assert titles[0].shape == "https://w3id.org/euprojects/shapes#Project-title"


def test_each_defect_alone(seed, shapes):
    """Single defects, each validated on its own: only its own violations."""
    base = validation_quads(seed)
    d = Data(base)
    d.replace(IC4LOP, KG + "endDate", L("2019-01", "gYearMonth"))  # start 2019-01-15: same month
    assert validate_fast(d.quads, shapes).conforms  # 2019-01 may end after the 15th: not before start
    d = Data(base)
    d.replace(IC4LOP, KG + "endDate", L("2018-12", "gYearMonth"))
    report = validate_fast(d.quads, shapes)
    assert [(r.focus, r.path) for r in report.violations] == [(IC4LOP, KG + "endDate")]
    assert report.violations[0].message == "The end date must not be before the start date."


def test_known_disagreement_week_durations(seed, shapes):
    """"P2W" is not an xsd:duration (XSD has no weeks): sh:datatype and sh:pattern both fail.
    rdflib rewrites the literal to "P14D" while parsing, so pySHACL never sees "P2W" and reports
    nothing: the fast validator is right (SHACL, XSD 1.1 §3.3.6)."""
    d = Data(validation_quads(seed))
    d.replace(ECCIPA + "/activity/1", KG + "duration", L("P2W", "duration"))
    reference, fast = both(d.quads, shapes)
    assert has(fast, ECCIPA + "/activity/1", KG + "duration", "DatatypeConstraintComponent", "P2W")
    assert has(fast, ECCIPA + "/activity/1", KG + "duration", "PatternConstraintComponent", "P2W")
    assert keys(reference) <= keys(fast)
    extra = keys(fast) - keys(reference)
    assert all(k[0][1] == ECCIPA + "/activity/1" for k in extra)


# --------------------------------------------------------------------------- engine
def test_plan_scans_each_path_once(seed, shapes):
    """All value checks on a path, whatever shape and targets they come from, share one scan."""
    v = FastValidator(shapes)
    v.validate(validation_quads(seed))
    paths = [i.path for i in v.plan.items if isinstance(i, PathScan)]
    assert len(paths) == len(set(paths))
    labels = next(i for i in v.plan.items if isinstance(i, PathScan) and i.path.endswith("rdf-schema#label>"))
    assert len({fs for _, fs in labels.flags}) > 5  # kgsh:Label serves many node shapes
    focus_sets = [i.focus_set for i in v.plan.items if isinstance(i, FocusScan)]
    assert len(focus_sets) == len(set(focus_sets))


def test_processes_on_a_disk_store_give_the_same_report(seed, shapes, tmp_path):
    d, _ = broken_seed(seed)
    store = ox.Store(str(tmp_path / "store"))
    store.extend(d.quads)
    store.flush()
    del store
    sequential = validate_fast(d.quads, shapes)
    parallel = validate_fast(str(tmp_path / "store"), shapes, workers=2)
    assert keys(parallel) == keys(sequential)


def test_sparql_constraints_run_over_the_whole_graph_only_when_equivalent():
    assert binds_this("SELECT $this ?value WHERE { $this <http://x/p> ?value . FILTER(?value > 1) }")
    assert not binds_this("SELECT $this WHERE { FILTER NOT EXISTS { $this <http://x/p> ?v } }")
    assert not binds_this("SELECT $this WHERE { { FILTER(bound($this)) } $this <http://x/p> ?v }")
    assert not binds_this("SELECT $this WHERE { OPTIONAL { $this <http://x/p> ?v } }")


# --------------------------------------------------------------------------- generated data
def test_generated_projects_same_violations(tmp_path, shapes):
    """bench/gen_projects.py with many defects: both validators agree, every defect is found."""
    out, defects = tmp_path / "p.nq", tmp_path / "defects.jsonl"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gen_projects.py"), "--projects", "25", "--seed", "7",
         "--defect-rate", "0.8", "--out", str(out), "--defects-out", str(defects)],
        check=True, capture_output=True, cwd=ROOT,
    )
    quads = list(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))
    reference, fast = both(quads, shapes)
    assert_same(reference, fast)
    injected = [json.loads(line) for line in defects.read_text().splitlines()]
    assert len({d["defect"] for d in injected}) >= 8
    focus = {r.focus for r in fast.violations}
    for d in injected:
        assert any(f == d["project"] or f.startswith(d["project"] + "/") for f in focus), d


def test_count_guard_both_ways(seed, shapes, monkeypatch):
    """sh:maxCount / sh:uniqueLang: checked on the few multi-valued nodes, or over the whole graph
    when there are many; both give the same report."""
    from kg.validation.fast import engine

    d, _ = broken_seed(seed)
    few = keys(validate_fast(d.quads, shapes))
    monkeypatch.setattr(engine, "GUARD_LIMIT", 0)
    many = keys(validate_fast(d.quads, shapes))
    assert few == many
    assert any(k[3].endswith("#UniqueLangConstraintComponent") for k in many)


def test_known_disagreement_ill_formed_years(seed, shapes):
    """"17"^^xsd:gYear is ill-formed (a year has at least four digits), so sh:datatype xsd:gYear
    fails. pySHACL checks the lexical form of only a few datatypes (not xsd:gYear) and lets it pass;
    both report the sh:pattern. The fast validator is right (SHACL §4.2.2: ill-formed literals fail)."""
    d = Data(validation_quads(seed))
    d.add(IC4LOP, KG + "callYear", L("17", "gYear"))
    reference, fast = both(d.quads, shapes)
    assert has(fast, IC4LOP, KG + "callYear", "DatatypeConstraintComponent", "17")
    assert has(fast, IC4LOP, KG + "callYear", "PatternConstraintComponent", "17")
    assert has(reference, IC4LOP, KG + "callYear", "PatternConstraintComponent", "17")
    assert keys(fast) - keys(reference) <= {
        k for k in keys(fast) if k[0][1] == IC4LOP and k[3].endswith("#DatatypeConstraintComponent")
    }
    assert keys(reference) <= keys(fast)
