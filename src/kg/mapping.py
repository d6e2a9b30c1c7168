"""Record → RDF: turns records and the programme scheme into pyoxigraph quads, with provenance.

Each project is written into the named graph of its source document; that graph and the project
are ``prov:wasDerivedFrom`` the :class:`kg:SourceDocument`. Country and SDG values are resolved to
the EU authority and UN KOS URIs here (through :mod:`kg.linking`); anything that does not resolve
is reported as a :class:`~kg.model.errors.RecordError` naming the file and field, and the line and
column of the value when the files were loaded with a :class:`~kg.curated.SourceMap` (the curated build).

Imports of whole programme databases (:mod:`kg.imports.pipeline`) use the same mapping with a few switches
of :class:`MappingContext`: one named graph for the whole import, source documents described once by
the caller, entities shared by many records (organisations, cities) described once per graph. They
also map the vocabularies an import brings (:func:`map_scheme_concepts`, :func:`map_subject_concepts`)
and the decisions of organisation linking (:func:`map_organisation_match`).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, cast

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad

from kg.curated import SourceMap
from kg.linking.countries import UnknownCountry
from kg.linking.sdgs import SdgKos, UnknownSdg
from kg.model import namespaces as _ns
from kg.model.errors import RecordError, RecordsInvalid
from kg.model.records import (
    LangText,
    Money,
    Organisation,
    OrganisationMatch,
    PartialDate,
    ProgrammeScheme,
    ProjectRecord,
    SchemeConcept,
    SubjectConcept,
)
from kg.model.uris import Minter, key_segment


class _Terms:
    """A namespace whose terms are plain strings, made once (an rdflib ``Namespace`` builds and checks a
    new URIRef on every attribute access, a cost paid per statement)."""

    def __init__(self, namespace: object):
        self._base = str(namespace)

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        term = self._base + name
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> str:
        return self._base + name

    def __str__(self) -> str:
        return self._base


DCT, FOAF, KG, OWL, PROV, RDF, RDFS, SCHEMA, SKOS, VCARD, XSD = (
    _Terms(n) for n in (_ns.DCT, _ns.FOAF, _ns.KG, _ns.OWL, _ns.PROV, _ns.RDF, _ns.RDFS, _ns.SCHEMA, _ns.SKOS, _ns.VCARD, _ns.XSD)
)
XSD_BASE = str(_ns.XSD)

ROLE_URIS = {
    "coordinator": KG.RoleCoordinator,
    "partner": KG.RolePartner,
    "associated-partner": KG.RoleAssociatedPartner,
    "participant": KG.RoleParticipant,
    "third-party": KG.RoleThirdParty,
}
LEVEL_CLASSES = {
    "programme": KG.FundingProgramme,
    "key-action": KG.KeyAction,
    "action-type": KG.ActionType,
    "call": KG.Call,
}


# Organisation identifiers (Organisation.identifiers) that have a property of their own.
IDENTIFIER_PROPERTIES = {"pic": KG.pic, "cordis": KG.pic, "vat": KG.vatNumber, "oid": KG.erasmusOid}
# identifiers that are links out: the organisation is the same thing as the external entity
IDENTIFIER_LINKS = {"ror": "https://ror.org/", "wikidata": "http://www.wikidata.org/entity/"}


def identifier_link(scheme: str, value: str) -> str | None:
    """``ror: 03bnmw459`` → ``https://ror.org/03bnmw459``; ``wikidata: Q152171`` → its entity IRI."""
    base = IDENTIFIER_LINKS.get(scheme)
    if base is None:
        return None
    tail = value.strip().rsplit("/", 1)[-1]
    return base + tail

SUBJECT_KINDS = {"euroscivoc": "euroscivoc", "cordis-subjects": "cordis-subject"}


def subject_scheme_uri(minter: Minter, scheme: str) -> str:
    """``{base}id/scheme/euroscivoc``, ``{base}id/scheme/cordis-subjects``."""
    return f"{minter.base}id/scheme/{scheme}"


def subject_uri(minter: Minter, scheme: str, code: str) -> str:
    """``{base}id/euroscivoc/{code}``, ``{base}id/cordis-subject/{code}``."""
    return f"{minter.base}id/{SUBJECT_KINDS[scheme]}/{key_segment(code)}"


@functools.lru_cache(maxsize=8192)
def _node(uri: str) -> NamedNode:
    return NamedNode(uri)


def _n(uri: object) -> NamedNode:
    return _node(str(uri))


def _xsd(name: str) -> NamedNode:
    return NamedNode(XSD_BASE + name)


class QuadSink:
    """Collects quads for one named graph (as :class:`pyoxigraph.Quad` objects: the curated build)."""

    def __init__(self, graph: str | None):
        self.graph = NamedNode(graph) if graph else DefaultGraph()
        self.quads: list[Quad] = []

    def result(self) -> list[Quad]:
        return self.quads

    def add(self, s: str, p: str, o: NamedNode | Literal) -> None:
        self.quads.append(Quad(NamedNode(s), _n(p), o, self.graph))

    def uri(self, s: str, p: str, o: str) -> None:
        self.add(s, p, _n(o))

    def typed(self, s: str, *classes: str) -> None:
        for c in classes:
            self.uri(s, RDF.type, c)

    def plain(self, s: str, p: str, value: str) -> None:
        """A plain (xsd:string) literal, stated even when empty."""
        self.add(s, p, Literal(value))

    def lang(self, s: str, p: str, value: str, language: str) -> None:
        self.add(s, p, Literal(value, language=language))

    def typed_literal(self, s: str, p: str, lexical: str, xsd_type: str) -> None:
        self.add(s, p, Literal(lexical, datatype=_xsd(xsd_type)))

    def string(self, s: str, p: str, value: str | None) -> None:
        if value is not None and value != "":
            self.plain(s, p, value)

    def integer(self, s: str, p: str, value: int | None) -> None:
        if value is not None:
            self.typed_literal(s, p, str(value), "integer")

    def boolean(self, s: str, p: str, value: bool | None) -> None:
        if value is not None:
            self.typed_literal(s, p, "true" if value else "false", "boolean")

    def text(self, s: str, p: str, values: dict[str, str]) -> None:
        for lang, text in values.items():
            self.lang(s, p, text, lang)

    def date(self, s: str, p: str, value: PartialDate | None) -> None:
        if value is not None:
            self.typed_literal(s, p, value.lexical(), value.xsd_type)


# --------------------------------------------------------------------------- N-Quads text (imports)
_IRI_CACHE: dict[str, str] = {}
_IRI_CACHE_LIMIT = 1 << 16


def _iri(uri: object) -> str:
    """``<uri>`` as N-Quads writes it; an IRI is checked (:class:`NamedNode`, ValueError if invalid) the
    first time it is met — the same check, at the same point, as building the quad would make."""
    key = uri if type(uri) is str else str(uri)
    text = _IRI_CACHE.get(key)
    if text is None:
        NamedNode(key)
        if len(_IRI_CACHE) >= _IRI_CACHE_LIMIT:
            _IRI_CACHE.clear()
        text = _IRI_CACHE[key] = f"<{key}>"
    return text


_ESCAPE_NEEDED = re.compile(r'[\x00-\x1f"\\\x7f]')
_ESCAPE_RARE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _quoted(value: str) -> str:
    """A string as an N-Quads literal's quoted form, exactly as Oxigraph serialises it."""
    if _ESCAPE_NEEDED.search(value) is None:
        return f'"{value}"'
    if _ESCAPE_RARE.search(value) is not None:
        return str(Literal(value))  # \uXXXX escapes: rare, left to Oxigraph
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


@functools.lru_cache(maxsize=256)
def _lang_suffix(language: str) -> str:
    """``@en``: the tag checked and normalised as :class:`Literal` does (ValueError if invalid)."""
    return str(Literal("", language=language))[2:]


@functools.lru_cache(maxsize=64)
def _datatype_suffix(xsd_type: str) -> str:
    return "^^" + _iri(XSD_BASE + xsd_type)


class LineSink(QuadSink):
    """The same statements as :class:`QuadSink`, as N-Quads lines (imports: no term objects, no serialiser)."""

    def __init__(self, graph: str | None):
        self.tail = f" {_iri(graph)} .\n" if graph else " .\n"
        self.lines: list[str] = []

    def result(self) -> list[str]:  # type: ignore[override]  # the same statements as lines: _sink's callers take either
        return self.lines

    # (``_IRI_CACHE.get(x) or _iri(x)``: the cached form without a call, else the checked one)
    def add(self, s: str, p: str, o: NamedNode | Literal) -> None:
        g = _IRI_CACHE.get
        self.lines.append(f"{g(s) or _iri(s)} {g(p) or _iri(p)} {o}{self.tail}")

    def uri(self, s: str, p: str, o: str) -> None:
        g = _IRI_CACHE.get
        self.lines.append(f"{g(s) or _iri(s)} {g(p) or _iri(p)} {g(o) or _iri(o)}{self.tail}")

    def typed(self, s: str, *classes: str) -> None:
        g = _IRI_CACHE.get
        head = f"{g(s) or _iri(s)} {_RDF_TYPE} "
        for c in classes:
            self.lines.append(f"{head}{g(c) or _iri(c)}{self.tail}")

    def plain(self, s: str, p: str, value: str) -> None:
        g = _IRI_CACHE.get
        self.lines.append(f"{g(s) or _iri(s)} {g(p) or _iri(p)} {_quoted(value)}{self.tail}")

    def lang(self, s: str, p: str, value: str, language: str) -> None:
        g = _IRI_CACHE.get
        self.lines.append(f"{g(s) or _iri(s)} {g(p) or _iri(p)} {_quoted(value)}{_lang_suffix(language)}{self.tail}")

    def typed_literal(self, s: str, p: str, lexical: str, xsd_type: str) -> None:
        g = _IRI_CACHE.get
        self.lines.append(f"{g(s) or _iri(s)} {g(p) or _iri(p)} {_quoted(lexical)}{_datatype_suffix(xsd_type)}{self.tail}")

    def text(self, s: str, p: str, values: dict[str, str]) -> None:
        if values:
            g = _IRI_CACHE.get
            head = f"{g(s) or _iri(s)} {g(p) or _iri(p)} "
            for lang, text in values.items():
                self.lines.append(f"{head}{_quoted(text)}{_lang_suffix(lang)}{self.tail}")


_RDF_TYPE = _iri(RDF.type)


class CountryLookup(Protocol):
    """What mapping asks of the country table: a :class:`~kg.linking.countries.CountryTable`, or an
    import's caching wrapper of one."""

    def resolve(self, text: str) -> str: ...

    def alpha3(self, uri: str) -> str | None: ...


@dataclass
class MappingContext:
    """What mapping needs besides the record: URIs, vocabularies, switches."""

    minter: Minter
    countries: CountryLookup
    sdgs: SdgKos
    scheme: ProgrammeScheme
    data_dir: Path
    include_personal_data: bool = False
    errors: list[RecordError] = field(default_factory=list)
    # where the values of the loaded record files are (the curated build): errors name line and column
    source_map: SourceMap | None = None
    # --- switches for imports (defaults keep the curated behaviour) ---
    # every record goes into this named graph instead of one graph per source document
    graph: str | None = None
    # record.source.path -> key of its source document, described by the caller (read once, not per record)
    source_keys: dict[str, str] | None = None
    # URIs of shared entities (organisations, cities) already described in the graph: described once only
    described: set[str] | None = None
    # city names as plain strings: a place name is in no particular language
    plain_place_labels: bool = False
    # produce N-Quads lines (list[str]) instead of pyoxigraph Quads: the import pipeline's fast path
    text_output: bool = False

    def __post_init__(self) -> None:
        # a caller may add the ids of concepts it maps itself (imported programme-scheme concepts)
        self.concept_ids = {c.id for c in self.scheme.concepts}
        self.funder_ids = {f.id for f in self.scheme.funders}

    def error(self, path: Path, field_name: str, message: str) -> None:
        """Report a value of ``path`` that does not resolve (placed in the file with a source map)."""
        if self.source_map is not None:
            self.errors.append(self.source_map.error(path, field_name, message))
        else:
            self.errors.append(RecordError(path, field_name, message))

    def first_time(self, uri: str) -> bool:
        """True the first time an entity is met in this graph (always True without ``described``)."""
        if self.described is None:
            return True
        if uri in self.described:
            return False
        self.described.add(uri)
        return True


# --------------------------------------------------------------------------- projects
def _sink(ctx: MappingContext, graph: str | None) -> QuadSink:
    return LineSink(graph) if ctx.text_output else QuadSink(graph)


class _ProjectMapper:
    def __init__(self, path: Path, record: ProjectRecord, ctx: MappingContext):
        self.path, self.r, self.ctx = path, record, ctx
        self.m = ctx.minter
        # an import names (and describes) its source documents itself
        self.source_described = bool(ctx.source_keys and record.source.path in ctx.source_keys)
        if self.source_described:
            assert ctx.source_keys is not None  # source_described says so
            stem = ctx.source_keys[record.source.path]
        else:
            stem = Path(record.source.path).stem
        self.graph = ctx.graph or self.m.source_graph(stem)
        self.source_uri = self.m.source(stem)
        self.out = _sink(ctx, self.graph)
        self.uri = self.m.project(record)

    def error(self, field_name: str, message: str) -> None:
        self.ctx.error(self.path, field_name, message)

    def t(self, value: LangText | None) -> dict[str, str]:
        return self.r.text(value)

    def country(self, text: str, field_name: str) -> str | None:
        try:
            return self.ctx.countries.resolve(text)
        except UnknownCountry as exc:
            self.error(field_name, str(exc))
            return None

    def city(self, name: str, country_text: str, field_name: str, labels: dict[str, str] | None = None) -> str | None:
        country = self.country(country_text, f"{field_name}.country")
        if country is None:
            return None
        alpha3 = self.ctx.countries.alpha3(country) or country.rsplit("/", 1)[-1]
        uri = self.m.place(alpha3, name)
        if not self.ctx.first_time(uri):
            return uri
        o = self.out
        o.typed(uri, KG.City)
        # the name as the source writes it; other names (Dunkirk for Dunkerque) as SKOS labels
        if self.ctx.plain_place_labels:
            o.plain(uri, RDFS.label, name)
        else:
            o.text(uri, RDFS.label, {self.r.language: name})
        o.text(uri, SKOS.prefLabel, labels or {})
        o.uri(uri, KG.country, country)
        return uri

    def run(self) -> list[Quad] | list[str]:
        r, o, u = self.r, self.out, self.uri
        if not self.source_described:
            self.source_document()
        o.typed(u, KG.Project)
        o.string(u, DCT.identifier, self.m.project_key(r))
        o.text(u, DCT.title, self.t(r.title))
        o.text(u, RDFS.label, self.t(r.title))
        if r.title_is_descriptive:
            o.boolean(u, KG.hasDescriptiveTitle, True)
        o.string(u, KG.acronym, r.acronym)
        o.text(u, KG.fullName, self.t(r.full_name))
        o.text(u, DCT.description, self.t(r.summary))
        o.date(u, KG.startDate, r.start)
        o.date(u, KG.endDate, r.end)
        o.string(u, KG.status, r.status)
        o.uri(u, PROV.wasDerivedFrom, self.source_uri)
        self.funding()
        for i, c in enumerate(r.countries):
            uri = self.country(c, f"countries[{i}]")
            if uri:
                o.uri(u, KG.country, uri)
        for i, place in enumerate(r.cities):
            uri = self.city(place.name, place.country, f"cities[{i}]", place.labels)
            if uri:
                o.uri(u, KG.city, uri)
        for i, s in enumerate(r.sdgs):
            try:
                o.uri(u, KG.sdg, self.ctx.sdgs.resolve(s))
            except UnknownSdg as exc:
                self.error(f"sdgs[{i}]", str(exc))
        self.organisations()
        o.integer(u, KG.partnerCount, r.partner_count)
        o.integer(u, KG.countryCount, r.country_count)
        for text in r.objectives:
            o.text(u, KG.objective, self.t(text))
        if len(r.objectives) > 1:  # kg:objective values have no order: their source's order, as an rdf:Seq
            seq = self.m.project_part(u, "objectives")
            o.uri(u, KG.objectiveSequence, seq)
            o.typed(seq, RDF.Seq)
            for n, text in enumerate(r.objectives, 1):
                o.text(seq, RDF[f"_{n}"], self.t(text))
        self.content()
        for text in r.categories:
            o.text(u, KG.category, self.t(text))
        self.contacts()
        self.database_facts()
        return o.result()

    def database_facts(self) -> None:
        """What programme databases state beyond the curated model (all optional)."""
        r, o, u = self.r, self.out, self.uri
        if r.total_cost is not None:
            self.money(u, KG.totalCost, self.m.project_part(u, "total-cost"), r.total_cost)
        for i, c in enumerate(r.legal_basis):
            if c in self.ctx.concept_ids:
                o.uri(u, KG.legalBasis, self.m.programme(c))
            else:
                self.error(f"legal_basis[{i}]", f"{c!r} is not a concept of the programme scheme")
        for s in r.subjects:
            scheme, _, code = s.partition(":")
            o.uri(u, DCT.subject, subject_uri(self.m, scheme, code))
        if r.homepage:
            o.uri(u, FOAF.homepage, r.homepage)
        for link in r.web_links:
            o.uri(u, KG.webLink, link)
        if r.call_year is not None:
            o.typed_literal(u, KG.callYear, f"{r.call_year:04d}", "gYear")
        o.string(u, KG.callIdentifier, r.call)
        o.string(u, KG.fundingSchemeCode, r.funding_scheme_code)
        o.string(u, KG.doi, r.doi)
        o.string(u, KG.externalReference, r.external_reference)
        o.boolean(u, KG.isGoodPractice, r.good_practice)
        o.boolean(u, KG.isSuccessStory, r.success_story)

    def money(self, subject: str, prop: str, uri: str, amount: Money) -> None:
        o = self.out
        o.uri(subject, prop, uri)
        o.typed(uri, KG.MonetaryAmount)
        o.typed_literal(uri, SCHEMA.value, format(amount.value, "f"), "decimal")
        o.string(uri, SCHEMA.currency, amount.currency)

    def source_document(self) -> None:
        o, s, src = self.out, self.source_uri, self.r.source
        o.typed(s, KG.SourceDocument, PROV.Entity, FOAF.Document)
        o.string(s, DCT.identifier, Path(src.path).stem)
        if src.title:
            o.text(s, DCT.title, {src.language[0] if src.language else self.r.language: src.title})
            o.text(s, RDFS.label, {src.language[0] if src.language else self.r.language: src.title})
        for lang in src.language:
            o.string(s, DCT.language, lang)
        if src.url:
            o.uri(s, SCHEMA.url, src.url)
        data_dir = Path(self.ctx.data_dir).resolve()
        document = (data_dir / src.path).resolve()
        if not document.is_relative_to(data_dir):  # the model refuses '..' and absolute paths; this, symlinks out
            self.error("source.path", f"source document {src.path!r} lies outside the data directory {data_dir}")
        else:
            try:
                digest = hashlib.sha256(document.read_bytes()).hexdigest()
            except OSError as exc:
                self.error("source.path", f"source document {src.path!r} cannot be read: {exc.strerror}")
            else:
                o.string(s, KG.sha256, digest)
        # the whole named graph comes from this document
        o.uri(self.graph, RDF.type, PROV.Entity)
        o.uri(self.graph, PROV.wasDerivedFrom, s)

    def funding(self) -> None:
        r, o, u = self.r, self.out, self.uri
        if r.programme is not None:
            if r.programme in self.ctx.concept_ids:
                o.uri(u, KG.fundedUnder, self.m.programme(r.programme))
            else:
                self.error("programme", f"{r.programme!r} is not a concept of the programme scheme (data/vocab/programmes.yaml)")
        o.text(u, KG.fundingStatement, self.t(r.funding_statement))
        for i, f in enumerate(r.funders):
            if f in self.ctx.funder_ids:
                o.uri(u, KG.fundedBy, self.m.funder(f))
            else:
                self.error(f"funders[{i}]", f"{f!r} is not a funder of the programme scheme (data/vocab/programmes.yaml)")
        if r.grant is not None:
            g = self.m.project_part(u, "grant")
            o.uri(u, KG.hasGrant, g)
            o.typed(g, KG.Grant)
            o.string(g, KG.grantNumber, r.grant.number)
            if r.grant.signature_date is not None:
                o.date(g, KG.signatureDate, PartialDate.parse(r.grant.signature_date))
            if r.grant.amount is not None:
                a = self.m.project_part(g, "amount")
                o.uri(g, KG.amount, a)
                o.typed(a, KG.MonetaryAmount)
                o.typed_literal(a, SCHEMA.value, format(r.grant.amount.value, "f"), "decimal")
                o.string(a, SCHEMA.currency, r.grant.amount.currency)

    def organisations(self) -> None:
        for i, org in enumerate(self.r.organisations):
            where = f"organisations[{i}]"
            ou = self.m.organisation(org.id)
            if self.ctx.first_time(ou):
                self.organisation(org, ou, where)
            else:  # described earlier in this graph: a later occurrence still brings its own spelling
                for alt in org.alt_names:
                    self.out.plain(ou, SKOS.altLabel, alt)
            self.participation(org, ou)

    def organisation(self, org: Organisation, ou: str, where: str) -> None:
        o = self.out
        o.typed(ou, KG.Organisation)
        o.string(ou, DCT.identifier, org.id)
        o.plain(ou, RDFS.label, org.name)
        if org.legal_name_stated:
            o.string(ou, KG.legalName, org.name)
        for alt in org.alt_names:
            o.plain(ou, SKOS.altLabel, alt)
        o.string(ou, KG.shortName, org.short_name)
        o.string(ou, KG.organisationType, org.organisation_type)
        if org.website:
            o.uri(ou, FOAF.homepage, org.website)
        country = self.country(org.country, f"{where}.country") if org.country else None
        if country:
            o.uri(ou, KG.country, country)
        if org.city:
            if org.country is None:
                self.error(f"{where}.city", "a city needs the organisation's country to be identified")
            else:
                cu = self.city(org.city, org.country, where)
                if cu:
                    o.uri(ou, KG.city, cu)
        for scheme, value in org.identifiers.items():
            prop = IDENTIFIER_PROPERTIES.get(scheme)
            if prop is not None:
                o.string(ou, prop, value)
            elif scheme.startswith("registry:"):
                o.string(ou, KG.registryNumber, f"{scheme.split(':', 1)[1]}:{value}")
            elif (link := identifier_link(scheme, value)) is not None:
                o.uri(ou, OWL.sameAs, link)
        o.string(ou, KG.streetAddress, org.street)
        o.string(ou, KG.postCode, org.post_code)
        o.string(ou, KG.region, org.region)
        o.string(ou, KG.nutsCode, org.nuts_code)
        if org.latitude is not None and org.longitude is not None:
            o.typed_literal(ou, KG.latitude, format(org.latitude, "f"), "decimal")
            o.typed_literal(ou, KG.longitude, format(org.longitude, "f"), "decimal")
        o.boolean(ou, KG.isSME, org.sme)

    def participation(self, org: Organisation, ou: str) -> None:
        o, u = self.out, self.uri
        p = self.m.project_part(u, "participation", org.participation_id or org.id)
        o.uri(u, KG.hasParticipation, p)
        o.typed(p, KG.Participation)
        o.uri(p, KG.inProject, u)
        o.uri(p, KG.organisation, ou)
        # A page that names an organisation without its role states only that it takes part.
        o.uri(p, KG.role, ROLE_URIS[org.role or "participant"])
        o.integer(p, KG.order, org.order)
        if org.ec_contribution is not None:
            self.money(p, KG.ecContribution, f"{p}/ec-contribution", org.ec_contribution)
        if org.net_ec_contribution is not None:
            self.money(p, KG.netEcContribution, f"{p}/net-ec-contribution", org.net_ec_contribution)
        if org.total_cost is not None:
            self.money(p, KG.totalCost, f"{p}/total-cost", org.total_cost)
        o.boolean(p, KG.endOfParticipation, org.end_of_participation)

    def content(self) -> None:
        r, o, u = self.r, self.out, self.uri
        for n, a in enumerate(r.activities, 1):
            au = self.m.project_part(u, "activity", n)
            o.uri(u, KG.hasActivity, au)
            o.typed(au, KG.Activity)
            o.text(au, DCT.title, self.t(a.title))
            o.text(au, DCT.description, self.t(a.description))
            o.text(au, RDFS.label, self.t(a.title or a.description))
            o.string(au, KG.activityKind, a.kind)
            o.integer(au, KG.order, a.order)
            o.integer(au, KG.quantity, a.quantity)
            if a.duration:
                o.typed_literal(au, KG.duration, a.duration, "duration")
            o.string(au, KG.level, a.level)
        for n, g in enumerate(r.target_groups, 1):
            gu = self.m.project_part(u, "target-group", n)
            o.uri(u, KG.hasTargetGroup, gu)
            o.typed(gu, KG.TargetGroup)
            o.text(gu, RDFS.label, self.t(g.label))
            o.text(gu, DCT.description, self.t(g.description))
        for n, e in enumerate(r.expected_results, 1):
            eu = self.m.project_part(u, "result", n)
            o.uri(u, KG.hasExpectedResult, eu)
            o.typed(eu, KG.ExpectedResult)
            o.text(eu, DCT.description, self.t(e.description))
            o.text(eu, RDFS.label, self.t(e.description))
            o.integer(eu, KG.quantity, e.quantity)
            o.integer(eu, KG.minQuantity, e.min)
            o.integer(eu, KG.maxQuantity, e.max)
            if e.approximate:
                o.boolean(eu, KG.isApproximate, True)
            o.text(eu, KG.unit, self.t(e.unit))
            o.text(eu, KG.scope, self.t(e.scope))
        # outputs the source numbers itself (CORDIS deliverables) keep that number in their URI
        numbered = bool(r.outputs) and all(out.number is not None for out in r.outputs)
        for n, out in enumerate(r.outputs, 1):
            ou = self.m.project_part(u, "output", out.number if numbered else n)
            o.uri(u, KG.hasOutput, ou)
            o.typed(ou, KG.Output)
            o.text(ou, DCT.title, self.t(out.title))
            o.text(ou, RDFS.label, self.t(out.title))
            o.text(ou, DCT.description, self.t(out.description))
            o.string(ou, KG.outputKind, out.kind)
            if out.url:
                o.uri(ou, SCHEMA.url, out.url)

    def contacts(self) -> None:
        o, u = self.out, self.uri
        n = 0
        for c in self.r.contacts:
            if c.personal and not self.ctx.include_personal_data:
                continue  # a named person's details are personal data: out unless the operator enables them
            n += 1
            cu = self.m.project_part(u, "contact", n)
            o.uri(u, KG.contactPoint, cu)
            o.typed(cu, KG.ContactPoint)
            if c.email:
                o.uri(cu, VCARD.hasEmail, f"mailto:{c.email}")
            o.string(cu, VCARD.fn, c.name)
            if c.url:
                o.uri(cu, VCARD.hasURL, c.url)


def map_project(path: Path, record: ProjectRecord, ctx: MappingContext) -> tuple[str, list[Quad] | list[str]]:
    """One record's quads and the named graph they belong to; problems are added to ``ctx.errors``."""
    mapper = _ProjectMapper(path, record, ctx)
    return mapper.graph, mapper.run()


def map_projects(records: Iterable[tuple[Path, ProjectRecord]], ctx: MappingContext) -> dict[str, list[Quad]]:
    """All records, grouped by named graph; raises :class:`RecordsInvalid` if any value does not resolve."""
    graphs: dict[str, list[Quad]] = {}
    for path, record in records:
        graph, quads = map_project(path, record, ctx)
        graphs.setdefault(graph, []).extend(cast("list[Quad]", quads))  # the curated build maps to Quads (text_output off)
    if ctx.errors:
        raise RecordsInvalid(list(ctx.errors))
    return graphs


# --------------------------------------------------------------------------- programme scheme
def map_programme_scheme(scheme: ProgrammeScheme, ctx: MappingContext, *, source: Path | None = None) -> list[Quad]:
    """The funding-programme hierarchy (SKOS) and the funders, in the programmes vocabulary graph."""
    m = ctx.minter
    o = QuadSink(m.programmes_graph)
    s = m.programme_scheme()
    o.typed(s, SKOS.ConceptScheme)
    o.text(s, SKOS.prefLabel, {"en": "EU funding programmes", "it": "Programmi di finanziamento UE"})
    o.text(s, RDFS.label, {"en": "EU funding programmes", "it": "Programmi di finanziamento UE"})
    for i, f in enumerate(scheme.funders):
        fu = m.funder(f.id)
        o.typed(fu, KG.Funder, KG.Organisation)
        o.string(fu, DCT.identifier, f.id)
        o.text(fu, SKOS.prefLabel, scheme.text(f.name))
        o.text(fu, RDFS.label, scheme.text(f.name))
        o.string(fu, KG.shortName, f.short_name)
        if f.website:
            o.uri(fu, FOAF.homepage, f.website)
        if f.country:
            try:
                o.uri(fu, KG.country, ctx.countries.resolve(f.country))
            except UnknownCountry as exc:
                ctx.error(source or Path("programmes.yaml"), f"funders[{i}].country", str(exc))
    for c in scheme.concepts:
        _scheme_concept(o, m, c, scheme.text)
    return o.quads


def _scheme_concept(o: QuadSink, m: Minter, c: SchemeConcept, text: Callable[[LangText | None], dict[str, str]]) -> None:
    s = m.programme_scheme()
    cu = m.programme(c.id)
    o.typed(cu, LEVEL_CLASSES[c.level], SKOS.Concept)
    o.uri(cu, SKOS.inScheme, s)
    o.text(cu, SKOS.prefLabel, text(c.label))
    o.text(cu, RDFS.label, text(c.label))
    for alt in c.alt_labels:
        o.text(cu, SKOS.altLabel, text(alt))
    o.text(cu, SKOS.definition, text(c.definition))
    o.string(cu, SKOS.notation, c.notation)
    if c.broader:
        o.uri(cu, SKOS.broader, m.programme(c.broader))
        o.uri(m.programme(c.broader), SKOS.narrower, cu)
    else:
        o.uri(cu, SKOS.topConceptOf, s)
        o.uri(s, SKOS.hasTopConcept, cu)
    for f in c.managed_by:
        o.uri(cu, KG.managedBy, m.funder(f))


# --------------------------------------------------------------------------- imported vocabularies
def map_scheme_concepts(
    concepts: Iterable[SchemeConcept], ctx: MappingContext, graph: str, *, language: str = "en"
) -> list[Quad] | list[str]:
    """Programme-scheme concepts an import brings (e.g. Horizon Europe legal-basis parts and topics),
    in the import's graph. Their broader concepts may be curated ones (data/vocab/programmes.yaml)."""
    o = _sink(ctx, graph)

    def text(value: LangText | None) -> dict[str, str]:
        if value is None:
            return {}
        return {language: value} if isinstance(value, str) else dict(value)

    for c in concepts:
        _scheme_concept(o, ctx.minter, c, text)
    return o.result()


def map_subject_concepts(concepts: Iterable[SubjectConcept], ctx: MappingContext, graph: str) -> list[Quad] | list[str]:
    """Subject vocabularies an import brings (EuroSciVoc, CORDIS subject codes) as SKOS concept schemes."""
    m = ctx.minter
    o = _sink(ctx, graph)
    labels = {
        "euroscivoc": {"en": "European Science Vocabulary (EuroSciVoc), as used by CORDIS"},
        "cordis-subjects": {"en": "CORDIS subject index classification codes"},
    }
    schemes: set[str] = set()
    for c in concepts:
        s = subject_scheme_uri(m, c.scheme)
        if c.scheme not in schemes:
            schemes.add(c.scheme)
            o.typed(s, SKOS.ConceptScheme)
            o.text(s, SKOS.prefLabel, labels[c.scheme])
            o.text(s, RDFS.label, labels[c.scheme])
        cu = subject_uri(m, c.scheme, c.code)
        o.typed(cu, SKOS.Concept)
        o.uri(cu, SKOS.inScheme, s)
        o.text(cu, SKOS.prefLabel, c.text(c.label))
        o.text(cu, RDFS.label, c.text(c.label))
        o.text(cu, SKOS.definition, c.text(c.definition))
        o.string(cu, SKOS.notation, c.notation)
        if c.broader:
            bu = subject_uri(m, c.scheme, c.broader)
            o.uri(cu, SKOS.broader, bu)
            o.uri(bu, SKOS.narrower, cu)
        else:
            o.uri(cu, SKOS.topConceptOf, s)
            o.uri(s, SKOS.hasTopConcept, cu)
    return o.result()


def map_source_document(
    key: str,
    ctx: MappingContext,
    graph: str,
    *,
    title: str,
    sha256: str | None,
    language: str | None = None,
    url: str | None = None,
) -> list[Quad] | list[str]:
    """One source document of an import (a file of an export), and the graph derived from it."""
    o = _sink(ctx, graph)
    s = ctx.minter.source(key)
    o.typed(s, KG.SourceDocument, PROV.Entity, FOAF.Document)
    o.string(s, DCT.identifier, key)
    o.lang(s, DCT.title, title, language or "en")
    o.lang(s, RDFS.label, title, language or "en")
    if language:
        o.string(s, DCT.language, language)
    if url:
        o.uri(s, SCHEMA.url, url)
    o.string(s, KG.sha256, sha256)
    o.uri(graph, RDF.type, PROV.Entity)
    o.uri(graph, PROV.wasDerivedFrom, s)
    return o.result()


def organisation_match_uri(minter: Minter, match: OrganisationMatch, graph: str) -> str:
    digest = hashlib.sha256(f"{graph}|{match.location}|{match.stated_name}|{match.other}".encode()).hexdigest()[:16]
    return f"{minter.organisation(match.organisation)}/match/{digest}"


def map_organisation_match(
    match: OrganisationMatch, ctx: MappingContext, graph: str, source_key: str | None
) -> list[Quad] | list[str]:
    """A decision of organisation linking, with its rule and evidence, in the import's graph."""
    m = ctx.minter
    o = _sink(ctx, graph)
    u = organisation_match_uri(m, match, graph)
    o.typed(u, KG.OrganisationMatch, PROV.Entity)
    # merged: the occurrence is the organisation already known; not merged: it was compared with
    # the look-alike (`other`) and kept apart, as its own organisation
    o.uri(u, KG.matchedOrganisation, m.organisation(match.other or match.organisation))
    o.uri(u, KG.occurrenceOrganisation, m.organisation(match.organisation))
    o.string(u, KG.matchRule, match.rule)
    o.string(u, KG.matchDecision, "merged" if match.merged else "not-merged")
    o.string(u, KG.matchOutcome, match.decided)
    if match.score is not None:
        o.typed_literal(u, KG.matchScore, f"{match.score:.4f}", "decimal")
    o.string(u, KG.matchEvidence, match.evidence)
    o.string(u, KG.statedName, match.stated_name)
    o.string(u, KG.sourceLocation, match.location)
    o.plain(u, RDFS.label, f"{match.decided} by {match.rule}: {match.stated_name}")
    if source_key:
        o.uri(u, PROV.wasDerivedFrom, m.source(source_key))
    return o.result()


def map_matches_graph(ctx: MappingContext, matches_graph: str, import_graph: str) -> list[Quad] | list[str]:
    """The graph of an import's organisation-linking decisions (inferred), derived from the import's graph."""
    o = _sink(ctx, matches_graph)
    o.uri(matches_graph, RDF.type, PROV.Entity)
    o.uri(matches_graph, PROV.wasInfluencedBy, import_graph)  # (wasDerivedFrom names source documents only)
    return o.result()
