"""SHACL validation of the graph against ``shapes/``: pySHACL as the reference validator.

The data graph is the union of the project graphs, the programme scheme and the ontology (so
``sh:class`` follows ``rdfs:subClassOf``), plus the typing and ``skos:inScheme`` statements of
the vocabularies (enough to check that SDG and country links point at real concepts, without
handing the validator tens of thousands of labels). Results come back as :class:`Report`, a
shape independent of the validator that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph
import rdflib
from pyoxigraph import Quad, RdfFormat
from rdflib.namespace import RDF, SH

from kg.namespaces import PREFIXES, SKOS

VOCAB_PREDICATES = {str(RDF.type), str(SKOS.inScheme), str(rdflib.RDFS.subClassOf)}


@dataclass(frozen=True)
class ValidationResult:
    focus: str
    path: str | None
    value: str | None
    message: str
    severity: str  # "Violation", "Warning", "Info"
    shape: str | None
    where: str | None = None  # the input file the focus node comes from, when known

    def __str__(self) -> str:
        parts = [self.where or "-", f"<{self.focus}>", self.path and f"<{self.path}>" or "-", self.message]
        if self.value is not None:
            parts.append(f"(value: {self.value})")
        return f"{self.severity}: " + " ".join(parts)


@dataclass
class Report:
    conforms: bool
    results: list[ValidationResult] = field(default_factory=list)
    graph: rdflib.Graph | None = None  # the SHACL validation report as RDF

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity != "Violation"]

    def text(self) -> str:
        if not self.results:
            return "Conforms: no violations."
        lines = [str(r) for r in sorted(self.results, key=lambda r: (r.severity != "Violation", r.where or "", r.focus))]
        lines.append(f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s).")
        return "\n".join(lines)

    def turtle(self) -> str:
        if self.graph is None:
            return ""
        for prefix, ns in PREFIXES.items():
            self.graph.bind(prefix, str(ns), override=False)
        return self.graph.serialize(format="turtle")


def load_shapes(shapes_dir: Path) -> rdflib.Graph:
    g = rdflib.Graph()
    for path in sorted(Path(shapes_dir).glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def quads_to_graph(quads: Iterable[Quad], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Merge quads (any graph) into one rdflib graph, through N-Triples (fast and lossless)."""
    g = graph if graph is not None else rdflib.Graph()
    triples = [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads]
    data = pyoxigraph.serialize(triples, format=RdfFormat.N_TRIPLES)
    if data:
        g.parse(data=data.decode("utf-8"), format="nt")
    return g


def vocabulary_extract(quads: Iterable[Quad]) -> list[Quad]:
    """The statements of a vocabulary the shapes look at: types, scheme membership, subclassing."""
    return [q for q in quads if q.predicate.value in VOCAB_PREDICATES]


def _severity(node: rdflib.term.Node | None) -> str:
    return str(node).rsplit("#", 1)[-1] if node is not None else "Violation"


def validate(
    data: rdflib.Graph,
    shapes: rdflib.Graph,
    *,
    locate: Callable[[str], str | None] | None = None,
) -> Report:
    """Validate ``data`` with pySHACL; ``locate`` maps a focus node to the input file it came from."""
    import pyshacl

    conforms, report_graph, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        meta_shacl=False,
    )
    results = []
    # top-level results only: sh:detail entries (nested sh:node results) are explanations, not extra results
    for r in report_graph.objects(None, SH.result):
        focus = report_graph.value(r, SH.focusNode)
        path = report_graph.value(r, SH.resultPath)
        value = report_graph.value(r, SH.value)
        messages = [str(m) for m in report_graph.objects(r, SH.resultMessage)]
        shape = report_graph.value(r, SH.sourceShape)
        focus_s = str(focus)
        results.append(
            ValidationResult(
                focus=focus_s,
                path=str(path) if isinstance(path, rdflib.URIRef) else (path.n3() if path is not None else None),
                value=str(value) if value is not None else None,
                message="; ".join(messages) or "constraint violated",
                severity=_severity(report_graph.value(r, SH.resultSeverity)),
                shape=str(shape) if isinstance(shape, rdflib.URIRef) else None,
                where=locate(focus_s) if locate else None,
            )
        )
    violations = [r for r in results if r.severity == "Violation"]
    return Report(conforms=not violations, results=results, graph=report_graph)


ENGINES = ("fast", "pyshacl")


def validate_fast(
    data,
    shapes: rdflib.Graph,
    *,
    locate: Callable[[str], str | None] | None = None,
    workers: int | None = 1,
) -> Report:
    """Validate with the fast engine (:mod:`kg.shacl`: the shapes compiled to SPARQL and run inside
    Oxigraph over the whole graph). ``data``: pyoxigraph quads or triples, an rdflib graph, a
    pyoxigraph / :class:`kg.store.OxigraphStore` store, or the directory of an on-disk store (then
    ``workers`` > 1 runs the queries in that many processes). Same :class:`Report` as :func:`validate`."""
    from kg.shacl import validate_fast as _validate_fast

    return _validate_fast(data, shapes, locate=locate, workers=workers)
