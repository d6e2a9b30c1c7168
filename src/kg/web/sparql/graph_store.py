"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect graph identification).

``?graph=<iri>`` names a graph, ``?default`` the store's own default graph (not the union
that queries see by default). ``GET`` / ``HEAD`` are open to everyone: a graph in any RDF
format by ``Accept`` (Turtle by default), 404 when it does not exist; without a parameter the
whole dataset (TriG by default, or N-Quads / JSON-LD). Writes need the token (see
:func:`kg.web.context.require_write`): ``PUT`` replaces a graph atomically (201 when it is
new, else 204), ``POST`` adds to it (201/204; without a parameter, a TriG / N-Quads body is
loaded with its own graphs), ``DELETE`` drops it (204, or 404). Bodies are parsed by
pyoxigraph; a syntax error answers 400.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.web import http
from kg.web.context import app_context, require_write, run_job, store_or_503, streamed
from kg.web.http import DATASET, GRAPH, HTTPProblem, error, read_body

router = APIRouter()

_TRIPLE_FORMATS = {"turtle", "ntriples", "rdfxml", "jsonld", "n3"}


def _target(request: Request) -> tuple[str, str | None]:
    """("graph", iri), ("default", None) or ("dataset", None)."""
    params = request.query_params
    graphs = params.getlist("graph")
    has_default = "default" in params
    if graphs and has_default:
        raise HTTPProblem(400, "Give either ?graph=<iri> or ?default, not both.")
    if len(graphs) > 1:
        raise HTTPProblem(400, "Give ?graph= once.")
    if graphs:
        try:
            ox.NamedNode(graphs[0])
        except ValueError as exc:
            raise HTTPProblem(400, f"graph {graphs[0]!r} is not an absolute IRI: {exc}") from None
        return "graph", graphs[0]
    return ("default", None) if has_default else ("dataset", None)


@http.get_and_head(router, "/store", name="graph_store")
async def get_graph(request: Request) -> Response:
    kind, graph = _target(request)
    offers = DATASET if kind == "dataset" else GRAPH
    accept = request.headers.get("accept")
    fmt = request.query_params.get("format")
    offer = http.choose(offers, accept, fmt)
    if offer is None:
        what = "the whole dataset" if kind == "dataset" else "a graph"
        return error(406, f"Cannot send {what} as {accept or fmt}.\nAvailable:\n{http.describe(offers)}")
    job = {
        "op": "gsp_get",
        "store": str(store_or_503(request)),
        "graph": graph,
        "dataset": kind == "dataset",
        "format": offer.name,
    }
    running = await run_job(request, job)
    return await streamed(request, running, offer.media_type, {"Vary": "Accept"})


@router.put("/store")
async def put_graph(request: Request) -> Response:
    return await _write(request, "PUT")


@router.post("/store")
async def post_graph(request: Request) -> Response:
    return await _write(request, "POST")


@router.delete("/store")
async def delete_graph(request: Request) -> Response:
    return await _write(request, "DELETE")


@router.options("/store")
async def options() -> Response:
    return Response(status_code=204, headers={"Allow": "GET, HEAD, PUT, POST, DELETE, OPTIONS"})


async def _write(request: Request, method: str) -> Response:
    require_write(request)
    state = app_context(request)
    kind, graph = _target(request)
    job: dict[str, object] = {"op": "gsp_write", "method": method, "graph": graph}
    if kind == "dataset" and method != "POST":
        return error(400, f"{method} needs ?graph=<iri> or ?default.")
    if method != "DELETE":
        content_type = request.headers.get("content-type")
        name = http.rdf_format_name(content_type)
        if name is None:
            return error(
                415,
                f"Unsupported Content-Type {content_type or '(none)'!r}: send Turtle, N-Triples, RDF/XML, "
                "JSON-LD or N3 (and TriG / N-Quads for a whole-dataset POST).",
            )
        if kind == "dataset" and name not in ("trig", "nquads"):
            return error(400, "A POST without ?graph= or ?default loads a dataset: send TriG or N-Quads.")
        if kind != "dataset" and name not in _TRIPLE_FORMATS:
            return error(415, f"A graph takes a triple format (Turtle, N-Triples, RDF/XML, JSON-LD, N3), not {name}.")
        job["format"] = name
        job["data"] = await read_body(request, state.settings.max_upload_bytes)
        job["base_iri"] = graph
    job["store"] = str(store_or_503(request))
    job["writes"] = str(state.settings.writes_dir)  # kept in the writes journal (kg.store.writes)
    job["link"] = str(state.settings.store_path)
    running = await run_job(request, job)
    outcome = json.loads(await running.read_all() or b"{}")
    state.wrote()
    if outcome.get("created"):
        return Response(status_code=201, headers={"Location": str(request.url)})
    return Response(status_code=204)
