"""Linked data: every entity URI ``{base}id/{path}`` dereferences on this server.

The configured base URI (default ``https://w3id.org/euprojects/``) maps to the server root, so
``{base}id/project/ic4lop`` is served at ``/id/project/ic4lop``:

* ``GET /id/{path}`` answers ``303 See Other`` → ``/doc/{path}`` (the URI names the project, the
  document describes it);
* ``GET /doc/{path}`` negotiates HTML, Turtle, JSON-LD, N-Triples or RDF/XML from ``Accept``
  (q-values honoured; ``*/*`` gives HTML) or a suffix (``.html``, ``.ttl``, ``.jsonld``, ``.nt``,
  ``.rdf``), with ``Vary: Accept``, an ``ETag`` derived from the served build id, the path, the
  format (and the label language for HTML), ``Last-Modified`` (the build's time) and ``304`` for
  a matching ``If-None-Match`` / ``If-Modified-Since``.

The RDF description of an entity is a concise bounded description (:func:`kg.read.entities.describe`):
its triples as subject from every graph, the triples of the parts it owns (URIs under
``{entity}/``) and the labels of what they link to. An unknown entity is 404: an HTML page or
``application/problem+json``, as the client accepts.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from kg.model.namespaces import PREFIXES
from kg.read import entities
from kg.web.context import AppContext
from kg.web.http import ProblemRoute, etag_matches, http_date, negotiate, not_modified_since, problem, request_lang
from kg.web.site import pages

__all__ = ["FORMATS", "make_router"]

# format name -> (media type, suffix)
FORMATS: dict[str, tuple[str, str]] = {
    "html": ("text/html; charset=utf-8", "html"),
    "turtle": ("text/turtle; charset=utf-8", "ttl"),
    "jsonld": ("application/ld+json", "jsonld"),
    "ntriples": ("application/n-triples", "nt"),
    "rdfxml": ("application/rdf+xml", "rdf"),
}
SUFFIXES = {suffix: name for name, (_media, suffix) in FORMATS.items()}
# media types we answer, in our order of preference (the first answers */*)
OFFERS: dict[str, str] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/x-turtle": "turtle",
    "application/json": "jsonld",
    "application/xml": "rdfxml",
    "text/plain": "ntriples",
}
_RDF = {
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
SERIALISATION_PREFIXES = {
    name: str(ns)
    for name, ns in PREFIXES.items()
    if name in ("kg", "dct", "rdf", "rdfs", "skos", "prov", "schema", "foaf", "vcard", "xsd", "sdgo", "org")
}


def split_suffix(path: str) -> tuple[str, str | None]:
    """``project/ic4lop.ttl`` → (``project/ic4lop``, ``turtle``); no known suffix → (path, None)."""
    stem, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix and suffix.lower() in SUFFIXES:
        return stem, SUFFIXES[suffix.lower()]
    return path, None


def serialise(triples: list[ox.Triple], subject: str, fmt: str) -> bytes:
    """Triples in an RDF format, the entity's own first, grouped by subject."""
    ordered = sorted(triples, key=lambda t: (str(t.subject) != f"<{subject}>", str(t.subject), str(t.predicate), str(t.object)))
    prefixes = SERIALISATION_PREFIXES if fmt != "ntriples" else None
    return ox.serialize(ordered, format=_RDF[fmt], prefixes=prefixes) or b""


def wants_html(request: Request) -> bool:
    return negotiate(request.headers.get("accept"), ["text/html", "application/problem+json", "application/json"]) == "text/html"


def make_router(facade: AppContext) -> APIRouter:
    router = APIRouter(tags=["Linked data"], route_class=ProblemRoute)

    def not_found(request: Request, uri: str, fmt: str | None) -> Response:
        if fmt == "html" or (fmt is None and wants_html(request)):
            return pages.error_page(facade, request, 404, "Not found", f"Nothing is known about <{uri}>.")
        return problem(404, "Not Found", f"nothing is known about <{uri}>", kind="not-found", instance=str(request.url))

    def resolve(path: str) -> tuple[str, str | None, bool]:
        """(entity path, format from the suffix, exists?)."""
        store = facade.store()
        stem, fmt = split_suffix(path)
        if fmt is not None and entities.entity_exists(store, facade.uri_for_path("id/" + stem)):
            return stem, fmt, True
        if entities.entity_exists(store, facade.uri_for_path("id/" + path)):
            return path, None, True
        return (stem if fmt else path), fmt, False

    @router.get(
        "/id/{path:path}",
        summary="An entity URI: 303 See Other to its document",
        status_code=303,
        responses={303: {"description": "see /doc/{path}"}, 404: {"description": "unknown entity"}},
    )
    def entity(request: Request, path: Annotated[str, Path(description="e.g. project/ic4lop")]) -> Response:
        entity_path, fmt, exists = resolve(path)
        if not exists:
            return not_found(request, facade.uri_for_path("id/" + entity_path), fmt)
        target = "/doc/" + path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})

    @router.get(
        "/doc/{path:path}",
        summary="The document about an entity (HTML, Turtle, JSON-LD, N-Triples, RDF/XML)",
        response_class=Response,
        responses={
            200: {
                "content": {
                    "text/html": {},
                    "text/turtle": {},
                    "application/ld+json": {},
                    "application/n-triples": {},
                    "application/rdf+xml": {},
                },
                "description": "the entity's description",
            },
            304: {"description": "not modified"},
            404: {"description": "unknown entity"},
            406: {"description": "none of the formats is acceptable"},
        },
    )
    def document(request: Request, path: Annotated[str, Path(description="e.g. project/ic4lop or project/ic4lop.ttl")]) -> Response:
        entity_path, fmt, exists = resolve(path)
        uri = facade.uri_for_path("id/" + entity_path)
        if not exists:
            return not_found(request, uri, fmt)
        negotiated = fmt is None
        if fmt is None:
            explicit = request.query_params.get("format")
            if explicit and explicit.lower() in FORMATS:
                fmt = explicit.lower()
                negotiated = False
            else:
                media = negotiate(request.headers.get("accept"), list(OFFERS))
                if media is None:
                    return problem(
                        406,
                        "Not Acceptable",
                        "this document is available as " + ", ".join(m for m, _ in FORMATS.values()),
                        instance=str(request.url),
                        headers={"Vary": "Accept"},
                    )
                fmt = OFFERS[media]
        lang = request_lang(request) if fmt == "html" else ""
        etag = facade.etag("doc", entity_path, fmt, lang)
        modified = facade.last_modified()
        doc_base = "/doc/" + entity_path
        headers = {
            "ETag": etag,
            "Last-Modified": http_date(modified),
            "Vary": "Accept, Accept-Language" if fmt == "html" else "Accept",
            "Cache-Control": "public, no-cache",
            "Link": ", ".join(
                f'<{doc_base}.{suffix}>; rel="alternate"; type="{media.split(";")[0]}"'
                for name, (media, suffix) in FORMATS.items()
                if name != fmt
            )
            + f', <{uri}>; rel="describes"',
        }
        if negotiated:
            headers["Content-Location"] = f"{doc_base}.{FORMATS[fmt][1]}"
        inm = request.headers.get("if-none-match")
        if (inm and etag_matches(inm, etag)) or (not inm and not_modified_since(request.headers.get("if-modified-since"), modified)):
            return Response(status_code=304, headers=headers)
        if fmt == "html":
            response = pages.render_entity(facade, request, uri, lang)
            response.headers.update(headers)
            return response
        body = serialise(entities.describe(facade.store(), uri), uri, fmt)
        return Response(body, media_type=FORMATS[fmt][0], headers=headers)

    # HEAD answers like GET (uvicorn drops the body); kept out of the OpenAPI document
    router.add_api_route("/id/{path:path}", entity, methods=["HEAD"], include_in_schema=False)
    router.add_api_route("/doc/{path:path}", document, methods=["HEAD"], include_in_schema=False)
    return router
