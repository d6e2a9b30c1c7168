"""Prepare ontology/kg.ttl for pyLODE 3: one language, and no skos:ConceptScheme.

kg.ttl labels and defines every term in English and Italian and declares the role
scheme kg:ParticipationRoles as a skos:ConceptScheme. pyLODE 3 (OntPub profile) shows
every language of a label side by side ("ProjectProgetto"), and it takes any
skos:ConceptScheme in the file for the ontology itself (pyLODE >= 3.5 even switches to the
VocPub profile). This script writes a copy of the ontology for documentation only:

* literals in other languages are dropped where the term has one in the chosen language;
* the rdf:type skos:ConceptScheme of kg:ParticipationRoles is dropped (it stays an
  owl:NamedIndividual).

Usage::

    python ontology/pylode_prep.py ontology/kg.ttl --lang en -o build/kg-en.ttl
    pylode build/kg-en.ttl -o build/ontology-en.html     # pyLODE 3.3.x on Python 3.11

It needs only rdflib. The published ontology is kg.ttl itself, never this copy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import RDF, SKOS


def graph_for_pylode(source: str | Path | Graph, lang: str = "en") -> Graph:
    """A copy of the ontology graph in one language and without concept schemes."""
    src = source if isinstance(source, Graph) else Graph().parse(str(source))
    out = Graph()
    for prefix, ns in src.namespaces():
        out.bind(prefix, ns, override=True)
    for s, p, o in src:
        if p == RDF.type and o == SKOS.ConceptScheme:
            continue
        if isinstance(o, Literal) and o.language and o.language != lang:
            has_chosen = any(
                isinstance(x, Literal) and x.language == lang for x in src.objects(s, p)
            )
            if has_chosen:
                continue
        out.add((s, p, o))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the ontology, e.g. ontology/kg.ttl")
    parser.add_argument("--lang", default="en", help="language to keep (default: en)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="Turtle file to write")
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    graph_for_pylode(args.source, args.lang).serialize(args.output, format="turtle")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
