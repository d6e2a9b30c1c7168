"""Validation in proportion to the change: after an import, the focus nodes the import can affect,
not the whole store.

:func:`validate_change` validates one named graph of an on-disk store (an import's graph in the new
build, and — on a re-import or a removal — that graph as the served store held it) together with
whatever the rest of the store says about the nodes it touches, and reports exactly what
:func:`kg.validation.run.validate_store` (the whole store, ``kg validate --store``) reports for those
nodes. It rests on one property of the shapes, checked when they are read (:func:`reach_ok`): a
focus node's results depend only on

* its own statements (any graph), and the statements pointing at it with a predicate the shapes use
  as an inverse path or as ``sh:targetObjectsOf`` (``kg:hasParticipation``, ``kg:hasGrant``,
  ``dct:subject``);
* the statements of its values (one step on: a value's ``rdf:type``, ``skos:inScheme``, a grant's
  number), and the ontology's ``rdfs:subClassOf``.

So the nodes whose results can change are the *focus candidates*: the subjects and the non-literal
objects of the changed graph (old and new), and the nodes pointing, in any graph, at a node whose
value statements (its type, scheme, grant number: what the shapes read on a value) the change adds
or takes away from the union — a participation elsewhere whose organisation only this graph typed.
A value statement another graph states too is no change (the union holds it either way), so a
shared concept or organisation does not pull in every project of the store that points at it. The
*extract* is the candidates' statements, the statements pointing at them by an inverse-path
predicate (all of them) or a ``sh:targetObjectsOf`` predicate (one is enough to make a focus node),
their values' value statements, and the ``rdfs:subClassOf`` axioms, read from the union of the
store's graphs into a store in memory. The fast engine validates the extract; the results whose
focus node is a candidate are the report. A result about any other node is the same as in the
store before the change (none of what it depends on changed), which was validated when it was
promoted.

``tests/test_import_incremental_validation.py`` plants defects in and across import graphs and compares this
report with the whole-store one, result for result.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from kg.validation.fast import FastValidator
from kg.validation.inputs import load_shapes
from kg.validation.report import Report

__all__ = ["Change", "ShapesTooDeep", "reach_ok", "validate_change"]

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
RDFS_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


class ShapesTooDeep(ValueError):
    """The shapes look further from a focus node than the extract holds (see the module docstring)."""


@dataclass
class Change:
    """What an incremental validation read and checked (for progress lines and benchmarks)."""

    candidates: int = 0  # focus candidates
    extract_quads: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _inverse_predicates(shapes: rdflib.Graph) -> tuple[set[str], set[str]]:
    """Predicates the shapes follow backwards: ``sh:inversePath`` values (every such statement
    counts), and ``sh:targetObjectsOf`` (one statement makes a node a focus node)."""
    inverse = {str(o) for o in shapes.objects(None, SH.inversePath) if isinstance(o, rdflib.URIRef)}
    targets = {str(o) for o in shapes.objects(None, SH.targetObjectsOf) if isinstance(o, rdflib.URIRef)}
    return inverse, targets


def _value_predicates(shapes: rdflib.Graph) -> set[str]:
    """What the shapes read on a value (not a focus node): its ``rdf:type`` (``sh:class``), the
    paths of the shapes that validate it (``sh:node``: ``skos:inScheme``), and the second step of a
    SPARQL constraint's two-step path (``kg:hasGrant/kg:grantNumber``)."""
    preds = {RDF_TYPE.value}
    nested = set(shapes.objects(None, SH.node)) | set(shapes.objects(None, SH.qualifiedValueShape))
    for shape in nested:
        for prop in shapes.objects(shape, SH.property):
            step = shapes.value(prop, SH.path)
            if isinstance(step, rdflib.URIRef):
                preds.add(str(step))
    for select in shapes.objects(None, SH.select):
        prefixes = _prefixes(shapes)
        for m in re.finditer(rf"{_NAME}/({_NAME})", str(select)):
            preds.add(_expand(m.group(1), prefixes))
    return preds


def _prefixes(shapes: rdflib.Graph) -> dict[str, str]:
    found = {str(p): str(ns) for p, ns in shapes.namespaces()}
    for decl in shapes.objects(None, SH.declare):
        prefix, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
        if prefix is not None and ns is not None:
            found[str(prefix)] = str(ns)
    return found


def _expand(name: str, prefixes: dict[str, str]) -> str:
    if name.startswith("<"):
        return name[1:-1]
    prefix, _, local = name.partition(":")
    return prefixes.get(prefix, prefix + ":") + local


def reach_ok(shapes: rdflib.Graph) -> None:
    """:class:`ShapesTooDeep` when a shape may look further from a focus node than the extract holds:
    a property path that is not one predicate or one inverse predicate; a shape reached through
    ``sh:node`` / ``sh:qualifiedValueShape`` (it validates a value) that itself follows a path with
    ``sh:class``, ``sh:node`` or an inverse path (the value's value); a SPARQL constraint with a
    property path longer than two steps or a transitive one (``$this kg:hasGrant/kg:grantNumber``,
    a value's own statement, is within reach)."""
    for path in set(shapes.objects(None, SH.path)):
        if isinstance(path, rdflib.URIRef):
            continue
        if isinstance(shapes.value(path, SH.inversePath), rdflib.URIRef):
            continue
        raise ShapesTooDeep(f"sh:path {path} is not one predicate or one inverse predicate")
    nested = set(shapes.objects(None, SH.node)) | set(shapes.objects(None, SH.qualifiedValueShape))
    for shape in nested:
        for prop in shapes.objects(shape, SH.property):
            step = shapes.value(prop, SH.path)
            deep = [p for p in (SH["class"], SH.node, SH.qualifiedValueShape) if shapes.value(prop, p) is not None]
            if deep or not isinstance(step, rdflib.URIRef):
                raise ShapesTooDeep(f"{shape} validates a value and follows {step} from it with {deep or 'an inverse path'}")
    for select in shapes.objects(None, SH.select):
        if _LONG_PATH.search(str(select)):
            raise ShapesTooDeep("a SPARQL constraint follows a path of more than two steps, or a transitive one")


_NAME = r"(?:[A-Za-z][\w-]*:[\w-]+|<[^>\s]+>|\$PATH)"
_LONG_PATH = re.compile(rf"{_NAME}(?:/{_NAME}){{2,}}|{_NAME}[*+](?=\s|/|\)|\?|\$)")


CHUNK = 2000  # candidates per VALUES block


def _select(store: ox.Store, query: str) -> set:
    """The first variable's values of a SELECT over the union of the store's graphs."""
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return {row[0] for row in result if row[0] is not None}


def _sparql(terms: list) -> str:
    return " ".join(str(t) for t in terms)


def _chunks(nodes: list) -> list[list]:
    return [nodes[i : i + CHUNK] for i in range(0, len(nodes), CHUNK)]


def _graph_nodes(store: ox.Store, graph: str, value_preds: list[ox.NamedNode], *, changed_only: bool) -> tuple[set, set]:
    """The subjects and non-literal objects of ``graph``, and the subjects of its value statements
    (type, scheme, grant number) — with ``changed_only``, only those no other graph states too."""
    nodes = _select(store, f"SELECT DISTINCT ?n WHERE {{ GRAPH <{graph}> {{ {{ ?n ?p ?o }} UNION {{ ?s ?p ?n FILTER(!isLiteral(?n)) }} }} }}")
    other = (f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?r ?vp ?o }} FILTER(?g != <{graph}>) }}" if changed_only else "")
    valued = _select(store, f"SELECT DISTINCT ?r WHERE {{ GRAPH <{graph}> {{ ?r ?vp ?o }} VALUES ?vp {{ {_sparql(value_preds)} }} {other} }}")
    return nodes, valued


def validate_change(
    path: Path | str,
    shapes_dir: Path,
    graph: str,
    *,
    previous: Path | str | None = None,
    locate: Callable[[str], str | None] | None = None,
    change: Change | None = None,
) -> Report:
    """Validate what a change of ``graph`` in the on-disk store at ``path`` can affect (see the module
    docstring); ``previous``: the store before the change (its ``graph``'s nodes are candidates too:
    a re-import or a removal takes statements away). Same :class:`Report` as the whole-store check,
    restricted to the focus candidates. The candidates and the extract are found by SPARQL inside
    Oxigraph (CONSTRUCT results loaded into the extract as N-Triples), a block of candidates at a time."""
    change = change if change is not None else Change()
    t0 = time.perf_counter()
    shapes = load_shapes(Path(shapes_dir))
    reach_ok(shapes)
    inverse_preds, target_preds = _inverse_predicates(shapes)
    inverse = [ox.NamedNode(p) for p in sorted(inverse_preds)]
    targets = [ox.NamedNode(p) for p in sorted(target_preds - inverse_preds)]
    value_preds = [ox.NamedNode(p) for p in sorted(_value_predicates(shapes))]
    store = ox.Store.read_only(str(path))
    candidates, retyped = _graph_nodes(store, graph, value_preds, changed_only=True)
    if previous is not None:
        before = ox.Store.read_only(str(previous))
        try:
            # what the graph held: its nodes are candidates; its value statements may be gone (a superset
            # of the changed ones: more candidates, the same results)
            old_nodes, old_valued = _graph_nodes(before, graph, value_preds, changed_only=False)
        finally:
            del before
        candidates |= old_nodes
        retyped |= old_valued
    # every node pointing at one whose value statements changed, in any graph
    named = [r for r in retyped if isinstance(r, ox.NamedNode)]
    for block in _chunks(named):
        candidates |= _select(store, f"SELECT DISTINCT ?n WHERE {{ VALUES ?r {{ {_sparql(block)} }} ?n ?p ?r }}")
    for r in retyped:
        if isinstance(r, ox.BlankNode):
            candidates |= {q.subject for q in store.quads_for_pattern(None, None, r, None)}
    t1 = time.perf_counter()

    extract = ox.Store()
    nt = ox.RdfFormat.N_TRIPLES

    def construct(query: str) -> None:
        result = store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QueryTriples)
        data = result.serialize(format=nt)
        if not data:
            return
        if b"_:" in data:  # loading would rename blank nodes: the report names them as the store does
            again = store.query(query, use_default_graph_as_union=True)
            assert isinstance(again, ox.QueryTriples)
            extract.extend(ox.Quad(t.subject, t.predicate, t.object) for t in again)
            return
        extract.load(data, format=nt)

    def value_statements(var: str) -> str:  # a node's value statements, one bound predicate per branch
        return " UNION ".join(f"{{ ?{var} {p} ?t BIND({p} AS ?vp) }}" for p in value_preds)

    ordered = sorted((n for n in candidates if isinstance(n, ox.NamedNode)), key=lambda n: n.value)
    linked: set = set()
    for block in _chunks(ordered):
        values = f"VALUES ?n {{ {_sparql(block)} }}"
        construct(f"CONSTRUCT {{ ?n ?p ?o }} WHERE {{ {values} ?n ?p ?o }}")
        linked |= _select(store, f"SELECT DISTINCT ?v WHERE {{ {values} ?n ?p ?v FILTER(!isLiteral(?v)) }}")
        if inverse:  # every statement counts (sh:minCount / sh:maxCount / sh:equals on the inverse path)
            pattern = " UNION ".join(f"{{ ?x {p} ?n BIND({p} AS ?ip) }}" for p in inverse)
            construct(f"CONSTRUCT {{ ?x ?ip ?n }} WHERE {{ {values} {pattern} }}")
            linked |= _select(store, f"SELECT DISTINCT ?x WHERE {{ {values} {pattern} }}")
        for p in targets:  # one statement makes ?n a focus node
            construct(f"CONSTRUCT {{ ?x {p} ?n }} WHERE {{ {{ SELECT ?n (SAMPLE(?x0) AS ?x) WHERE {{ {values} ?x0 {p} ?n }} GROUP BY ?n }} }}")
    # the value statements of the candidates' values (and of the subjects of inverse statements)
    others = sorted((v for v in linked - candidates if isinstance(v, ox.NamedNode)), key=lambda n: n.value)
    for block in _chunks(others):
        construct(f"CONSTRUCT {{ ?v ?vp ?t }} WHERE {{ VALUES ?v {{ {_sparql(block)} }} {value_statements('v')} }}")
    for v in linked - candidates:
        if isinstance(v, ox.BlankNode):
            for p in value_preds:
                extract.extend(ox.Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(v, p, None, None))
    blank = [n for n in candidates if isinstance(n, ox.BlankNode)]
    for n in blank:  # blank nodes cannot be named in a query: read quad by quad
        extract.extend(ox.Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(n, None, None, None))
        for p in inverse:
            extract.extend(ox.Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, p, n, None))
    construct(f"CONSTRUCT {{ ?a <{RDFS_SUBCLASS.value}> ?b }} WHERE {{ ?a <{RDFS_SUBCLASS.value}> ?b }}")
    t2 = time.perf_counter()

    report = _validator(Path(shapes_dir), shapes).validate(extract, locate=locate, workers=1, union=False)
    keep = {_name(n) for n in candidates}
    results = [r for r in report.results if r.focus in keep]
    t3 = time.perf_counter()
    change.candidates = len(candidates)
    change.extract_quads = len(extract)
    change.seconds = {"candidates": t1 - t0, "extract": t2 - t1, "validate": t3 - t2}
    return Report(conforms=not any(r.severity == "Violation" for r in results), results=results)


_VALIDATORS: dict[Path, FastValidator] = {}


def _validator(shapes_dir: Path, shapes: rdflib.Graph) -> FastValidator:
    """One fast validator per shapes directory and shapes graph size (its plan is reused while the
    extract's subclass axioms and counts give the same answers)."""
    key = shapes_dir.resolve()
    hit = _VALIDATORS.get(key)
    if hit is None or len(hit.shapes) != len(shapes):
        hit = _VALIDATORS[key] = FastValidator(shapes)
    return hit


def _name(term) -> str:
    """How a report names a focus node: the IRI, or the blank node's id."""
    return term.value if isinstance(term, (ox.NamedNode, ox.BlankNode)) else str(term)
