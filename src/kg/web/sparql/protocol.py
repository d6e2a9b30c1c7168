"""``/sparql`` and ``/update``: the SPARQL 1.1 Protocol.

Queries: ``GET /sparql?query=``, ``POST`` form (``query=``) or ``POST application/sparql-query``;
``default-graph-uri`` / ``named-graph-uri`` (repeatable) set the dataset — as the Protocol says,
a side not given is then empty; without them (and without FROM / FROM NAMED) the default graph
is the union of all named graphs. The result format follows ``Accept`` (q-values) or a
``format=`` / ``output=`` parameter (see :mod:`kg.web.http`); 406 says what is on offer.
A syntax error answers 400 with the parser's message as text/plain; a query past the time limit
answers 503 (the worker running it is killed). ``GET /sparql`` without a query answers the
service description. ``HEAD`` is answered like ``GET``, without a body.

Updates: ``POST /sparql`` or ``POST /update``, form (``update=``) or ``application/sparql-update``;
answered 204. ``using-graph-uri`` / ``using-named-graph-uri`` (repeatable) set the dataset of every
DELETE/INSERT ... WHERE (400 when the update has its own USING / WITH). Without a configured
token every update answers 403; with one, a missing ``Authorization: Bearer`` answers 401 and
a wrong token 403. ``SERVICE`` and ``LOAD`` may only
reach allowlisted hosts (:mod:`kg.web.sparql.guard`): anything else answers 403 naming the host.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.store.cache import Entry, etag_for
from kg.store.pool import JobError
from kg.web import http
from kg.web.context import app_context, require_write, run_job, store_or_503, streamed
from kg.web.http import GRAPH, RESULTS, HTTPProblem, error, read_body
from kg.web.sparql import guard, limits
from kg.web.sparql.service_description import service_description

router = APIRouter()

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


class _Params:
    """Protocol parameters from the URL or a form body (names may repeat)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]

    def one(self, name: str) -> str | None:
        values = self.all(name)
        if len(values) > 1:
            raise HTTPProblem(400, f"The '{name}' parameter was given {len(values)} times; give it once.")
        return values[0] if values else None

    def format(self) -> str | None:
        """The explicit format override: ``format=`` (or ``output=``, as some clients send)."""
        for name in ("format", "output"):
            values = self.all(name)
            if values:
                return values[0]
        return None


def _url_params(request: Request) -> _Params:
    return _Params(list(request.query_params.multi_items()))


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


# --------------------------------------------------------------------------- routes


@http.get_and_head(router, "/sparql", name="sparql")
async def sparql_get(request: Request) -> Response:
    params = _url_params(request)
    if params.all("update"):
        return error(
            405, "SPARQL Update must be sent with POST (form 'update=' or application/sparql-update).", {"Allow": "GET, HEAD, POST"}
        )
    query = params.one("query")
    if query is None:
        return await _service_description(request, params)
    return await _query(request, query, params)


@router.post("/sparql")
async def sparql_post(request: Request) -> Response:
    media = _media_type(request)
    limit = app_context(request).settings.max_query_bytes
    if media == FORM:
        body = await read_body(request, limit)
        try:
            params = _Params(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            return error(400, "The form body is not UTF-8.")
        query, update = params.one("query"), params.one("update")
        if query is not None and update is not None:
            return error(400, "Give either 'query' or 'update', not both.")
        if update is not None:
            return await _update(request, update, params)
        if query is None:
            return error(400, "The form has no 'query' (or 'update') parameter.")
        # format= may come in the form or in the URL
        return await _query(request, query, _Params(params.pairs + _url_params(request).pairs))
    if media == QUERY:
        return await _query(request, await _text_body(request, limit), _url_params(request))
    if media == UPDATE:
        return await _update(request, await _text_body(request, limit), _url_params(request))
    return error(
        415,
        f"Unsupported Content-Type {media or '(none)'!r}: POST a query as {FORM} ('query='), or as {QUERY}; "
        f"an update as {FORM} ('update=') or {UPDATE}.",
    )


@router.post("/update")
async def update_post(request: Request) -> Response:
    media = _media_type(request)
    limit = app_context(request).settings.max_query_bytes
    if media == FORM:
        body = await read_body(request, limit)
        params = _Params(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        update = params.one("update")
        if update is None:
            return error(400, "The form has no 'update' parameter (queries go to /sparql).")
        return await _update(request, update, params)
    if media == UPDATE:
        return await _update(request, await _text_body(request, limit), _url_params(request))
    return error(415, f"Unsupported Content-Type {media or '(none)'!r}: POST {FORM} ('update=') or {UPDATE}.")


@router.options("/sparql")
@router.options("/update")
async def options() -> Response:
    return Response(status_code=204, headers={"Allow": "GET, HEAD, POST, OPTIONS"})


# --------------------------------------------------------------------------- queries


async def _text_body(request: Request, limit: int) -> str:
    try:
        return (await read_body(request, limit)).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPProblem(400, "The request body is not UTF-8.") from None


def _graph_iris(params: _Params, name: str) -> list[str]:
    iris = params.all(name)
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise HTTPProblem(400, f"{name} {iri!r} is not an absolute IRI: {exc}") from None
    return iris


def _not_acceptable(form: str, offers: tuple[http.Offer, ...], accept: str | None, fmt: str | None) -> Response:
    asked = f"format={fmt}" if fmt else f"Accept: {accept}"
    return error(
        406,
        f"Cannot answer a {form} query as {asked}.\nAvailable for {form}:\n{http.describe(offers)}",
        {"Vary": "Accept"},
    )


def _limits(request: Request) -> limits.Limits:
    settings = app_context(request).settings
    return limits.Limits(settings.max_query_length, settings.max_query_depth, settings.max_triple_patterns)


async def _query(request: Request, query: str, params: _Params) -> Response:
    state = app_context(request)
    try:
        limits.check(query, _limits(request))
    except limits.QueryTooComplex as exc:
        return error(400, exc.message)
    try:
        guard.check_remote_access(query, state.settings.service_allowlist)
    except guard.Refused as exc:
        return error(403, exc.message)
    accept, fmt = request.headers.get("accept"), params.format()
    results = http.choose(RESULTS, accept, fmt)
    graph = http.choose(GRAPH, accept, fmt)
    form = guard.query_form(query)
    family = http.family_for_form(form)
    if form is not None and family is not None and (results if family is RESULTS else graph) is None:
        return _not_acceptable(form, family, accept, fmt)
    default_graphs = _graph_iris(params, "default-graph-uri")
    named_graphs = _graph_iris(params, "named-graph-uri")
    dataset_given = bool(default_graphs or named_graphs)
    store = store_or_503(request)
    base_iri = str(request.url.replace(query="", fragment=""))  # relative IRIs resolve against the endpoint
    key = (
        query, "\x1e".join(default_graphs), "\x1e".join(named_graphs), "1" if dataset_given else "0",
        f"{results.name} {results.media_type}" if results else "", f"{graph.name} {graph.media_type}" if graph else "",
        base_iri, str(store), state.generation,
    )
    etag = etag_for(key)
    headers = {"Vary": "Accept", "ETag": etag}
    if http.etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    cache = state.results.for_release(str(store))
    hit = cache.get(key) if cache.max_bytes else None
    if hit is not None:
        return Response(
            b"" if request.method == "HEAD" else hit.body, media_type=hit.media_type, headers={**headers, "X-Cache": "hit"}
        )
    job = {
        "op": "query",
        "store": str(store),
        "query": query,
        "base_iri": base_iri,
        "default_graph": default_graphs if dataset_given else None,
        "named_graphs": named_graphs if dataset_given else None,
        "results_format": results.name if results else None,
        "graph_format": graph.name if graph else None,
    }
    try:
        running = await run_job(request, job)
    except JobError as exc:  # 406 found by the worker (the form was not recognised here)
        kind = exc.extra.get("kind")
        offers = GRAPH if kind == "graph" else RESULTS
        return _not_acceptable("CONSTRUCT/DESCRIBE" if kind == "graph" else "SELECT/ASK", offers, accept, fmt)
    chosen = graph if running.kind == "graph" else results
    assert chosen is not None
    generation = state.generation

    def keep(body: bytes) -> None:
        if cache.max_bytes and state.generation == generation:  # no write happened meanwhile
            cache.put(key, Entry(body, chosen.media_type, etag))

    return await streamed(request, running, chosen.media_type, {**headers, "X-Cache": "miss"}, whole=keep)


async def _service_description(request: Request, params: _Params) -> Response:
    state = app_context(request)
    offer = http.choose(GRAPH, request.headers.get("accept"), params.format())
    if offer is None:
        return _not_acceptable("service description", GRAPH, request.headers.get("accept"), params.format())
    store = state.store_dir()
    graphs = await state.graphs(store) if store is not None else []
    endpoint = str(request.url.replace(query="", fragment=""))
    body = service_description(
        endpoint,
        graphs,
        writable=state.settings.writable,
        federated=bool(state.settings.service_allowlist),
        cache_bytes=state.settings.cache_bytes,
        format=offer.name,
    )
    if request.method == "HEAD":
        body = b""
    return Response(body, media_type=offer.media_type, headers={"Vary": "Accept"})


# --------------------------------------------------------------------------- updates


async def _update(request: Request, update: str, params: _Params) -> Response:
    require_write(request)
    state = app_context(request)
    try:
        limits.check(update, _limits(request), update=True)
    except limits.QueryTooComplex as exc:
        return error(400, exc.message.replace("The query", "The update"))
    using, using_named = _graph_iris(params, "using-graph-uri"), _graph_iris(params, "using-named-graph-uri")
    if using or using_named:
        update = _with_protocol_dataset(update, using, using_named)
    try:
        guard.check_remote_access(update, state.settings.service_allowlist, update=True)
    except guard.Refused as exc:
        return error(403, exc.message)
    running = await run_job(
        request,
        {
            "op": "update",
            "store": str(store_or_503(request)),
            "writes": str(state.settings.writes_dir),
            "link": str(state.settings.store_path),
            "update": update,
            "base_iri": str(request.url.replace(query="", fragment="")),
        },
    )
    running.close()
    state.wrote()
    return Response(status_code=204)


def _with_protocol_dataset(update: str, default: list[str], named: list[str]) -> str:
    """The update with the Protocol's ``using-graph-uri`` / ``using-named-graph-uri`` written in
    as ``USING <g>`` / ``USING NAMED <g>`` before the ``WHERE`` of every DELETE/INSERT operation
    (pyoxigraph takes no dataset for updates; these clauses define exactly that dataset).

    As the Protocol requires, an update naming its own dataset (``USING``, ``USING NAMED`` or
    ``WITH``) is refused with 400; so is ``DELETE WHERE``, which cannot take a dataset. Operations
    without a ``WHERE`` (``INSERT DATA``, ``CLEAR``...) are unchanged. The IRIs were checked by
    :func:`_graph_iris`, so they cannot break out of ``<...>``.
    """
    clause = "".join(f"USING <{iri}> " for iri in default) + "".join(f"USING NAMED <{iri}> " for iri in named)
    depth, previous = 0, ""
    cuts: list[int] = []
    for tok in guard.tokens(update):
        if tok.kind in ("ws", "comment"):
            continue
        if tok.kind == "punct" and tok.text == "{":
            depth += 1
        elif tok.kind == "punct" and tok.text == "}":
            depth -= 1
        elif tok.kind == "name" and depth == 0:
            word = tok.text.upper()
            if word in ("USING", "WITH"):
                raise HTTPProblem(
                    400,
                    f"The update names its own dataset ({word}) and the request gives using-graph-uri / "
                    "using-named-graph-uri: give one or the other.",
                )
            if word == "WHERE" and previous == "DELETE":
                raise HTTPProblem(
                    400,
                    "using-graph-uri / using-named-graph-uri cannot apply to DELETE WHERE { ... }: "
                    "write DELETE { ... } WHERE { ... }.",
                )
            if word == "WHERE":
                cuts.append(tok.start)
        previous = tok.text.upper() if tok.kind == "name" else tok.text
    for cut in reversed(cuts):
        update = update[:cut] + clause + update[cut:]
    return update
