"""The published release over HTTP: ``/catalog``, ``/.well-known/void``, ``/dumps/{file}``,
``/ontology`` and ``/shapes``.

``install(app, settings=..., get_store=..., build_id=...)`` mounts the routes on a FastAPI app.
They serve the release in ``dist/`` (see :mod:`kg.release.publish`). When ``dist/`` holds no release, or
one published from another build than the one served (``build_id``), the first request that
needs it publishes one (under a lock; publishing is reproducible, so two processes doing it at
once write the same bytes). Without a store either, those routes answer 404 with a hint.

* ``/catalog`` and ``/.well-known/void``: content-negotiated (``Accept`` or ``?format=``):
  Turtle (the default), N-Triples, N-Quads, TriG, RDF/XML, JSON-LD, N3. Turtle, JSON-LD and
  RDF/XML of the catalogue are the release's own files.
* ``/dumps/{file}``: any file of the release, with ``Content-Length``, a strong ``ETag`` (its
  SHA-256), ``Last-Modified``, ``Accept-Ranges: bytes``; ``Range`` requests answer 206 (one
  range, or ``multipart/byteranges`` for several), 416 when unsatisfiable; ``If-None-Match`` /
  ``If-Modified-Since`` answer 304; ``If-Range`` is honoured.
* ``/ontology``: the pyLODE HTML documentation (the default, and for browsers) or the ontology
  graph of the served store in any RDF format.
* ``/shapes``: the SHACL shapes of ``shapes/`` (all files merged) in any RDF format.

Every negotiated answer carries ``Vary: Accept`` and an ``ETag``; ``HEAD`` works everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response

from kg.formats import rdf_format
from kg.release.canonical import canonical_quads, sort_triples
from kg.release.manifest import sha256
from kg.release.ontology import HTML_NAME, ontology_triples
from kg.release.publish import (
    PersonalDataError,
    Release,
    publish_release,
    published_from,
    read_release,
)
from kg.release.terms import PREFIXES
from kg.settings import Settings
from kg.store import Store
from kg.web import http
from kg.web.http import GRAPH, Offer, error

__all__ = ["install"]

HTML = Offer("text/html", "html", "HTML")
_LOCK = threading.Lock()

BuildId = str | Callable[[], str | None] | None


class _NoRelease(Exception):
    pass


class _Publisher:
    """Finds the current release, publishing one when it is missing or stale."""

    def __init__(
        self,
        settings: Settings,
        get_store: Callable[[], Store],
        build_id: BuildId,
        dist_dir: Path,
        base_url: str | None,
    ) -> None:
        self.settings = settings
        self.get_store = get_store
        self.build_id = build_id
        self.dist = dist_dir
        self.base_url = base_url.rstrip("/") if base_url else None
        self.cache: dict[tuple[str, ...], tuple[bytes, str]] = {}

    def wanted_build(self) -> str | None:
        return self.build_id() if callable(self.build_id) else self.build_id

    def _fresh(self, release: Release | None, wanted: str | None) -> bool:
        return release is not None and (not wanted or published_from(self.dist) == wanted)

    def release(self, request: Request) -> Release:
        wanted = self.wanted_build()
        release = read_release(self.dist)
        if self._fresh(release, wanted):
            assert release is not None
            return release
        with _LOCK:
            release = read_release(self.dist)
            if self._fresh(release, wanted):
                assert release is not None
                return release
            try:
                store = self.get_store()
            except Exception as exc:  # no store to publish from
                if release is not None:
                    return release  # stale beats nothing
                raise _NoRelease(str(exc)) from exc
            publish_release(
                self.settings,
                store=store,
                out_dir=self.dist,
                base_url=self.base_url or str(request.base_url).rstrip("/"),
                build_id=wanted,
            )
            self.cache.clear()
        release = read_release(self.dist)
        if release is None:
            raise _NoRelease("publishing wrote no release")
        return release

    def cached(self, key: tuple[str, ...], make: Callable[[], bytes]) -> tuple[bytes, str]:
        """A serialisation and its ETag, made once per key (the release's content hash is part of
        the key of anything made from the release)."""
        if key not in self.cache:
            if len(self.cache) >= 64:
                self.cache.clear()
            body = make()
            self.cache[key] = (body, f'"{sha256(body)}"')
        return self.cache[key]


# --------------------------------------------------------------------------- helpers


def _choose(request: Request, offers: tuple[Offer, ...]) -> Offer | None:
    """The answering offer: GRAPH formats by :func:`http.choose`, plus HTML when offered
    (first in ``offers``: it wins ties, so browsers and ``*/*`` get it)."""
    fmt = request.query_params.get("format")
    accept = request.headers.get("accept")
    if HTML not in offers:
        return http.choose(GRAPH, accept, fmt)
    if fmt is not None and fmt.strip():
        return HTML if fmt.strip().lower() in ("html", "text/html") else http.choose(GRAPH, None, fmt)
    ranges = http.parse_accept(accept)
    if not ranges:
        return HTML

    def score(media_type: str) -> tuple[float, int]:
        best = (-1.0, -1)
        for r in ranges:
            spec = r.specificity(media_type)
            if spec >= 0 and (spec, r.q) > (best[1], best[0]):
                best = (r.q, spec)
        return best

    rdf = http.choose(GRAPH, accept)
    html_q, html_spec = score(HTML.media_type)
    if rdf is None:
        return HTML if html_q > 0 else None
    rdf_q, rdf_spec = score(rdf.media_type)
    return HTML if html_q > 0 and (html_q, html_spec) >= (rdf_q, rdf_spec) else rdf


def _not_acceptable(offers: tuple[Offer, ...]) -> Response:
    extra = "  HTML: text/html\n" if HTML in offers else ""
    return error(406, "None of the formats this resource has is acceptable. It offers:\n" + extra + http.describe(GRAPH))


def _media(offer: Offer) -> str:
    if offer.media_type.startswith("text/") or offer.media_type.endswith("json"):
        return f"{offer.media_type}; charset=utf-8"
    return offer.media_type


def _body(request: Request, body: bytes, media_type: str, etag: str, *, vary: bool = True) -> Response:
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if vary:
        headers["Vary"] = "Accept"
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, media_type=media_type, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags


def _serialise(triples: list[ox.Triple], offer: Offer) -> bytes:
    fmt = rdf_format(offer.name)
    assert fmt is not None
    return ox.serialize(triples, format=fmt, prefixes=PREFIXES) or b""


def _file_triples(path: Path) -> list[ox.Triple]:
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    return sort_triples(canonical_quads(quads))


# --------------------------------------------------------------------------- install


def install(
    app: FastAPI,
    *,
    settings: Settings,
    get_store: Callable[[], Store],
    build_id: BuildId,
    dist_dir: Path | None = None,
    base_url: str | None = None,
) -> None:
    """Mount the publishing routes on ``app``.

    ``get_store()`` gives the store of the served build (read-only; these routes never close it:
    the caller owns it) and raises when there is none; ``build_id`` is the id of the build being
    served (a string, a callable giving it, or None/"" when unknown) — a release published from
    another build is published again. ``dist_dir``
    defaults to ``<root>/dist``; ``base_url`` (where this server is reached, for the download
    URLs in the catalogue) defaults to the base URL of the request that triggers publishing.
    """
    pub = _Publisher(settings, get_store, build_id, Path(dist_dir or settings.root / "dist"), base_url)
    router = APIRouter(tags=["publishing"])

    def release_or_error(request: Request) -> Release | Response:
        try:
            return pub.release(request)
        except _NoRelease as exc:
            return error(
                404,
                f"No published release in {pub.dist} and no store to publish one from ({exc}).\n"
                "Run `kg build`, then `kg publish`.",
            )
        except PersonalDataError as exc:
            return error(503, f"The release cannot be published: {exc}")

    def negotiated_file(request: Request, ttl_name: str) -> Response:
        release = release_or_error(request)
        if isinstance(release, Response):
            return release
        offer = _choose(request, GRAPH)
        if offer is None:
            return _not_acceptable(GRAPH)
        assert release.out_dir is not None
        stem = ttl_name.rsplit(".", 1)[0]
        fmt = rdf_format(offer.name)
        own = next(
            (f for f in release.files if f.name.rsplit(".", 1)[0] == stem and fmt and f.media_type == fmt.media_type),
            None,
        )
        if own is not None:  # the release's own file, byte for byte
            body = (release.out_dir / own.name).read_bytes()
            return _body(request, body, _media(offer), f'"{own.sha256}"')
        source = release.out_dir / ttl_name
        body, etag = pub.cached(
            (release.content_sha256, ttl_name, offer.name),
            lambda: _serialise(_file_triples(source), offer),
        )
        return _body(request, body, _media(offer), etag)

    @http.get_and_head(router, "/catalog", summary="DCAT-AP 3 catalogue of the release")
    def catalog(request: Request) -> Response:
        return negotiated_file(request, "catalog.ttl")

    @http.get_and_head(router, "/.well-known/void", summary="VoID description")
    def void(request: Request) -> Response:
        return negotiated_file(request, "void.ttl")

    @http.get_and_head(router, "/dumps/{name}", summary="A file of the release (Range requests)")
    def dump(request: Request, name: str) -> Response:
        release = release_or_error(request)
        if isinstance(release, Response):
            return release
        f = release.file(name)
        assert release.out_dir is not None
        path = release.out_dir / name
        if f is None or not path.is_file():
            listing = "\n".join(f"  {x.name}" for x in release.files)
            return error(404, f"No file {name!r} in this release. Its files:\n{listing}")
        etag = f'"{f.sha256}"'
        stat = path.stat()
        headers = {"ETag": etag, "Cache-Control": "no-cache", "Last-Modified": formatdate(stat.st_mtime, usegmt=True)}
        if _etag_matches(request.headers.get("if-none-match"), etag) or (
            "if-none-match" not in request.headers and _not_modified(request.headers.get("if-modified-since"), stat.st_mtime)
        ):
            return Response(status_code=304, headers=headers)
        return FileResponse(
            path,
            media_type=f.content_type,
            headers=headers,
            stat_result=stat,
            filename=name if f.role == "dump" else None,
            content_disposition_type="attachment",
        )

    @http.get_and_head(router, "/ontology", summary="The ontology: HTML documentation or RDF")
    def ontology(request: Request) -> Response:
        offers = (HTML, *GRAPH)
        offer = _choose(request, offers)
        if offer is None:
            return _not_acceptable(offers)
        release = release_or_error(request)
        if isinstance(release, Response):
            return release
        assert release.out_dir is not None
        if offer is HTML:
            html = release.file(HTML_NAME)
            if html is None:
                return error(404, "This release has no ontology documentation; run `kg publish`.")
            return _body(request, (release.out_dir / HTML_NAME).read_bytes(), "text/html; charset=utf-8", f'"{html.sha256}"')

        def make() -> bytes:
            return _serialise(ontology_triples(pub.get_store(), settings), offer)

        body, etag = pub.cached((release.content_sha256, "ontology", offer.name), make)
        return _body(request, body, _media(offer), etag)

    @http.get_and_head(router, "/shapes", summary="The SHACL shapes")
    def shapes(request: Request) -> Response:
        offer = _choose(request, GRAPH)
        if offer is None:
            return _not_acceptable(GRAPH)
        files = sorted(settings.shapes_dir.glob("*.ttl"))
        key = ("shapes", offer.name, *(f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in files))

        def make() -> bytes:
            quads: list[ox.Quad] = []
            for p in files:
                quads += [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(path=str(p), format=ox.RdfFormat.TURTLE)]
            return _serialise(sort_triples(canonical_quads(quads)), offer)

        body, etag = pub.cached(key, make)
        return _body(request, body, _media(offer), etag)

    app.include_router(router)


def _not_modified(header: str | None, mtime: float) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return int(mtime) <= since.timestamp()

