"""The app factory: ``create_app(settings, ...)`` builds the FastAPI application of ``kg serve``.

Routers live in their own modules: :mod:`kg.web.sparql.protocol` (``/sparql``, ``/update``),
:mod:`kg.web.sparql.graph_store` (``/store``), the site's (:mod:`kg.web.site.facade`,
:mod:`kg.web.site.publishing`) and the API docs (:mod:`kg.web.site.api_docs`: the schema at
``/api/openapi.json`` in Swagger UI at ``/api/docs``, from the copy shipped in the package, so the
page works offline). The app owns a :class:`kg.store.pool.Pool` of worker processes, started and
stopped with the app's lifespan; every store operation runs there (under a deadline) so the event
loop only moves bytes. CORS is open (``*``, preflight included): the data is public and writes
need a bearer token, not cookies.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.settings import Settings
from kg.store.pool import Pool, StreamAborted
from kg.web.context import PINNED_BUILD, AppContext
from kg.web.http import HTTPProblem, error, routing_error, validation_problem
from kg.web.site import api_docs, facade, pages, publishing
from kg.web.sparql import graph_store
from kg.web.sparql import protocol as sparql

__all__ = ["create_app"]

log = logging.getLogger("kg.web")


class _QuietAbort(logging.Filter):
    """Drop uvicorn's traceback for a stream cut on purpose (timeout while streaming): the pool
    already logged one line, and the client sees an incomplete chunked response."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        for _ in range(10):  # the cause chain, bounded
            if exc is None:
                break
            if isinstance(exc, StreamAborted):
                return False
            if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
                exc = exc.exceptions[0]
            else:
                exc = exc.__cause__ or exc.__context__
        return True


def _quiet_stream_aborts() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietAbort) for f in logger.filters):
        logger.addFilter(_QuietAbort())


RELEASE_HEADER = "KG-Release"


class PinRelease:
    """Pin the served build for the whole of each request and name it in a ``KG-Release`` header.

    A replica promoted while a request runs (``kg release promote``) answers that request from the
    build it started with, whole, and the next one from the new build; the header says which, so a
    client or a load balancer can tell the release of every answer."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        build = self.settings.current_store()
        token = PINNED_BUILD.set(build)
        release = build.name.encode("latin-1") if build is not None else b""

        async def send_with_release(message: Message) -> None:
            if message["type"] == "http.response.start" and release:
                message["headers"] = [*message.get("headers", []), (RELEASE_HEADER.lower().encode(), release)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_release)
        finally:
            PINNED_BUILD.reset(token)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole server as an ASGI app, configured by ``settings`` (default: from the environment).

    It serves ``settings.store_path`` (the ``var/store`` symlink, re-resolved on every request);
    ``token`` enables updates and Graph Store writes and opens the store read-write in a single
    worker, else the store is read-only; ``query_timeout`` bounds every query;
    ``service_allowlist`` lists the hosts SERVICE and LOAD may reach; ``pool_size`` is the
    number of query worker processes (see :mod:`kg.settings`; :meth:`Settings.serving` sets them).
    """
    settings = settings or Settings.from_env()
    _quiet_stream_aborts()

    context = AppContext(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = Pool(
            settings.pool_size,
            timeout=settings.query_timeout,
            writable=settings.writable,
            wait=min(settings.worker_wait, settings.query_timeout),
            long_after=settings.long_query_after,
            max_long=settings.long_query_limit,
            max_long_per_client=settings.max_long_per_client,
        )
        await pool.start()
        context.pool = pool
        context.warm()  # no cold start: the first request after a build is as fast as the next
        log.info(
            "serving %s (%s, %d worker process(es), timeout %g s)",
            settings.store_path,
            "read-write" if settings.writable else "read-only",
            settings.pool_size,
            settings.query_timeout,
        )
        try:
            yield
        finally:
            context.pool = None
            await pool.close()

    app = FastAPI(
        title="EU-funded projects knowledge graph",
        description="SPARQL 1.1 Protocol endpoint (/sparql, /update) and Graph Store Protocol (/store).",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: api_docs serves the vendored copy
        openapi_url="/api/openapi.json",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url="/api/docs/oauth2-redirect",
    )
    app.state.kg = context
    app.add_middleware(PinRelease, settings=settings)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Accept", "Authorization", "Content-Type", "Range", "If-None-Match", "If-Modified-Since", "If-Range"],
        expose_headers=[
            "Content-Type", "Content-Length", "Location", "Vary", "WWW-Authenticate",
            "Link", "X-Total-Count", "ETag", "X-Cache", "Last-Modified", "Content-Location", "Content-Range", "Accept-Ranges",
            RELEASE_HEADER,
        ],
        max_age=86400,
    )

    @app.exception_handler(HTTPProblem)
    async def problem(_request: Request, exc: HTTPProblem) -> Response:
        return error(exc.status, exc.message, exc.headers)

    # errors no route answers itself (no such path: 404, a method the path does not take: 405):
    # plain text at the SPARQL protocol endpoints, else problem+json (an HTML page for browsers)
    protocol_paths = frozenset({"/sparql", "/update", "/store"})

    def html_error(request: Request, status: int, title: str, message: str) -> Response:
        return pages.error_page(context, request, status, title, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return routing_error(request, exc, plain_paths=protocol_paths, html=html_error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return validation_problem(request, exc)

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> PlainTextResponse:
        """``ok release <id>`` (200) naming the release served, or ``no store`` (503): what a load
        balancer's health check and ``kg release which`` on a replica read."""
        state: AppContext = request.app.state.kg
        store = state.store_dir()
        return PlainTextResponse(f"ok release {store.name}\n" if store else "no store\n", status_code=200 if store else 503)

    app.include_router(sparql.router)
    app.include_router(graph_store.router)
    facade.install(app, context=context)
    publishing.install(app, settings=settings, get_store=context.shared_store, build_id=context.build_id)
    api_docs.install(app, docs_url="/api/docs")
    return app
