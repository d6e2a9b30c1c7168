"""Fixtures for the REST facade, linked data and page tests: a live server over a real build.

``kg build`` of the real ``data/`` runs once per session (the ``seed_build`` fixture of
``tests/conftest.py``: ``python -m kg.cli build --var-dir <tmp>`` in a subprocess). A minimal
FastAPI app gets the facade through :func:`kg.web.site.facade.install` with a read-only
:class:`OxigraphStore` of that build, and uvicorn serves it on a free loopback port in a
background thread, so the tests make real HTTP requests with httpx. The app also has a bare
stand-in ``POST /sparql`` (the real endpoint is :mod:`kg.web.sparql.protocol`) for the editor test.

Import the fixtures into a test module with ``from conftest_facade import *``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from kg.settings import Settings
from kg.store import OxigraphStore
from kg.web.context import AppContext as Facade
from kg.web.context import build_id_from_var
from kg.web.site.facade import install

__all__ = ["FacadeServer", "facade_client", "facade_server", "facade_store", "live_facade"]

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://w3id.org/euprojects/"
KG = "https://w3id.org/euprojects/def#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
SDG = "http://metadata.un.org/sdg/"
IC4LOP = BASE + "id/project/ic4lop"
ECCIPA = BASE + "id/project/2020-1-DE02-KA202-007701"
NETWORK = BASE + "id/project/cosmopolitan-towns-network"
LEARNING = BASE + "id/project/learning-cities-migrants-inclusion"
LIAISON = BASE + "id/project/liaison"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FacadeServer:
    url: str
    var: Path
    store: OxigraphStore
    facade: Facade
    build_override: dict[str, str | None] = field(default_factory=lambda: {"id": None})
    sparql_requests: list[dict[str, str]] = field(default_factory=list)

    def set_build_id(self, value: str | None) -> None:
        """Pretend another build is served (None: the real one again)."""
        self.build_override["id"] = value


@pytest.fixture(scope="session")
def facade_store(seed_build: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore(seed_build / "store", read_only=True)
    yield store
    store.close()


def add_sparql_stand_in(app: FastAPI, store: OxigraphStore, seen: list[dict[str, str]]) -> None:
    """A bare SPARQL Protocol POST /sparql over the store, standing in for the real endpoint
    (:mod:`kg.web.sparql.protocol`) so the page tests can drive the query editor; it records each request."""

    @app.post("/sparql", include_in_schema=False)
    async def sparql(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8"))
        accept = request.headers.get("accept", "")
        seen.append({"accept": accept, "content-type": request.headers.get("content-type", ""), "query": form.get("query", [""])[0]})
        fmt = "turtle" if "text/turtle" in accept else "json"
        try:
            body = store.query_to(form.get("query", [""])[0], format=fmt)
        except Exception as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return Response(body, media_type="text/turtle" if fmt == "turtle" else "application/sparql-results+json")


@contextmanager
def live_facade(
    settings: Settings,
    get_store: Callable[[], Any],
    build_id: Callable[[], str],
    *,
    prepare: Callable[[FastAPI], None] | None = None,
) -> Iterator[tuple[str, Facade]]:
    """A minimal FastAPI app with the facade installed, served by uvicorn in a background thread."""
    app = FastAPI(title="facade test app")
    if prepare is not None:
        prepare(app)
    facade = install(app, settings=settings, get_store=get_store, build_id=build_id)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"facade-uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the facade test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", facade
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def facade_server(seed_build: Path, facade_store: OxigraphStore) -> Iterator[FacadeServer]:
    settings = Settings.from_env(var_dir=seed_build, base_uri=BASE)
    override: dict[str, str | None] = {"id": None}

    def build_id() -> str:
        return override["id"] or build_id_from_var(seed_build)

    seen: list[dict[str, str]] = []
    with live_facade(
        settings, lambda: facade_store, build_id, prepare=lambda app: add_sparql_stand_in(app, facade_store, seen)
    ) as (url, facade):
        yield FacadeServer(url, seed_build, facade_store, facade, override, seen)


@pytest.fixture()
def facade_client(facade_server: FacadeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=facade_server.url, follow_redirects=False, timeout=30) as client:
        yield client
