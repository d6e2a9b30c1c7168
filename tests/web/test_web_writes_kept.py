"""Writes made with the token are never lost silently (issue 13): what /update and the Graph Store
Protocol change is kept in the writes journal and replayed by `kg build`; `--drop-writes` builds
without it, moving it aside."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from weblive import TOKEN, build_store, start_server, stop_server

from kg.store import releases
from kgtesting import run_kg

G = "https://w3id.org/euprojects/graph/test/kept"
G2 = "https://w3id.org/euprojects/graph/test/kept-put"
COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"
COUNT2 = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G2}> {{ ?s ?p ?o }} }}"


def _count(url: str, query: str) -> int:
    r = httpx.get(url + "/sparql", params={"query": query}, headers={"Cache-Control": "no-cache"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_writes_survive_kg_build(tmp_path: Path) -> None:
    var = tmp_path / "var"
    build_store(var, bench_rows=0)  # a release to start from (quicker than a first kg build)
    server = start_server(var, tmp_path / "rw.log", "--query-timeout", "10", env={"KG_TOKEN": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        triples = " ".join(f"<urn:kept:{i}> <urn:kept:p> {i} ." for i in range(4))
        r = httpx.post(server.url + "/update", content=f"INSERT DATA {{ GRAPH <{G}> {{ {triples} }} }}",
                       headers={**auth, "Content-Type": "application/sparql-update"})
        assert r.status_code == 204, r.text
        r = httpx.put(server.url + "/store", params={"graph": G2}, content=b"<urn:a> <urn:b> <urn:c> , <urn:d> .",
                      headers={**auth, "Content-Type": "text/turtle"})
        assert r.status_code == 201, r.text
        # a refused write leaves no trace in the journal
        bad = httpx.put(server.url + "/store", params={"graph": G2}, content=b"not turtle", headers={**auth, "Content-Type": "text/turtle"})
        assert bad.status_code == 400
        assert _count(server.url, COUNT) == 4 and _count(server.url, COUNT2) == 2
        journal = var / "writes" / "journal.jsonl"
        assert len(journal.read_text().splitlines()) == 2

        before = releases.current(var)
        build = run_kg("build", "--var-dir", str(var), check=True)
        assert "2 write(s) made with the token replayed" in build.stdout
        after = releases.current(var)
        assert after is not None and after != before
        assert json.loads((after / "kg-writes.json").read_text())["entries"] == 2
        assert _count(server.url, COUNT) == 4 and _count(server.url, COUNT2) == 2  # the server follows the new build

        # a write after the rebuild goes into the new release (re-resolved) and the journal
        r = httpx.post(server.url + "/update", content=f"DELETE DATA {{ GRAPH <{G}> {{ <urn:kept:0> <urn:kept:p> 0 }} }}",
                       headers={**auth, "Content-Type": "application/sparql-update"})
        assert r.status_code == 204
        assert _count(server.url, COUNT) == 3 and len(journal.read_text().splitlines()) == 3

        # only an explicit option drops them, and the journal is moved aside, not deleted
        dropped = run_kg("build", "--var-dir", str(var), "--drop-writes", check=True)
        assert "replayed" not in dropped.stdout
        assert _count(server.url, COUNT) == 0 and _count(server.url, COUNT2) == 0
        assert not journal.exists() and len(list((var / "writes").glob("dropped-*.jsonl"))) == 1
    finally:
        stop_server(server)
