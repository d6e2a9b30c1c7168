"""With a token: SPARQL Update and the Graph Store Protocol (store opened read-write)."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest
from weblive import GRAPH_COUNTRY, TOKEN, Server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
G = "https://w3id.org/euprojects/graph/test/written"
TTL = b'@prefix ex: <http://example.org/> .\nex:a ex:p "one" .\nex:b ex:p "two" .\n'


def count(server: Server, where: str) -> int:
    r = httpx.get(server.sparql, params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 403), ({"Authorization": f"Basic {TOKEN}"}, 401)],
)
def test_update_needs_the_right_token(rw_server: Server, headers: dict[str, str], status: int) -> None:
    r = httpx.post(rw_server.url + "/update", data={"update": "CLEAR ALL"}, headers=headers)
    assert r.status_code == status
    if status == 401:
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert count(rw_server, "GRAPH ?g { ?s ?p ?o }") > 0


def test_update_with_token(rw_server: Server) -> None:
    update = f'INSERT DATA {{ GRAPH <{G}> {{ <http://example.org/x> <http://example.org/p> "via update" }} }}'
    r = httpx.post(rw_server.sparql, data={"update": update}, headers=AUTH)
    assert r.status_code == 204, r.text
    assert count(rw_server, f"GRAPH <{G}> {{ ?s ?p ?o }}") == 1
    r = httpx.post(
        rw_server.url + "/update",
        content=f"DROP GRAPH <{G}>".encode(),
        headers={**AUTH, "Content-Type": "application/sparql-update"},
    )
    assert r.status_code == 204
    assert count(rw_server, f"GRAPH <{G}> {{ ?s ?p ?o }}") == 0
    r = httpx.post(rw_server.url + "/update", data={"update": "INSERT DATA { <x> }"}, headers=AUTH)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")


def test_service_description_says_update(rw_server: Server) -> None:
    r = httpx.get(rw_server.sparql, headers={"Accept": "application/n-triples"})
    assert "sparql-service-description#SPARQL11Update" in r.text
    assert "sparql-service-description#BasicFederatedQuery" in r.text


def test_graph_store_protocol(rw_server: Server) -> None:
    store = rw_server.url + "/store"
    turtle = {**AUTH, "Content-Type": "text/turtle"}
    assert httpx.put(store, params={"graph": G}, content=TTL, headers={"Content-Type": "text/turtle"}).status_code == 401
    assert httpx.put(store, params={"graph": G}, content=TTL, headers={**turtle, "Authorization": "Bearer no"}).status_code == 403

    r = httpx.put(store, params={"graph": G}, content=TTL, headers=turtle)
    assert r.status_code == 201, r.text
    r = httpx.get(store, params={"graph": G})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert len(list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))) == 2
    assert httpx.head(store, params={"graph": G}).status_code == 200

    r = httpx.put(store, params={"graph": G}, content=b"<http://example.org/c> <http://example.org/p> 3 .", headers=turtle)
    assert r.status_code == 204
    assert count(rw_server, f"GRAPH <{G}> {{ ?s ?p ?o }}") == 1  # replaced
    r = httpx.post(store, params={"graph": G}, content=TTL, headers={**AUTH, "Content-Type": "application/n-triples"})
    assert r.status_code == 400  # Turtle prefixes are not N-Triples
    r = httpx.post(store, params={"graph": G}, content=TTL, headers=turtle)
    assert r.status_code == 204
    assert count(rw_server, f"GRAPH <{G}> {{ ?s ?p ?o }}") == 3  # merged

    assert httpx.delete(store, params={"graph": G}).status_code == 401
    assert httpx.delete(store, params={"graph": G}, headers=AUTH).status_code == 204
    assert httpx.get(store, params={"graph": G}).status_code == 404
    assert httpx.delete(store, params={"graph": G}, headers=AUTH).status_code == 404

    # the store's own default graph
    assert httpx.put(store, params={"default": ""}, content=TTL, headers=turtle).status_code == 204
    r = httpx.get(store, params={"default": ""}, headers={"Accept": "application/n-triples"})
    assert len(r.text.strip().splitlines()) == 2
    assert httpx.delete(store, params={"default": ""}, headers=AUTH).status_code == 204
    assert httpx.get(store, params={"default": ""}, headers={"Accept": "application/n-triples"}).text.strip() == ""

    # the whole dataset
    r = httpx.get(store, headers={"Accept": "application/n-quads"})
    assert r.status_code == 200 and GRAPH_COUNTRY in r.text
    nq = f"<http://example.org/q> <http://example.org/p> \"q\" <{G}> .\n".encode()
    r = httpx.post(store, content=nq, headers={**AUTH, "Content-Type": "application/n-quads"})
    assert r.status_code == 204
    assert count(rw_server, f"GRAPH <{G}> {{ ?s ?p ?o }}") == 1
    assert httpx.put(store, content=nq, headers={**AUTH, "Content-Type": "application/n-quads"}).status_code == 400
    r = httpx.put(store, params={"graph": G}, content=b"x", headers={**AUTH, "Content-Type": "application/pdf"})
    assert r.status_code == 415


def test_load_and_service_outside_the_allowlist_are_refused(rw_server: Server) -> None:
    r = httpx.post(rw_server.url + "/update", data={"update": "LOAD <http://169.254.169.254/latest/meta-data>"}, headers=AUTH)
    assert r.status_code == 403 and "169.254.169.254" in r.text
    update = "INSERT { ?s ?p ?o } WHERE { SERVICE <http://evil.example.com/sparql> { ?s ?p ?o } }"
    r = httpx.post(rw_server.url + "/update", data={"update": update}, headers=AUTH)
    assert r.status_code == 403 and "evil.example.com" in r.text


def test_graph_store_reads_need_no_token_only_writes_do(rw_server: Server) -> None:
    """As the README says: GET / HEAD on /store are public (like /sparql), even when the server has a token."""
    store = rw_server.url + "/store"
    r = httpx.get(store, params={"default": ""}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-triples")
    assert httpx.get(store, params={"graph": GRAPH_COUNTRY}).status_code == 200
    assert httpx.head(store, params={"graph": GRAPH_COUNTRY}).status_code == 200
    assert httpx.get(store, headers={"Accept": "application/n-quads"}).status_code == 200
    r = httpx.put(store, params={"default": ""}, content=TTL, headers={"Content-Type": "text/turtle"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert httpx.post(store, params={"default": ""}, content=TTL, headers={"Content-Type": "text/turtle"}).status_code == 401
    assert httpx.delete(store, params={"graph": GRAPH_COUNTRY}).status_code == 401


def test_the_site_keeps_answering_with_writes_enabled(rw_server: Server) -> None:
    """--token: REST lists, statistics, search and the HTML lists come from the release's read model
    (no store opened in the web process), so they answer while the worker holds the store read-write."""
    paths = ["/api/projects?per_page=2", "/api/stats", "/api/countries", "/api/sdgs", "/api/organisations", "/api/search?q=erasmus"]
    # and the pages that read SPARQL: through the worker pool (the one holding the store), under its deadline
    pages = ["/api/projects/ic4lop", "/api/programmes", "/api/countries/ITA", "/doc/project/ic4lop", "/programmes", "/countries/ITA"]
    for path in [*paths, "/", "/projects", "/organisations", "/countries", "/sdgs", *pages]:
        r = httpx.get(rw_server.url + path, headers={"Accept": "application/json" if path.startswith("/api") else "text/html"})
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert httpx.get(rw_server.url + "/api/stats").json()["totals"]["projects"] > 0
