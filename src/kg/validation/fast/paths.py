"""SHACL property paths (sh:path values) as SPARQL 1.1 property paths."""

from __future__ import annotations

import rdflib
from rdflib import BNode, URIRef
from rdflib.collection import Collection

from kg.validation.fast.terms import RDF, SH, Unsupported, sparql_term

__all__ = ["Path", "parse_path", "path_sparql"]


class Path:
    """A parsed sh:path: its SPARQL text, whether it can be of length zero, and its shapes-graph node."""

    __slots__ = ("node", "sparql", "nullable", "predicate", "inverse_of")

    def __init__(self, node, sparql: str, nullable: bool, predicate: URIRef | None = None, inverse_of: URIRef | None = None):
        self.node = node  # the sh:path value in the shapes graph (an IRI or a blank node structure)
        self.sparql = sparql
        self.nullable = nullable  # zero-length paths reach the focus node itself
        self.predicate = predicate  # set when the path is a plain IRI
        self.inverse_of = inverse_of  # set when the path is [ sh:inversePath IRI ]

    def __repr__(self) -> str:
        return f"Path({self.sparql})"


def _list(g: rdflib.Graph, node) -> list | None:
    if node == RDF.nil:
        return []
    if g.value(node, RDF.first) is None:
        return None  # not a list
    return list(Collection(g, node))


def parse_path(g: rdflib.Graph, node, _depth: int = 0) -> Path:
    if _depth > 50:
        raise Unsupported("sh:path nested too deeply (cyclic?)")
    if isinstance(node, URIRef):
        return Path(node, sparql_term(node), False, predicate=node)
    if not isinstance(node, BNode):
        raise Unsupported(f"sh:path value is not an IRI or blank node: {node!r}")
    items = _list(g, node)
    if items is not None:
        if len(items) < 2:
            raise Unsupported("a sequence path needs at least two members")
        parts = [parse_path(g, i, _depth + 1) for i in items]
        return Path(node, "(" + "/".join(p.sparql for p in parts) + ")", all(p.nullable for p in parts))
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        members = _list(g, alt)
        if not members or len(members) < 2:
            raise Unsupported("sh:alternativePath needs a list of at least two paths")
        parts = [parse_path(g, i, _depth + 1) for i in members]
        return Path(node, "(" + "|".join(p.sparql for p in parts) + ")", any(p.nullable for p in parts))
    inv = g.value(node, SH.inversePath)
    if inv is not None:
        p = parse_path(g, inv, _depth + 1)
        return Path(node, f"^({p.sparql})" if p.predicate is None else f"^{p.sparql}", p.nullable,
                    inverse_of=p.predicate)
    for prop, mod, nullable in ((SH.zeroOrMorePath, "*", True), (SH.oneOrMorePath, "+", None), (SH.zeroOrOnePath, "?", True)):
        inner = g.value(node, prop)
        if inner is not None:
            p = parse_path(g, inner, _depth + 1)
            return Path(node, f"({p.sparql}){mod}", p.nullable if nullable is None else True)
    raise Unsupported(f"unrecognised sh:path structure at {node!r}")


def path_sparql(g: rdflib.Graph, node) -> str:
    """The SPARQL text of a path node (also used to compare result paths across reports)."""
    return parse_path(g, node).sparql
