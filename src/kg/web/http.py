"""HTTP for every face of the server: errors (plain text for the SPARQL protocol, RFC 9457
``application/problem+json`` for the site), conditional requests (ETag / ``If-None-Match`` / 304,
``Last-Modified``), content negotiation (``Accept`` with q-values, one parser) and the language of
labels (``?lang=`` / ``Accept-Language``), and CSV made safe for spreadsheets
(:func:`spreadsheet_csv`: a cell that would run as a formula gets a leading ``'``).

Content negotiation chooses which serialisation answers a request, from ``Accept`` or an explicit
``format=`` / ``output=`` parameter. Three families of offers, built on :mod:`kg.formats`, each in the
server's order of preference (the first one answers ``*/*`` or a missing ``Accept``):

* ``RESULTS`` for SELECT / ASK: SPARQL JSON, SPARQL XML, CSV, TSV;
* ``GRAPH`` for CONSTRUCT / DESCRIBE, a Graph Store graph and the service description:
  Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD, N3;
* ``DATASET`` for a whole-dataset Graph Store GET: TriG, N-Quads, JSON-LD.

An offer's ``name`` is the :mod:`kg.formats` name handed to the worker. The choice goes to the
highest q, then the most specific matching range (``text/csv`` over ``text/*`` over ``*/*``), then
the client's order, then the server's. ``format=`` takes a short name (``json``, ``csv``,
``turtle``, ``nt``, ``xml``...) read per family (``xml`` is SPARQL XML for SELECT and RDF/XML for
CONSTRUCT; ``json`` is SPARQL JSON or JSON-LD), or media types.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pyoxigraph import RdfFormat
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from kg import formats
from kg.formats import Format
from kg.read import common
from kg.readmodel import Deadline

# --------------------------------------------------------------------------- plain-text errors (SPARQL protocol)


class HTTPProblem(Exception):
    """Raised by helpers; the app turns it into a plain-text response."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """A plain-text error response (a trailing newline for terminals)."""
    return Response(
        message.rstrip("\n") + "\n", status_code=status, media_type="text/plain; charset=utf-8", headers=dict(headers or {})
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 beyond ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPProblem(413, f"The request body is larger than this endpoint accepts ({limit} bytes).")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPProblem(413, f"The request body is larger than this endpoint accepts ({limit} bytes).")
        chunks.append(chunk)
    return b"".join(chunks)


# --------------------------------------------------------------------------- routes

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def get_and_head(router: APIRouter, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """Register an endpoint for ``GET`` and ``HEAD`` as two routes, the ``HEAD`` one left out of the
    OpenAPI document. (One route for both methods is two operations with one operation id: FastAPI
    warns about each, and OpenAPI wants the ids unique.)"""

    def register(endpoint: Endpoint) -> Endpoint:
        router.get(path, **options)(endpoint)
        router.head(path, **{**options, "include_in_schema": False})(endpoint)
        return endpoint

    return register


# --------------------------------------------------------------------------- content negotiation


@dataclass(frozen=True)
class Offer:
    media_type: str  # sent as Content-Type
    name: str  # kg.formats name
    label: str


def _family(formats: Sequence[Format], extra: Sequence[tuple[str, str]] = (), short: Mapping[str, str] | None = None) -> tuple[Offer, ...]:
    """Offers for ``formats`` in that order (their own media types), then ``extra`` (media type, format name)
    pairs that clients send for the same formats; the family's ``format=`` short names are the formats'
    names and aliases plus ``short``."""
    labels = {f.name: f.label for f in formats}
    offers = tuple(Offer(f.media_type, f.name, f.label) for f in formats) + tuple(
        Offer(media, name, labels[name]) for media, name in extra
    )
    media = {f.name: f.media_type for f in formats}
    names = {n: media[f.name] for f in formats for n in (f.name, *f.aliases)}
    names.update({k: media[v] for k, v in (short or {}).items()})
    _SHORT[id(offers)] = names
    return offers


_SHORT: dict[int, dict[str, str]] = {}  # family → its format= short names → media type

RESULTS: tuple[Offer, ...] = _family(
    formats.RESULTS_FORMATS,
    [("application/json", "json"), ("application/xml", "xml"), ("text/xml", "xml")],
)
GRAPH: tuple[Offer, ...] = _family(
    formats.RDF_FORMATS,
    [("application/x-turtle", "turtle"), ("application/xml", "rdfxml"), ("application/json", "jsonld")],
    short={"rdf+xml": "rdfxml", "xml": "rdfxml", "json": "jsonld"},
)
DATASET: tuple[Offer, ...] = _family(
    [formats.of(RdfFormat.TRIG), formats.of(RdfFormat.N_QUADS), formats.of(RdfFormat.JSON_LD)],
    short={"json": "jsonld"},
)


def family_for_form(form: str | None) -> tuple[Offer, ...] | None:
    """The offers for a query form (SELECT/ASK → RESULTS, CONSTRUCT/DESCRIBE → GRAPH)."""
    if form in ("SELECT", "ASK"):
        return RESULTS
    if form in ("CONSTRUCT", "DESCRIBE"):
        return GRAPH
    return None


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def specificity(self, media_type: str) -> int:
        """How specifically this range matches ``media_type`` (-1: no match)."""
        t, _, s = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != t:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == s else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are skipped."""
    ranges: list[MediaRange] = []
    if not header:
        return ranges
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if media == "*":
            media = "*/*"
        t, slash, s = media.partition("/")
        if not slash or not t or not s or (t == "*" and s != "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip().strip('"'))
                except ValueError:
                    q = 0.0
                q = min(max(q, 0.0), 1.0)
        ranges.append(MediaRange(t, s, q, order))
    return ranges


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offered media type the client prefers (q, then specificity, then the client's order,
    then ours); the first offer when there is no usable ``Accept``; None when nothing is acceptable."""
    ranges = parse_accept(accept)
    if not ranges:  # none, or nothing parseable: the server's default
        return offers[0] if offers else None
    best: tuple[float, int, int, int] | None = None
    chosen: str | None = None
    for index, offer in enumerate(offers):
        match: MediaRange | None = None
        spec = -1
        for r in ranges:
            s = r.specificity(offer)
            if s > spec or (s == spec and match is not None and r.order < match.order):
                match, spec = r, s
        if match is None or spec < 0 or match.q <= 0:
            continue
        key = (match.q, spec, -match.order, -index)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen


def _choose_by_accept(offers: tuple[Offer, ...], header: str | None) -> Offer | None:
    media = [o.media_type for o in offers]
    chosen = negotiate(header, media)
    return offers[media.index(chosen)] if chosen is not None else None


def choose(offers: tuple[Offer, ...], accept: str | None, format_param: str | None = None) -> Offer | None:
    """The offer answering a request, or None when nothing acceptable can be produced."""
    if format_param is not None and format_param.strip():
        value = format_param.strip()
        short = _SHORT[id(offers)].get(value.lower())
        if short is not None:
            return next(o for o in offers if o.media_type == short)
        if "/" in value:
            return _choose_by_accept(offers, value)
        return None
    return _choose_by_accept(offers, accept)


def describe(offers: tuple[Offer, ...]) -> str:
    """A human-readable list of what a family offers, for 406 bodies."""
    seen: dict[str, list[str]] = {}
    for offer in offers:
        seen.setdefault(offer.label, []).append(offer.media_type)
    shorts = sorted({k for k in _SHORT[id(offers)]})
    lines = [f"  {label}: {', '.join(types)}" for label, types in seen.items()]
    return "\n".join(lines) + f"\n(or the format= parameter: {', '.join(shorts)})"


_RDF_INPUT: dict[str, str] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/n-quads": "nquads",
    "text/x-nquads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
    "application/ld+json": "jsonld",
    "text/n3": "n3",
}


def rdf_format_name(content_type: str | None) -> str | None:
    """The :mod:`kg.store` format name for an uploaded body's ``Content-Type`` (None: unknown)."""
    if not content_type:
        return None
    return _RDF_INPUT.get(content_type.split(";")[0].strip().lower())


# --------------------------------------------------------------------------- problems (RFC 9457), for the site


class StoreUnavailable(Exception):
    """No store to read (none built yet, or it cannot be opened): 503."""


PROBLEM_TYPES = "https://w3id.org/euprojects/problems/"  # documentation anchors, not dereferenced


_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str | None = None,
    instance: str | None = None,
    invalid_params: Iterable[tuple[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An ``application/problem+json`` response. ``invalid_params`` name the offending parameters
    (the RFC's ``invalid-params`` extension: ``[{"name": ..., "reason": ...}]``)."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES + kind if kind else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    params = [{"name": name, "reason": reason} for name, reason in invalid_params]
    if params:
        body["invalid-params"] = params
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=dict(headers or {}))


_STATUS_TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def validation_problem(request: Request, exc: RequestValidationError, status: int = 422) -> JSONResponse:
    params = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path", "header", "body")]
        params.append((".".join(loc) or "request", str(err.get("msg", "invalid"))))
    names = ", ".join(sorted({n for n, _ in params}))
    return problem(
        status,
        "Invalid parameter",
        f"invalid value for {names}: " + "; ".join(f"{n}: {r}" for n, r in params),
        kind="invalid-parameter",
        instance=str(request.url),
        invalid_params=params,
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods the app's routes take at the request's path (what a 405 names in ``Allow``): each
    method is tried against the routes (included routers too; mounted apps answer for themselves)."""
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    return [m for m in _METHODS if any(r.matches({**request.scope, "method": m})[0] is Match.FULL for r in routes)]


def prefers_html(request: Request) -> bool:
    """The client would rather read an HTML page than JSON (a browser); ``*/*`` or no ``Accept`` is not."""
    return negotiate(request.headers.get("accept"), ["application/problem+json", "application/json", "text/html"]) == "text/html"


HtmlError = Callable[[Request, int, str, str], Response]  # (request, status, title, message) → an HTML error page


def routing_error(
    request: Request, exc: StarletteHTTPException, *, plain_paths: Iterable[str] = (), html: HtmlError | None = None
) -> Response:
    """The answer to an HTTP error no route answered itself: above all a path nothing is served at
    (404) and a method the path's routes do not take (405, with every method they take in ``Allow``).

    At ``plain_paths`` (the SPARQL protocol endpoints) it is plain text, as the protocol's other errors;
    elsewhere an RFC 9457 ``application/problem+json`` document, or the ``html`` page for a client that
    prefers HTML (by ``Accept``; never under ``/api/``, whose errors are problem+json)."""
    status = exc.status_code
    path = request.url.path
    headers = dict(exc.headers or {})
    if status == 405:
        allowed = allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    try:
        phrase = HTTPStatus(status).phrase  # Starlette's detail when it has nothing to add
    except ValueError:
        phrase = "Error"
    title = _STATUS_TITLES.get(status, phrase)
    detail = str(exc.detail) if exc.detail and exc.detail != phrase else None
    if detail is None and status == 404:
        detail = f"Nothing is served at {path}."
    elif detail is None and status == 405:
        detail = f"{request.method} is not allowed on {path}" + (f" (allowed: {headers['Allow']})." if "Allow" in headers else ".")
    if path in set(plain_paths):
        return error(status, detail or title, headers)
    if html is not None and not path.startswith("/api/") and prefers_html(request):
        page = html(request, status, title, detail or title)
        page.headers.update(headers)
        answer: Response = page
    else:
        answer = problem(status, title, detail, instance=str(request.url), headers=headers)
    return vary(answer, "Accept")


def vary(response: Response, *fields: str) -> Response:
    """Add request header names to the response's ``Vary`` (each once)."""
    names = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    names += [f for f in fields if f.lower() not in {n.lower() for n in names}]
    response.headers["Vary"] = ", ".join(names)
    return response


def read_problem(request: Request, exc: Exception, *, invalid_status: int = 422) -> JSONResponse | None:
    """The problem response for the read side's errors (None for other exceptions)."""
    if isinstance(exc, Deadline):
        return problem(
            503, "Service Unavailable", f"{exc}; try again, or narrow the request", instance=str(request.url), headers={"Retry-After": "5"}
        )
    if isinstance(exc, common.NotFound):
        return problem(404, "Not Found", str(exc), kind="not-found", instance=str(request.url))
    if isinstance(exc, common.InvalidParameter):
        return problem(
            invalid_status,
            "Invalid parameter",
            str(exc),
            kind="invalid-parameter",
            instance=str(request.url),
            invalid_params=[(exc.param, exc.message)],
        )
    return None


class ProblemRoute(APIRoute):
    """A route whose errors are ``application/problem+json`` (validation, 404s, lookups), and
    whose successful GET responses get an ETag from their body and media type (and a 304 when it
    matches). A subclass may adjust a successful answer before that in :meth:`answer`."""

    def answer(self, request: Request, response: Response) -> Response:
        """A successful answer, before its ETag (headers, media type); as it is here."""
        return response

    def get_route_handler(self) -> Callable[[Request], Any]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except RequestValidationError as exc:
                return validation_problem(request, exc)
            except StoreUnavailable as exc:
                return problem(503, "Service Unavailable", str(exc), instance=str(request.url), headers={"Retry-After": "30"})
            except StarletteHTTPException as exc:
                return problem(
                    exc.status_code,
                    _STATUS_TITLES.get(exc.status_code, "Error"),
                    str(exc.detail) if exc.detail else None,
                    instance=str(request.url),
                    headers=exc.headers,
                )
            except Exception as exc:
                answer = read_problem(request, exc)
                if answer is None:
                    raise
                return answer
            return conditional(request, self.answer(request, response))

        return handler


def conditional(request: Request, response: Response) -> Response:
    """Add an ETag derived from body and media type (one per representation) to a 200 GET answer and
    turn it into 304 when the client has it."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    body = getattr(response, "body", None)
    if not isinstance(body, (bytes, bytearray)):
        return response
    if "etag" not in response.headers:
        digest = hashlib.sha256(response.headers.get("content-type", "").encode() + b"\n" + bytes(body))
        response.headers["ETag"] = '"' + digest.hexdigest()[:32] + '"'
    if etag_matches(request.headers.get("if-none-match"), response.headers["etag"]):
        keep = {k: v for k, v in response.headers.items() if k.lower() in ("etag", "vary", "cache-control", "last-modified", "content-location")}
        return Response(status_code=304, headers=keep)
    return response


def etag_matches(header: str | None, etag: str) -> bool:
    """``If-None-Match`` (weak comparison, ``*`` included) against our ETag."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in header.split(","))


def not_modified_since(header: str | None, last_modified: datetime) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def request_lang(request: Request, default: str = "en") -> str:
    """The language for labels: ``?lang=``, else the best ``Accept-Language`` tag, else ``default``."""
    explicit = request.query_params.get("lang")
    if explicit and _LANG_TAG.match(explicit.strip()):
        return explicit.strip()
    header = request.headers.get("accept-language") or ""
    best: tuple[float, int, str] | None = None
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        tag = fields[0]
        if not tag or tag == "*" or not _LANG_TAG.match(tag):
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        rank = (q, -order, tag)
        if best is None or rank > best:
            best = rank
    return best[2] if best else default


def valid_lang(tag: str | None) -> bool:
    return bool(tag and _LANG_TAG.match(tag))


# --------------------------------------------------------------------------- CSV meant for spreadsheets
# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): text starting with = + - @,
# tab or carriage return. A number (-12.5, +3e2) is not one and stays a number.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it and never runs it: a leading ``'`` before a cell that
    starts like a formula (OWASP's advice); every other value, numbers included, unchanged."""
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_csv(body: bytes) -> bytes:
    """A CSV document (RFC 4180, as the SPARQL CSV results format writes it: CRLF, quoted where
    needed) with every cell passed through :func:`spreadsheet_cell`, the header included. For CSV
    downloads meant for people (the named queries' CSV, REST CSV); ``/sparql`` CSV stays exact."""
    text = body.decode("utf-8")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv.reader(io.StringIO(text, newline=""), strict=True):
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def _complete_records_end(text: str) -> int:
    """Where the last complete CSV record of ``text`` ends (after its CRLF): a CRLF counts only
    outside quotes, and in RFC 4180 a quote inside a field is doubled, so an even number of quotes
    before a CRLF means it ends a record. 0 when no record is complete yet."""
    end = text.rfind("\r\n")
    while end >= 0:
        if text.count('"', 0, end) % 2 == 0:
            return end + 2
        end = text.rfind("\r\n", 0, end)
    return 0


async def spreadsheet_csv_chunks(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """:func:`spreadsheet_csv` over a streamed CSV answer: each chunk's complete records are
    rewritten and sent, the incomplete tail waits for the next chunk (memory: one record plus a chunk)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    async for chunk in chunks:
        pending += decoder.decode(chunk)
        end = _complete_records_end(pending)
        if end:
            done, pending = pending[:end], pending[end:]
            yield spreadsheet_csv(done.encode("utf-8"))
    pending += decoder.decode(b"", final=True)
    if pending:
        yield spreadsheet_csv(pending.encode("utf-8"))
