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

from kg.model.namespaces import PREFIXES, SKOS

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


# SHACL Advanced Features (https://www.w3.org/TR/shacl-af/) that pySHACL acts on only in advanced mode
_SHACL_AF = {rdflib.URIRef("http://www.w3.org/ns/shacl#" + name) for name in (
    "rule", "target", "SPARQLTarget", "SPARQLTargetType", "SPARQLFunction", "SPARQLRule", "TripleRule",
    "expression", "filterShape", "values", "JSTarget", "JSTargetType", "JSFunction", "JSRule")}


def uses_shacl_af(shapes: rdflib.Graph) -> bool:
    """Whether a shapes graph uses a SHACL-AF feature (as predicate or as type)."""
    return any((None, p, None) in shapes for p in _SHACL_AF) or any(
        (None, RDF.type, t) in shapes for t in _SHACL_AF)


class _PreparedQueries(rdflib.Graph):
    """A view on another rdflib graph's triples (same store, nothing copied) whose ``query`` parses
    each distinct SPARQL text once and reuses the prepared query (rdflib's prepared queries are made
    for reuse with different ``initBindings``). Otherwise the same as ``Graph.query``: the same
    default namespaces (the graph's), base and processor."""

    def __init__(self, graph: rdflib.Graph):
        super().__init__(store=graph.store, identifier=graph.identifier, namespace_manager=graph.namespace_manager)
        self._prepared: dict = {}

    def query(self, query_object, processor="sparql", result="sparql", initNs=None, initBindings=None,  # noqa: N803
              use_store_provided=True, **kwargs):
        if isinstance(query_object, str) and processor == "sparql":
            from rdflib.plugins.sparql.processor import prepareQuery

            ns = initNs or dict(self.namespaces())
            key = (query_object, tuple(sorted((k, str(v)) for k, v in ns.items())), kwargs.get("base"))
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = self._prepared[key] = prepareQuery(query_object, initNs=ns, base=kwargs.get("base"))
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def _severity(node: rdflib.term.Node | None) -> str:
    return str(node).rsplit("#", 1)[-1] if node is not None else "Violation"


def validate(
    data: rdflib.Graph,
    shapes: rdflib.Graph,
    *,
    locate: Callable[[str], str | None] | None = None,
) -> Report:
    """Validate ``data`` with pySHACL; ``locate`` maps a focus node to the input file it came from.

    Two things keep pySHACL's cost linear with a small constant (both leave results unchanged):

    * pySHACL evaluates a SPARQL-based constraint (``sh:sparql``) once per focus node, handing rdflib
      the same query text each time, and rdflib parses it again each time (pyparsing: ~50 ms for the
      shapes' queries, > 80 % of the run). ``data`` is queried through :class:`_PreparedQueries`, a view
      on the same triples that parses each distinct query text once.
    * SHACL-AF ("advanced") mode is enabled only when the shapes use SHACL-AF (rules, custom targets,
      functions, node expressions): otherwise it changes no result, but makes pySHACL copy the data
      graph first (rules could add to it).
    """
    import pyshacl

    conforms, report_graph, _ = pyshacl.validate(
        _PreparedQueries(data),
        shacl_graph=shapes,
        inference="none",
        advanced=uses_shacl_af(shapes),
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
    """Validate with the fast engine (:mod:`kg.validation.fast`: the shapes compiled to SPARQL and run inside
    Oxigraph over the whole graph). ``data``: pyoxigraph quads or triples, an rdflib graph, a
    pyoxigraph / :class:`kg.store.OxigraphStore` store, or the directory of an on-disk store (then
    ``workers`` > 1 runs the queries in that many processes). Same :class:`Report` as :func:`validate`."""
    from kg.validation.fast import validate_fast as _validate_fast

    return _validate_fast(data, shapes, locate=locate, workers=workers)


# Named graphs of a store that hold vocabularies (kg.release.build.Assembled.vocab_graphs: Minter.sdg_graph and
# Minter.country_graph, ``{base}graph/vocab/un-sdg`` and ``{base}graph/vocab/eu-country``), recognised
# by the end of their name whatever the base URI. ``vocab/programmes`` is data (the programme scheme).
VOCAB_GRAPH_SUFFIXES = ("/graph/vocab/un-sdg", "/graph/vocab/eu-country")


def vocab_graphs(store) -> set[str]:
    """The names of the vocabulary graphs of an Oxigraph store (see :data:`VOCAB_GRAPH_SUFFIXES`)."""
    return {g.value for g in store.named_graphs() if isinstance(g, pyoxigraph.NamedNode)
            and g.value.endswith(VOCAB_GRAPH_SUFFIXES)}


def validate_store(
    path: Path | str,
    shapes_dir: Path,
    *,
    locate: Callable[[str], str | None] | None = None,
    workers: int | None = None,
) -> Report:
    """Validate an on-disk Oxigraph store (``kg build`` output: curated graphs, ontology, vocabularies,
    import graphs) against the shapes in ``shapes_dir`` with the fast engine, without loading it:
    the store is opened read-only (by every worker process when ``workers`` > 1; ``None``: one per
    core on big stores) and the compiled queries run over the union of its named graphs.

    The build (:func:`kg.release.build.validation_quads`) validates every graph but the vocabularies plus the
    vocabularies' rdf:type / skos:inScheme / rdfs:subClassOf statements (:func:`vocabulary_extract`);
    that extract exists to keep pySHACL's input small, not to hide anything. Here the vocabulary
    graphs are part of the union as they are; the results are the same because a vocabulary node
    only enters validation as the value of a link (kg:country, kg:sdg, sh:class checks), where the
    shapes read only its rdf:type and skos:inScheme (kgsh:Country → kgsh:EUAuthorityCountry, the
    sh:class of kgsh:Project-sdg), and no shape targets the vocabularies' classes or predicates
    (checked by tests/test_validate_store.py on the seed store and a broken copy of it). Import
    graphs are validated together with everything else (``kg import`` validated each against the
    curated release only). The union repeats a statement held by several graphs; the engine's
    queries count distinct values, so repeats do not change results.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no Oxigraph store at {path}")
    return _validator(Path(shapes_dir)).validate(path.resolve(), locate=locate, workers=workers, union=True)


_VALIDATORS: dict = {}  # shapes directory -> (state of its *.ttl files, FastValidator)


def _validator(shapes_dir: Path):
    """The fast validator of a shapes directory, kept while its ``*.ttl`` files are unchanged (by
    name, size and modification time): shapes parsed once, plan compiled once per state of the data's
    subclasses and counts (:class:`kg.validation.fast.FastValidator` checks those itself)."""
    from kg.validation.fast import FastValidator

    key = shapes_dir.resolve()
    state = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(key.glob("*.ttl")))
    hit = _VALIDATORS.get(key)
    if hit is not None and hit[0] == state:
        return hit[1]
    validator = FastValidator(load_shapes(key))
    _VALIDATORS[key] = (state, validator)
    return validator
