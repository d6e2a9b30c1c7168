"""The real server reads its lists from the served release's read model, re-opens it when another
build is promoted, and runs named queries on its worker pool (the deadline of /sparql)."""

from __future__ import annotations

from pathlib import Path

import httpx
from weblive import Server, build_store

from kg.readmodel import FILE
from kg.store import releases


def test_named_queries_run_on_the_worker_pool(server: Server) -> None:
    r = httpx.get(server.url + "/api/queries/projects-by-year", params={"format": "csv"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and r.text.splitlines()[0]
    r = httpx.get(server.url + "/api/queries/projects-by-year", headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200 and "results" in r.json()
    bad = httpx.get(server.url + "/api/queries/projects-by-year", params={"format": "turtle"}, timeout=30)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")


def test_a_promoted_build_brings_its_read_model(server: Server, ro_var: Path) -> None:
    original = releases.current(ro_var)
    assert original is not None and (original / FILE).is_file()
    before = httpx.get(server.url + "/api/stats").json()["totals"]["triples"]
    try:
        build = build_store(ro_var, bench_rows=0, marker="build-rm")
        assert (build / FILE).is_file()
        after = httpx.get(server.url + "/api/stats").json()["totals"]["triples"]
        assert after != before  # the new release's numbers, without a restart
    finally:
        releases.promote(ro_var, original)
    assert httpx.get(server.url + "/api/stats").json()["totals"]["triples"] == before
