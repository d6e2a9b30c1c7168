"""Record → RDF: turns records and the programme scheme into pyoxigraph quads, with provenance.

Each project is written into the named graph of its source document; that graph and the project
are ``prov:wasDerivedFrom`` the :class:`kg:SourceDocument`. Country and SDG values are resolved to
the EU authority and UN KOS URIs here (through :mod:`kg.linking`); anything that does not resolve
is reported as a :class:`~kg.sources.curated.RecordError` naming the file and field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad

from kg.linking.countries import CountryTable, UnknownCountry
from kg.linking.sdgs import SdgKos, UnknownSdg
from kg.namespaces import DCT, FOAF, KG, PROV, RDF, RDFS, SCHEMA, SKOS, VCARD, XSD
from kg.records import LangText, PartialDate, ProgrammeScheme, ProjectRecord
from kg.sources.curated import RecordError, RecordsInvalid
from kg.uris import Minter

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


def _n(uri: object) -> NamedNode:
    return NamedNode(str(uri))


def _xsd(name: str) -> NamedNode:
    return NamedNode(str(XSD[name]))


class QuadSink:
    """Collects quads for one named graph."""

    def __init__(self, graph: str | None):
        self.graph = NamedNode(graph) if graph else DefaultGraph()
        self.quads: list[Quad] = []

    def add(self, s: str, p: object, o: NamedNode | Literal) -> None:
        self.quads.append(Quad(NamedNode(s), _n(p), o, self.graph))

    def uri(self, s: str, p: object, o: object) -> None:
        self.add(s, p, _n(o))

    def typed(self, s: str, *classes: object) -> None:
        for c in classes:
            self.uri(s, RDF.type, c)

    def string(self, s: str, p: object, value: str | None) -> None:
        if value is not None and value != "":
            self.add(s, p, Literal(value))

    def integer(self, s: str, p: object, value: int | None) -> None:
        if value is not None:
            self.add(s, p, Literal(str(value), datatype=_xsd("integer")))

    def boolean(self, s: str, p: object, value: bool | None) -> None:
        if value is not None:
            self.add(s, p, Literal("true" if value else "false", datatype=_xsd("boolean")))

    def text(self, s: str, p: object, values: dict[str, str]) -> None:
        for lang, text in values.items():
            self.add(s, p, Literal(text, language=lang))

    def date(self, s: str, p: object, value: PartialDate | None) -> None:
        if value is not None:
            self.add(s, p, Literal(value.lexical(), datatype=_xsd(value.xsd_type)))


@dataclass
class MappingContext:
    """What mapping needs besides the record: URIs, vocabularies, switches."""

    minter: Minter
    countries: CountryTable
    sdgs: SdgKos
    scheme: ProgrammeScheme
    data_dir: Path
    include_personal_data: bool = False
    errors: list[RecordError] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.concept_ids = {c.id for c in self.scheme.concepts}
        self.funder_ids = {f.id for f in self.scheme.funders}


# --------------------------------------------------------------------------- projects
class _ProjectMapper:
    def __init__(self, path: Path, record: ProjectRecord, ctx: MappingContext):
        self.path, self.r, self.ctx = path, record, ctx
        self.m = ctx.minter
        stem = Path(record.source.path).stem
        self.source_path = ctx.data_dir / record.source.path
        self.graph = self.m.source_graph(stem)
        self.source_uri = self.m.source(stem)
        self.out = QuadSink(self.graph)
        self.uri = self.m.project(record)

    def error(self, field_name: str, message: str) -> None:
        self.ctx.errors.append(RecordError(self.path, field_name, message))

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
        o = self.out
        o.typed(uri, KG.City)
        # the name as the source writes it; other names (Dunkirk for Dunkerque) as SKOS labels
        o.text(uri, RDFS.label, {self.r.language: name})
        o.text(uri, SKOS.prefLabel, labels or {})
        o.uri(uri, KG.country, country)
        return uri

    def run(self) -> list[Quad]:
        r, o, u = self.r, self.out, self.uri
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
        self.content()
        for text in r.categories:
            o.text(u, KG.category, self.t(text))
        self.contacts()
        return o.quads

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
        try:
            digest = hashlib.sha256(self.source_path.read_bytes()).hexdigest()
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
                o.add(a, SCHEMA.value, Literal(str(r.grant.amount.value), datatype=_xsd("decimal")))
                o.string(a, SCHEMA.currency, r.grant.amount.currency)

    def organisations(self) -> None:
        o, u = self.out, self.uri
        for i, org in enumerate(self.r.organisations):
            where = f"organisations[{i}]"
            ou = self.m.organisation(org.id)
            o.typed(ou, KG.Organisation)
            o.string(ou, DCT.identifier, org.id)
            o.add(ou, RDFS.label, Literal(org.name))
            o.string(ou, KG.legalName, org.name)
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
            p = self.m.project_part(u, "participation", org.id)
            o.uri(u, KG.hasParticipation, p)
            o.typed(p, KG.Participation)
            o.uri(p, KG.inProject, u)
            o.uri(p, KG.organisation, ou)
            # A page that names an organisation without its role states only that it takes part.
            o.uri(p, KG.role, ROLE_URIS[org.role or "participant"])

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
                o.add(au, KG.duration, Literal(a.duration, datatype=_xsd("duration")))
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
        for n, out in enumerate(r.outputs, 1):
            ou = self.m.project_part(u, "output", n)
            o.uri(u, KG.hasOutput, ou)
            o.typed(ou, KG.Output)
            o.text(ou, DCT.title, self.t(out.title))
            o.text(ou, RDFS.label, self.t(out.title))
            o.text(ou, DCT.description, self.t(out.description))
            o.string(ou, KG.outputKind, out.kind)

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


def map_project(path: Path, record: ProjectRecord, ctx: MappingContext) -> tuple[str, list[Quad]]:
    """One record's quads and the named graph they belong to; problems are added to ``ctx.errors``."""
    mapper = _ProjectMapper(path, record, ctx)
    return mapper.graph, mapper.run()


def map_projects(records: Iterable[tuple[Path, ProjectRecord]], ctx: MappingContext) -> dict[str, list[Quad]]:
    """All records, grouped by named graph; raises :class:`RecordsInvalid` if any value does not resolve."""
    graphs: dict[str, list[Quad]] = {}
    for path, record in records:
        graph, quads = map_project(path, record, ctx)
        graphs.setdefault(graph, []).extend(quads)
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
    for f in scheme.funders:
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
                ctx.errors.append(RecordError(source or Path("programmes.yaml"), f"funders.{f.id}.country", str(exc)))
    for c in scheme.concepts:
        cu = m.programme(c.id)
        o.typed(cu, LEVEL_CLASSES[c.level], SKOS.Concept)
        o.uri(cu, SKOS.inScheme, s)
        o.text(cu, SKOS.prefLabel, scheme.text(c.label))
        o.text(cu, RDFS.label, scheme.text(c.label))
        for alt in c.alt_labels:
            o.text(cu, SKOS.altLabel, scheme.text(alt))
        o.text(cu, SKOS.definition, scheme.text(c.definition))
        o.string(cu, SKOS.notation, c.notation)
        if c.broader:
            o.uri(cu, SKOS.broader, m.programme(c.broader))
            o.uri(m.programme(c.broader), SKOS.narrower, cu)
        else:
            o.uri(cu, SKOS.topConceptOf, s)
            o.uri(s, SKOS.hasTopConcept, cu)
        for f in c.managed_by:
            o.uri(cu, KG.managedBy, m.funder(f))
    return o.quads
