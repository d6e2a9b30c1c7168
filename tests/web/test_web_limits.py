"""Nothing a client sends can hurt the endpoint (issue 13): query limits before the engine, workers
that die are replaced, long queries limited per client and in total, 503 + Retry-After when no
worker frees in time, and a deadline while streaming that every HTTP client sees."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from weblive import GRAPH_BENCH, Server, cpu_ticks, descendants, start_server, stop_server

from kg.web.sparql.limits import Limits, QueryTooComplex, check

X = "<http://x.example/p>"
N = 200  # deeper than the limit (32), short enough for the length limit
# the 15 nesting shapes tried against pyoxigraph 0.5 (at 10 000 levels, 11 of them kill the process
# with SIGSEGV on an 8 MiB stack, collections and quoted triples parse in exponential time)
SHAPES = {
    "filter parentheses": lambda n: "SELECT * WHERE { FILTER(" + "(" * n + "1" + ")" * n + ") }",
    "group braces": lambda n: "SELECT * WHERE " + "{" * n + "}" * n,
    "OPTIONAL": lambda n: "SELECT * WHERE { " + "OPTIONAL { " * n + "}" * n + " }",
    "sub-SELECT": lambda n: "SELECT * WHERE { " + "{ SELECT * WHERE { " * n + "}}" * n + " }",
    "blank-node lists": lambda n: f"SELECT * WHERE {{ ?s {X} " + f"[ {X} " * n + "]" * n + " }",
    "collections": lambda n: f"SELECT * WHERE {{ ?s {X} " + "( " * n + ")" * n + " }",
    "function calls": lambda n: "SELECT * WHERE { FILTER(" + "STR(" * n + "1" + ")" * n + ") }",
    "negations": lambda n: "SELECT * WHERE { FILTER(" + "!" * n + "true) }",
    "path parentheses": lambda n: "SELECT * WHERE { ?s " + "(" * n + X + ")" * n + " ?o }",
    "inverse paths": lambda n: "SELECT * WHERE { ?s " + "^" * n + X + " ?o }",
    "negated paths": lambda n: "SELECT * WHERE { ?s " + "!(" * n + X + ")" * n + " ?o }",
    "FILTER EXISTS": lambda n: "SELECT * WHERE { " + "FILTER EXISTS { " * n + "}" * n + " }",
    "GRAPH": lambda n: "SELECT * WHERE { " + "GRAPH ?g { " * n + "}" * n + " }",
    "quoted triples": lambda n: "SELECT * WHERE { " + "<< " * n + f"{X} {X} {X}" + f" >> {X} {X}" * n + " }",
    "IF": lambda n: "SELECT * WHERE { BIND(" + "IF(true," * n + "1" + ",0)" * n + " AS ?x) }",
}
LIMITS = Limits()


# --------------------------------------------------------------------------- the check itself


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_nesting_shape_is_refused_past_the_limit_and_passes_below(shape: str) -> None:
    with pytest.raises(QueryTooComplex) as caught:
        check(SHAPES[shape](N), LIMITS)
    assert caught.value.limit == "depth"
    assert "more than 32 levels" in caught.value.message and "KG_MAX_QUERY_DEPTH" in caught.value.message
    check(SHAPES[shape](5), LIMITS)  # a few levels are fine


def test_strings_comments_and_iris_do_not_count() -> None:
    deep = "(" * 100
    check(f'SELECT * WHERE {{ ?s ?p "{deep}" . ?s ?p \'{deep}\' . ?s ?p """{deep}\n""" }} # {deep}\n', LIMITS)
    check("SELECT * WHERE { ?s ?p <http://x.example/a_(b)_(c)> }", LIMITS)
    # brackets inside an IRI token still count (a '<' may be a comparison)
    with pytest.raises(QueryTooComplex):
        check("SELECT * WHERE { FILTER(?a<" + "(" * 40 + "1" + ")" * 40 + ">?b) }", LIMITS)


def test_after_an_ambiguous_iri_strings_no_longer_hide_brackets() -> None:
    # Oxigraph may read "<'>" as a comparison and a string start: then the brackets are code
    hidden = "SELECT * WHERE { FILTER(?a<'> '" + "(" * 40 + "' ) }"
    with pytest.raises(QueryTooComplex):
        check(hidden, LIMITS)
    check("SELECT * WHERE { FILTER(?a < 'x') }", LIMITS)


def test_length_and_triple_pattern_limits() -> None:
    with pytest.raises(QueryTooComplex, match="KG_MAX_QUERY_LENGTH"):
        check("SELECT * WHERE { } #" + "x" * 60_000, LIMITS)
    many = "SELECT * WHERE { " + " . ".join(f"?s{i} {X} ?o{i}" for i in range(1001)) + " }"
    with pytest.raises(QueryTooComplex, match="more than 1000 triple patterns") as caught:
        check(many, LIMITS)
    assert caught.value.limit == "triple patterns"
    # objects after ',' and ';' are patterns too; VALUES data and expressions are not
    commas = "SELECT * WHERE { ?s " + X + " " + ", ".join(f"?o{i}" for i in range(1001)) + " }"
    with pytest.raises(QueryTooComplex):
        check(commas, LIMITS)
    values = "SELECT * WHERE { VALUES ?x { " + " ".join(f"<http://x.example/{i}>" for i in range(1500)) + f" }} ?x {X} ?o }}"
    check(values, LIMITS)
    check(many, Limits(max_triple_patterns=2000))
    check(many, LIMITS, update=True)  # updates: length and depth only


def test_real_queries_pass() -> None:
    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "queries").glob("*.rq"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        check(text, LIMITS)
        check(text, Limits(max_depth=8, max_triple_patterns=40))  # the named queries are nowhere near the limits
        with pytest.raises(QueryTooComplex, match="triple patterns"):  # and each has patterns that count
            check(text + "#" + " " * 64, Limits(max_triple_patterns=0))


# --------------------------------------------------------------------------- on a live server


def _pids(server: Server) -> set[int]:
    return set(descendants(server.process.pid))


def _client(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def test_nested_queries_answer_400_and_no_worker_dies(server: Server) -> None:
    before = _pids(server)
    for shape, make in SHAPES.items():
        text = make(10_000 if len(make(10_000)) <= LIMITS.max_length else 2_000)
        r = httpx.post(server.sparql, content=text, headers={"Content-Type": "application/sparql-query"}, timeout=30)
        assert r.status_code == 400, shape
        assert r.headers["content-type"].startswith("text/plain")
        assert "levels deep" in r.text or "characters long" in r.text, (shape, r.text)
    assert httpx.get(server.sparql, params={"query": "ASK {}"}).json() == {"head": {}, "boolean": True}
    assert _pids(server) == before  # no worker was killed or replaced


def _wait_for_workers(server: Server, n: int = 2) -> None:
    """Until the pool has ``n`` live workers again (replacements take a moment to start)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alive = [pid for pid in _pids(server) if Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"]
        if len(alive) >= n:
            time.sleep(0.3)  # and have said they are ready
            return
        time.sleep(0.05)
    raise AssertionError(f"the pool did not get its workers back: {_pids(server)}")


def _busiest(pids: set[int]) -> int:
    start = {pid: cpu_ticks([pid]) for pid in pids}
    time.sleep(0.3)
    return max(pids, key=lambda pid: cpu_ticks([pid]) - start[pid])


PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
ASK = "ASK { ?s ?p ?o }"


def test_a_worker_killed_mid_request_is_replaced_and_other_requests_succeed(server: Server) -> None:
    outcome: dict[str, int] = {}
    slow = threading.Thread(
        target=lambda: outcome.update(status=_client("127.0.0.5").get(server.sparql, params={"query": PATHOLOGICAL}).status_code)
    )
    slow.start()
    time.sleep(0.1)
    workers = _pids(server)
    victim = _busiest(workers)
    os.kill(victim, signal.SIGKILL)
    other = _client("127.0.0.6")
    statuses = []
    for _ in range(10):
        statuses.append(other.get(server.sparql, params={"query": ASK}).status_code)
    slow.join()
    assert outcome["status"] in (500, 503)  # the request that was on the killed worker fails, with a message
    assert statuses == [200] * 10
    # an idle worker killed from outside is noticed and replaced before a job is sent to it
    time.sleep(0.3)
    for pid in _pids(server):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert [other.get(server.sparql, params={"query": ASK}).status_code for _ in range(6)] == [200] * 6
    assert victim not in _pids(server)
    _wait_for_workers(server)


def test_long_queries_are_limited_per_client(server: Server) -> None:
    _wait_for_workers(server)
    results: list[httpx.Response] = []
    client = _client("127.0.0.7")
    threads = [threading.Thread(target=lambda: results.append(client.get(server.sparql, params={"query": PATHOLOGICAL})))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [r for r in results if "already has 1 long-running query" in r.text]
    assert len(refused) == 1 and refused[0].status_code == 503 and refused[0].headers["retry-after"].isdigit()
    assert "127.0.0.7" in refused[0].text
    timed_out = [r for r in results if r not in refused]
    assert timed_out[0].status_code == 503 and "time limit" in timed_out[0].text


def test_long_queries_are_limited_in_total_so_a_worker_stays_free(server: Server) -> None:
    _wait_for_workers(server)
    results: dict[str, httpx.Response] = {}
    threads = [
        threading.Thread(target=lambda a=a: results.update({a: _client(a).get(server.sparql, params={"query": PATHOLOGICAL})}))
        for a in ("127.0.0.8", "127.0.0.9")
    ]
    for t in threads:
        t.start()
    time.sleep(0.2)
    asker = _client("127.0.0.10")
    latencies = []
    while any(t.is_alive() for t in threads):
        start = time.monotonic()
        assert asker.get(server.sparql, params={"query": ASK}).status_code == 200
        latencies.append(time.monotonic() - start)
    for t in threads:
        t.join()
    texts = sorted(r.text for r in results.values())
    assert any("which allows 1 at once" in t for t in texts), texts  # the pool of 2 keeps one worker free
    assert all(r.status_code == 503 for r in results.values())
    assert len(latencies) >= 5


@pytest.fixture(scope="module")
def one_worker(ro_var: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One query worker, a short wait for it."""
    log = tmp_path_factory.mktemp("logs") / "one-worker.log"
    srv = start_server(ro_var, log, "--pool-size", "1", "--query-timeout", "3",
                       env={"KG_WORKER_WAIT": "0.5", "KG_MAX_LONG_QUERIES": "1"})
    yield srv
    stop_server(srv)


def test_no_worker_in_time_answers_503_with_retry_after(one_worker: Server) -> None:
    slow = threading.Thread(target=lambda: _client("127.0.0.11").get(one_worker.sparql, params={"query": PATHOLOGICAL}))
    slow.start()
    time.sleep(0.3)
    r = _client("127.0.0.12").get(one_worker.sparql, params={"query": ASK})
    slow.join()
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert "no query worker became free within 0.5 s" in r.text


# --------------------------------------------------------------------------- deadlines while answering

STREAMING = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
# a few hundred KiB of rows at once (more than a worker's 64 KiB chunk, less than the 1 MiB buffer),
# then a count that never ends
STALLING = (
    f"SELECT ?s WHERE {{ {{ SELECT ?s WHERE {{ GRAPH <{GRAPH_BENCH}> {{ ?s ?p ?o }} }} LIMIT 5000 }} UNION "
    "{ SELECT (COUNT(*) AS ?s) WHERE { ?a ?b ?c . ?d ?e ?f } } }"
)


def test_a_deadline_before_the_buffer_fills_is_a_real_503(server: Server) -> None:
    r = httpx.get(server.sparql, params={"query": STALLING}, headers={"Accept": "text/csv"}, timeout=30)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5" and "time limit" in r.text


def _raw_get(server: Server, target: str) -> bytes:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: text/csv\r\n\r\n".encode())
        data = bytearray()
        while chunk := sock.recv(1 << 16):
            data += chunk
    return bytes(data)


def test_a_deadline_while_streaming_leaves_no_clean_end(server: Server) -> None:
    # as the bytes on the wire: a chunked body without its terminating zero-length chunk
    data = _raw_get(server, "/sparql?query=" + quote(STREAMING))
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in head.lower()
    assert len(body) > 1 << 20
    assert not body.endswith(b"0\r\n\r\n")
    # and as curl sees it: an error exit (18: partial file), not a clean end
    curl = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-H", "Accept: text/csv",
                           server.sparql + "?query=" + quote(STREAMING)], capture_output=True, text=True, timeout=60)
    assert curl.returncode != 0, curl.stderr
    # and Python's own http.client
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys, urllib.request\n"
         "try:\n urllib.request.urlopen(sys.argv[1], timeout=30).read()\nexcept Exception as e:\n print(type(e).__name__); sys.exit(1)",
         server.sparql + "?query=" + quote(STREAMING)],
        capture_output=True, text=True, timeout=60,
    )
    assert probe.returncode == 1 and "IncompleteRead" in probe.stdout, probe.stdout + probe.stderr
