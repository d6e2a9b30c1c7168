"""The SPARQL 1.1 Service Description of ``/sparql`` (answered to a GET without a query).

It states the endpoint, how answers are cached and validated (an ``rdfs:comment``: per release,
``ETag`` / ``If-None-Match`` → 304), the languages (SPARQL 1.1 Query; Update only when a token enables it),
every result format (W3C ``formats:`` IRIs), the features (``sd:UnionDefaultGraph`` — the
default graph is the union of the named graphs —, ``sd:EmptyGraphs``, and
``sd:BasicFederatedQuery`` when a SERVICE allowlist is configured), simple entailment, and
the default dataset with each named graph. Serialised with pyoxigraph in any RDF format.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.formats import rdf_format

__all__ = ["SD", "service_description"]

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREFIXES = {
    "sd": SD,
    "formats": FORMATS,
    "dct": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}

_RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "N-Quads",
    "TriG",
    "RDF_XML",
    "JSON-LD",
    "N3",
)
_INPUT_FORMATS = ("Turtle", "N-Triples", "N-Quads", "TriG", "RDF_XML", "JSON-LD", "N3")


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def service_description(
    endpoint: str,
    graphs: list[str],
    *,
    writable: bool,
    federated: bool,
    format: str = "turtle",
    cache_bytes: int = 0,
    title: str = "EU-funded projects knowledge graph: SPARQL 1.1 endpoint",
) -> bytes:
    """The description serialised in ``format`` (a :mod:`kg.store` RDF format name)."""
    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, ox.NamedNode(PREFIXES["dct"] + "title"), ox.Literal(title, language="en")),
        ox.Triple(service, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("defaultEntailmentRegime"), ox.NamedNode("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("feature"), _sd("EmptyGraphs")),
    ]
    caching = (
        f"Answers are cached per release (up to {cache_bytes // (1 << 20)} MiB, least recently used first out) "
        "and every answer has an ETag: send it back in If-None-Match to get 304 Not Modified while the "
        "release (and, with updates enabled, the data) is unchanged. A new release or a write starts afresh."
        if cache_bytes
        else "Every answer has an ETag: send it back in If-None-Match to get 304 Not Modified while the "
        "release (and, with updates enabled, the data) is unchanged."
    )
    triples.append(ox.Triple(service, ox.NamedNode(PREFIXES["rdfs"] + "comment"), ox.Literal(caching, language="en")))
    if writable:
        triples.append(ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
        triples += [ox.Triple(service, _sd("inputFormat"), ox.NamedNode(FORMATS + f)) for f in _INPUT_FORMATS]
    if federated:
        triples.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    triples += [ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMATS + f)) for f in _RESULT_FORMATS]
    triples += [
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
        ox.Triple(
            default_graph,
            ox.NamedNode(PREFIXES["rdfs"] + "comment"),
            ox.Literal("The union of all named graphs (unless the request names its own dataset).", language="en"),
        ),
    ]
    for index, graph in enumerate(graphs):
        node = ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), node),
            ox.Triple(node, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(node, _sd("name"), ox.NamedNode(graph) if not graph.startswith("_:") else ox.BlankNode(graph[2:])),
        ]
    fmt = rdf_format(format)
    if fmt is None:
        raise ValueError(f"unknown RDF format {format!r}")
    items: list[ox.Triple] | list[ox.Quad] = triples
    if fmt.supports_datasets:
        items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    out = ox.serialize(items, format=fmt, prefixes=PREFIXES)
    assert out is not None
    return out
