"""The app context every route reads (``app.state.kg``): the settings, the worker pool that runs
every store operation under a deadline, the served build, and the checks and helpers around them
(the write token, the store being there, a worker job as a response)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from kg.settings import Settings
from kg.store.base import StoreError
from kg.store.oxigraph import OxigraphStore
from kg.store.pool import JobError, JobTimeout, Pool, Running
from kg.web.http import HTTPProblem


@dataclass
class ServerState:
    """What the app holds (``app.state.kg``): settings, the worker pool, small caches."""

    settings: Settings
    pool: Pool
    graphs_cache: dict[str, list[str]] = field(default_factory=dict)
    _shared: Any = None  # (path, OxigraphStore) for in-process readers

    def store_dir(self) -> Path | None:
        return self.settings.current_store()

    def build_id(self) -> str:
        """The served build's id (the directory ``var/store`` points at), "" when there is none."""
        store = self.store_dir()
        return store.name if store is not None else ""

    def shared_store(self) -> Any:
        """A read-only :class:`kg.store.OxigraphStore` of the current build *in this process*,
        re-opened when a new build is promoted — for routes that read the store directly (the
        REST facade's ``get_store``). Such reads have no time limit. Refused when updates are
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

    def forget_graphs(self) -> None:
        self.graphs_cache.clear()

    async def graphs(self, store: Path) -> list[str]:
        """The store's named graphs (cached per build; a write clears the cache)."""
        key = str(store)
        if key not in self.graphs_cache:
            running = await self.pool.run({"op": "graphs", "store": key})
            self.graphs_cache = {key: json.loads(await running.read_all())}
        return self.graphs_cache[key]


def server_state(request: Request) -> ServerState:
    return request.app.state.kg  # type: ignore[no-any-return]


def require_write(request: Request) -> None:
    """Let a write through only with ``Authorization: Bearer <token>`` matching the configured token."""
    settings = server_state(request).settings
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
    store = server_state(request).store_dir()
    if store is None:
        path = server_state(request).settings.store_path
        raise HTTPProblem(503, f"No store to serve at {path}: run `kg build` first.", {"Retry-After": "30"})
    return store


async def run_job(request: Request, job: dict[str, Any]) -> Running:
    """Run a job on the pool; timeouts and worker errors become :class:`HTTPProblem`."""
    state = server_state(request)
    try:
        return await state.pool.run(job)
    except JobTimeout as exc:
        raise HTTPProblem(
            503,
            f"{exc}. The time limit of this endpoint is {state.settings.query_timeout:g} s: "
            "simplify the query, add a LIMIT, or run it against a local copy of the data.",
        ) from None
    except JobError as exc:
        if exc.status == 406:
            raise
        raise HTTPProblem(exc.status, exc.message) from None


def streamed(request: Request, running: Running, media_type: str, headers: Mapping[str, str] | None = None) -> Response:
    """A streaming response of a job's chunks (headers only for HEAD)."""
    if request.method == "HEAD":
        running.close()
        return Response(status_code=200, media_type=media_type, headers=dict(headers or {}))
    if running.finished:  # the whole answer came in one message: no streaming machinery
        body = running.first or b""
        running.close()
        return Response(body, media_type=media_type, headers=dict(headers or {}))
    return StreamingResponse(running.chunks(), media_type=media_type, headers=dict(headers or {}))
