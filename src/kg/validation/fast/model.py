"""The shapes graph read into :class:`Shape` objects, and the two kinds of compiled constraint.

A constraint component compiles (see the family modules) to either

* a :class:`ValueCheck`: a SPARQL boolean expression over one value node that is true when the
  value node conforms (sh:class, sh:datatype, sh:pattern, sh:or …). Value checks on the same path
  are evaluated together, in one scan of the path over the whole graph; or
* a :class:`FocusCheck`: a SPARQL group pattern that, with the focus node variable bound, has one
  solution per validation result (sh:minCount, sh:equals, sh:uniqueLang, sh:sparql …). When the
  pattern finds its focus nodes in the data by itself (``free``), it too runs once over the whole
  graph and its focus nodes are then checked against the targets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import rdflib
from rdflib import Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Identifier

from kg.validation.fast.paths import Path, parse_path
from kg.validation.fast.terms import RDF, RDFS, SH, Unsupported

__all__ = [
    "CORE_PARAMETERS", "FocusCheck", "Frag", "Fresh", "Shape", "ValueCheck", "read_list", "wrap",
]

# Parameters of the SHACL core constraint components (and sh:sparql) this validator compiles.
CORE_PARAMETERS = {
    SH[n] for n in (
        "class datatype nodeKind minCount maxCount minExclusive minInclusive maxExclusive maxInclusive "
        "minLength maxLength pattern flags languageIn uniqueLang equals disjoint lessThan lessThanOrEquals "
        "not and or xone node property qualifiedValueShape qualifiedMinCount qualifiedMaxCount "
        "qualifiedValueShapesDisjoint closed ignoredProperties hasValue in sparql"
    ).split()
}
# Other SHACL terms a shape may carry that do not constrain anything (or are handled elsewhere).
NON_VALIDATING = {
    SH[n] for n in (
        "path targetClass targetNode targetSubjectsOf targetObjectsOf severity message deactivated name "
        "description order group defaultValue prefixes declare select"
    ).split()
}
# SHACL terms for features outside SHACL core + SPARQL-based constraints.
ADVANCED = {SH[n] for n in "target rule validator nodeValidator propertyValidator js jsLibrary condition".split()}


class Fresh:
    """Fresh SPARQL variable names (one counter per compiled query)."""

    def __init__(self, prefix: str = "_") -> None:
        self.n = 0
        self.prefix = prefix

    def __call__(self, hint: str = "v") -> str:
        self.n += 1
        return f"?{self.prefix}{hint}{self.n}"


def wrap(expr: str) -> str:
    """Errors count as non-conformance: COALESCE(expr, false)."""
    return f"COALESCE({expr}, false)"


@dataclass
class Frag:
    """A group pattern with one solution per validation result."""

    text: str
    value: str | None = None  # variable bound to sh:value
    path: str | None = None  # variable bound to sh:resultPath (sh:closed)
    extra: dict[str, str] = field(default_factory=dict)  # other variables (lang, message)


@dataclass
class ValueCheck:
    component: URIRef
    # value-node variable -> boolean expression, true when it conforms; always evaluated as
    # COALESCE(expr, false) (see wrap): an error counts as not conforming
    cond: Callable[[str], str]
    expensive: bool = False  # looks things up (EXISTS): evaluate once per distinct value
    default_message: str = ""
    anti: Callable[[str], str] | None = None  # a pattern matching exactly the conforming values (for MINUS)


@dataclass
class FocusCheck:
    component: URIRef
    build: Callable[[str, Fresh, bool], Frag]  # (focus variable, fresh, top level?) -> Frag
    free: bool = False  # the pattern binds the focus variable from the data by itself
    focus_cond: Callable[[str, Fresh], str] | None = None  # the same as a boolean on the focus (true = conforms)
    source_constraint: rdflib.term.Node | None = None
    messages: list = field(default_factory=list)
    default_message: str = ""
    sparql: object | None = None  # a kg.validation.fast.sparql.SparqlConstraint
    anti: Callable[[str], str] | None = None  # a pattern matching exactly the conforming focus nodes (for MINUS)
    # Only a focus node with two or more values on this path can fail (sh:maxCount, sh:uniqueLang):
    # skipped when no node of the graph has two values there; else ``guarded`` (a join, focus bound).
    guard_path: str | None = None
    guarded: Callable[[str, Fresh], Frag] | None = None


def read_list(g: rdflib.Graph, node) -> list:
    if node == RDF.nil:
        return []
    if g.value(node, RDF.first) is None:
        raise Unsupported(f"expected an RDF list at {node!r}")
    return list(Collection(g, node))


class Shape:
    """One shape of the shapes graph."""

    def __init__(self, g: rdflib.Graph, node) -> None:
        self.g = g
        self.node = node
        self.params: dict[rdflib.term.Node, list] = {}
        for p, o in g.predicate_objects(node):
            self.params.setdefault(p, []).append(o)
        path = self.one(SH.path)
        self.path: Path | None = parse_path(g, path) if path is not None else None
        sev = self.one(SH.severity)
        self.severity: URIRef = sev if sev is not None else SH.Violation
        self.messages: list[Literal] = list(self.params.get(SH.message, []))
        self.deactivated = any(truthy(d) for d in self.params.get(SH.deactivated, []))
        self.properties = list(self.params.get(SH.property, []))
        for p in self.params:
            if p in ADVANCED:
                raise Unsupported(f"{p.n3(g.namespace_manager)} on shape {node!r} (SHACL-AF / custom components)")

    @property
    def is_property_shape(self) -> bool:
        return self.path is not None

    def one(self, p: URIRef):
        values = self.params.get(p)
        if not values:
            return None
        if len(values) > 1 and p not in (SH.property, SH.message):
            # several values of a single-valued parameter: each is its own constraint in SHACL;
            # the compilers that can take several iterate over all, the others refuse
            return values[0]
        return values[0]

    def all(self, p: URIRef) -> list:
        return self.params.get(p, [])

    # ------------------------------------------------------------------ targets
    def targets(self) -> list[tuple[str, Identifier]]:
        out: list[tuple[str, Identifier]] = []
        for t in self.all(SH.targetNode):
            out.append(("node", t))
        for c in self.all(SH.targetClass):
            out.append(("class", c))
        for p in self.all(SH.targetSubjectsOf):
            out.append(("subjectsOf", p))
        for p in self.all(SH.targetObjectsOf):
            out.append(("objectsOf", p))
        if isinstance(self.node, URIRef) and is_class(self.g, self.node):
            out.append(("class", self.node))  # implicit class target
        return out


def is_class(g: rdflib.Graph, node) -> bool:
    """SHACL instance of rdfs:Class in the shapes graph (a node shape that is also a class)."""
    types = set(g.objects(node, RDF.type))
    if not types & {SH.NodeShape, SH.PropertyShape}:
        return False
    seen = set()
    todo = list(types)
    while todo:
        t = todo.pop()
        if t == RDFS.Class:
            return True
        if t in seen:
            continue
        seen.add(t)
        todo.extend(g.objects(t, RDFS.subClassOf))
    return False


def truthy(node) -> bool:
    """SHACL parameters such as sh:uniqueLang, sh:closed, sh:deactivated take effect only with the
    literal true (W3C test core/property/uniqueLang-002: "1"^^xsd:boolean does not count)."""
    return isinstance(node, Literal) and node.datatype == rdflib.XSD.boolean and str(node) == "true"


def integer(node, what: str) -> int:
    try:
        return int(str(node))
    except (TypeError, ValueError) as exc:
        raise Unsupported(f"{what} must be an integer, not {node!r}") from exc

