"""Canonical forms for reproducible publishing: blank-node labels from content, sorted statements.

The vocabularies in the graph (the EU country table's ``at:op-mapped-code`` nodes, the SDG KOS's
``skos:memberList``, the ontology's ``owl:unionOf`` lists and its ``dct:creator``) hold blank
nodes, and a parser gives them fresh labels on every parse. :func:`canonical_quads` relabels
every blank node from what surrounds it, so the same content always gives the same labels and,
once sorted, the same bytes.

The labelling is colour refinement, run on each connected blank-node component on its own:

1. a blank node's first colour hashes the statements it occurs in, itself written ``_:a``, other
   blank nodes ``_:z`` (the "first-degree hash" of RDF Dataset Canonicalization);
2. each round hashes a node's colour with its statements, other blank nodes now written with
   their colours, until the component's partition stops splitting;
3. nodes still sharing a colour are told apart one at a time (the first gets a distinguishing
   mark, then the component is refined again). Nodes that share a colour after refinement are
   symmetric in every graph met in practice (two identical ``[ at:legacy-code "X" ]`` under the
   same subject), so which one is marked first does not change the output.

A label is ``b`` followed by 32 hex digits of the node's final colour, so it depends only on
its own component: a blank node keeps its label from release to release unless its
neighbourhood changes. Blank nodes stay blank nodes (no skolem IRIs), which keeps the
ontology's class expressions and lists what OWL tools expect.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

__all__ = ["canonical_quads", "nquad_line", "sort_quads", "sort_triples", "triple_line"]

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph  # a triple term can be an object


def _h(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _positions(q: ox.Quad) -> tuple[Term, Term, Term, Term]:
    return (q.subject, q.predicate, q.object, q.graph_name)


def _term(t: Term) -> str:
    return "" if isinstance(t, ox.DefaultGraph) else str(t)


class _Labeller:
    def __init__(self, quads: Sequence[ox.Quad]) -> None:
        self.mentions: dict[ox.BlankNode, list[ox.Quad]] = defaultdict(list)
        for q in quads:
            seen = set()
            for t in _positions(q):
                if isinstance(t, ox.BlankNode) and t not in seen:
                    seen.add(t)
                    self.mentions[t].append(q)
        self.colour: dict[ox.BlankNode, str] = {}

    def components(self) -> list[list[ox.BlankNode]]:
        parent: dict[ox.BlankNode, ox.BlankNode] = {b: b for b in self.mentions}

        def find(b: ox.BlankNode) -> ox.BlankNode:
            while parent[b] != b:
                parent[b] = parent[parent[b]]
                b = parent[b]
            return b

        for b, qs in self.mentions.items():
            for q in qs:
                for t in _positions(q):
                    if isinstance(t, ox.BlankNode):
                        ra, rb = find(b), find(t)
                        if ra != rb:
                            parent[ra] = rb
        groups: dict[ox.BlankNode, list[ox.BlankNode]] = defaultdict(list)
        for b in self.mentions:
            groups[find(b)].append(b)
        return list(groups.values())

    def _signature(self, b: ox.BlankNode, colour: dict[ox.BlankNode, str] | None) -> list[str]:
        lines = []
        for q in self.mentions[b]:
            parts = []
            for t in _positions(q):
                if t == b:
                    parts.append("_:a")
                elif isinstance(t, ox.BlankNode):
                    parts.append("_:z" if colour is None else "_:" + colour[t])
                else:
                    parts.append(_term(t))
            lines.append(" ".join(parts))
        return sorted(lines)

    def _refine(self, nodes: list[ox.BlankNode]) -> None:
        classes = len(set(self.colour[b] for b in nodes))
        while True:
            new = {b: _h(self.colour[b] + "\n" + "\n".join(self._signature(b, self.colour))) for b in nodes}
            self.colour.update(new)
            now = len(set(new.values()))
            if now == classes:
                return
            classes = now

    def label(self) -> dict[ox.BlankNode, str]:
        components = self.components()
        for nodes in components:
            for b in nodes:
                self.colour[b] = _h("\n".join(self._signature(b, None)))
            self._refine(nodes)
        component_of = {b: i for i, nodes in enumerate(components) for b in nodes}
        while True:
            by_colour: dict[str, list[ox.BlankNode]] = defaultdict(list)
            for b, c in self.colour.items():
                by_colour[c].append(b)
            tied = sorted(c for c, members in by_colour.items() if len(members) > 1)
            if not tied:
                break
            first = by_colour[tied[0]][0]  # symmetric with the others: any one will do
            self.colour[first] = _h(self.colour[first] + "!")
            self._refine(components[component_of[first]])
        return {b: "b" + c[:32] for b, c in self.colour.items()}


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with every blank node relabelled from its content (see the module doc)."""
    quads = list(quads)
    labels = _Labeller(quads).label()
    if not labels:
        return quads
    nodes = {b: ox.BlankNode(label) for b, label in labels.items()}

    def swap(t: Term) -> Term:
        return nodes[t] if isinstance(t, ox.BlankNode) else t

    return [
        ox.Quad(swap(q.subject), q.predicate, swap(q.object), swap(q.graph_name))  # type: ignore[arg-type]  # swap keeps each position's kind
        for q in quads
    ]


def triple_line(t: ox.Triple | ox.Quad) -> str:
    """A statement's canonical N-Triples line, without the newline (its graph is dropped)."""
    return f"{t.subject} {t.predicate} {t.object} ."


def nquad_line(q: ox.Quad) -> str:
    """A quad's canonical N-Quads line, without the newline."""
    if isinstance(q.graph_name, ox.DefaultGraph):
        return triple_line(q)
    return f"{q.subject} {q.predicate} {q.object} {q.graph_name} ."


def _key(line: str) -> bytes:
    return line.encode("utf-8")  # byte order: what `LC_ALL=C sort` gives


def sort_triples(items: Iterable[ox.Triple | ox.Quad]) -> list[ox.Triple]:
    """Distinct triples (graphs merged), in the byte order of their N-Triples lines."""
    by_line = {triple_line(t): t for t in items}
    return [
        ox.Triple(t.subject, t.predicate, t.object) for _, t in sorted(by_line.items(), key=lambda kv: _key(kv[0]))
    ]


def sort_quads(quads: Iterable[ox.Quad], *, graph_first: bool = False) -> list[ox.Quad]:
    """Distinct quads in the byte order of their N-Quads lines (``graph_first``: grouped by graph,
    the default graph first, then by N-Triples line — the order a JSON-LD writer groups by)."""
    by_line = {nquad_line(q): q for q in quads}
    if graph_first:
        return [
            q
            for _, q in sorted(
                by_line.items(), key=lambda kv: (_key(_term(kv[1].graph_name)), _key(triple_line(kv[1])))
            )
        ]
    return [q for _, q in sorted(by_line.items(), key=lambda kv: _key(kv[0]))]
