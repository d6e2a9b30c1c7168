"""SERVICE and LOAD reach only allowlisted hosts — checked against a canary HTTP server that
counts what reaches it (pyoxigraph does make these HTTP calls when a query gets through)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from weblive import Server, start_server, stop_server

RESULT = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"from the remote"}}]}}'


class Canary:
    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hits.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(RESULT)))
                self.end_headers()
                self.wfile.write(RESULT)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def canaries() -> Iterator[tuple[Canary, Canary]]:
    bad, good = Canary(), Canary()
    yield bad, good
    bad.close()
    good.close()


@pytest.fixture(scope="module")
def fed_server(ro_var: Path, canaries: tuple[Canary, Canary], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A read-only server whose allowlist holds the 'good' canary (host:port) only."""
    _, good = canaries
    log = tmp_path_factory.mktemp("logs") / "fed-server.log"
    srv = start_server(ro_var, log, "--pool-size", "1", "--allow-service", f"127.0.0.1:{good.port}")
    yield srv
    stop_server(srv)


def tricks(url: str) -> list[str]:
    """Ways to write a SERVICE call that Oxigraph's parser accepts (all checked to reach a server)."""
    return [
        f"SELECT * {{ SERVICE <{url}/plain> {{ ?x ?y ?z }} }}",
        f"select * {{ service silent <{url}/lower> {{ }} }}",
        f"SELECT * {{ SERVICE<{url}/glued>{{ }} }}",
        f"PREFIX ex: <{url}/> SELECT * {{ SERVICEex:glued-pname {{ }} }}",
        f"PREFIX : <{url}/> SELECT * {{ service:split {{ }} }}",
        f"SELECT * {{ ?s ?p 1SERVICE <{url}/after-number> {{ }} }}",
        f"SELECT * {{ ?s ?p trueSERVICE <{url}/after-true> {{ }} }}",
        f"SELECT * {{ SERVICESILENT<{url}/silent-glued> {{ }} }}",
        f"SELECT * {{ ?s ?p ?o FILTER(?o<?o)SERVICE#>\n<{url}/behind-comparison> {{ }} }}",
        f"SELECT * {{ ?s ?p ?o FILTER(?o<?o||'>') SERVICE <{url}/behind-string> {{ }} }}",
        f"PREFIXex:<{url}/> SELECT * {{ SERVICE ex:prefix-glued {{ }} }}",
        f"SELECT * {{ SERVICE <{url}/\\u0075char> {{ }} }}",
        f"BASE <{url}/> SELECT * {{ SERVICE <relative> {{ }} }}",
        f"SELECT * {{ {{ SELECT * {{ SERVICE <{url}/subquery> {{ }} }} }} }}",
        f"SELECT * {{ VALUES ?e {{ <{url}/variable> }} LATERAL {{ SERVICE ?e {{ }} }} }}",
        f"SELECT * {{ VALUES ?e {{ <{url}/exists> }} FILTER EXISTS {{ SERVICE ?e {{ }} }} }}",
    ]


def test_service_to_other_hosts_is_refused(server: Server, canaries: tuple[Canary, Canary]) -> None:
    bad, _ = canaries
    for query in tricks(bad.url):
        r = httpx.get(server.sparql, params={"query": query})
        assert r.status_code == 403, (query, r.status_code, r.text)
        assert r.headers["content-type"].startswith("text/plain")
    assert bad.hits == []
    r = httpx.get(server.sparql, params={"query": tricks(bad.url)[0]})
    assert "127.0.0.1" in r.text and "allowlist" in r.text


def test_service_to_metadata_endpoint_is_refused(server: Server) -> None:
    r = httpx.post(server.sparql, data={"query": "SELECT * { SERVICE <http://169.254.169.254/latest/> { ?s ?p ?o } }"})
    assert r.status_code == 403 and "169.254.169.254" in r.text


def test_queries_mentioning_service_still_run(server: Server) -> None:
    for query in [
        "SELECT ?service WHERE { ?service ?p ?o } LIMIT 1",
        'SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "self-service loading")) } LIMIT 1',
        "SELECT * WHERE { ?s a <http://www.w3.org/ns/sparql-service-description#Service> }",
    ]:
        assert httpx.get(server.sparql, params={"query": query}).status_code == 200, query


def test_allowlisted_service_goes_through(fed_server: Server, canaries: tuple[Canary, Canary]) -> None:
    bad, good = canaries
    r = httpx.get(fed_server.sparql, params={"query": f"SELECT ?x WHERE {{ SERVICE <{good.url}/sparql> {{ ?x ?y ?z }} }}"})
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"] == [{"x": {"type": "literal", "value": "from the remote"}}]
    assert good.hits == ["/sparql"]
    for query in tricks(bad.url):
        assert httpx.get(fed_server.sparql, params={"query": query}).status_code == 403, query
    assert bad.hits == []
    r = httpx.get(fed_server.sparql, headers={"Accept": "application/n-triples"})
    assert "BasicFederatedQuery" in r.text


def test_the_tricks_do_reach_a_server_when_not_checked() -> None:
    """Guards against a vacuous test: given straight to pyoxigraph, every trick calls out."""
    import pyoxigraph as ox

    canary = Canary()
    try:
        store = ox.Store()
        for query in tricks(canary.url):
            before = len(canary.hits)
            try:
                list(store.query(query))  # type: ignore[arg-type]
            except (OSError, SyntaxError, RuntimeError):
                pass
            assert len(canary.hits) == before + 1, query
    finally:
        canary.close()
