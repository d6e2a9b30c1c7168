"""What the routers share: the server state on ``app.state``, plain-text errors, the write
check (bearer token), request bodies with a size cap, and turning a worker job into a response."""

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

__all__ = [
    "HTTPProblem",
    "ServerState",
    "error",
    "read_body",
    "require_write",
    "run_job",
    "server_state",
    "store_or_503",
    "streamed",
]


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
