"""The query time limit really stops work: the worker process is killed and replaced while other
requests keep being answered; and a promoted build is served without a restart."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from weblive import GRAPH_BENCH, QUERY_TIMEOUT, Server, build_store, cpu_ticks, descendants

from kg.store import releases

# A cross product of the 100k-row table with itself: 10^10 rows to count, no output until done.
PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
# The same, streamed: rows flow at once, so the limit hits in the middle of the response.
STREAMING = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
SMALL = "ASK { ?s ?p ?o }"


def other_client() -> httpx.Client:
    """A client from another loopback address than the default 127.0.0.1: the pool keeps its last
    free worker for clients without a long query running, so a client's own small queries may wait."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30)


def test_pathological_query_is_stopped_while_small_ones_are_answered(server: Server) -> None:
    outcome: dict[str, object] = {}
    other = other_client()

    def slow() -> None:
        start = time.monotonic()
        r = httpx.get(server.sparql, params={"query": PATHOLOGICAL}, timeout=30)
        outcome.update(status=r.status_code, body=r.text, elapsed=time.monotonic() - start)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    small_latencies = []
    while thread.is_alive():  # the other worker keeps answering (other clients) meanwhile
        start = time.monotonic()
        r = other.get(server.sparql, params={"query": SMALL})
        small_latencies.append(time.monotonic() - start)
        assert r.status_code == 200 and r.json()["boolean"] is True
        time.sleep(0.1)
    thread.join()
    print(f"\npathological: {outcome['status']} after {outcome['elapsed']:.2f} s; "
          f"{len(small_latencies)} small queries meanwhile, slowest {max(small_latencies) * 1000:.0f} ms")
    assert outcome["status"] == 503
    assert "time limit" in str(outcome["body"])
    assert QUERY_TIMEOUT - 0.1 <= float(outcome["elapsed"]) < QUERY_TIMEOUT + 1.5  # type: ignore[arg-type]
    assert len(small_latencies) >= 5 and max(small_latencies) < 1.0

    # the next query works, and nothing is left burning CPU
    r = httpx.get(server.sparql, params={"query": SMALL}, timeout=30)
    assert r.status_code == 200
    pids = descendants(server.process.pid)
    before = cpu_ticks(pids)
    time.sleep(0.5)
    burnt = cpu_ticks(pids) - before
    assert burnt < 0.2 * (os.sysconf("SC_CLK_TCK")), f"{burnt} CPU ticks in 0.5 s after the timeout"


def test_both_workers_stuck_are_both_freed(server: Server) -> None:
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(httpx.get(server.sparql, params={"query": PATHOLOGICAL}, timeout=30).status_code))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [503, 503]
    start = time.monotonic()
    assert httpx.get(server.sparql, params={"query": SMALL}, timeout=30).status_code == 200
    assert time.monotonic() - start < 1.5  # killed workers were replaced, not still computing


def test_timeout_while_streaming_cuts_the_response(server: Server) -> None:
    received = 0
    start = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError):
        with httpx.stream("GET", server.sparql, params={"query": STREAMING}, headers={"Accept": "text/csv"}, timeout=30) as r:
            assert r.status_code == 200
            for chunk in r.iter_bytes():
                received += len(chunk)
    elapsed = time.monotonic() - start
    print(f"\nstream cut after {elapsed:.2f} s and {received / 1e6:.1f} MB")
    assert QUERY_TIMEOUT - 0.1 <= elapsed < QUERY_TIMEOUT + 1.5
    assert received > 0
    assert httpx.get(server.sparql, params={"query": SMALL}, timeout=30).status_code == 200


def test_a_promoted_build_is_served_without_restart(server: Server, ro_var: Path) -> None:
    marker = "SELECT ?m WHERE { ?x <https://w3id.org/euprojects/def/marker#is> ?m }"
    original = releases.current(ro_var)
    assert original is not None
    assert httpx.get(server.sparql, params={"query": marker}).json()["results"]["bindings"] == []
    try:
        build_store(ro_var, bench_rows=0, marker="build-2")
        bindings = httpx.get(server.sparql, params={"query": marker}).json()["results"]["bindings"]
        assert [b["m"]["value"] for b in bindings] == ["build-2"]
        names = httpx.get(server.sparql, headers={"Accept": "application/n-triples"}).text
        assert "graph/marker" in names and GRAPH_BENCH not in names
    finally:
        releases.promote(ro_var, original)
    assert httpx.get(server.sparql, params={"query": marker}).json()["results"]["bindings"] == []
