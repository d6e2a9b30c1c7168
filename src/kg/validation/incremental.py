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

So the nodes whose results can change are: the subjects and the non-literal objects of the changed
graph (old and new), and the nodes pointing at one of its subjects in any graph (a participation
elsewhere whose organisation the graph retypes: its ``sh:class`` check). Those are the *focus
candidates*; the *extract* is their statements, the statements pointing at them by those inverse
predicates, their values' statements and the ``rdfs:subClassOf`` axioms, read from the union of the
store's graphs into a store in memory. The fast engine validates the extract; the results whose
focus node is a candidate are the report. A result about any other node is the same as in the store
before the change (none of what it depends on changed), which was validated when it was promoted.

``tests/test_validate_incremental.py`` plants defects in and across import graphs and compares this
report with the whole-store one, result for result.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
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


class ShapesTooDeep(ValueError):
    """The shapes look further from a focus node than the extract holds (see the module docstring)."""


@dataclass
class Change:
    """What an incremental validation read and checked (for progress lines and benchmarks)."""

    candidates: int = 0  # focus candidates
    extract_quads: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _inverse_predicates(shapes: rdflib.Graph) -> set[str]:
    """Predicates the shapes follow backwards: ``sh:inversePath`` values and ``sh:targetObjectsOf``."""
    preds = {str(o) for o in shapes.objects(None, SH.inversePath) if isinstance(o, rdflib.URIRef)}
    preds |= {str(o) for o in shapes.objects(None, SH.targetObjectsOf) if isinstance(o, rdflib.URIRef)}
    return preds


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


def _subjects_objects(store: ox.Store, graph: ox.NamedNode, subjects: set, objects: set) -> None:
    for q in store.quads_for_pattern(None, None, None, graph):
        subjects.add(q.subject)
        if not isinstance(q.object, ox.Literal):
            objects.add(q.object)


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
    restricted to the focus candidates."""
    change = change if change is not None else Change()
    t0 = time.perf_counter()
    shapes = load_shapes(Path(shapes_dir))
    reach_ok(shapes)
    inverse = [ox.NamedNode(p) for p in sorted(_inverse_predicates(shapes))]
    node = ox.NamedNode(graph)
    store = ox.Store.read_only(str(path))
    subjects: set = set()
    objects: set = set()
    _subjects_objects(store, node, subjects, objects)
    if previous is not None:
        before = ox.Store.read_only(str(previous))
        try:
            _subjects_objects(before, node, subjects, objects)
        finally:
            del before
    # nodes pointing at a subject of the graph, in any graph (their checks on that value)
    pointing = {q.subject for s in subjects for q in store.quads_for_pattern(None, None, s, None)}
    candidates = subjects | objects | pointing
    t1 = time.perf_counter()

    extract = ox.Store()
    default = ox.DefaultGraph()
    values: set = set()

    def add(quads: Iterable[ox.Quad], collect: bool) -> None:
        batch = []
        for q in quads:
            batch.append(ox.Quad(q.subject, q.predicate, q.object, default))
            if collect and not isinstance(q.object, ox.Literal):
                values.add(q.object)
        extract.extend(batch)

    for n in candidates:
        if isinstance(n, ox.Triple):
            continue
        add(store.quads_for_pattern(n, None, None, None), True)
        for p in inverse:
            for q in store.quads_for_pattern(None, p, n, None):
                add((q,), False)
                values.add(q.subject)
    for v in values - candidates:
        if not isinstance(v, ox.Triple):
            add(store.quads_for_pattern(v, None, None, None), False)
    add(store.quads_for_pattern(None, RDFS_SUBCLASS, None, None), False)
    del store
    t2 = time.perf_counter()

    report = FastValidator(shapes).validate(extract, locate=locate, workers=1, union=False)
    keep = {_name(n) for n in candidates}
    results = [r for r in report.results if r.focus in keep]
    t3 = time.perf_counter()
    change.candidates = len(candidates)
    change.extract_quads = len(extract)
    change.seconds = {"candidates": t1 - t0, "extract": t2 - t1, "validate": t3 - t2}
    return Report(conforms=not any(r.severity == "Violation" for r in results), results=results)


def _name(term) -> str:
    """How a report names a focus node: the IRI, or the blank node's id."""
    return term.value if isinstance(term, (ox.NamedNode, ox.BlankNode)) else str(term)
