"""kg.validation.run.validate_store: SHACL validation of an on-disk store (``kg build`` output) as the union
of its named graphs, read-only, against what the build validates in memory (every graph but the
vocabularies, plus the vocabularies' typing: kg.release.build.validation_quads) — on the seed store and on a
broken copy of it — and against pySHACL on the broken copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.release.build import assemble, check
from kg.settings import Settings
from kg.validation.fast.report import report_keys
from kg.validation.inputs import load_shapes, quads_to_graph, vocabulary_extract
from kg.validation.reference import validate
from kg.validation.run import validate_fast, validate_store, vocab_graphs
from kgtesting import ROOT

SHAPES = ROOT / "shapes"
BASE = "https://w3id.org/euprojects/"
KG = "https://w3id.org/euprojects/def#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"


def keys(report) -> set:
    return set(report_keys(report.graph, blank_ids=False))


def build_view(store_path: Path) -> list[ox.Quad]:
    """The quads the build validates, taken from a store: non-vocabulary graphs + vocabulary extract."""
    store = ox.Store.read_only(str(store_path))
    vocab = vocab_graphs(store)
    quads = list(store)
    return [q for q in quads if q.graph_name.value not in vocab] + vocabulary_extract(
        [q for q in quads if q.graph_name.value in vocab]
    )


@pytest.fixture(scope="module")
def store_path(seed_build: Path) -> Path:
    return (seed_build / "store").resolve()


def test_vocabulary_graphs_are_recognised(store_path):
    names = vocab_graphs(ox.Store.read_only(str(store_path)))
    assert names == {BASE + "graph/vocab/un-sdg", BASE + "graph/vocab/eu-country"}


def test_seed_store_same_as_build(store_path):
    report = validate_store(store_path, SHAPES)
    built = check(assemble(Settings(root=ROOT)), Settings(root=ROOT))
    assert report.conforms and built.conforms
    assert keys(report) == keys(built)
    as_tuples = lambda r: sorted((x.focus, x.path, x.value, x.severity, x.shape, x.message) for x in r.results)  # noqa: E731
    assert as_tuples(report) == as_tuples(built)
    assert len(report.warnings) > 0


@pytest.fixture(scope="module")
def broken(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the seed store with defects planted in the project graphs."""
    dst = tmp_path_factory.mktemp("broken") / "store"
    shutil.copytree(store_path, dst)
    store = ox.Store(str(dst))
    try:
        projects = [r["p"] for r in store.query(
            f"SELECT DISTINCT ?p ?g WHERE {{ GRAPH ?g {{ ?p a <{KG}Project> }} }} ORDER BY ?p",
        )]
        graph_of = {r["p"]: r["g"] for r in store.query(f"SELECT ?p ?g WHERE {{ GRAPH ?g {{ ?p a <{KG}Project> }} }}")}
        p0, p1, p2 = projects[:3]
        g0, g1, g2 = graph_of[p0], graph_of[p1], graph_of[p2]
        # unknown country, SDG 18, impossible date, second identifier, missing title
        store.add(ox.Quad(p0, ox.NamedNode(KG + "country"), ox.NamedNode(COUNTRY + "XXX"), g0))
        store.add(ox.Quad(p1, ox.NamedNode(KG + "sdg"), ox.NamedNode("http://metadata.un.org/sdg/18"), g1))
        store.add(ox.Quad(p2, ox.NamedNode(KG + "startDate"),
                          ox.Literal("2020-13-40", datatype=ox.NamedNode(XSD + "date")), g2))
        store.add(ox.Quad(p2, ox.NamedNode(DCT + "identifier"), ox.Literal("another-id"), g2))
        for q in list(store.quads_for_pattern(p1, ox.NamedNode(DCT + "title"), None, None)):
            store.remove(q)
        # a statement repeated in a second graph: the union sees it twice, the build once
        for q in list(store.quads_for_pattern(p0, ox.NamedNode(DCT + "identifier"), None, g0)):
            store.add(ox.Quad(q.subject, q.predicate, q.object, g1))
        store.flush()
    finally:
        del store
    return dst


def test_broken_store_same_as_in_memory_and_pyshacl(broken):
    shapes = load_shapes(SHAPES)
    report = validate_store(broken, SHAPES)
    quads = build_view(broken)
    in_memory = validate_fast(quads, shapes)
    reference = validate(quads_to_graph(quads), shapes)
    assert not report.conforms
    assert keys(report) == keys(in_memory) == keys(reference)
    assert len(report.violations) == len(reference.violations) >= 4
    text = "\n".join(str(v) for v in report.violations)
    assert COUNTRY + "XXX" in text and "http://metadata.un.org/sdg/18" in text


def test_broken_store_in_worker_processes(broken):
    one = validate_store(broken, SHAPES, workers=1)
    two = validate_store(broken, SHAPES, workers=2, locate=lambda focus: "somewhere")
    assert keys(one) == keys(two)
    assert all(v.where == "somewhere" for v in two.violations)


def test_missing_store_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        validate_store(tmp_path / "nope", SHAPES)
