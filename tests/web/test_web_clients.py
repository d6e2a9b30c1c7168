"""Common SPARQL clients against the live endpoint: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import urllib.error

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized
from weblive import GRAPH_A, TOKEN, Server

KG = "https://w3id.org/euprojects/def#"
SELECT = f"SELECT ?p ?acr WHERE {{ ?p a <{KG}Project> ; <{KG}acronym> ?acr }} ORDER BY ?acr"
CONSTRUCT = f"CONSTRUCT {{ ?p <{KG}acronym> ?acr }} WHERE {{ ?p <{KG}acronym> ?acr }}"
ACRONYMS = ["ECCIPA", "IC4LOP", "LIAISON"]


def wrapper(server: Server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    sw = SPARQLWrapper(server.sparql)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


# --------------------------------------------------------------------------- SPARQLWrapper


@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_select_json(server: Server, method: str) -> None:
    result = wrapper(server, SELECT, JSON, method).queryAndConvert()
    assert [b["acr"]["value"] for b in result["results"]["bindings"]] == ACRONYMS  # type: ignore[index]


def test_sparqlwrapper_select_xml_csv_tsv(server: Server) -> None:
    doc = wrapper(server, SELECT, XML).queryAndConvert()
    assert sorted(n.firstChild.data for n in doc.getElementsByTagName("literal")) == ACRONYMS  # type: ignore[union-attr]
    csv_text = wrapper(server, SELECT, CSV).queryAndConvert().decode()  # type: ignore[union-attr]
    assert csv_text.splitlines()[0] == "p,acr" and "IC4LOP" in csv_text
    tsv_text = wrapper(server, SELECT, TSV).queryAndConvert().decode()  # type: ignore[union-attr]
    assert tsv_text.splitlines()[0] == "?p\t?acr" and '"IC4LOP"' in tsv_text


def test_sparqlwrapper_ask(server: Server) -> None:
    assert wrapper(server, f'ASK {{ ?p <{KG}acronym> "IC4LOP" }}', JSON).queryAndConvert()["boolean"] is True  # type: ignore[index]
    assert wrapper(server, f'ASK {{ ?p <{KG}acronym> "NOPE" }}', XML).query().convert() is not None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("fmt", [TURTLE, XML, N3, JSONLD])
def test_sparqlwrapper_construct(server: Server, fmt: str) -> None:
    graph = wrapper(server, CONSTRUCT, fmt).queryAndConvert()
    if isinstance(graph, bytes):  # TURTLE / N3 come back as bytes: parse them ourselves
        graph = rdflib.Graph().parse(data=graph, format="turtle" if fmt == TURTLE else "n3")
    assert isinstance(graph, rdflib.Graph)
    assert sorted(str(o) for o in graph.objects()) == ACRONYMS


def test_sparqlwrapper_bad_query(server: Server) -> None:
    with pytest.raises(QueryBadFormed):
        wrapper(server, "SELECT WHERE {", JSON).query()


def test_sparqlwrapper_update(server: Server, rw_server: Server) -> None:
    update = 'INSERT DATA { GRAPH <http://example.org/sw> { <http://example.org/a> <http://example.org/p> "sw" } }'
    sw = SPARQLWrapper(server.sparql, updateEndpoint=server.url + "/update")
    sw.setMethod(POST)
    sw.setQuery(update)
    with pytest.raises(urllib.error.HTTPError) as info:  # SPARQLWrapper passes a 403 through
        sw.query()
    assert info.value.code == 403

    sw = SPARQLWrapper(rw_server.sparql, updateEndpoint=rw_server.url + "/update")
    sw.setMethod(POST)
    sw.setQuery(update)
    with pytest.raises(Unauthorized):
        sw.query()
    sw.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    assert sw.query().response.status == 204
    check = wrapper(rw_server, 'ASK { GRAPH <http://example.org/sw> { ?s ?p "sw" } }', JSON).queryAndConvert()
    assert check["boolean"] is True  # type: ignore[index]


# --------------------------------------------------------------------------- rdflib SPARQLStore


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(server: Server, method: str) -> None:
    graph = rdflib.Graph(store=SPARQLStore(server.sparql, method=method))
    rows = list(graph.query(SELECT))
    assert [str(row.acr) for row in rows] == ACRONYMS  # type: ignore[union-attr]
    assert bool(graph.query(f'ASK {{ ?p <{KG}acronym> "ECCIPA" }}').askAnswer) is True
    constructed = graph.query(CONSTRUCT).graph
    assert constructed is not None and sorted(str(o) for o in constructed.objects()) == ACRONYMS


def test_rdflib_sparqlstore_triples_and_named_graph(server: Server) -> None:
    store = SPARQLStore(server.sparql)
    named = rdflib.Graph(store=store, identifier=rdflib.URIRef(GRAPH_A))
    acronyms = sorted(str(o) for o in named.objects(None, rdflib.URIRef(KG + "acronym")))
    assert acronyms == ["IC4LOP", "LIAISON"]
    everything = rdflib.Graph(store=SPARQLStore(server.sparql))  # the default graph: the union
    assert len(list(everything.triples((None, rdflib.URIRef(KG + "acronym"), None)))) == 3


def test_rdflib_sparqlupdatestore(rw_server: Server) -> None:
    store = SPARQLUpdateStore(
        rw_server.sparql, rw_server.url + "/update", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    graph = rdflib.Graph(store=store, identifier=rdflib.URIRef("http://example.org/rdflib"))
    graph.add((rdflib.URIRef("http://example.org/s"), rdflib.URIRef("http://example.org/p"), rdflib.Literal("via rdflib")))
    assert (None, None, rdflib.Literal("via rdflib")) in graph
    assert len(graph) == 1


# --------------------------------------------------------------------------- the kg command as a client


def test_kg_query_and_stats_take_an_endpoint_url(server: Server) -> None:
    """``--store http://…/sparql`` reads a live endpoint (it was typed as a path: ``no store at http:/…``)."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", "--store", server.sparql, SELECT, "-f", "csv"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert [line.split(",")[1] for line in proc.stdout.splitlines()[1:]] == ACRONYMS
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", "--store", "/nonexistent/store", "ASK {}"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and "No store at /nonexistent/store" in proc.stderr
