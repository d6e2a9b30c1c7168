"""What validation reads: the shapes of ``shapes/``, quads as an rdflib graph, and the small extract of
the vocabularies that links are checked against.

The data graph is the union of the project graphs, the programme scheme and the ontology (so
``sh:class`` follows ``rdfs:subClassOf``), plus the typing and ``skos:inScheme`` statements of
the vocabularies (enough to check that SDG and country links point at real concepts, without
handing the validator tens of thousands of labels).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph
import rdflib
from pyoxigraph import Quad, RdfFormat
from rdflib.namespace import RDF

from kg.model.namespaces import SKOS

VOCAB_PREDICATES = {str(RDF.type), str(SKOS.inScheme), str(rdflib.RDFS.subClassOf)}


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
