"""``create_app`` in process (Starlette's TestClient): no store yet, then a store appears."""

from __future__ import annotations

import warnings
from pathlib import Path

with warnings.catch_warnings():  # Starlette's notice about httpx vs httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from weblive import build_store

from kg.settings import Settings
from kg.web.app import create_app


def test_no_store_yet_then_a_build_appears(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    app = create_app(settings.serving(query_timeout=5, query_workers=1, token="t"))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 503
        r = client.get("/sparql", params={"query": "ASK {}"})
        assert r.status_code == 503 and "kg build" in r.text
        r = client.get("/sparql")  # the service description needs no store
        assert r.status_code == 200 and "SPARQL11Update" in r.text

        build_store(settings.var_dir, bench_rows=0)  # type: ignore[arg-type]
        assert client.get("/healthz").status_code == 200
        r = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        assert r.status_code == 200 and int(r.json()["results"]["bindings"][0]["n"]["value"]) > 40
        r = client.post("/update", data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer t"})
        assert r.status_code == 204
        r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert r.json()["boolean"] is False


def test_shared_store_follows_the_build(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    build_store(settings.var_dir, bench_rows=0)  # type: ignore[arg-type]
    app = create_app(settings.serving(query_workers=1))
    with TestClient(app) as client:
        state = client.app.state.kg  # type: ignore[attr-defined]
        first = state.shared_store()
        assert state.shared_store() is first and state.build_id()
        build_store(settings.var_dir, bench_rows=0, marker="two")  # type: ignore[arg-type]
        second = state.shared_store()
        assert second is not first
        assert bool(second.query('ASK { ?s ?p "two" }'))
