"""The REST facade, named queries, linked data and HTML pages of ``kg serve``, installed on an app.

``install(app, settings=..., get_store=..., build_id=...)`` mounts:

* :mod:`kg.web.site.api` — ``/api/projects``, ``/api/organisations``, ``/api/programmes``, ``/api/sdgs``,
  ``/api/countries``, ``/api/stats`` (JSON that is also JSON-LD);
* :mod:`kg.web.site.named_queries` — ``/api/queries`` and ``/api/queries/{name}``;
* :mod:`kg.web.site.linked_data` — ``/id/{path}`` (303) and ``/doc/{path}`` (content negotiation);
* :mod:`kg.web.site.pages` — HTML for people (``/``, ``/projects``, ``/programmes``, ``/sdgs``, ...);
* ``/static`` — the pages' CSS and JavaScript (no CDN, no external requests).

``get_store()`` is called once per request and must be cheap: it returns the store to read
(typically a shared read-only :class:`kg.store.OxigraphStore` of the current build, re-opened by
the caller when the build changes). The facade never closes it. ``build_id()`` names the build
being served (the target name of ``var/store``, see :func:`build_id_from_var`); it feeds ETags
and ``Last-Modified``.

This module also holds what the routers share: the :class:`Facade` context, RFC 9457 problem
responses, ``Accept`` / ``Accept-Language`` parsing and the mapping between the configured base
URI and the server's own URLs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.read import common
from kg.settings import Settings
from kg.store.base import Store

__all__ = [
    "Facade",
    "ProblemRoute",
    "StoreUnavailable",
    "build_id_from_var",
    "install",
    "problem",
]

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
PROBLEM_TYPES = "https://w3id.org/euprojects/problems/"  # documentation anchors, not dereferenced

_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_BUILD_STAMP = re.compile(r"^(\d{8}T\d{6})(?:\.(\d{1,6}))?Z")


def build_id_from_var(var_dir: str | Path) -> str:
    """The served build's id: the name of the directory ``var/store`` points at ("" if none)."""
    from kg.store import releases

    current = releases.current(var_dir)
    return current.name if current is not None else ""


class StoreUnavailable(Exception):
    """No store to read (none built yet, or it cannot be opened): 503."""


@dataclass
class Facade:
    """What every router of the facade needs: settings, the store, the build id, templates."""

    settings: Settings
    get_store: Callable[[], Store]
    build_id: Callable[[], str]
    started: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    _queries: tuple[float, dict[str, Any]] | None = None

    # ------------------------------------------------------------------ store and build

    def store(self) -> Store:
        """The store to read; :class:`StoreUnavailable` (503) when there is none yet."""
        try:
            store = self.get_store()
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the caller's opener raises
            raise StoreUnavailable(f"the graph store is not available: {exc}") from exc
        if store is None:
            raise StoreUnavailable("no store has been built yet (run `kg build`)")
        return store

    def current_build(self) -> str:
        try:
            return str(self.build_id() or "")
        except Exception:  # noqa: BLE001 - a missing build must not break a page
            return ""

    def last_modified(self) -> datetime:
        """When the served build was made: from the build id's timestamp, else the server start."""
        match = _BUILD_STAMP.match(self.current_build())
        if match:
            try:
                return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            except ValueError:
                pass
        return self.started

    def etag(self, *parts: str) -> str:
        digest = hashlib.sha256("\x1f".join((self.current_build(), *parts)).encode("utf-8")).hexdigest()
        return f'"{digest[:32]}"'

    # ------------------------------------------------------------------ URIs

    @property
    def base(self) -> str:
        return self.settings.base_uri

    def uri_for_path(self, path: str) -> str:
        """The entity URI served at ``/{path}`` (``id/project/ic4lop`` → ``{base}id/project/ic4lop``)."""
        return self.base + path.lstrip("/")

    def local_path(self, uri: str) -> str | None:
        """``/id/...`` for a URI under the base, None for others."""
        if uri.startswith(self.base):
            return "/" + uri[len(self.base) :]
        return None

    def href(self, uri: str, lang: str | None = None) -> str:
        """Where a page about ``uri`` lives on this server."""
        local = self.local_path(uri)
        if local is not None and local.startswith("/id/"):
            target = "/doc/" + local[len("/id/") :]
        elif uri.startswith("http://metadata.un.org/sdg/") and re.fullmatch(r"\d+(\.[0-9a-z]+)?", uri.rsplit("/", 1)[-1]):
            target = "/sdgs/" + uri.rsplit("/", 1)[-1]
        elif uri.startswith("http://publications.europa.eu/resource/authority/country/"):
            target = "/countries/" + uri.rsplit("/", 1)[-1]
        else:
            target = "/resource?" + urlencode({"uri": uri})
            return target + (f"&lang={quote(lang)}" if lang else "")
        return target + (f"?lang={quote(lang)}" if lang else "")

    # ------------------------------------------------------------------ named queries

    def queries(self) -> dict[str, Any]:
        """The named queries of ``queries/*.rq`` (re-read when a file changes)."""
        from kg.read.queries import load_queries

        directory = self.settings.queries_dir
        files = sorted(directory.glob("*.rq")) if directory.is_dir() else []
        stamp = max((f.stat().st_mtime for f in files), default=0.0) + len(files)
        if self._queries is None or self._queries[0] != stamp:
            self._queries = (stamp, load_queries(directory) if files else {})
        return self._queries[1]


# --------------------------------------------------------------------------- problems (RFC 9457)


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


def lookup_problem(request: Request, exc: Exception, *, invalid_status: int = 422) -> JSONResponse | None:
    """The problem response for the read side's errors (None for other exceptions)."""
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
    whose successful GET responses get an ETag from their body (and a 304 when it matches)."""

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
            except Exception as exc:  # noqa: BLE001
                answer = lookup_problem(request, exc)
                if answer is None:
                    raise
                return answer
            return conditional(request, response)

        return handler


def conditional(request: Request, response: Response) -> Response:
    """Add a body-derived ETag to a 200 GET answer and turn it into 304 when the client has it."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    body = getattr(response, "body", None)
    if not isinstance(body, (bytes, bytearray)):
        return response
    if "etag" not in response.headers:
        response.headers["ETag"] = '"' + hashlib.sha256(bytes(body)).hexdigest()[:32] + '"'
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


# --------------------------------------------------------------------------- negotiation


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def match(self, media_type: str) -> int:
        """How specifically this range matches (-1: not at all, 0: */*, 1: type/*, 2: exact)."""
        t, _, s = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != t:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == s else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    ranges: list[MediaRange] = []
    for order, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if media == "*":
            media = "*/*"
        t, slash, s = media.partition("/")
        if not slash or not t or not s:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(t, s, q, order))
    return ranges


def negotiate(accept: str | None, offers: list[str]) -> str | None:
    """The offered media type the client prefers (q, then specificity, then the client's order,
    then ours); the first offer when there is no usable ``Accept``; None when nothing is acceptable."""
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0] if offers else None
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for index, offer in enumerate(offers):
        match, spec = None, -1
        for r in ranges:
            s = r.match(offer)
            if s > spec:
                match, spec = r, s
        if match is None or spec < 0 or match.q <= 0:
            continue
        key = (match.q, spec, -match.order, -index)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen


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
        key = (q, -order, tag)
        if best is None or key > best:
            best = key
    return best[2] if best else default


def valid_lang(tag: str | None) -> bool:
    return bool(tag and _LANG_TAG.match(tag))


# --------------------------------------------------------------------------- install


def install(
    app: FastAPI,
    *,
    settings: Settings,
    get_store: Callable[[], Store],
    build_id: Callable[[], str],
) -> Facade:
    """Mount the REST API, named queries, linked data, HTML pages and ``/static`` on ``app``.

    Route order matters only against the app's own routes: call this after the SPARQL routers
    so ``/sparql`` etc. keep their handlers. Returns the :class:`Facade` (tests may use it).
    """
    from fastapi.staticfiles import StaticFiles

    from kg.web.site import api, linked_data, named_queries, pages

    facade = Facade(settings=settings, get_store=get_store, build_id=build_id)
    app.include_router(api.make_router(facade))
    app.include_router(named_queries.make_router(facade))
    app.include_router(linked_data.make_router(facade))
    app.include_router(pages.make_router(facade))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.state.kg_facade = facade
    return facade
