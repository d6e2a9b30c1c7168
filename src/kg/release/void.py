"""The VoID description of a release (``void.ttl``), counted with SPARQL on the store.

The ``void:Dataset`` (the same resource as the catalogue's ``dcat:Dataset``) states the size of
the union of all named graphs — ``void:triples`` (distinct triples), ``void:entities`` (distinct
subjects in the URI space ``{base}id/``), ``void:classes``, ``void:properties``,
``void:distinctSubjects`` / ``void:distinctObjects`` — one ``void:classPartition`` per class
(``void:entities`` = its distinct instances) and one ``void:propertyPartition`` per property
(``void:triples``), where to get it (``void:dataDump``, ``void:sparqlEndpoint``), the
vocabularies it uses, and two ``void:Linkset`` subsets: ``kg:sdg`` links to the UN SDG KOS and
``kg:country`` links to the EU country table (``void:triples`` = distinct links).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from pyoxigraph import RdfFormat

from kg.model.namespaces import DCT, FOAF, KG, PREFIXES, RDF, XSD
from kg.release import terms
from kg.release.canonical import sort_triples
from kg.release.manifest import Release, ReleaseFile, ReleaseUris, sha256, write_file
from kg.store import Store

__all__ = ["LINKSETS", "VoidCounts", "count", "publish", "void_triples"]

VOID = terms.VOID

# (key, link predicate, target dataset, target title, target homepage)
LINKSETS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "un-sdg",
        str(KG.sdg),
        "http://metadata.un.org/sdg/void.ttl#SDG",  # the dataset IRI of the KOS's own VoID
        "A Knowledge Organization System for the United Nations Sustainable Development Goals",
        "http://metadata.un.org/sdg",
    ),
    (
        "eu-country",
        str(KG.country),
        terms.AUTHORITY + "country",
        "Country (EU Publications Office authority table)",
        "https://op.europa.eu/en/web/eu-vocabularies",
    ),
)

FEATURES = {
    "application/n-triples": "N-Triples",
    "application/n-quads": "N-Quads",
    "text/turtle": "Turtle",
    "application/ld+json": "JSON-LD",
}

_DISTINCT = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"


class VoidCounts:
    """The figures of a VoID description, each from one SPARQL query over the union graph."""

    def __init__(self, store: Store, uri_space: str) -> None:
        def select(sparql: str) -> ox.QuerySolutions:
            result = store.query(sparql)
            assert isinstance(result, ox.QuerySolutions)  # a SELECT query
            return result

        def one(sparql: str) -> int:
            rows = list(select(sparql))
            return int(rows[0]["n"].value) if rows else 0

        def pairs(sparql: str, key: str) -> dict[str, int]:
            return {r[key].value: int(r["n"].value) for r in select(sparql)}

        rdf_type = f"<{RDF.type}>"
        self.triples = one(f"SELECT (COUNT(*) AS ?n) WHERE {{ {_DISTINCT} }}")
        self.entities = one(
            f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o
                 FILTER(ISIRI(?s) && STRSTARTS(STR(?s), "{uri_space}")) }}"""
        )
        self.classes = one(f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?s {rdf_type} ?c }}")
        self.properties = one("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }")
        self.distinct_subjects = one("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")
        self.distinct_objects = one("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }")
        self.class_partitions = pairs(
            f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s {rdf_type} ?c FILTER(ISIRI(?c)) }} GROUP BY ?c", "c"
        )
        self.property_partitions = pairs(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {_DISTINCT} }} GROUP BY ?p", "p")
        self.links = {
            key: one(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ ?s <{pred}> ?o }} }}")
            for key, pred, *_ in LINKSETS
        }
        examples = list(select(f"SELECT ?p WHERE {{ ?p {rdf_type} <{KG.Project}> }} ORDER BY STR(?p) LIMIT 1"))
        self.example = examples[0]["p"].value if examples else None


def count(store: Store, base_uri: str) -> VoidCounts:
    return VoidCounts(store, ReleaseUris(base_uri).uri_space)


def _vocabularies(iris: list[str]) -> list[str]:
    """The namespaces of :mod:`kg.model.namespaces` (plus VoID/DCAT terms) the given IRIs live in."""
    known = sorted({str(ns) for ns in PREFIXES.values()} | set(terms.PREFIXES.values()), key=len, reverse=True)
    found = set()
    for iri in iris:
        ns = next((n for n in known if iri.startswith(n)), None)
        if ns is not None:
            found.add(ns)
    return sorted(found)


def void_triples(release: Release, counts: VoidCounts) -> list[ox.Triple]:
    u = ReleaseUris(release.base_uri)
    out: list[ox.Triple] = []

    def node(v: object) -> ox.NamedNode | ox.Literal:
        return v if isinstance(v, (ox.NamedNode, ox.Literal)) else ox.NamedNode(str(v))

    def add(s: object, p: object, o: object) -> None:
        out.append(ox.Triple(node(s), node(p), node(o)))  # type: ignore[arg-type]  # s, p: IRIs, never literals

    def num(s: object, p: object, n: int) -> None:
        add(s, p, ox.Literal(str(n), datatype=ox.NamedNode(str(XSD.integer))))

    ds = u.dataset
    doc = f"{release.base_url}/.well-known/void"
    add(doc, RDF.type, VOID.DatasetDescription)
    add(doc, DCT.title, ox.Literal("VoID description of the EU-funded projects knowledge graph", language="en"))
    add(doc, FOAF.primaryTopic, ds)

    add(ds, RDF.type, VOID.Dataset)
    add(ds, DCT.title, ox.Literal("EU-funded projects knowledge graph", language="en"))
    add(ds, DCT.license, terms.LICENCE.iri)
    add(ds, DCT.modified, ox.Literal(release.issued, datatype=ox.NamedNode(str(XSD.date))))
    add(ds, FOAF.homepage, f"{release.base_url}/")
    add(ds, VOID.uriSpace, ox.Literal(u.uri_space))
    add(ds, VOID.sparqlEndpoint, f"{release.base_url}/sparql")
    for f in release.by_role("dump"):
        add(ds, VOID.dataDump, release.download_url(f.name))
        if f.media_type in FEATURES:
            add(ds, VOID.feature, terms.FORMATS + FEATURES[f.media_type])
    if counts.example:
        add(ds, VOID.exampleResource, counts.example)
    num(ds, VOID.triples, counts.triples)
    num(ds, VOID.entities, counts.entities)
    num(ds, VOID.classes, counts.classes)
    num(ds, VOID.properties, counts.properties)
    num(ds, VOID.distinctSubjects, counts.distinct_subjects)
    num(ds, VOID.distinctObjects, counts.distinct_objects)
    for ns in _vocabularies([*counts.class_partitions, *counts.property_partitions]):
        add(ds, VOID.vocabulary, ns)
    for cls, n in counts.class_partitions.items():
        part = u.class_partition(cls)
        add(ds, VOID.classPartition, part)
        add(part, VOID["class"], cls)
        num(part, VOID.entities, n)
    for prop, n in counts.property_partitions.items():
        part = u.property_partition(prop)
        add(ds, VOID.propertyPartition, part)
        add(part, VOID.property, prop)
        num(part, VOID.triples, n)
    for key, pred, target, title, homepage in LINKSETS:
        ls = u.linkset(key)
        add(ds, VOID.subset, ls)
        add(ls, RDF.type, VOID.Linkset)
        add(ls, VOID.linkPredicate, pred)
        add(ls, VOID.subjectsTarget, ds)
        add(ls, VOID.objectsTarget, target)
        num(ls, VOID.triples, counts.links[key])
        add(target, RDF.type, VOID.Dataset)
        add(target, DCT.title, ox.Literal(title, language="en"))
        add(target, FOAF.homepage, homepage)
    return sort_triples(out)


def publish(*, store: Store, release: Release, out_dir: Path) -> list[ReleaseFile]:
    """Write ``void.ttl``; the file written."""
    triples = void_triples(release, count(store, release.base_uri))
    data = ox.serialize(triples, format=RdfFormat.TURTLE, prefixes=terms.PREFIXES) or b""
    write_file(out_dir, "void.ttl", data)
    return [
        ReleaseFile(
            name="void.ttl",
            media_type=RdfFormat.TURTLE.media_type,
            size=len(data),
            sha256=sha256(data),
            role="void",
            title="VoID description",
            format_code="RDF_TURTLE",
        )
    ]
