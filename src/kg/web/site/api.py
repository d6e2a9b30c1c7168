"""The REST API under ``/api/``: projects, organisations, programmes, SDGs, countries, statistics.

Every answer is a JSON document that is also JSON-LD: it carries an ``@context`` mapping its keys
to the model's IRIs (``docs/model.md``), entities have ``@id`` (their URI) and ``@type``, lists are
``hydra:Collection``-s (``items`` = ``hydra:member``, ``total`` = ``hydra:totalItems``). Keys that
are plain-JSON conveniences (paging, counts, ISO codes, date precisions) map to ``null`` in the
context, so JSON-LD processors skip them. The same bytes are sent as ``application/ld+json`` when
the request's ``Accept`` prefers that, else as ``application/json`` (``Vary: Accept``).

Lists page with ``page`` / ``per_page`` or ``limit`` / ``offset`` and answer with RFC 8288 ``Link``
headers (``first``, ``prev``, ``next``, ``last``) and ``X-Total-Count``. Errors are RFC 9457
``application/problem+json``; a bad parameter is named in ``invalid-params``.
"""

from __future__ import annotations

import copy
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kg.model.namespaces import DCT, FOAF, KG, PROV, RDFS, SCHEMA, SDGO, SKOS, VCARD, XSD
from kg.read import model as read_model

# aliased: make_router's route handlers are named organisations, programmes, projects, sdgs
from kg.read import organisations as read_organisations
from kg.read import places, statistics
from kg.read import programmes as read_programmes
from kg.read import projects as read_projects
from kg.read import sdgs as read_sdgs
from kg.web.context import AppContext
from kg.web.http import ProblemRoute, StoreUnavailable, negotiate, request_lang, vary

__all__ = ["CONTEXT", "make_router"]

HYDRA = "http://www.w3.org/ns/hydra/core#"


def _id(term: str) -> dict[str, str]:
    return {"@id": term, "@type": "@id"}


CONTEXT: dict[str, Any] = {
    "kg": str(KG),
    "dct": str(DCT),
    "skos": str(SKOS),
    "schema": str(SCHEMA),
    "prov": str(PROV),
    "rdfs": str(RDFS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "sdgo": str(SDGO),
    "xsd": str(XSD),
    "hydra": HYDRA,
    # classes
    "Project": "kg:Project",
    "Organisation": "kg:Organisation",
    "Funder": "kg:Funder",
    "Participation": "kg:Participation",
    "Role": "kg:Role",
    "FundingScheme": "kg:FundingScheme",
    "Grant": "kg:Grant",
    "MonetaryAmount": "kg:MonetaryAmount",
    "Activity": "kg:Activity",
    "Output": "kg:Output",
    "TargetGroup": "kg:TargetGroup",
    "ExpectedResult": "kg:ExpectedResult",
    "City": "kg:City",
    "SourceDocument": "kg:SourceDocument",
    "ContactPoint": "kg:ContactPoint",
    "Country": "skos:Concept",
    "SdgGoal": "sdgo:Goal",
    "SdgTarget": "sdgo:Target",
    "Collection": "hydra:Collection",
    # labels and texts
    "label": "rdfs:label",
    "labels": {"@id": "skos:prefLabel", "@container": "@language"},
    "title": "dct:title",
    "titles": {"@id": "dct:title", "@container": "@language"},
    "acronym": "kg:acronym",
    "fullName": "kg:fullName",
    "description": "dct:description",
    "hasDescriptiveTitle": "kg:hasDescriptiveTitle",
    "objectives": "kg:objective",
    "categories": "kg:category",
    "fundingStatement": "kg:fundingStatement",
    # dates and counts
    "startDate": "kg:startDate",
    "endDate": "kg:endDate",
    "status": "kg:status",
    "partnerCount": "kg:partnerCount",
    "countryCount": "kg:countryCount",
    # funding
    "programme": _id("kg:fundedUnder"),
    "broader": _id("skos:broader"),
    "narrower": _id("skos:narrower"),
    "notation": "skos:notation",
    "definition": "skos:definition",
    "altLabels": "skos:altLabel",
    "shortLabel": "skos:altLabel",
    "managedBy": _id("kg:managedBy"),
    "manages": {"@reverse": "kg:managedBy", "@type": "@id"},
    "funders": _id("kg:fundedBy"),
    "grant": _id("kg:hasGrant"),
    "grantNumber": "kg:grantNumber",
    "signatureDate": {"@id": "kg:signatureDate", "@type": "xsd:date"},
    "amount": _id("kg:amount"),
    "value": {"@id": "schema:value", "@type": "xsd:decimal"},
    "currency": "schema:currency",
    # places and goals
    "countries": _id("kg:country"),
    "country": _id("kg:country"),
    "cities": _id("kg:city"),
    "sdgs": _id("kg:sdg"),
    "goal": _id("sdgo:isTargetOf"),
    "targets": _id("sdgo:hasTarget"),
    # partnership
    "participations": _id("kg:hasParticipation"),
    "organisation": _id("kg:organisation"),
    "role": _id("kg:role"),
    "legalName": "kg:legalName",
    "shortName": "kg:shortName",
    "organisationType": "kg:organisationType",
    "homepage": _id("foaf:homepage"),
    # content
    "activities": _id("kg:hasActivity"),
    "targetGroups": _id("kg:hasTargetGroup"),
    "expectedResults": _id("kg:hasExpectedResult"),
    "outputs": _id("kg:hasOutput"),
    "contactPoints": _id("kg:contactPoint"),
    "activityKind": "kg:activityKind",
    "outputKind": "kg:outputKind",
    "order": "kg:order",
    "quantity": "kg:quantity",
    "minQuantity": "kg:minQuantity",
    "maxQuantity": "kg:maxQuantity",
    "isApproximate": "kg:isApproximate",
    "unit": "kg:unit",
    "scope": "kg:scope",
    "duration": {"@id": "kg:duration", "@type": "xsd:duration"},
    "level": "kg:level",
    "email": _id("vcard:hasEmail"),
    "web": _id("vcard:hasURL"),
    "name": "vcard:fn",
    # provenance
    "sources": _id("prov:wasDerivedFrom"),
    "sha256": "kg:sha256",
    "url": _id("schema:url"),
    "languages": "dct:language",
    "derivedGraphs": {"@reverse": "prov:wasDerivedFrom", "@type": "@id"},
    # collections
    "total": "hydra:totalItems",
    "items": _id("hydra:member"),
    # plain JSON conveniences: not RDF statements
    **{
        key: None
        for key in (
            "key", "startPrecision", "startDatatype", "endPrecision", "endDatatype", "iso2", "iso3", "code",
            "goalCode", "goalRef", "linkedTargets", "position", "quantityText", "inGraphs", "projects",
            "projectCount", "totalProjectCount", "broaderChain", "schemeLevel", "roles", "fundedByThis",
            "page", "perPage", "limit", "offset", "links", "lang", "organisations", "totals", "byProgramme",
            "byCountry", "bySdg", "byStartYear", "year", "names", "facets", "snippet", "highlight", "score", "suggestedSdgs", "suggestedCount", "count",
        )
    },
}


def context(**overrides: Any) -> dict[str, Any]:
    """The shared context, with per-document term definitions (e.g. reverse links)."""
    ctx = copy.copy(CONTEXT)
    ctx.update(overrides)
    return ctx


# --------------------------------------------------------------------------- response models


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")


class Ref(Model):
    id: str = Field(alias="@id", description="the entity's URI")
    type: str | None = Field(None, alias="@type", description="its class (a term of the @context)")
    label: str = Field(description="display label in the requested language (else English, else any)")


class CountryRef(Ref):
    iso2: str | None = Field(None, description="ISO 3166-1 alpha-2 code", examples=["IT"])
    iso3: str | None = Field(None, description="ISO 3166-1 alpha-3 code (the EU authority code)", examples=["ITA"])
    projectCount: int | None = Field(None, description="number of projects involving it")


class SdgRef(Ref):
    code: str = Field(description="goal number or target code", examples=["10", "10.2"])
    shortLabel: str | None = Field(None, description="the goal's short name", examples=["Reduced inequalities"])
    goal: str | None = Field(None, description="for a target: its goal's URI")
    goalCode: str | None = None
    projectCount: int | None = None


class OrganisationRef(Ref):
    key: str | None = Field(None, description="the key in its URI (dct:identifier)")
    shortName: str | None = None
    organisationType: str | None = None
    country: CountryRef | None = None
    projectCount: int | None = Field(None, description="projects it takes part in or funds")


class CityRef(Ref):
    country: CountryRef | None = None


class SchemeNode(Ref):
    key: str | None = Field(None, description="the key in its URI")
    schemeLevel: Literal["programme", "key-action", "action-type", "call"] | None = Field(
        None, description="level in the programme hierarchy"
    )
    notation: str | None = Field(None, examples=["KA3"])
    managedBy: list[Ref] = Field(default_factory=list, description="funders managing it")
    broader: SchemeNode | None = Field(None, description="the broader concept, nested up to the programme")


class TreeNode(SchemeNode):
    projectCount: int = Field(0, description="projects funded directly under it")
    totalProjectCount: int = Field(0, description="projects funded under it or any narrower concept")
    narrower: list[TreeNode] = Field(default_factory=list)


class ProjectSummary(Ref):
    key: str = Field(description="the project's key (grant number or record id)", examples=["ic4lop"])
    acronym: str | None = Field(None, examples=["IC4LOP"])
    title: str
    fullName: str | None = None
    startDate: str | None = Field(None, description="as precise as the source: YYYY-MM-DD, YYYY-MM or YYYY", examples=["2017-09"])
    startPrecision: Literal["day", "month", "year"] | None = None
    startDatatype: str | None = None
    endDate: str | None = None
    endPrecision: Literal["day", "month", "year"] | None = None
    endDatatype: str | None = None
    status: str | None = None
    programme: Ref | None = Field(None, description="the most specific funding level stated")
    countries: list[CountryRef] = Field(default_factory=list)
    sdgs: list[SdgRef] = Field(default_factory=list)


class Links(Model):
    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None


class Collection(Model):
    context: dict[str, Any] = Field(alias="@context", description="JSON-LD context")
    id: str = Field(alias="@id", description="this request's URL")
    type: str = Field("Collection", alias="@type")
    lang: str = Field(description="the language labels were chosen for")


class ProjectPage(Collection):
    total: int = Field(description="number of projects matching the filters (also in X-Total-Count)")
    page: int | None = Field(None, description="this page's number (page/per_page paging)")
    perPage: int | None = None
    limit: int
    offset: int
    links: Links
    items: list[ProjectSummary]

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "@context": {"...": "..."},
                "@id": "http://127.0.0.1:8000/api/projects?sdg=10",
                "@type": "Collection",
                "lang": "en",
                "total": 1,
                "page": 1,
                "perPage": 20,
                "limit": 20,
                "offset": 0,
                "links": {"first": "http://127.0.0.1:8000/api/projects?sdg=10&page=1&per_page=20"},
                "items": [
                    {
                        "@id": "https://w3id.org/euprojects/id/project/cosmopolitan-towns-network",
                        "@type": "Project",
                        "key": "cosmopolitan-towns-network",
                        "title": "Network of medium-sized cosmopolitan towns for social cohesion and mutual understanding",
                        "label": "Network of medium-sized cosmopolitan towns for social cohesion and mutual understanding",
                        "startDate": "2017-09",
                        "startPrecision": "month",
                    }
                ],
            }
        }
    )


class Grant(Model):
    id: str = Field(alias="@id")
    type: str = Field("Grant", alias="@type")
    grantNumber: str | None = Field(None, examples=["2020-1-DE02-KA202-007701"])
    signatureDate: str | None = None
    amount: dict[str, Any] | None = Field(None, description="MonetaryAmount: value (decimal string) and currency")


class Participation(Model):
    id: str = Field(alias="@id")
    type: str = Field("Participation", alias="@type")
    organisation: OrganisationRef | None = None
    role: Ref | None = None


class Part(Model):
    id: str = Field(alias="@id")
    type: str = Field(alias="@type")
    label: str
    position: int | None = Field(None, description="its number in the source's list")
    title: str | None = None
    description: str | None = None


class Activity(Part):
    activityKind: str | None = None
    order: int | None = None
    quantity: int | None = None
    duration: str | None = Field(None, description="xsd:duration", examples=["P5D"])
    level: str | None = Field(None, examples=["local", "national", "European"])


class ExpectedResult(Part):
    quantity: int | None = None
    minQuantity: int | None = None
    maxQuantity: int | None = None
    isApproximate: bool | None = None
    unit: str | None = None
    scope: str | None = None
    quantityText: str | None = Field(None, description="the number as people write it", examples=["10–20", "about 500"])


class Output(Part):
    outputKind: str | None = None


class Source(Ref):
    key: str | None = None
    sha256: str | None = None
    url: str | None = None
    languages: list[str] = Field(default_factory=list)
    derivedGraphs: list[str] = Field(default_factory=list, description="named graphs holding its facts")


class ProjectDocument(ProjectSummary):
    context: dict[str, Any] = Field(alias="@context")
    lang: str
    titles: dict[str, str] = Field(default_factory=dict, description="title per language tag")
    description: str | None = None
    hasDescriptiveTitle: bool | None = Field(None, description="true: the source states no title, the curator wrote this one")
    partnerCount: int | None = None
    countryCount: int | None = None
    programme: SchemeNode | None = Field(None, description="funding level, with its broader chain up to the programme")
    fundingStatement: str | None = None
    funders: list[Ref] = Field(default_factory=list)
    grant: Grant | None = None
    cities: list[CityRef] = Field(default_factory=list)
    participations: list[Participation] = Field(default_factory=list)
    objectives: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)
    targetGroups: list[Part] = Field(default_factory=list)
    expectedResults: list[ExpectedResult] = Field(default_factory=list)
    outputs: list[Output] = Field(default_factory=list)
    contactPoints: list[dict[str, Any]] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list, description="provenance: the source documents")
    inGraphs: list[str] = Field(default_factory=list, description="named graphs holding the project's triples")


class OrganisationProject(ProjectSummary):
    roles: list[Ref] = Field(default_factory=list)
    fundedByThis: bool = Field(False, description="the project names this organisation as its funder")


class OrganisationPage(Collection):
    total: int
    page: int | None = None
    perPage: int | None = None
    limit: int
    offset: int
    links: Links
    items: list[OrganisationRef]


class OrganisationDocument(OrganisationRef):
    context: dict[str, Any] = Field(alias="@context")
    lang: str
    labels: dict[str, str] = Field(default_factory=dict)
    legalName: str | None = None
    homepage: str | None = None
    cities: list[CityRef] = Field(default_factory=list)
    projects: list[OrganisationProject] = Field(default_factory=list)
    manages: list[Ref] = Field(default_factory=list, description="funding schemes it manages")


class ProgrammeTree(Collection):
    total: int = Field(description="number of top-level programmes")
    items: list[TreeNode]


class ProgrammeDocument(TreeNode):
    context: dict[str, Any] = Field(alias="@context")
    lang: str
    definition: str | None = None
    altLabels: list[str] = Field(default_factory=list)
    broaderChain: list[dict[str, Any]] = Field(default_factory=list, description="broader concepts, top first")
    projects: list[ProjectSummary] = Field(default_factory=list, description="projects funded under it or anything narrower")


class SdgListItem(SdgRef):
    projectCount: int = 0
    linkedTargets: list[SdgRef] = Field(default_factory=list, description="its targets that projects link to")


class SdgList(Collection):
    total: int
    items: list[SdgListItem]


class SdgDocument(SdgRef):
    context: dict[str, Any] = Field(alias="@context")
    lang: str
    labels: dict[str, str] = Field(default_factory=dict)
    targets: list[SdgRef] = Field(default_factory=list, description="for a goal: all its targets")
    goalRef: SdgRef | None = Field(None, description="for a target: its goal")
    projectCount: int = 0
    projects: list[ProjectSummary] = Field(default_factory=list)


class CountryList(Collection):
    total: int
    items: list[CountryRef]


class CountryDocument(CountryRef):
    context: dict[str, Any] = Field(alias="@context")
    lang: str
    labels: dict[str, str] = Field(default_factory=dict, description="its name in the EU languages")
    projectCount: int = 0
    projects: list[ProjectSummary] = Field(default_factory=list)
    cities: list[CityRef] = Field(default_factory=list)
    organisations: list[OrganisationRef] = Field(default_factory=list)


class YearCount(Model):
    year: int
    projectCount: int


class Statistics(Model):
    context: dict[str, Any] = Field(alias="@context")
    id: str = Field(alias="@id")
    lang: str
    totals: dict[str, int] = Field(description="numbers of projects, organisations, funders, triples...")
    byProgramme: list[dict[str, Any]]
    byCountry: list[CountryRef]
    bySdg: list[SdgRef]
    byStartYear: list[YearCount]


SchemeNode.model_rebuild()
TreeNode.model_rebuild()


# --------------------------------------------------------------------------- parameters

LangParam = Annotated[
    str | None,
    Query(
        description="language for labels (BCP 47, e.g. `it`); default: Accept-Language, else English",
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        examples=["it"],
    ),
]
PageParam = Annotated[int | None, Query(ge=1, description="page number (from 1), with `per_page`")]
PerPageParam = Annotated[int | None, Query(ge=1, le=500, description="items per page (default 20)")]
LimitParam = Annotated[int | None, Query(ge=1, le=500, description="at most this many items (instead of page/per_page)")]
OffsetParam = Annotated[int | None, Query(ge=0, description="skip this many items (with `limit`)")]

DEFAULT_PER_PAGE = 20


def _paging(page: int | None, per_page: int | None, limit: int | None, offset: int | None) -> tuple[int, int, bool]:
    """(limit, offset, page-style?)."""
    if limit is not None or offset is not None:
        return (limit or per_page or DEFAULT_PER_PAGE), (offset or 0), False
    size = per_page or DEFAULT_PER_PAGE
    return size, ((page or 1) - 1) * size, True


def _links(request: Request, total: int, limit: int, offset: int, page_style: bool) -> dict[str, str]:
    url = request.url
    if page_style:
        page = offset // limit + 1
        last = max(1, math.ceil(total / limit))

        def at(n: int) -> str:
            return str(url.remove_query_params(["limit", "offset"]).include_query_params(page=n, per_page=limit))

        links = {"first": at(1)}
        if page > 1:
            links["prev"] = at(min(page - 1, last))
        if page < last:
            links["next"] = at(page + 1)
        links["last"] = at(last)
        return links

    def off(n: int) -> str:
        return str(url.remove_query_params(["page", "per_page"]).include_query_params(limit=limit, offset=n))

    last_offset = max(0, (math.ceil(total / limit) - 1) * limit)
    links = {"first": off(0)}
    if offset > 0:
        links["prev"] = off(min(max(0, offset - limit), last_offset))
    if offset + limit < total:
        links["next"] = off(offset + limit)
    links["last"] = off(last_offset)
    return links


def _page_headers(response: Response, links: dict[str, str], total: int) -> None:
    response.headers["Link"] = ", ".join(f'<{href}>; rel="{rel}"' for rel, href in links.items())
    response.headers["X-Total-Count"] = str(total)


def _collection(request: Request, lang: str, items: list[Any], total: int, **extra: Any) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "@id": str(request.url),
        "@type": "Collection",
        "lang": lang,
        "total": total,
        **extra,
        "items": items,
    }


def _date_context(doc: dict[str, Any]) -> dict[str, Any]:
    """Per-document typing of a project's dates (each keeps its own precision's datatype)."""
    out = {}
    for field in ("start", "end"):
        datatype = doc.get(f"{field}Datatype")
        if datatype:
            out[f"{field}Date"] = {"@id": str(KG[f"{field}Date"]), "@type": datatype}
    return out


# --------------------------------------------------------------------------- router

JSON_MEDIA_TYPES = ["application/json", "application/ld+json"]  # the same document; plain JSON unless asked


class JsonLdRoute(ProblemRoute):
    """A REST route: its JSON answer is labelled ``application/ld+json`` when ``Accept`` prefers that."""

    def answer(self, request: Request, response: Response) -> Response:
        if response.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return response  # the context document is always JSON-LD; problems stay problems
        if negotiate(request.headers.get("accept"), JSON_MEDIA_TYPES) == "application/ld+json":
            response.headers["Content-Type"] = "application/ld+json"
        return vary(response, "Accept", "Accept-Language")


def make_router(facade: AppContext) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["REST API"], route_class=JsonLdRoute)
    settings = facade.settings

    def lang_of(request: Request, lang: str | None) -> str:
        return lang or request_lang(request)

    @router.get(
        "/projects",
        response_model=ProjectPage,
        response_model_exclude_none=True,
        summary="Search and filter projects",
        description=(
            "Projects matching every filter given, one page at a time. Paging: `page`/`per_page` or "
            "`limit`/`offset`; the answer has RFC 8288 `Link` headers (first/prev/next/last), an "
            "`X-Total-Count` header and `total` in the body."
        ),
        responses={422: {"description": "a parameter is invalid (application/problem+json naming it)"}},
    )
    def projects(
        request: Request,
        response: Response,
        country: Annotated[
            str | None,
            Query(
                description="a country in any form: ISO alpha-3 or alpha-2 (`ITA`, `IT`, `EL`), a name in an EU language (`Italy`, `Italia`) or the EU authority URI",
                examples=["IT"],
            ),
        ] = None,
        sdg: Annotated[
            str | None,
            Query(description="a UN SDG goal (`10`, also matching its targets), a target (`10.2`) or the UN KOS URI", examples=["10"]),
        ] = None,
        programme: Annotated[
            str | None,
            Query(
                description="a funding programme, key action, action type or call: URI, key, notation (`KA3`) or name (`Erasmus+`); narrower levels match too",
                examples=["Erasmus+"],
            ),
        ] = None,
        organisation: Annotated[
            str | None, Query(description="a participating or funding organisation: URI, key or name", examples=["cesie"])
        ] = None,
        year_from: Annotated[int | None, Query(ge=1000, le=9999, description="the project runs in this year or later", examples=[2019])] = None,
        year_to: Annotated[int | None, Query(ge=1000, le=9999, description="the project runs in this year or earlier", examples=[2021])] = None,
        q: Annotated[
            str | None,
            Query(max_length=200, description="free text: every word must appear in the title, acronym, full name, description or key (case-insensitive)", examples=["migrants"]),
        ] = None,
        organisation_type: Annotated[
            str | None, Query(max_length=100, description="a participant's organisation type (`HES`, `PRC`, `REC`...), from the read model")
        ] = None,
        role: Annotated[str | None, Query(max_length=100, description="a participant's role (`coordinator`, `participant`, `funder`...)")] = None,
        sort: Annotated[
            Literal["relevance", "title", "-title", "start", "-start", "end", "-end", "acronym", "-acronym"] | None,
            Query(description="sort key; `-` for descending; default: `relevance` (BM25) with `q`, else `title`"),
        ] = None,
        facets: Annotated[bool, Query(description="add facet counts (country, sdg, programme, year, organisationType, role) under the other filters")] = False,
        page: PageParam = None,
        per_page: PerPageParam = None,
        limit: LimitParam = None,
        offset: OffsetParam = None,
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        size, start, page_style = _paging(page, per_page, limit, offset)
        counted = None
        rm = facade.read_model()
        if rm is not None:
            items, total, counted = read_model.list_projects(
                rm, timeout=settings.query_timeout, country=country, sdg=sdg, programme=programme,
                organisation=organisation, year_from=year_from, year_to=year_to, q=q,
                organisation_type=organisation_type, role=role, sort=sort, limit=size, offset=start,
                lang=language, facets=facets, settings=settings,
            )
        else:
            items, total = read_projects.list_projects(
                facade.store(),
                country=country,
                sdg=sdg,
                programme=programme,
                organisation=organisation,
                year_from=year_from,
                year_to=year_to,
                q=q,
                sort=sort if sort not in (None, "relevance") else "title",
                limit=size,
                offset=start,
                lang=language,
                settings=settings,
            )
        links = _links(request, total, size, start, page_style)
        _page_headers(response, links, total)
        extra: dict[str, Any] = {"limit": size, "offset": start, "links": links}
        if counted is not None:
            extra["facets"] = counted
        if page_style:
            extra |= {"page": start // size + 1, "perPage": size}
        return _collection(request, language, items, total, **extra)

    @router.get(
        "/projects/{key}",
        response_model=ProjectDocument,
        response_model_exclude_none=True,
        summary="One project, with everything about it",
        description=(
            "Dates with their precision, the funding chain up to the programme, funders, grant, "
            "countries and cities, SDGs, participations, objectives, activities, target groups, "
            "expected results (numbers and ranges), outputs, categories and provenance."
        ),
        responses={404: {"description": "no such project (application/problem+json)"}},
    )
    def project(
        request: Request,
        key: Annotated[str, Path(description="the project's key (grant number or record id), or its acronym when unique", examples=["ic4lop", "2020-1-DE02-KA202-007701"])],
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        doc = read_projects.get_project(facade.store(), key, language)
        return {"@context": context(**_date_context(doc)), "lang": language, **doc}

    @router.get(
        "/organisations",
        response_model=OrganisationPage,
        response_model_exclude_none=True,
        summary="List organisations and funders",
        description="Sorted by name, with the number of projects each takes part in or funds. Paged like /api/projects.",
    )
    def organisations(
        request: Request,
        response: Response,
        q: Annotated[str | None, Query(max_length=200, description="words in the name, short name or key")] = None,
        country: Annotated[str | None, Query(description="the organisation's country, any form")] = None,
        funder: Annotated[bool | None, Query(description="true: funders only; false: no funders")] = None,
        page: PageParam = None,
        per_page: PerPageParam = None,
        limit: LimitParam = None,
        offset: OffsetParam = None,
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        size, start, page_style = _paging(page, per_page, limit, offset)
        rm = facade.read_model()
        if rm is not None:
            items, total = read_model.list_organisations(
                rm, timeout=settings.query_timeout, q=q, country=country, funder=funder, limit=size, offset=start, lang=language, settings=settings
            )
        else:
            items, total = read_organisations.list_organisations(
                facade.store(), q=q, country=country, funder=funder, limit=size, offset=start, lang=language, settings=settings
            )
        links = _links(request, total, size, start, page_style)
        _page_headers(response, links, total)
        extra: dict[str, Any] = {"limit": size, "offset": start, "links": links}
        if page_style:
            extra |= {"page": start // size + 1, "perPage": size}
        return _collection(request, language, items, total, **extra)

    @router.get(
        "/organisations/{key}",
        response_model=OrganisationDocument,
        response_model_exclude_none=True,
        summary="One organisation or funder, with its projects",
        responses={404: {"description": "no such organisation"}},
    )
    def organisation(
        request: Request,
        key: Annotated[str, Path(description="key (`cesie`, `eacea`), short name or URI", examples=["cesie"])],
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        doc = read_organisations.get_organisation(facade.store(), key, language)
        return {"@context": CONTEXT, "lang": language, **doc}

    @router.get(
        "/programmes",
        response_model=ProgrammeTree,
        response_model_exclude_none=True,
        summary="The funding-programme hierarchy",
        description="Programme → key action → action type → call, each with its managing funders and project counts.",
    )
    def programmes(request: Request, lang: LangParam = None) -> dict[str, Any]:
        language = lang_of(request, lang)
        tree = read_programmes.programme_tree(facade.store(), language)
        return _collection(request, language, tree, len(tree))

    @router.get(
        "/programmes/{key}",
        response_model=ProgrammeDocument,
        response_model_exclude_none=True,
        summary="One programme, key action, action type or call, with its projects",
        responses={404: {"description": "no such funding scheme"}},
    )
    def programme(
        request: Request,
        key: Annotated[str, Path(description="key (`erasmus-plus-2014-2020`), notation (`KA3`) or name (`Erasmus+`)", examples=["erasmus-plus-2014-2020"])],
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        doc = read_programmes.get_programme(facade.store(), key, language)
        return {"@context": CONTEXT, "lang": language, **doc}

    @router.get(
        "/sdgs",
        response_model=SdgList,
        response_model_exclude_none=True,
        summary="The UN Sustainable Development Goals",
        description="The 17 goals with their project counts and the targets projects link to.",
    )
    def sdgs(
        request: Request,
        used: Annotated[bool, Query(description="only goals that have projects")] = False,
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        rm = facade.read_model()
        if rm is not None:
            goals = read_model.list_sdgs(rm, language, used_only=used, timeout=settings.query_timeout)
        else:
            goals = read_sdgs.list_sdgs(facade.store(), language, used_only=used)
        return _collection(request, language, goals, len(goals))

    @router.get(
        "/sdgs/{code}",
        response_model=SdgDocument,
        response_model_exclude_none=True,
        summary="One SDG goal or target, with its projects",
        responses={404: {"description": "no such goal or target"}},
    )
    def sdg(
        request: Request,
        code: Annotated[str, Path(description="goal number (`10`) or target code (`10.2`, `10.a`)", examples=["10"])],
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        rm = facade.read_model()
        if rm is not None:
            doc = read_model.get_sdg(rm, code, language, timeout=settings.query_timeout, settings=settings)
        else:
            doc = read_sdgs.get_sdg(facade.store(), code, language, settings=settings)
        return {"@context": CONTEXT, "lang": language, **doc}

    @router.get(
        "/countries",
        response_model=CountryList,
        response_model_exclude_none=True,
        summary="Countries that have projects",
        description="EU authority-table countries with ISO codes and the number of projects involving them (named by the project, or a city or organisation there).",
    )
    def countries(request: Request, lang: LangParam = None) -> dict[str, Any]:
        language = lang_of(request, lang)
        rm = facade.read_model()
        if rm is not None:
            items = read_model.list_countries(rm, language, timeout=settings.query_timeout)
        else:
            items = places.list_countries(facade.store(), language)
        return _collection(request, language, items, len(items))

    @router.get(
        "/countries/{code}",
        response_model=CountryDocument,
        response_model_exclude_none=True,
        summary="One country, with its projects, cities and organisations",
        responses={404: {"description": "the text names no country"}},
    )
    def country(
        request: Request,
        code: Annotated[str, Path(description="ISO alpha-3 or alpha-2 (`ITA`, `IT`, `EL`, `UK`) or a name (`Italia`)", examples=["ITA"])],
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        doc = places.get_country(facade.store(), code, language, settings=settings)
        reverse = {"@reverse": "kg:country", "@type": "@id"}
        return {"@context": context(cities=reverse, organisations=reverse), "lang": language, **doc}

    @router.get(
        "/stats",
        response_model=Statistics,
        response_model_exclude_none=True,
        summary="Counts: totals and projects by programme, country, SDG and start year",
    )
    def stats(request: Request, lang: LangParam = None) -> dict[str, Any]:
        language = lang_of(request, lang)
        rm = facade.read_model()
        if rm is not None:
            data = read_model.statistics(rm, language, timeout=settings.query_timeout)
        else:
            data = statistics.statistics(facade.store(), language)
        return {"@context": CONTEXT, "@id": str(request.url), "lang": language, **data}

    @router.get(
        "/search",
        summary="Typeahead: projects, organisations, programmes, countries and places matching words",
        description=(
            "Every word as a prefix (diacritics folded), ranked by BM25 and then by project count, with the "
            "match highlighted (`<mark>`). Served from the release's read model; the `@id`s can go into a "
            "SPARQL `VALUES` block (see the README)."
        ),
        responses={503: {"description": "the release has no read model, or the read ran past the time limit"}},
    )
    def search(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=200, description="words, the last one typed so far", examples=["erasm"])],
        kind: Annotated[
            list[Literal["project", "organisation", "programme", "country", "place"]] | None,
            Query(description="only these kinds (repeatable)"),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=50, description="at most this many suggestions")] = 10,
        lang: LangParam = None,
    ) -> dict[str, Any]:
        language = lang_of(request, lang)
        rm = facade.read_model()
        if rm is None:
            raise StoreUnavailable("search needs the release's read model (kg-read.sqlite): rebuild with `kg build`")
        items = read_model.search(rm, q, limit=limit, kinds=kind, lang=language, timeout=settings.query_timeout)
        return _collection(request, language, items, len(items))

    @router.get(
        "/context.jsonld",
        summary="The JSON-LD context of the API's documents",
        response_class=Response,
        responses={200: {"content": {"application/ld+json": {}}}},
    )
    def jsonld_context() -> Response:
        import json

        return Response(json.dumps({"@context": CONTEXT}, indent=2), media_type="application/ld+json")

    return router
