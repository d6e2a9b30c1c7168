"""SHACL validation with pySHACL, the reference validator; results as :class:`kg.validation.report.Report`.
"""

from __future__ import annotations

from collections.abc import Callable

import rdflib
from rdflib.namespace import RDF, SH

from kg.validation.report import Report, ValidationResult

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

    def query(self, query_object, processor="sparql", result="sparql", initNs=None, initBindings=None,
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
