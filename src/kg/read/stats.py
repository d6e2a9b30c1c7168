"""Counts of what a store holds: triples per named graph, instances per class, projects per year."""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QuerySolutions

from kg.model.namespaces import sparql_prefixes
from kg.store import Store

PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
PER_CLASS = (
    sparql_prefixes("kg")
    + """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class } FILTER(STRSTARTS(STR(?class), STR(kg:)))
} GROUP BY ?class ORDER BY ?class"""
)


@dataclass(frozen=True)
class Stats:
    per_graph: dict[str, int]
    per_class: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.per_graph.values())


def _select(store: Store, sparql: str) -> QuerySolutions:
    result = store.query(sparql)
    assert isinstance(result, QuerySolutions)  # a SELECT answers solutions
    return result


def store_stats(store: Store) -> Stats:
    # the store's own graphs: a server's system graphs (Virtuoso's virtrdf#...) are not counted
    graphs = set(store.graphs())
    per_graph = {str(row["g"].value): int(row["n"].value) for row in _select(store, PER_GRAPH) if str(row["g"].value) in graphs}
    per_class = {str(row["class"].value): int(row["n"].value) for row in _select(store, PER_CLASS)}
    return Stats(per_graph=per_graph, per_class=per_class)
