"""A 100k-row SELECT is streamed: the server's memory does not grow with the result."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from weblive import BENCH_ROWS, GRAPH_BENCH, Server, descendants, start_server, stop_server

ROWS = f"SELECT ?s ?v WHERE {{ GRAPH <{GRAPH_BENCH}> {{ ?s ?p ?v }} }}"


@pytest.fixture(scope="module")
def server(ro_var: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Its own server with a generous query timeout: this test is about memory, and the shared
    server's 2 s deadline (tests/web/test_web_timeout.py) cut a slow run on a loaded machine short."""
    log = tmp_path_factory.mktemp("logs") / "stream-server.log"
    srv = start_server(ro_var, log, "--pool-size", "2", "--query-timeout", "120")
    yield srv
    stop_server(srv)


def test_100k_rows_stream_as_csv_with_flat_memory(server: Server) -> None:
    # warm up: the first requests allocate what a request needs anyway
    for _ in range(3):
        httpx.get(server.sparql, params={"query": ROWS + " LIMIT 1000"}, headers={"Accept": "text/csv"})
    server_before = server.rss_kib()
    workers = descendants(server.process.pid)
    workers_before = {pid: server.rss_kib(pid) for pid in workers}

    received = rows = chunks = 0
    server_peak = server_before
    start = time.monotonic()
    with httpx.stream("GET", server.sparql, params={"query": ROWS}, headers={"Accept": "text/csv"}, timeout=120) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert "content-length" not in r.headers  # chunked: never built in memory
        for chunk in r.iter_bytes():
            if chunks == 0:
                time.sleep(0.3)  # a slow client: the worker must wait, not the server buffer
                server_peak = max(server_peak, server.rss_kib())
            received += len(chunk)
            rows += chunk.count(b"\n")
            chunks += 1
            if chunks % 16 == 0:
                server_peak = max(server_peak, server.rss_kib())
    elapsed = time.monotonic() - start
    server_after = server.rss_kib()
    workers_after = {pid: server.rss_kib(pid) for pid in workers if pid in workers_before}
    growth = server_peak - server_before
    print(
        f"\n100k-row CSV: {received / 1e6:.1f} MB in {elapsed:.2f} s ({chunks} reads); server RSS "
        f"{server_before / 1024:.1f} MiB before, peak {server_peak / 1024:.1f} MiB (+{growth / 1024:.1f} MiB), "
        f"after {server_after / 1024:.1f} MiB; worker processes RSS before/after (MiB): "
        + ", ".join(f"{workers_before[p] / 1024:.0f}/{workers_after[p] / 1024:.0f}" for p in workers_after)
    )
    assert rows == BENCH_ROWS + 1  # header line
    assert growth < max(received // 1024 // 2, 4096), "the server's memory grew with the result"
