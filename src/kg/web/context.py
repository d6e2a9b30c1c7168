"""The app context every route reads (``app.state.kg``): the settings, the worker pool that runs
every store operation under a deadline, the served build, and the checks and helpers around them
(the write token, the store being there, a worker job as a response)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio.from_thread
import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from kg.read import common
from kg.read.queries import load_queries
from kg.readmodel import Deadline, ReadModel, open_release
from kg.settings import Settings
from kg.store import releases
from kg.store.base import QueryResult, Store, StoreBase, StoreError
from kg.store.cache import ResultCache
from kg.store.oxigraph import OxigraphStore
from kg.store.pool import JobError, JobRefused, JobTimeout, Pool, Running, StreamAborted
from kg.web.http import HTTPProblem, StoreUnavailable

#: The build one request is answered from, pinned when it starts (:class:`kg.web.app` middleware):
#: every store read of that request uses it, so a release promoted meanwhile never mixes into it.
PINNED_BUILD: ContextVar[Path | None] = ContextVar("kg_pinned_build", default=None)

_BUILD_STAMP = re.compile(r"^(\d{8}T\d{6})(?:\.(\d{1,6}))?Z")


class PoolStore(StoreBase):
    """The served build read through the worker pool, as a :class:`kg.store.Store`: every query is a
    job on the pool, under its deadline (past it, :class:`kg.readmodel.Deadline`: a 503), so the read
    side's SPARQL works when this process may not open the store (updates enabled: the one worker holds
    it read-write). Used from the sync routes' threads; results come back as SPARQL JSON / N-Triples."""

    def __init__(self, pool: Pool, store_dir: Path, timeout: float) -> None:
        self.pool, self.store_dir, self.timeout = pool, store_dir, timeout

    @property
    def read_only(self) -> bool:
        return False  # it may change under us (writes are enabled): the read side's caches stay off

    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
    ) -> QueryResult:
        job = {
            "op": "query", "store": str(self.store_dir), "query": sparql, "base_iri": base_iri,
            "default_graph": default_graph, "named_graphs": named_graphs,
            "results_format": "json", "graph_format": "ntriples",
        }

        async def run() -> tuple[str | None, bytes]:
            running = await self.pool.run(job)
            return running.kind, await running.read_all()

        try:
            kind, body = anyio.from_thread.run(run)
        except JobTimeout:
            raise Deadline(self.timeout) from None
        except JobError as exc:
            raise StoreError(exc.message) from None
        if kind == "graph":  # back into QueryTriples: through a small in-memory store
            scratch = ox.Store()
            scratch.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
            return scratch.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        raise StoreError("the site reads the store; writes go to /update and /store")

    def replace_graph(self, graph: str, quads_or_triples: Iterable[ox.Triple | ox.Quad]) -> None:
        raise StoreError("the site reads the store; writes go to /update and /store")

    def bulk_load(
        self, *, path: str | Path | None = None, data: bytes | str | None = None, format: str, graph: str | None = None, base_iri: str | None = None
    ) -> None:
        raise StoreError("the site reads the store; writes go to /update and /store")

    def graphs(self) -> list[str]:
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", union_default_graph=False)
        assert isinstance(result, ox.QuerySolutions)
        return sorted(str(row["g"].value) for row in result)

    def count(self, graph: str | None = None) -> int:
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
        result = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
        assert isinstance(result, ox.QuerySolutions)
        return next((int(row["n"].value) for row in result), 0)

    def dump(self, *, format: str, graph: str | None = None) -> bytes:
        raise StoreError("dumps are served from /dumps")

    def close(self) -> None:
        pass


class AppContext:
    """What every route reads (``app.state.kg``): the settings, the worker pool, the served build and
    the store to read, URIs as this server's paths, ETags, the named queries, small caches.

    ``create_app`` makes one per app (the pool is attached when the app starts). A site-only app
    (the REST facade, linked data and pages mounted by :func:`kg.web.site.facade.install`) may
    give ``get_store`` / ``build_id`` of its own instead of the served build's."""

    def __init__(
        self,
        settings: Settings,
        *,
        pool: Pool | None = None,
        get_store: Callable[[], Store] | None = None,
        build_id: Callable[[], str] | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self._get_store = get_store
        self._build_id = build_id
        self.started = datetime.now(UTC).replace(microsecond=0)
        self.graphs_cache: dict[str, list[str]] = {}
        self._shared: tuple[Path, OxigraphStore] | None = None  # (build, store) for in-process readers
        self._queries: tuple[float, dict[str, Any]] | None = None
        self._model: tuple[Path, ReadModel | None] | None = None
        self._model_lock = threading.Lock()
        self.results = ResultCache(settings.cache_bytes)  # /sparql answers, per release
        # moves on with every write (token): part of every cache key and ETag. Read-only servers keep
        # "0", so their ETags agree across processes and restarts; a writable one starts from a fresh
        # random value (its data may have changed while it was down)
        self.generation = "0" if not settings.writable else secrets.token_hex(6) + "-0"

    # ------------------------------------------------------------------ the served build

    def store_dir(self) -> Path | None:
        """The served build: the one pinned for this request, else the current one."""
        return PINNED_BUILD.get() or self.settings.current_store()

    def build_id(self) -> str:
        """The served build's id (the directory ``var/store`` points at), "" when there is none."""
        if self._build_id is not None:
            return str(self._build_id() or "")
        store = self.store_dir()
        return store.name if store is not None else ""

    def running_pool(self) -> Pool:
        """The worker pool; only an app started by :func:`kg.web.app.create_app` has one."""
        if self.pool is None:
            raise HTTPProblem(503, "This server has no query workers (not started).", {"Retry-After": "5"})
        return self.pool

    def shared_store(self) -> OxigraphStore:
        """A read-only :class:`kg.store.OxigraphStore` of the current build *in this process*,
        re-opened when a new build is promoted — for routes that read the store directly (the
        REST facade). Such reads have no time limit. Refused when updates are
        enabled: the worker holds the store read-write, and a read-only open beside a writer is
        undefined behaviour in RocksDB."""
        if self.settings.writable:
            raise StoreError("with updates enabled only the worker process may open the store")
        store = self.store_dir()
        if store is None:
            raise StoreError(f"no store at {self.settings.store_path}: run `kg build` first")
        if self._shared is None or self._shared[0] != store:
            self._shared = (store, OxigraphStore(store, read_only=True))
        return self._shared[1]

    def read_model(self) -> ReadModel | None:
        """The served release's read model (``kg-read.sqlite``, opened read-only and immutable),
        re-opened when another build is promoted; None when the release has none (a build made
        before read models existed).

        It is what the REST lists, statistics, search and the HTML lists read: it needs no store
        open in this process, so it answers with updates enabled too (``--token``), showing the
        release as promoted (an update through ``/update`` shows there after the next build)."""
        store = self.store_dir()
        if store is None:
            return None
        current = self._model
        if current is None or current[0] != store:
            with self._model_lock:
                current = self._model
                if current is None or current[0] != store:
                    model = open_release(store, connections=self.settings.read_connections)
                    current = self._model = (store, model)
        return current[1]

    def warm(self) -> None:
        """What the first request would otherwise compute, done when the server starts: the
        read model opened, the country table and the SDG KOS that resolve filters loaded."""
        with contextlib.suppress(Exception):  # no store yet, or an old build: the requests say so
            self.read_model()
        with contextlib.suppress(Exception):
            common.resolve_country("IT", settings=self.settings)
            common.resolve_sdg("1", settings=self.settings)

    def forget_graphs(self) -> None:
        self.graphs_cache.clear()

    def wrote(self) -> None:
        """An update or Graph Store write changed the store: forget cached answers and graph lists."""
        stem, _, count = self.generation.rpartition("-")
        self.generation = f"{stem}-{int(count or 0) + 1}"
        self.results.clear()
        self.forget_graphs()

    async def graphs(self, store: Path) -> list[str]:
        """The store's named graphs (cached per build; a write clears the cache)."""
        key = str(store)
        if key not in self.graphs_cache:
            running = await self.running_pool().run({"op": "graphs", "store": key})
            self.graphs_cache = {key: json.loads(await running.read_all())}
        return self.graphs_cache[key]

    # ------------------------------------------------------------------ store and build

    def store(self) -> Store:
        """The store to read; :class:`StoreUnavailable` (503) when there is none yet. With updates
        enabled, the served build through the worker pool (:class:`PoolStore`)."""
        try:
            if self._get_store is None and self.settings.writable and self.pool is not None:
                directory = self.store_dir()
                if directory is None:
                    raise StoreUnavailable(f"no store at {self.settings.store_path}: run `kg build` first")
                return PoolStore(self.pool, directory, self.settings.query_timeout)
            store = self._get_store() if self._get_store is not None else self.shared_store()
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise StoreUnavailable(f"the graph store is not available: {exc}") from exc
        if store is None:
            raise StoreUnavailable("no store has been built yet (run `kg build`)")
        return store

    def current_build(self) -> str:
        try:
            return str(self.build_id() or "")
        except Exception:
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

        directory = self.settings.queries_dir
        files = sorted(directory.glob("*.rq")) if directory.is_dir() else []
        stamp = max((f.stat().st_mtime for f in files), default=0.0) + len(files)
        if self._queries is None or self._queries[0] != stamp:
            self._queries = (stamp, load_queries(directory) if files else {})
        return self._queries[1]


def build_id_from_var(var_dir: str | Path) -> str:
    """The served build's id: the name of the directory ``var/store`` points at ("" if none)."""

    current = releases.current(var_dir)
    return current.name if current is not None else ""


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.kg
    return context


def require_write(request: Request) -> None:
    """Let a write through only with ``Authorization: Bearer <token>`` matching the configured token."""
    settings = app_context(request).settings
    if settings.token is None:
        raise HTTPProblem(
            403,
            "This endpoint is read-only: SPARQL Update and Graph Store writes are disabled.\n"
            "Start the server with a token (KG_TOKEN or --token) to enable them.",
        )
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HTTPProblem(
            401,
            "Writes need a token: send 'Authorization: Bearer <token>'.",
            {"WWW-Authenticate": 'Bearer realm="kg"'},
        )
    if not hmac.compare_digest(value.strip().encode(), settings.token.encode()):
        raise HTTPProblem(403, "The token is not valid for writes.")


def store_or_503(request: Request) -> Path:
    store = app_context(request).store_dir()
    if store is None:
        path = app_context(request).settings.store_path
        raise HTTPProblem(503, f"No store to serve at {path}: run `kg build` first.", {"Retry-After": "30"})
    return store


def client_of(request: Request) -> str:
    """Who asks: the client's address (the unit of the per-client limits of long queries)."""
    return request.client.host if request.client is not None else "unknown"


async def run_job(request: Request, job: dict[str, Any]) -> Running:
    """Run a job on the pool for this request's client; timeouts, refusals and worker errors become
    :class:`HTTPProblem` (503 with ``Retry-After`` when trying again later can help)."""
    state = app_context(request)
    try:
        return await state.running_pool().run(job, client=client_of(request))
    except JobTimeout as exc:
        if exc.waiting:
            raise HTTPProblem(
                503, f"{exc}. Try again in a few seconds.", {"Retry-After": str(RETRY_AFTER)}
            ) from None
        raise HTTPProblem(503, _time_limit(state, str(exc)), {"Retry-After": str(RETRY_AFTER)}) from None
    except JobRefused as exc:
        raise HTTPProblem(
            503, f"The query was stopped: {exc}. Try again when your other queries are done.",
            {"Retry-After": str(RETRY_AFTER)},
        ) from None
    except JobError as exc:
        if exc.status == 406:
            raise
        raise HTTPProblem(exc.status, exc.message) from None


RETRY_AFTER = 5


def _time_limit(state: AppContext, message: str) -> str:
    return (
        f"{message}. The time limit of this endpoint is {state.settings.query_timeout:g} s: "
        "simplify the query, add a LIMIT, or run it against a local copy of the data."
    )


async def streamed(
    request: Request,
    running: Running,
    media_type: str,
    headers: Mapping[str, str] | None = None,
    *,
    whole: Callable[[bytes], None] | None = None,
    rewrite: tuple[Callable[[bytes], bytes], Callable[[AsyncIterator[bytes]], AsyncIterator[bytes]]] | None = None,
) -> Response:
    """The response of a job: headers only for HEAD; the whole answer in one message when it fits
    ``stream_buffer_bytes`` (a deadline or failure before that is a real 503); else a streaming
    response of the chunks, cut (no clean end of the chunked body) if the deadline passes later.
    ``rewrite`` (a whole-body and a streaming function giving the same bytes) changes the answer on
    its way out, e.g. CSV made safe for spreadsheets."""
    if request.method == "HEAD":
        running.close()
        return Response(status_code=200, media_type=media_type, headers=dict(headers or {}))
    if running.finished:  # the whole answer came in one message: no streaming machinery
        body = running.first or b""
        running.close()
        if whole is not None:
            whole(body)
        if rewrite is not None:
            body = rewrite[0](body)
        return Response(body, media_type=media_type, headers=dict(headers or {}))
    state = app_context(request)
    try:
        parts = await running.buffer(state.settings.stream_buffer_bytes)
    except StreamAborted as exc:
        raise HTTPProblem(503, _time_limit(state, str(exc)) if "did not finish" in str(exc) else f"{exc}.",
                          {"Retry-After": str(RETRY_AFTER)}) from None
    if running.finished:
        body = b"".join(parts)
        if whole is not None:
            whole(body)
        if rewrite is not None:
            body = rewrite[0](body)
        return Response(body, media_type=media_type, headers=dict(headers or {}))
    chunks = _prefixed(parts, running)
    if rewrite is not None:
        chunks = rewrite[1](chunks)
    return StreamingResponse(chunks, media_type=media_type, headers=dict(headers or {}))


async def _prefixed(parts: list[bytes], running: Running) -> AsyncIterator[bytes]:
    try:
        for part in parts:
            yield part
        async for chunk in running.chunks():
            yield chunk
    finally:
        running.close()
