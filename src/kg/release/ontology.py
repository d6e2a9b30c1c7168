"""The ontology as published: its triples from the store, and HTML documentation made by pyLODE.

``ontology.html`` is written at publish time from the store's ontology graph, in English, through
``ontology/pylode_prep.py`` (one language, no concept scheme: what pyLODE 3 can show).

pyLODE's output is not reproducible on its own: it names blank nodes at random, walks rdflib's
indexes (whose order follows Python's per-process string hashes) and collects the members of an
``owl:unionOf`` in a set of HTML elements (ordered by memory address). So it gets a graph whose
blank nodes carry their canonical labels, runs in a child interpreter with ``PYTHONHASHSEED=0``,
and has those members sorted while it runs. Equal ontology triples then give equal HTML.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox

from kg.model.namespaces import PREFIXES
from kg.model.uris import Minter
from kg.release.canonical import canonical_quads, sort_triples
from kg.release.manifest import ReleaseFile, sha256, write_file
from kg.settings import Settings
from kg.store import Store

__all__ = ["ontology_html", "ontology_triples", "publish"]

HTML_NAME = "ontology.html"


def ontology_triples(store: Store, settings: Settings) -> list[ox.Triple]:
    """The ontology graph of the store, blank nodes labelled canonically, sorted."""
    graph = Minter(settings.base_uri).ontology_graph
    raw = store.dump(format="ntriples", graph=graph)
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(raw, format=ox.RdfFormat.N_TRIPLES)]
    return sort_triples(canonical_quads(quads))


def _prep_module(ontology_dir: Path) -> ModuleType:
    path = Path(ontology_dir) / "pylode_prep.py"
    spec = importlib.util.spec_from_file_location("kg_ontology_pylode_prep", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{path} is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rdflib_graph(triples: list[ox.Triple]):
    """An rdflib graph of the triples that keeps the blank nodes' labels."""
    import rdflib

    def term(t: object) -> rdflib.term.Node:
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        assert isinstance(t, ox.Literal)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    g = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, str(ns), override=True)
    for t in triples:
        g.add((term(t.subject), term(t.predicate), term(t.object)))
    return g


@contextmanager
def _sorted_set_members() -> Iterator[None]:
    """Make pyLODE list union/intersection members in a stable order while it runs."""
    import pylode.utils as pu

    original = pu.intersperse

    def intersperse(items, sep):
        return original(sorted(items, key=str) if isinstance(items, (set, frozenset)) else items, sep)

    pu.intersperse = intersperse
    try:
        yield
    finally:
        pu.intersperse = original


def _html_in_process(ntriples: bytes, ontology_dir: Path, lang: str) -> bytes:
    from pylode import OntPub

    triples = list(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
    prep = _prep_module(ontology_dir)
    graph = prep.graph_for_pylode(_rdflib_graph(triples), lang)
    with _sorted_set_members():
        html = OntPub(ontology=graph).make_html()
    return html.encode("utf-8")


def ontology_html(triples: list[ox.Triple], settings: Settings, *, lang: str = "en") -> bytes:
    """pyLODE (OntPub profile) documentation of the ontology, reproducible for equal triples.

    pyLODE runs in a child interpreter with ``PYTHONHASHSEED=0``: it walks rdflib's indexes,
    whose order follows string hashes, so a fixed seed fixes the order of the sections.
    """
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "kg.release.ontology", str(settings.ontology_dir), lang],
        input=body,
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pyLODE failed ({proc.returncode}): {proc.stderr.decode('utf-8', 'replace')[-2000:]}")
    return proc.stdout


def publish(settings: Settings, *, store: Store, out_dir: Path) -> list[ReleaseFile]:
    """Write ``ontology.html``; the file written."""
    data = ontology_html(ontology_triples(store, settings), settings)
    write_file(out_dir, HTML_NAME, data)
    return [
        ReleaseFile(
            name=HTML_NAME,
            media_type="text/html",
            size=len(data),
            sha256=sha256(data),
            role="ontology",
            title="Ontology documentation (pyLODE)",
            format_code="HTML",
        )
    ]


if __name__ == "__main__":  # the child process of ontology_html: N-Triples on stdin, HTML on stdout
    sys.stdout.buffer.write(_html_in_process(sys.stdin.buffer.read(), Path(sys.argv[1]), sys.argv[2]))
