"""Terms in three forms: rdflib (the shapes graph, the report graph), pyoxigraph (the data store)
and SPARQL text (the compiled queries), and the conversions between them."""

from __future__ import annotations

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

__all__ = [
    "RDF", "RDFS", "SH", "XSD", "IllFormedShapes", "Unsupported", "sparql_string", "sparql_term", "to_ox",
]


class Unsupported(Exception):
    """A shapes-graph feature the fast validator does not compile (the reason is the message)."""


class IllFormedShapes(Exception):
    """The shapes graph breaks a SHACL rule (e.g. a SPARQL constraint SHACL forbids): validation fails."""


def sparql_string(text: str) -> str:
    """A SPARQL string literal (double quotes, escapes)."""
    return '"' + (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    ) + '"'


def sparql_term(term: rdflib.term.Node) -> str:
    """An rdflib IRI or literal of the shapes graph as SPARQL text. Blank nodes cannot be named in a query."""
    if isinstance(term, URIRef):
        iri = str(term)
        if any(c in iri for c in '<>"{}|^`\\ '):
            raise Unsupported(f"IRI not expressible in SPARQL: {iri!r}")
        return f"<{iri}>"
    if isinstance(term, Literal):
        lex = sparql_string(str(term))
        if term.language:
            return f"{lex}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{lex}^^<{term.datatype}>"
        return lex
    raise Unsupported(f"a blank node of the shapes graph ({term!r}) used as a value")


def to_ox(term: rdflib.term.Node):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")
