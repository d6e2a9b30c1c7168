"""The DCAT-AP 3.0.1 catalogue of a release: ``catalog.ttl``, ``catalog.jsonld``, ``catalog.rdf``.

One ``dcat:Catalog`` with one ``dcat:Dataset`` (the graph), one ``dcat:Distribution`` per dump
(download URL, IANA media type, EU file type, size, SHA-256, licence, dates) and a
``dcat:DataService`` for the SPARQL endpoint. The publisher is a ``foaf:Agent`` typed with an
ADMS publisher type; the contact point is an organisational ``vcard:Organization`` (never a
person). Temporal and spatial coverage, languages and keywords come from the store: the
projects' first start and last end dates, the projects' countries (EU authority URIs), the
languages of the source documents and the funding programmes' names. A project date stated as
a month or a year covers all of it, so the period runs from the first day of the earliest start
to the last day of the latest end, as ``xsd:date`` (what DCAT-AP 2.1.1 and most portals read). Every controlled-vocabulary concept is stated with its class,
``skos:inScheme`` and label (:mod:`kg.release.terms`).

Publisher name and type, contact e-mail and homepage come from :class:`CatalogInfo`
(environment: ``KG_PUBLISHER_NAME``, ``KG_PUBLISHER_TYPE``, ``KG_CONTACT_EMAIL``).

:func:`validate_catalog` runs pySHACL with the official DCAT-AP shapes over a catalogue plus
the authority tables' concept statements, as ``tests/test_publish.py`` and
``docs/publishing.md`` do.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from pyoxigraph import RdfFormat

from kg.model.namespaces import DCT, FOAF, KG, RDF, RDFS, SKOS, SPDX, VCARD, XSD
from kg.release import terms
from kg.release.canonical import sort_triples
from kg.release.manifest import Release, ReleaseFile, ReleaseUris, sha256, write_file
from kg.release.terms import DCAT, DCATAP
from kg.settings import COUNTRY_TABLE, Settings
from kg.store import Store
from kg.validation.reference import validate
from kg.validation.report import Report

__all__ = ["CATALOG_FILES", "CatalogInfo", "catalog_triples", "publish", "validate_catalog"]

CATALOG_FILES: tuple[tuple[str, RdfFormat, str], ...] = (
    ("catalog.ttl", RdfFormat.TURTLE, "RDF_TURTLE"),
    ("catalog.jsonld", RdfFormat.JSON_LD, "JSON_LD"),
    ("catalog.rdf", RdfFormat.RDF_XML, "RDF_XML"),
)

SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
XSD_DATE = ox.NamedNode(str(XSD.date))


@dataclass(frozen=True)
class CatalogInfo:
    """Who publishes and how to reach them. The contact is an organisation's address."""

    title: str = "EU-funded projects knowledge graph"
    title_it: str = "Grafo di conoscenza dei progetti finanziati dall'UE"
    publisher_name: str = "EU projects knowledge graph team"
    publisher_type: str = "NonProfitOrganisation"  # an ADMS publisher type (terms.PUBLISHER_TYPES)
    contact_email: str = "euprojects-kg@example.org"  # set KG_CONTACT_EMAIL for a real release
    description: str = (
        "An open linked-data knowledge graph of EU-funded projects: the projects, their partner "
        "organisations and roles, grants, funding programmes and funders, activities, target groups, "
        "expected results and outputs, the UN Sustainable Development Goals they serve and the countries "
        "and cities they work in, each fact traceable to its source document. It includes the UN SDG KOS "
        "and the EU country authority table it links to."
    )
    keywords: tuple[str, ...] = (
        "EU funding",
        "EU-funded projects",
        "migrant inclusion",
        "Sustainable Development Goals",
        "linked data",
        "knowledge graph",
    )

    @classmethod
    def from_env(cls) -> CatalogInfo:
        values = {
            field: os.environ[var]
            for field, var in (
                ("publisher_name", "KG_PUBLISHER_NAME"),
                ("publisher_type", "KG_PUBLISHER_TYPE"),
                ("contact_email", "KG_CONTACT_EMAIL"),
            )
            if os.environ.get(var, "").strip()
        }
        return cls(**values)  # type: ignore[arg-type]  # only the str fields come from the environment


# --------------------------------------------------------------------------- facts from the store

_PREFIXES = f"PREFIX kg: <{KG}>\nPREFIX skos: <{SKOS}>\nPREFIX dct: <{DCT}>\n"


def _rows(store: Store, sparql: str) -> list[ox.QuerySolution]:
    result = store.query(_PREFIXES + sparql)
    assert isinstance(result, ox.QuerySolutions)  # a SELECT query
    return list(result)


def _bound(lit: ox.Literal, *, end: bool) -> str:
    """A date literal as the first (or last) day it covers, for comparing mixed precisions."""
    v = lit.value
    if len(v) == 4:  # gYear
        return f"{v}-12-31" if end else f"{v}-01-01"
    if len(v) == 7:  # gYearMonth
        y, m = int(v[:4]), int(v[5:7])
        return f"{v}-{calendar.monthrange(y, m)[1]:02d}" if end else f"{v}-01"
    return v[:10]


@dataclass
class Coverage:
    start: str | None  # xsd:date: the first day the earliest start date covers
    end: str | None  # xsd:date: the last day the latest end date covers
    countries: list[tuple[str, str]]  # (EU authority URI, English label)
    languages: list[str]  # BCP 47 tags of the source documents
    programmes: list[str]  # English names of the funding programmes
    projects: int
    ontology_title: str


def coverage(store: Store) -> Coverage:
    dates = _rows(store, "SELECT ?s ?e WHERE { ?p a kg:Project OPTIONAL { ?p kg:startDate ?s } OPTIONAL { ?p kg:endDate ?e } }")
    starts = [r["s"] for r in dates if isinstance(r["s"], ox.Literal)]
    ends = [r["e"] for r in dates if isinstance(r["e"], ox.Literal)]
    start = min(_bound(lit, end=False) for lit in starts) if starts else None
    end = max(_bound(lit, end=True) for lit in ends) if ends else None
    countries = _rows(
        store,
        """SELECT ?c (SAMPLE(?l) AS ?label) WHERE { ?p a kg:Project ; kg:country ?c
             OPTIONAL { ?c skos:prefLabel ?l FILTER(LANGMATCHES(LANG(?l), "en")) } } GROUP BY ?c""",
    )
    langs = _rows(store, "SELECT DISTINCT ?l WHERE { ?d a kg:SourceDocument ; dct:language ?l }")
    programmes = _rows(
        store,
        """SELECT DISTINCT ?l WHERE { ?x a kg:FundingProgramme ; skos:prefLabel ?l FILTER(LANGMATCHES(LANG(?l), "en")) }""",
    )
    projects = _rows(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project }")
    title = _rows(
        store,
        f"""SELECT ?t WHERE {{ <{terms.ONTOLOGY_IRI}> dct:title ?t FILTER(LANGMATCHES(LANG(?t), "en")) }}""",
    )
    return Coverage(
        start=start,
        end=end,
        countries=sorted(
            (r["c"].value, r["label"].value if r["label"] is not None else r["c"].value.rsplit("/", 1)[-1])
            for r in countries
        ),
        languages=sorted({r["l"].value for r in langs}),
        programmes=sorted({r["l"].value for r in programmes}),
        projects=int(projects[0]["n"].value) if projects else 0,
        ontology_title=title[0]["t"].value if title else "EU projects knowledge graph ontology",
    )


# --------------------------------------------------------------------------- the graph


class _Graph:
    """A small builder of triples."""

    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    @staticmethod
    def _node(value: object) -> ox.NamedNode | ox.Literal:
        if isinstance(value, (ox.NamedNode, ox.Literal)):
            return value
        return ox.NamedNode(str(value))

    def add(self, s: object, p: object, o: object) -> None:
        self.triples.append(ox.Triple(self._node(s), self._node(p), self._node(o)))  # type: ignore[arg-type]  # s, p: IRIs, never literals

    def text(self, s: object, p: object, value: str, lang: str | None = "en") -> None:
        self.add(s, p, ox.Literal(value, language=lang) if lang else ox.Literal(value))

    def typed(self, s: object, p: object, value: str, datatype: object) -> None:
        self.add(s, p, ox.Literal(value, datatype=ox.NamedNode(str(datatype))))

    def a(self, s: object, *classes: object) -> None:
        for c in classes:
            self.add(s, RDF.type, c)

    def concept(self, concept: terms.Concept) -> str:
        self.triples.extend(terms.concept_triples(concept))
        return concept.iri

    def media_type(self, media_type: str) -> ox.NamedNode:
        node, triples = terms.media_type_triples(media_type)
        self.triples.extend(triples)
        return node


def catalog_triples(
    release: Release,
    cov: Coverage,
    *,
    info: CatalogInfo,
    file_types: dict[str, str],
) -> list[ox.Triple]:
    """The catalogue of ``release`` as sorted triples."""
    u = ReleaseUris(release.base_uri)
    base_url = release.base_url
    g = _Graph()
    issued = ox.Literal(release.issued, datatype=XSD_DATE)
    licence = g.concept(terms.LICENCE)
    g.add(licence, DCT.type, g.concept(terms.LICENCE_KIND))
    g.add(licence, RDFS.seeAlso, terms.LICENCE_DEED)
    themes = [g.concept(c) for c in terms.DATA_THEMES]
    stable = g.concept(terms.STABLE)
    languages = []
    for tag in ["en", *cov.languages]:
        concept = terms.language_concept(tag)
        if concept is not None and concept.iri not in languages:
            languages.append(g.concept(concept))
    countries = [g.concept(terms.country_concept(iri, label)) for iri, label in cov.countries]
    homepage = f"{base_url}/"
    g.a(homepage, FOAF.Document)

    # publisher and contact point: an organisation, never a person
    g.a(u.publisher, FOAF.Agent, FOAF.Organization)
    g.text(u.publisher, FOAF.name, info.publisher_name)
    g.add(u.publisher, DCT.type, g.concept(terms.publisher_type(info.publisher_type)))
    g.a(u.contact, VCARD.Organization, VCARD.Kind)
    g.text(u.contact, VCARD.fn, info.publisher_name)
    g.add(u.contact, VCARD.hasEmail, f"mailto:{info.contact_email}")
    g.add(u.contact, VCARD.hasURL, homepage)

    # the ontology the data follows, and the SPARQL protocol the service speaks
    g.a(terms.ONTOLOGY_IRI, DCT.Standard)
    g.text(terms.ONTOLOGY_IRI, DCT.title, cov.ontology_title)
    g.a(SPARQL_PROTOCOL, DCT.Standard)
    g.text(SPARQL_PROTOCOL, DCT.title, "SPARQL 1.1 Protocol")

    # the catalogue
    g.a(u.catalog, DCAT.Catalog)
    g.text(u.catalog, DCT.title, f"{info.title}: data catalogue")
    g.text(
        u.catalog,
        DCT.description,
        f"The DCAT-AP catalogue of the {info.title}: its data dumps and its SPARQL endpoint.",
    )
    g.add(u.catalog, DCT.publisher, u.publisher)
    g.add(u.catalog, FOAF.homepage, homepage)
    g.add(u.catalog, DCT.license, licence)
    g.add(u.catalog, DCT.issued, issued)
    g.add(u.catalog, DCT.modified, issued)
    for lang in languages:
        g.add(u.catalog, DCT.language, lang)
    for country in countries:
        g.add(u.catalog, DCT.spatial, country)
    g.add(u.catalog, DCAT.themeTaxonomy, terms.DATA_THEMES[0].scheme.iri)
    g.add(u.catalog, DCAT.dataset, u.dataset)
    g.add(u.catalog, DCAT.service, u.sparql_service)

    # the dataset
    ds = u.dataset
    g.a(ds, DCAT.Dataset)
    g.text(ds, DCT.title, info.title)
    g.text(ds, DCT.title, info.title_it, "it")
    g.text(ds, DCT.description, f"{info.description} This release describes {cov.projects} projects.")
    g.text(ds, DCT.identifier, ds, None)
    g.text(ds, DCAT.version, release.id, None)
    g.add(ds, DCT.issued, issued)
    g.add(ds, DCT.modified, issued)
    g.add(ds, DCT.publisher, u.publisher)
    g.add(ds, DCAT.contactPoint, u.contact)
    g.add(ds, DCAT.landingPage, homepage)
    g.add(ds, DCT.conformsTo, terms.ONTOLOGY_IRI)
    for theme in themes:
        g.add(ds, DCAT.theme, theme)
    for lang in languages:
        g.add(ds, DCT.language, lang)
    for country in countries:
        g.add(ds, DCT.spatial, country)
    for keyword in sorted({*info.keywords, *cov.programmes}):
        g.text(ds, DCAT.keyword, keyword)
    if cov.start is not None or cov.end is not None:
        g.a(u.period, DCT.PeriodOfTime)
        if cov.start is not None:
            g.typed(u.period, DCAT.startDate, cov.start, XSD.date)
        if cov.end is not None:
            g.typed(u.period, DCAT.endDate, cov.end, XSD.date)
        g.add(ds, DCT.temporal, u.period)

    # one distribution per dump
    for f in release.by_role("dump"):
        key = f.name.split(".", 1)[1].replace(".", "-")  # nt-gz, nq-gz, ttl, jsonld
        dist = u.distribution(key)
        url = release.download_url(f.name)
        g.add(ds, DCAT.distribution, dist)
        g.a(dist, DCAT.Distribution)
        g.text(dist, DCT.title, f.title)
        g.text(
            dist,
            DCT.description,
            f"{f.title}: {release.triples if not f.graphs else release.quads} "
            f"{'quads' if f.graphs else 'triples'}, {f.size} bytes.",
        )
        g.add(dist, DCAT.downloadURL, url)
        g.add(dist, DCAT.accessURL, url)
        g.add(dist, DCAT.mediaType, g.media_type(f.media_type))
        if f.compress_format:
            g.add(dist, DCAT.compressFormat, g.media_type(f.compress_format))
        if f.format_code:
            g.add(dist, DCT.format, g.concept(terms.file_type_concept(f.format_code, file_types)))
        g.typed(dist, DCAT.byteSize, str(f.size), XSD.nonNegativeInteger)
        checksum = u.checksum(key)
        g.add(dist, SPDX.checksum, checksum)
        g.a(checksum, SPDX.Checksum)
        g.add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
        g.typed(checksum, SPDX.checksumValue, f.sha256, XSD.hexBinary)
        g.add(dist, DCATAP.availability, stable)
        g.add(dist, DCT.license, licence)
        g.add(dist, DCT.issued, issued)
        g.add(dist, DCT.modified, issued)
        g.add(dist, DCT.conformsTo, terms.ONTOLOGY_IRI)
    g.a(SPDX.checksumAlgorithm_sha256, SPDX.ChecksumAlgorithm)
    g.text(SPDX.checksumAlgorithm_sha256, RDFS.label, "SHA-256", None)

    # the SPARQL endpoint
    svc = u.sparql_service
    g.a(svc, DCAT.DataService)
    g.text(svc, DCT.title, f"{info.title}: SPARQL endpoint")
    g.text(
        svc,
        DCT.description,
        "A SPARQL 1.1 endpoint over the whole graph; the default graph is the union of the named graphs.",
    )
    endpoint = f"{base_url}/sparql"  # GET without a query answers the SPARQL service description
    g.add(svc, DCAT.endpointURL, endpoint)
    g.add(svc, DCAT.endpointDescription, endpoint)
    g.a(endpoint, RDFS.Resource)  # DCAT-AP 3.0.1 gives both properties the range rdfs:Resource
    g.add(svc, DCAT.servesDataset, ds)
    g.add(svc, DCT.conformsTo, SPARQL_PROTOCOL)
    g.add(svc, DCT.publisher, u.publisher)
    g.add(svc, DCAT.contactPoint, u.contact)
    g.add(svc, DCT.license, licence)
    for theme in themes:
        g.add(svc, DCAT.theme, theme)
    g.text(svc, DCAT.keyword, "SPARQL")
    return sort_triples(g.triples)


def publish(
    settings: Settings,
    *,
    store: Store,
    release: Release,
    out_dir: Path,
    info: CatalogInfo | None = None,
) -> list[ReleaseFile]:
    """Write the catalogue of ``release`` in Turtle, JSON-LD and RDF/XML; the files written."""
    assert settings.data_dir is not None
    info = info or CatalogInfo.from_env()
    file_types = terms.file_type_labels(settings.data_dir / terms.FILE_TYPE_TABLE)
    triples = catalog_triples(release, coverage(store), info=info, file_types=file_types)
    out: list[ReleaseFile] = []
    for name, fmt, code in CATALOG_FILES:
        data = ox.serialize(triples, format=fmt, prefixes=terms.PREFIXES) or b""
        write_file(out_dir, name, data)
        out.append(
            ReleaseFile(
                name=name,
                media_type=fmt.media_type,
                size=len(data),
                sha256=sha256(data),
                role="catalog",
                title=f"DCAT-AP 3.0.1 catalogue ({fmt.name})",
                format_code=code,
            )
        )
    return out


# --------------------------------------------------------------------------- validation


def authority_statements(settings: Settings) -> list[ox.Triple]:
    """What the vocabulary shapes read from the EU file-type and country tables: each concept's
    types, scheme and English label (the tables' own statements, not ours)."""

    assert settings.data_dir is not None
    keep = {str(RDF.type), str(SKOS.inScheme)}
    label = str(SKOS.prefLabel)
    out: list[ox.Triple] = []
    for rel in (terms.FILE_TYPE_TABLE, COUNTRY_TABLE):
        for t in ox.parse(path=str(settings.data_dir / rel), format=RdfFormat.RDF_XML):
            if not isinstance(t.subject, ox.NamedNode):
                continue
            if t.predicate.value in keep or (
                t.predicate.value == label and isinstance(t.object, ox.Literal) and t.object.language == "en"
            ):
                out.append(t)
    return out


def load_shapes(shapes: Sequence[Path]):
    """The DCAT-AP shapes files as one rdflib graph, repaired where the release is incomplete.

    DCAT-AP 3.0.1's ``dcat-ap-SHACL.ttl`` names two property shapes of ``dcat:DataService``
    (``dcat:endpointURL``, ``dcat:endpointDescription``) without defining them, which stops
    pySHACL as soon as a catalogue has a data service. Their definitions are in ``ranges.ttl`` of
    the same release: a property shape referenced but left without ``sh:path`` is completed from
    the ``*.ttl`` files beside the shapes file that define it (and dropped when none does).
    """
    import rdflib
    from rdflib.namespace import SH

    graph = rdflib.Graph()
    for path in shapes:
        graph.parse(path, format="turtle")
    dangling = {o for o in graph.objects(None, SH.property) if (o, SH.path, None) not in graph}
    if not dangling:
        return graph
    siblings = sorted({p for path in shapes for p in Path(path).parent.glob("*.ttl")} - set(map(Path, shapes)))
    for path in siblings:
        other = rdflib.Graph().parse(path, format="turtle")
        for shape in list(dangling):
            if (shape, SH.path, None) in other:
                for p, o in other.predicate_objects(shape):
                    graph.add((shape, p, o))
                dangling.discard(shape)
        if not dangling:
            break
    for shape in dangling:
        graph.remove((None, SH.property, shape))
    return graph


def validate_catalog(catalog: bytes | Path, shapes: Sequence[Path], *, settings: Settings | None = None) -> Report:
    """pySHACL over a catalogue (Turtle) and, with ``settings``, the authority tables' concept
    statements; a :class:`kg.validation.report.Report` of the top-level results.

    pySHACL also lists, as ``sh:detail``, the nested results behind an ``sh:node`` failure
    (with their own severity); they explain a top-level result and are not counted here.
    """
    import rdflib
    from rdflib.namespace import SH


    data = rdflib.Graph()
    data.parse(data=catalog.read_bytes() if isinstance(catalog, Path) else catalog, format="turtle")
    if settings is not None:
        extra = ox.serialize(authority_statements(settings), format=RdfFormat.N_TRIPLES) or b""
        data.parse(data=extra, format="nt")
    report = validate(data, load_shapes(shapes))
    assert report.graph is not None
    g = report.graph
    nested = set(g.objects(None, SH.detail)) - set(g.objects(None, SH.result))
    hidden = {
        (str(g.value(n, SH.focusNode)), str(g.value(n, SH.value)) if g.value(n, SH.value) is not None else None)
        for n in nested
    }
    shown = {
        (str(g.value(n, SH.focusNode)), str(g.value(n, SH.value)) if g.value(n, SH.value) is not None else None)
        for n in g.objects(None, SH.result)
    }
    results = [r for r in report.results if (r.focus, r.value) in shown or (r.focus, r.value) not in hidden]
    return Report(conforms=not any(r.severity == "Violation" for r in results), results=results, graph=g)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kg.release.dcat CATALOG.ttl SHAPES.ttl [SHAPES.ttl ...]``: validate a catalogue
    (with the authority tables of the data dir) and print the report; exit 1 on violations."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print(main.__doc__, file=sys.stderr)
        return 2
    report = validate_catalog(Path(args[0]), [Path(a) for a in args[1:]], settings=Settings.from_env())
    print(report.text())
    return 0 if report.conforms else 1


if __name__ == "__main__":
    raise SystemExit(main())
