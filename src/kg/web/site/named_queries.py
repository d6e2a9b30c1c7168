"""Named SPARQL queries over HTTP (grlc-style): ``/api/queries`` lists ``queries/*.rq`` with their
headers, parameters and text; ``/api/queries/{name}?param=value`` runs one with its parameters
bound as typed RDF terms (:mod:`kg.read.queries`) and answers in the SPARQL results format (SELECT,
ASK: JSON, XML, CSV, TSV) or RDF format (CONSTRUCT, DESCRIBE: Turtle, N-Triples, RDF/XML,
JSON-LD, N-Quads, TriG) chosen by ``?format=`` or ``Accept``.

A missing, unknown or ill-typed parameter answers 400 ``application/problem+json`` naming it.
``format`` is reserved for the output format and cannot be a query parameter.
"""

from __future__ import annotations

from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from kg.read.queries import NamedQuery, QueryParameterError
from kg.store.base import StoreError, serialize_result
from kg.store.pool import JobError, JobTimeout
from kg.web.context import AppContext, store_or_503, streamed
from kg.web.http import ProblemRoute, negotiate, problem, spreadsheet_csv, spreadsheet_csv_chunks

__all__ = ["make_router"]

# media type -> kg.store format name, in our order of preference
RESULT_OFFERS: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_OFFERS: dict[str, str] = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/json": "jsonld",
    "application/xml": "rdfxml",
    "text/plain": "ntriples",
}
RESULT_NAMES = {"json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv"}
GRAPH_NAMES = {
    "turtle": "turtle",
    "ttl": "turtle",
    "ntriples": "ntriples",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "rdfxml": "rdfxml",
    "rdf": "rdfxml",
    "xml": "rdfxml",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "json": "jsonld",
    "nquads": "nquads",
    "nq": "nquads",
    "trig": "trig",
}
MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "nquads": "application/n-quads",
    "trig": "application/trig",
}
RESERVED = {"format"}


class ParameterInfo(BaseModel):
    name: str = Field(description="the query-string parameter")
    type: str = Field(description="iri, integer, decimal, boolean, date, gYear, literal, or a language tag")
    required: bool
    default: str | None = None


class QueryInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="@id", description="where to run it")
    name: str = Field(examples=["projects-for-sdg"])
    summary: str
    description: str
    tags: list[str]
    parameters: list[ParameterInfo]
    sparql: str = Field(description="the query text, with its #+ header")


class QueryList(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    context: dict[str, Any] = Field(alias="@context")
    total: int
    items: list[QueryInfo]


QUERY_CONTEXT = {
    "schema": "https://schema.org/",
    "dct": "http://purl.org/dc/terms/",
    "name": "schema:name",
    "summary": "dct:title",
    "description": "dct:description",
    "tags": "schema:keywords",
    "sparql": "schema:text",
    "total": None,
    "items": "schema:hasPart",
    "parameters": None,
}


def query_info(q: NamedQuery, href: str) -> dict[str, Any]:
    return {
        "@id": href,
        "name": q.name,
        "summary": q.summary,
        "description": q.description,
        "tags": list(q.tags),
        "parameters": [
            {"name": p.name, "type": p.type, "required": p.required, "default": p.default} for p in q.parameters
        ],
        "sparql": q.text,
    }


def bind_parameters(q: NamedQuery, params: dict[str, str]) -> tuple[str | None, list[tuple[str, str]]]:
    """The bound query text, or None and the problems (parameter name, reason)."""
    problems: list[tuple[str, str]] = []
    declared = {p.name: p for p in q.parameters}
    for name in sorted(set(params) - set(declared)):
        known = ", ".join(sorted(declared)) or "none"
        problems.append((name, f"unknown parameter of query {q.name!r} (its parameters: {known})"))
    for p in q.parameters:
        value = params.get(p.name)
        if value is None or value == "":
            if p.required and p.default is None:
                problems.append((p.name, f"required ({p.type})"))
            continue
        try:
            p.term(value)
        except QueryParameterError as exc:
            problems.append((p.name, str(exc)))
    if problems:
        return None, problems
    try:
        return q.bind({k: v for k, v in params.items() if k in declared}), []
    except QueryParameterError as exc:  # pragma: no cover - checked above
        return None, [("query", str(exc))]


def make_router(facade: AppContext) -> APIRouter:
    router = APIRouter(prefix="/api/queries", tags=["Named queries"], route_class=ProblemRoute)

    @router.get(
        "",
        response_model=QueryList,
        summary="List the named SPARQL queries",
        description="Each query's name, summary, description, tags, typed parameters (with defaults) and SPARQL text.",
    )
    def list_queries(request: Request) -> dict[str, Any]:
        queries = facade.queries()
        items = [query_info(q, str(request.url_for("run_query", name=q.name))) for q in queries.values()]
        return {"@context": QUERY_CONTEXT, "total": len(items), "items": items}

    @router.get(
        "/{name}",
        name="run_query",
        summary="Run a named query",
        description=(
            "Parameters go in the query string by name (`?sdg=http://metadata.un.org/sdg/4`); "
            "unset optional ones stay unbound, unset ones with a default take it. The format comes "
            "from `format` (json, xml, csv, tsv; turtle, ntriples, rdfxml, jsonld, nquads, trig) or "
            "`Accept`."
        ),
        response_class=Response,
        responses={
            200: {
                "content": {
                    "application/sparql-results+json": {},
                    "application/sparql-results+xml": {},
                    "text/csv": {},
                    "text/tab-separated-values": {},
                    "text/turtle": {},
                    "application/ld+json": {},
                },
                "description": "the query's results",
            },
            400: {"description": "a parameter is missing, unknown or of the wrong type (problem+json naming it)"},
            404: {"description": "no such query"},
            406: {"description": "no acceptable format for this query's results"},
        },
    )
    async def run_query(
        request: Request,
        name: Annotated[str, Path(description="the query's name (its file name without .rq)", examples=["projects-for-sdg"])],
        format: Annotated[str | None, Query(description="output format, overriding Accept", examples=["csv"])] = None,
    ) -> Response:
        queries = facade.queries()
        q = queries.get(name)
        if q is None:
            return problem(404, "Not Found", f"no named query {name!r}; see /api/queries", kind="not-found", instance=str(request.url))
        params: dict[str, str] = {}
        for key, value in request.query_params.multi_items():
            if key in RESERVED:
                continue
            if key in params:
                return problem(
                    400, "Invalid parameter", f"parameter {key!r} is given more than once", kind="invalid-parameter",
                    instance=str(request.url), invalid_params=[(key, "given more than once")],
                )
            params[key] = value
        sparql, problems = bind_parameters(q, params)
        if sparql is None:
            names = ", ".join(n for n, _ in problems)
            return problem(
                400,
                "Invalid parameter",
                f"query {q.name!r}: invalid parameter(s) {names}: " + "; ".join(r if repr(n) in r else f"{n}: {r}" for n, r in problems),
                kind="invalid-parameter",
                instance=str(request.url),
                invalid_params=problems,
            )
        if facade.pool is not None:
            return await _through_pool(request, q, sparql, format)
        try:
            result = facade.store().query(sparql)
        except StoreError as exc:
            return problem(500, "Query failed", f"query {q.name!r} failed: {exc.message}", instance=str(request.url))
        is_graph = isinstance(result, ox.QueryTriples)
        offers, names_ = (GRAPH_OFFERS, GRAPH_NAMES) if is_graph else (RESULT_OFFERS, RESULT_NAMES)
        if format is not None and format.strip():
            chosen = names_.get(format.strip().lower())
            if chosen is None and "/" in format:
                media = negotiate(format, list(offers))
                chosen = offers[media] if media else None
            if chosen is None:
                kind = "CONSTRUCT/DESCRIBE" if is_graph else "SELECT/ASK"
                return problem(
                    400,
                    "Invalid parameter",
                    f"format {format!r} does not fit a {kind} query; use one of {', '.join(sorted(names_))}",
                    kind="invalid-parameter",
                    instance=str(request.url),
                    invalid_params=[("format", f"one of {', '.join(sorted(names_))}")],
                )
        else:
            media = negotiate(request.headers.get("accept"), list(offers))
            if media is None:
                return problem(
                    406,
                    "Not Acceptable",
                    "no acceptable format; this query can answer in " + ", ".join(dict.fromkeys(offers)),
                    instance=str(request.url),
                    headers={"Vary": "Accept"},
                )
            chosen = offers[media]
        body = serialize_result(result, chosen)
        if chosen == "csv":  # a download for spreadsheets: no cell runs as a formula (/sparql CSV stays exact)
            body = spreadsheet_csv(body)
        headers = {"Vary": "Accept", "Cache-Control": "public, no-cache"}
        if chosen in ("csv", "tsv"):
            headers["Content-Disposition"] = f'inline; filename="{q.name}.{chosen}"'
        return Response(body, media_type=MEDIA[chosen], headers=headers)

    async def _through_pool(request: Request, q: NamedQuery, sparql: str, format: str | None) -> Response:
        """The query on the server's worker pool, under the same deadline as /sparql (a query past it
        is stopped, its worker replaced, and the client gets 503 problem+json with Retry-After)."""
        if format is not None and format.strip():
            name = format.strip().lower()
            results_name = RESULT_NAMES.get(name) or (RESULT_OFFERS.get(negotiate(name, list(RESULT_OFFERS)) or "") if "/" in name else None)
            graph_name = GRAPH_NAMES.get(name) or (GRAPH_OFFERS.get(negotiate(name, list(GRAPH_OFFERS)) or "") if "/" in name else None)
        else:
            accept = request.headers.get("accept")
            media_r, media_g = negotiate(accept, list(RESULT_OFFERS)), negotiate(accept, list(GRAPH_OFFERS))
            results_name = RESULT_OFFERS[media_r] if media_r else None
            graph_name = GRAPH_OFFERS[media_g] if media_g else None
        job = {"op": "query", "store": str(store_or_503(request)), "query": sparql, "results_format": results_name, "graph_format": graph_name}
        try:
            running = await facade.running_pool().run(job)
        except JobTimeout as exc:
            return problem(
                503, "Service Unavailable", f"query {q.name!r}: {exc}; the time limit is {facade.settings.query_timeout:g} s",
                instance=str(request.url), headers={"Retry-After": "5"},
            )
        except JobError as exc:
            if exc.status == 406:
                is_graph = exc.extra.get("kind") == "graph"
                names_ = GRAPH_NAMES if is_graph else RESULT_NAMES
                if format is not None and format.strip():
                    kind = "CONSTRUCT/DESCRIBE" if is_graph else "SELECT/ASK"
                    return problem(
                        400, "Invalid parameter", f"format {format!r} does not fit a {kind} query; use one of {', '.join(sorted(names_))}",
                        kind="invalid-parameter", instance=str(request.url), invalid_params=[("format", f"one of {', '.join(sorted(names_))}")],
                    )
                offers = GRAPH_OFFERS if is_graph else RESULT_OFFERS
                return problem(
                    406, "Not Acceptable", "no acceptable format; this query can answer in " + ", ".join(dict.fromkeys(offers)),
                    instance=str(request.url), headers={"Vary": "Accept"},
                )
            return problem(exc.status, "Query failed", f"query {q.name!r} failed: {exc.message}", instance=str(request.url))
        chosen = graph_name if running.kind == "graph" else results_name
        assert chosen is not None
        headers = {"Vary": "Accept", "Cache-Control": "public, no-cache"}
        if chosen in ("csv", "tsv"):
            headers["Content-Disposition"] = f'inline; filename="{q.name}.{chosen}"'
        # CSV is a download for spreadsheets: no cell runs as a formula (/sparql CSV stays exact)
        rewrite = (spreadsheet_csv, spreadsheet_csv_chunks) if chosen == "csv" else None
        return await streamed(request, running, MEDIA[chosen], headers, rewrite=rewrite)

    return router
