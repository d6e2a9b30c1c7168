"""HTML pages for people: home (search, counts, browse, SPARQL editor), project search, and pages
for projects, organisations, programmes, SDGs, countries, cities and any other resource.

Labels come in the language of ``?lang=`` (kept in every link) or ``Accept-Language``, else
English. Pages load only this server's ``/static`` files (a Content-Security-Policy says so):
no CDN, no external requests. Entity documents (``/doc/...``) are rendered here for
:mod:`kg.web.site.linked_data`, which negotiates them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import pathlib
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
import markupsafe
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from kg.model.namespaces import KG, PREFIXES
from kg.model.uris import Minter
from kg.read import common, entities, places, statistics
from kg.read import model as read_model

# aliased: make_router's route handlers are named organisations, programmes, projects, sdgs
from kg.read import organisations as read_organisations
from kg.read import programmes as read_programmes
from kg.read import projects as read_projects
from kg.read import sdgs as read_sdgs
from kg.readmodel import Deadline
from kg.store.base import Store
from kg.web.context import AppContext
from kg.web.http import StoreUnavailable, request_lang, valid_lang

STATIC_DIR = pathlib.Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = pathlib.Path(__file__).resolve().parent / "templates"

__all__ = ["error_page", "make_router", "render", "render_entity"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)
LANGUAGES = {
    "en": "English",
    "it": "Italiano",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "el": "Ελληνικά",
    "pl": "Polski",
    "nl": "Nederlands",
    "pt": "Português",
}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
}
SCHEME_LEVEL_NAMES = {"programme": "Programme", "key-action": "Key action", "action-type": "Action type", "call": "Call"}
SCHEME_CLASSES = {str(KG.FundingProgramme), str(KG.KeyAction), str(KG.ActionType), str(KG.Call)}


# --------------------------------------------------------------------------- template helpers


def format_date(value: str | None, precision: str | None = None, lang: str = "en") -> str:
    """``2017-09`` (month) → "September 2017"; ``2019-01-15`` → "15 January 2019"; ``2017`` → "2017"."""
    if not value:
        return ""
    months = MONTHS.get(common.primary(lang), MONTHS["en"]).split()
    parts = value.split("-")
    try:
        if (precision == "day" or len(parts) == 3) and len(parts) >= 3:
            day = int(parts[2][:2])
            return f"{day} {months[int(parts[1]) - 1]} {parts[0]}"
        if precision == "month" or len(parts) == 2:
            return f"{months[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        return value
    return parts[0]


def curie(iri: str) -> str:
    """A prefixed name when a known namespace fits (``kg:startDate``), else the IRI."""
    best = ""
    for prefix, ns in PREFIXES.items():
        text = str(ns)
        if iri.startswith(text) and len(text) > len(best) and iri[len(text) :] and "/" not in iri[len(text) :]:
            best, name = text, prefix
    return f"{name}:{iri[len(best):]}" if best else iri


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(str(path.stat().st_mtime_ns).encode())
    return digest.hexdigest()[:10]


_ENV: jinja2.Environment | None = None


def marked(snippet: str) -> markupsafe.Markup:
    """A search snippet as HTML: its text escaped, only the ``<mark>`` highlights kept as tags."""
    escaped = str(markupsafe.escape(snippet))
    return markupsafe.Markup(escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["curie"] = curie
        env.filters["marked"] = marked
        env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)
        env.globals["SCHEME_LEVEL_NAMES"] = SCHEME_LEVEL_NAMES
        env.globals["LANGUAGES"] = LANGUAGES
        env.globals["static_version"] = _static_version()
        _ENV = env
    return _ENV


class View:
    """Per-request helpers the templates call: links (keeping ``?lang=``), dates, languages."""

    def __init__(self, facade: AppContext, request: Request, lang: str) -> None:
        self.facade = facade
        self.request = request
        self.lang = lang
        explicit = request.query_params.get("lang")
        self.explicit_lang = explicit if valid_lang(explicit) else None

    def href(self, uri: str) -> str:
        return self.facade.href(uri, self.explicit_lang)

    def url(self, path: str, **params: Any) -> str:
        """A local URL with query parameters (None and "" dropped) and the explicit ``lang``."""
        query = {k: v for k, v in params.items() if v is not None and v != ""}
        if self.explicit_lang and "lang" not in query:
            query["lang"] = self.explicit_lang
        return path + ("?" + urlencode(query, doseq=True) if query else "")

    def lang_url(self, lang: str) -> str:
        """This page in another language."""
        url = self.request.url.remove_query_params("lang").include_query_params(lang=lang)
        return f"{url.path}?{url.query}"

    def date(self, value: str | None, precision: str | None = None) -> str:
        return format_date(value, precision, self.lang)

    def local(self, uri: str) -> str | None:
        return self.facade.local_path(uri)

    def is_local(self, uri: str) -> bool:
        return self.facade.local_path(uri) is not None

    def data_links(self, uri: str) -> list[tuple[str, str]]:
        local = self.facade.local_path(uri)
        if not local or not local.startswith("/id/"):
            return []
        doc = "/doc/" + local[len("/id/") :]
        return [(label, f"{doc}.{suffix}") for label, suffix in (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"), ("RDF/XML", "rdf"))]


def render(facade: AppContext, request: Request, template: str, *, status: int = 200, lang: str | None = None, **context: Any) -> HTMLResponse:
    """A page from ``templates/{template}`` with the shared context (``view``, ``lang``, ``base``)."""
    language = lang or request_lang(request)
    view = View(facade, request, language)
    html = environment().get_template(template).render(view=view, lang=language, base=facade.base, request=request, **context)
    headers = {"Content-Security-Policy": CSP, "Vary": "Accept-Language", "X-Content-Type-Options": "nosniff"}
    return HTMLResponse(html, status_code=status, headers=headers)


def error_page(facade: AppContext, request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(facade, request, "error.html", status=status, title=title, message=message)


def render_entity(facade: AppContext, request: Request, uri: str, lang: str) -> HTMLResponse:
    """The HTML document about an entity under the base URI, by its type."""
    store = facade.store()
    types = set(entities.entity_types(store, uri))
    try:
        if str(KG.Project) in types:
            doc = read_projects.get_project(store, uri, lang)
            return render(facade, request, "project.html", lang=lang, project=doc, chain=read_programmes.chain_list(doc.get("programme")))
        if str(KG.Organisation) in types or str(KG.Funder) in types:
            return render(facade, request, "organisation.html", lang=lang, org=read_organisations.get_organisation(store, uri, lang))
        if types & SCHEME_CLASSES:
            return render(facade, request, "programme.html", lang=lang, node=read_programmes.get_programme(store, uri, lang))
        if str(KG.City) in types:
            return render(facade, request, "city.html", lang=lang, city=places.get_city(store, uri, lang))
        return render(facade, request, "entity.html", lang=lang, entity=entities.get_entity(store, uri, lang))
    except common.NotFound:
        return error_page(facade, request, 404, "Not found", f"Nothing is known about <{uri}>.")


def _int_param(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        return None


# The kinds of ontology term the query editor completes (``kg:Project`` — class …).
TERM_KINDS = {
    "http://www.w3.org/2002/07/owl#Class": "class",
    "http://www.w3.org/2000/01/rdf-schema#Class": "class",
    "http://www.w3.org/2002/07/owl#ObjectProperty": "property",
    "http://www.w3.org/2002/07/owl#DatatypeProperty": "property",
    "http://www.w3.org/2002/07/owl#AnnotationProperty": "property",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property": "property",
    "http://www.w3.org/2002/07/owl#NamedIndividual": "individual",
}


# facet name → the /projects query parameter its links set
_FACET_PARAM = {"country": "country", "sdg": "sdg", "programme": "programme", "year": "year_from"}


def _facet_href(filters: dict[str, Any], name: str, value: Any) -> str:
    chosen = dict(filters, page=None)
    if name == "year":
        chosen |= {"year_from": value, "year_to": value}
    else:
        chosen[_FACET_PARAM[name]] = value
    return "/projects?" + urlencode({k: v for k, v in chosen.items() if v})


def editor_vocabulary(store: Store, base: str) -> dict[str, Any]:
    """What the query editor completes: every known prefix (``kg`` → its namespace) and the terms
    the ontology graph declares, as prefixed names with their kind, English label and definition."""
    values = " ".join(f"<{t}>" for t in TERM_KINDS)
    found = common.rows(
        store,
        f"""SELECT ?term ?type ?label ?definition WHERE {{
          GRAPH <{Minter(base).ontology_graph}> {{
            VALUES ?type {{ {values} }}
            ?term a ?type . FILTER(isIRI(?term))
            OPTIONAL {{ ?term rdfs:label ?label }}
            OPTIONAL {{ ?term skos:definition ?definition }}
          }}
        }}""",
    )
    terms: dict[str, dict[str, Any]] = {}
    for row in found:
        name = curie(row["term"].value)
        if name == row["term"].value:  # no known prefix fits: not completable as a prefixed name
            continue
        term = terms.setdefault(name, {"name": name, "kind": TERM_KINDS[row["type"].value], "labels": [], "definitions": []})
        term["labels"].append(row.get("label"))
        term["definitions"].append(row.get("definition"))
    listed = [
        {
            "name": t["name"],
            "kind": t["kind"],
            "label": common.pick_text(t["labels"], "en") or "",
            "definition": common.pick_text(t["definitions"], "en") or "",
        }
        for t in terms.values()
    ]
    listed.sort(key=lambda t: (t["name"].split(":")[0] != "kg", t["name"].lower()))
    return {"prefixes": {name: str(ns) for name, ns in PREFIXES.items()}, "terms": listed}


# --------------------------------------------------------------------------- router


def make_router(facade: AppContext) -> APIRouter:
    class PageRoute(APIRoute):
        """Pages answer a missing store with an HTML 503 page."""

        def get_route_handler(self) -> Callable[[Request], Any]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    return await original(request)
                except StoreUnavailable as exc:
                    response = error_page(facade, request, 503, "The graph is not available", str(exc))
                    response.headers["Retry-After"] = "30"
                    return response
                except Deadline as exc:  # a read past the query timeout: stopped, and said so
                    response = error_page(facade, request, 503, "This page took too long", f"{exc}; try again, or narrow the list")
                    response.headers["Retry-After"] = "5"
                    return response

            return handler

    router = APIRouter(include_in_schema=False, route_class=PageRoute)
    vocabularies: dict[str, dict[str, Any]] = {}  # the editor's completions, for the build served

    def vocabulary(store: Store) -> dict[str, Any]:
        build = facade.current_build()
        if build not in vocabularies:
            vocabularies.clear()
            vocabularies[build] = editor_vocabulary(store, facade.base)
        return vocabularies[build]

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request, query: str | None = None) -> Response:
        lang = request_lang(request)
        rm = facade.read_model()
        timeout = facade.settings.query_timeout
        if rm is not None:
            stats = read_model.statistics(rm, lang, timeout=timeout)
            recent, _, _ = read_model.list_projects(rm, timeout=timeout, sort="-start", limit=5, lang=lang)
        else:
            stats = statistics.statistics(facade.store(), lang)
            recent, _ = read_projects.list_projects(facade.store(), sort="-start", limit=5, lang=lang)
        try:
            vocab = vocabulary(facade.store())
        except StoreUnavailable:  # with updates enabled only the worker opens the store: no completions
            vocab = {"prefixes": {}, "terms": []}
        queries = []
        for q in facade.queries().values():
            try:
                text = q.bind({})
            except ValueError:
                text = q.text
            queries.append({"name": q.name, "summary": q.summary, "description": q.description, "sparql": text})
        return render(
            facade, request, "home.html", lang=lang, stats=stats, recent=recent, queries=queries,
            query=query, vocabulary=vocab,
        )

    @router.get("/projects", response_class=HTMLResponse)
    def projects(
        request: Request,
        q: str | None = None,
        country: str | None = None,
        sdg: str | None = None,
        programme: str | None = None,
        organisation: str | None = None,
        year_from: str | None = None,
        year_to: str | None = None,
        sort: str | None = None,
        page: str | None = None,
    ) -> Response:
        lang = request_lang(request)
        rm = facade.read_model()
        sort = sort or ("relevance" if q and q.strip() and rm is not None else "title")
        timeout = facade.settings.query_timeout
        per_page = 20
        page_no = max(1, _int_param(page) or 1)
        filters = {
            "q": q, "country": country, "sdg": sdg, "programme": programme, "organisation": organisation,
            "year_from": year_from, "year_to": year_to, "sort": sort if sort != "title" else None,
        }
        error = None
        items: list[dict[str, Any]] = []
        total = 0
        facets: dict[str, list[dict[str, Any]]] | None = None
        try:
            y0, y1 = _int_param(year_from), _int_param(year_to)
            if year_from and y0 is None:
                raise common.InvalidParameter("year_from", f"{year_from!r} is not a year")
            if year_to and y1 is None:
                raise common.InvalidParameter("year_to", f"{year_to!r} is not a year")
            if rm is not None:
                items, total, facets = read_model.list_projects(
                    rm, timeout=timeout, q=q, country=country, sdg=sdg, programme=programme, organisation=organisation,
                    year_from=y0, year_to=y1, sort=sort, limit=per_page, offset=(page_no - 1) * per_page,
                    lang=lang, facets=True, settings=facade.settings,
                )
            else:
                items, total = read_projects.list_projects(
                    facade.store(), q=q, country=country, sdg=sdg, programme=programme, organisation=organisation,
                    year_from=y0, year_to=y1, sort=sort, limit=per_page, offset=(page_no - 1) * per_page,
                    lang=lang, settings=facade.settings,
                )
        except common.InvalidParameter as exc:
            error = exc
        pages = max(1, math.ceil(total / per_page))
        try:
            programmes = read_programmes.programme_tree(facade.store(), lang)
        except StoreUnavailable:  # updates enabled: the read model's programmes, flat
            programmes = [{"@id": f["@id"], "label": f["label"], "key": f["value"]} for f in (facets or {}).get("programme", [])]
        if rm is not None:
            countries = read_model.list_countries(rm, lang, timeout=timeout)
            goals = read_model.list_sdgs(rm, lang, used_only=True, timeout=timeout)
        else:
            countries = places.list_countries(facade.store(), lang)
            goals = read_sdgs.list_sdgs(facade.store(), lang, used_only=True)
        links = {
            name: [f | {"href": _facet_href(filters, name, f["value"])} for f in values]
            for name, values in (facets or {}).items()
            if name in _FACET_PARAM
        }
        return render(
            facade, request, "projects.html", lang=lang, status=422 if error else 200,
            items=items, total=total, page=page_no, pages=pages, filters=filters, error=error,
            programmes=programmes, sorts=read_model.PROJECT_SORTS if rm is not None else read_projects.PROJECT_SORTS,
            countries=countries, sdgs=goals, facets=links,
        )

    @router.get("/organisations", response_class=HTMLResponse)
    def organisations(request: Request, q: str | None = None) -> Response:
        lang = request_lang(request)
        rm = facade.read_model()
        if rm is not None:
            items, total = read_model.list_organisations(rm, timeout=facade.settings.query_timeout, q=q, limit=1000, lang=lang)
        else:
            items, total = read_organisations.list_organisations(facade.store(), q=q, limit=1000, lang=lang)
        return render(facade, request, "organisations.html", lang=lang, items=items, total=total, q=q)

    @router.get("/programmes", response_class=HTMLResponse)
    def programmes(request: Request) -> Response:
        lang = request_lang(request)
        return render(facade, request, "programmes.html", lang=lang, roots=read_programmes.programme_tree(facade.store(), lang))

    @router.get("/sdgs", response_class=HTMLResponse)
    def sdgs(request: Request) -> Response:
        lang = request_lang(request)
        rm = facade.read_model()
        if rm is not None:
            goals = read_model.list_sdgs(rm, lang, timeout=facade.settings.query_timeout)
        else:
            goals = read_sdgs.list_sdgs(facade.store(), lang)
        return render(facade, request, "sdgs.html", lang=lang, goals=goals)

    @router.get("/sdgs/{code}", response_class=HTMLResponse)
    def sdg(request: Request, code: Annotated[str, Path()]) -> Response:
        lang = request_lang(request)
        try:
            rm = facade.read_model()
            if rm is not None:
                doc = read_model.get_sdg(rm, code, lang, timeout=facade.settings.query_timeout, settings=facade.settings)
            else:
                doc = read_sdgs.get_sdg(facade.store(), code, lang, settings=facade.settings)
        except common.NotFound as exc:
            return error_page(facade, request, 404, "Not found", str(exc))
        return render(facade, request, "sdg.html", lang=lang, sdg=doc)

    def _stats(lang: str) -> dict[str, Any]:
        rm = facade.read_model()
        if rm is not None:
            return read_model.statistics(rm, lang, timeout=facade.settings.query_timeout)
        return statistics.statistics(facade.store(), lang)

    @router.get("/explore", response_class=HTMLResponse)
    def explore(request: Request) -> Response:
        """Pictures of the release: projects per start year (a chart), with its data as CSV."""
        lang = request_lang(request)
        stats = _stats(lang)
        return render(facade, request, "explore.html", lang=lang, years=stats["byStartYear"], countries=stats["byCountry"])

    @router.get("/explore/network", response_class=HTMLResponse)
    def explore_network(request: Request, organisation: str | None = None) -> Response:
        """The co-partnership network of one organisation (its partners, and their links), with CSV."""
        lang = request_lang(request)
        rm = facade.read_model()
        if rm is None:
            return error_page(facade, request, 503, "No read model", "this release has no read model: rebuild it with `kg build`")
        if not organisation:
            items, _ = read_model.list_organisations(rm, timeout=facade.settings.query_timeout, limit=1, lang=lang)
            with rm.read(facade.settings.query_timeout) as con:
                top = con.execute("SELECT key FROM organisation WHERE key IS NOT NULL ORDER BY project_count DESC, key LIMIT 1").fetchone()
            organisation = top[0] if top else (items[0]["@id"] if items else "")
        try:
            net = read_model.partners(rm, str(organisation), lang, timeout=facade.settings.query_timeout)
        except common.InvalidParameter as exc:
            return error_page(facade, request, 404, "Not found", str(exc))
        if request.query_params.get("format") == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(("source", "target", "projects"))
            me = net["organisation"]["@id"]
            writer.writerows((me, p["@id"], p["projects"]) for p in net["partners"])
            writer.writerows((lk["source"], lk["target"], lk["projects"]) for lk in net["links"])
            return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="co-partnership-network.csv"'})
        return render(facade, request, "network.html", lang=lang, net=net, key=organisation)

    @router.get("/explore/{name}.csv")
    def explore_csv(request: Request, name: str) -> Response:
        stats = _stats(request_lang(request))
        rows: list[tuple[str, ...]]
        if name == "projects-per-year":
            rows = [("year", "projects"), *((str(y["year"]), str(y["projectCount"])) for y in stats["byStartYear"])]
        elif name == "projects-per-country":
            rows = [
                ("country", "iso2", "iso3", "label", "projects"),
                *((c["@id"], c.get("iso2") or "", c.get("iso3") or "", c["label"], str(c["projectCount"])) for c in stats["byCountry"]),
            ]
        else:
            return error_page(facade, request, 404, "Not found", f"no download {name}.csv; try projects-per-year.csv or projects-per-country.csv")
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    @router.get("/countries", response_class=HTMLResponse)
    def countries(request: Request) -> Response:
        lang = request_lang(request)
        rm = facade.read_model()
        if rm is not None:
            countries = read_model.list_countries(rm, lang, timeout=facade.settings.query_timeout)
        else:
            countries = places.list_countries(facade.store(), lang)
        return render(facade, request, "countries.html", lang=lang, countries=countries)

    @router.get("/countries/{code}", response_class=HTMLResponse)
    def country(request: Request, code: Annotated[str, Path()]) -> Response:
        lang = request_lang(request)
        try:
            doc = places.get_country(facade.store(), code, lang, settings=facade.settings)
        except common.NotFound as exc:
            return error_page(facade, request, 404, "Not found", str(exc))
        return render(facade, request, "country.html", lang=lang, country=doc)

    @router.get("/queries", response_class=HTMLResponse)
    def queries(request: Request) -> Response:
        lang = request_lang(request)
        return render(facade, request, "queries.html", lang=lang, queries=list(facade.queries().values()))

    @router.get("/resource", response_class=HTMLResponse)
    def resource(request: Request, uri: Annotated[str | None, Query()] = None) -> Response:
        lang = request_lang(request)
        if not uri:
            return error_page(facade, request, 400, "Bad request", "Give the resource's URI: /resource?uri=…")
        local = facade.local_path(uri)
        if local and local.startswith("/id/"):
            return RedirectResponse(facade.href(uri, request.query_params.get("lang")), status_code=303)
        try:
            entity = entities.get_entity(facade.store(), uri, lang)
        except common.NotFound:
            return error_page(facade, request, 404, "Not found", f"Nothing is known about <{uri}>.")
        return render(facade, request, "entity.html", lang=lang, entity=entity)

    return router
