"""The SPARQL 1.1 Protocol at /sparql, with httpx against a live read-only server."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from weblive import GRAPH_A, GRAPH_B, GRAPH_BENCH, GRAPH_COUNTRY, Server

KG = "https://w3id.org/euprojects/def#"
PROJECTS = f"SELECT ?p ?acr WHERE {{ ?p a <{KG}Project> ; <{KG}acronym> ?acr }} ORDER BY ?acr"
ASK = f"ASK {{ ?p <{KG}acronym> \"IC4LOP\" }}"
CONSTRUCT = f"CONSTRUCT {{ ?p <{KG}acronym> ?acr }} WHERE {{ ?p a <{KG}Project> ; <{KG}acronym> ?acr }}"
ACRONYMS = ["ECCIPA", "IC4LOP", "LIAISON"]

RESULTS_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def get(server: Server, query: str | None = None, *, accept: str | None = None, **params: object) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    if query is not None:
        params["query"] = query
    return httpx.get(server.sparql, params=params, headers=headers, timeout=30)  # type: ignore[arg-type]


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


def acronyms(solutions: ox.QuerySolutions) -> list[str]:
    return sorted(s["acr"].value for s in solutions)


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("mime", list(RESULTS_TYPES))
def test_select_in_every_results_format(server: Server, mime: str) -> None:
    r = get(server, PROJECTS, accept=mime)
    assert r.status_code == 200, r.text
    assert media(r) == mime
    assert "Accept" in r.headers["vary"]
    if mime == "text/csv":  # lossy: pyoxigraph does not parse it back
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert sorted(row["acr"] for row in rows) == ACRONYMS
        return
    parsed = ox.parse_query_results(r.content, format=RESULTS_TYPES[mime])
    assert acronyms(parsed) == ACRONYMS  # type: ignore[arg-type]


@pytest.mark.parametrize("mime", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask_in_results_formats(server: Server, mime: str) -> None:
    r = get(server, ASK, accept=mime)
    assert r.status_code == 200 and media(r) == mime
    assert bool(ox.parse_query_results(r.content, format=RESULTS_TYPES[mime])) is True


@pytest.mark.parametrize("mime", ["text/csv", "text/tab-separated-values"])
def test_ask_in_csv_tsv(server: Server, mime: str) -> None:
    r = get(server, ASK, accept=mime)
    assert r.status_code == 200 and media(r) == mime
    assert "true" in r.text


@pytest.mark.parametrize("mime", list(RDF_TYPES))
def test_construct_in_every_rdf_format(server: Server, mime: str) -> None:
    r = get(server, CONSTRUCT, accept=mime)
    assert r.status_code == 200, r.text
    assert media(r) == mime
    quads = list(ox.parse(r.content, format=RDF_TYPES[mime]))
    assert sorted(q.object.value for q in quads) == ACRONYMS


def test_describe(server: Server) -> None:
    r = get(server, "DESCRIBE <https://w3id.org/euprojects/id/project/ic4lop>")
    assert r.status_code == 200 and media(r) == "text/turtle"
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    assert (None, rdflib.URIRef(KG + "acronym"), rdflib.Literal("IC4LOP")) in g


def test_defaults_json_and_turtle(server: Server) -> None:
    assert media(get(server, PROJECTS)) == "application/sparql-results+json"
    assert media(get(server, PROJECTS, accept="*/*")) == "application/sparql-results+json"
    assert media(get(server, CONSTRUCT)) == "text/turtle"
    assert media(get(server, CONSTRUCT, accept="*/*")) == "text/turtle"


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        (PROJECTS, "application/sparql-results+xml;q=0.5, text/csv;q=0.9", "text/csv"),
        (PROJECTS, "text/*;q=0.8, application/sparql-results+json;q=0.1", "text/csv"),
        (PROJECTS, "text/tab-separated-values, */*;q=0.1", "text/tab-separated-values"),
        (PROJECTS, "application/json", "application/json"),
        (PROJECTS, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
        (PROJECTS, "text/csv;q=0, */*", "application/sparql-results+json"),
        (CONSTRUCT, "application/rdf+xml;q=0.2, application/n-triples", "application/n-triples"),
        (CONSTRUCT, "application/ld+json;q=0.9, text/turtle;q=0.3", "application/ld+json"),
        (CONSTRUCT, "application/*", "application/n-triples"),
    ],
)
def test_q_value_negotiation(server: Server, query: str, accept: str, expected: str) -> None:
    r = get(server, query, accept=accept)
    assert r.status_code == 200, r.text
    assert media(r) == expected


@pytest.mark.parametrize(
    ("query", "fmt", "expected"),
    [
        (PROJECTS, "csv", "text/csv"),
        (PROJECTS, "tsv", "text/tab-separated-values"),
        (PROJECTS, "xml", "application/sparql-results+xml"),
        (PROJECTS, "json", "application/sparql-results+json"),
        (CONSTRUCT, "xml", "application/rdf+xml"),
        (CONSTRUCT, "nt", "application/n-triples"),
        (CONSTRUCT, "jsonld", "application/ld+json"),
        (CONSTRUCT, "application/trig", "application/trig"),
    ],
)
def test_format_parameter_overrides_accept(server: Server, query: str, fmt: str, expected: str) -> None:
    r = get(server, query, accept="application/sparql-results+json, text/turtle", format=fmt)
    assert r.status_code == 200, r.text
    assert media(r) == expected


def test_406_names_what_is_available(server: Server) -> None:
    r = get(server, PROJECTS, accept="text/turtle")
    assert r.status_code == 406
    assert media(r) == "text/plain"
    assert "SELECT" in r.text and "text/csv" in r.text and "application/sparql-results+json" in r.text
    r = get(server, CONSTRUCT, accept="application/sparql-results+json")
    assert r.status_code == 406 and "text/turtle" in r.text
    r = get(server, CONSTRUCT, format="csv")
    assert r.status_code == 406 and "format=csv" in r.text


def test_400_carries_the_parser_message(server: Server) -> None:
    r = get(server, "SELECT ?x WHERE { ?x ?y }")
    assert r.status_code == 400
    assert media(r) == "text/plain"
    assert "error" in r.text.lower() and "1:" in r.text  # line:column from Oxigraph's parser
    r = httpx.get(server.sparql, params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert r.status_code == 400 and "once" in r.text


# --------------------------------------------------------------------------- transport


def test_post_form_and_direct(server: Server) -> None:
    r = httpx.post(server.sparql, data={"query": PROJECTS}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and media(r) == "text/csv"
    assert r.text.splitlines()[0] == "p,acr"
    r = httpx.post(
        server.sparql,
        content=PROJECTS.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200
    assert [b["acr"]["value"] for b in r.json()["results"]["bindings"]] == ACRONYMS
    r = httpx.post(server.sparql, content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_head(server: Server) -> None:
    r = httpx.head(server.sparql, params={"query": PROJECTS}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and media(r) == "text/csv" and r.content == b""
    r = httpx.head(server.sparql)
    assert r.status_code == 200 and media(r) == "text/turtle" and r.content == b""
    r = httpx.head(server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 200  # a big result: the worker is stopped, not drained
    assert get(server, ASK).status_code == 200


def test_cors(server: Server) -> None:
    r = httpx.options(
        server.sparql,
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    r = httpx.get(server.sparql, params={"query": ASK}, headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"


# --------------------------------------------------------------------------- dataset


def _count(server: Server, query: str, **params: object) -> int:
    r = get(server, query, accept="application/sparql-results+json", **params)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_default_graph_is_the_union(server: Server) -> None:
    projects = f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a <{KG}Project> }}"
    assert _count(server, projects) == 3
    assert _count(server, projects, **{"default-graph-uri": GRAPH_A}) == 2
    assert _count(server, projects, **{"default-graph-uri": [GRAPH_A, GRAPH_B]}) == 3
    # only named graphs given: the default graph is empty (SPARQL Protocol 2.1.4)
    assert _count(server, projects, **{"named-graph-uri": GRAPH_B}) == 0


def test_named_graph_uri(server: Server) -> None:
    q = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert _count(server, q) == 4
    assert _count(server, q, **{"named-graph-uri": [GRAPH_A, GRAPH_COUNTRY]}) == 2
    assert _count(server, q, **{"default-graph-uri": GRAPH_A}) == 0


def test_from_clause_is_not_overridden_by_the_union(server: Server) -> None:
    q = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH_COUNTRY}> WHERE {{ ?c a <http://www.w3.org/2004/02/skos/core#Concept> }}"
    assert _count(server, q) == 6
    q = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH_B}> WHERE {{ ?c a <http://www.w3.org/2004/02/skos/core#Concept> }}"
    assert _count(server, q) == 0


def test_bad_graph_iri(server: Server) -> None:
    r = get(server, ASK, **{"default-graph-uri": "not an iri"})
    assert r.status_code == 400


# --------------------------------------------------------------------------- service description


def test_service_description(server: Server) -> None:
    r = httpx.get(server.sparql)
    assert r.status_code == 200 and media(r) == "text/turtle"
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = g.value(predicate=rdflib.RDF.type, object=sd.Service)
    assert service is not None
    assert g.value(service, sd.endpoint) == rdflib.URIRef(server.sparql)
    assert set(g.objects(service, sd.supportedLanguage)) == {sd.SPARQL11Query}
    assert sd.UnionDefaultGraph in set(g.objects(service, sd.feature))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV") in set(g.objects(service, sd.resultFormat))
    dataset = g.value(service, sd.defaultDataset)
    names = {str(g.value(ng, sd.name)) for ng in g.objects(dataset, sd.namedGraph)}
    assert names == {GRAPH_A, GRAPH_B, GRAPH_COUNTRY, GRAPH_BENCH}
    assert g.value(dataset, sd.defaultGraph) is not None


@pytest.mark.parametrize("mime", ["application/ld+json", "application/n-triples", "application/rdf+xml", "application/trig"])
def test_service_description_conneg(server: Server, mime: str) -> None:
    r = httpx.get(server.sparql, headers={"Accept": mime})
    assert r.status_code == 200 and media(r) == mime
    quads = list(ox.parse(r.content, format=RDF_TYPES[mime]))
    assert any(q.object == ox.NamedNode("http://www.w3.org/ns/sparql-service-description#Service") for q in quads)
    assert httpx.get(server.sparql, headers={"Accept": "text/csv"}).status_code == 406


# --------------------------------------------------------------------------- read-only


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/sparql", {"data": {"update": "CLEAR ALL"}}),
        ("/update", {"data": {"update": "CLEAR ALL"}}),
        ("/update", {"content": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}}),
        ("/sparql", {"content": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update", "Authorization": "Bearer guess"}}),
    ],
)
def test_updates_refused_without_a_configured_token(server: Server, path: str, kwargs: dict[str, object]) -> None:
    r = httpx.post(server.url + path, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 403
    assert "read-only" in r.text
    assert _count(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") > 100_000


def test_update_by_get_is_refused(server: Server) -> None:
    assert httpx.get(server.sparql, params={"update": "CLEAR ALL"}).status_code == 405


def test_graph_store_is_readable_not_writable(server: Server) -> None:
    r = httpx.get(server.url + "/store", params={"graph": GRAPH_COUNTRY}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and media(r) == "application/n-triples"
    assert len(list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))) == 18
    assert httpx.get(server.url + "/store", params={"graph": "http://example.org/none"}).status_code == 404
    r = httpx.put(server.url + "/store", params={"graph": GRAPH_COUNTRY}, content=b"", headers={"Content-Type": "text/turtle"})
    assert r.status_code == 403
    assert httpx.delete(server.url + "/store", params={"graph": GRAPH_COUNTRY}).status_code == 403


def test_json_results_are_valid_json_for_a_big_result(server: Server) -> None:
    r = get(server, f"SELECT ?s ?v WHERE {{ GRAPH <{GRAPH_BENCH}> {{ ?s ?p ?v }} }} LIMIT 20000")
    data = json.load(io.BytesIO(r.content))
    assert len(data["results"]["bindings"]) == 20000
