"""Linked data: /id/... → 303 → /doc/..., content negotiation, ETag / Last-Modified / 304, 404s."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from conftest_facade import (  # noqa: F401 - fixtures
    BASE,
    COUNTRY,
    ECCIPA,
    IC4LOP,
    KG,
    facade_client,
    facade_server,
    facade_store,
)

FORMATS = {
    "text/turtle": ("turtle", "ttl"),
    "application/ld+json": ("json-ld", "jsonld"),
    "application/n-triples": ("nt", "nt"),
    "application/rdf+xml": ("xml", "rdf"),
}


def to_rdflib(term: ox.NamedNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(rdflib.XSD.string):
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def parse(response, fmt: str) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=response.content, format=fmt)
    return g


def test_entity_uri_redirects_303_to_its_document(facade_client):
    r = facade_client.get("/id/project/ic4lop", headers={"Accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"] == "/doc/project/ic4lop"
    page = facade_client.get(r.headers["location"], headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "IC4LOP – International Citizens for Local Perspectives" in html
    assert "15 January 2019" in html and "14 January 2021" in html  # dates, day precision
    assert 'datetime="2019-01-15"' in html
    assert "Erasmus+ (2014–2020)" in html and "Social inclusion through education, training and youth" in html  # programme chain
    assert "10–20" in html and "stakeholders" in html and "per country" in html  # indicators
    assert "/doc/programme/erasmus-plus-2014-2020" in html  # linked, on this server
    # query strings survive the redirect
    assert facade_client.get("/id/project/ic4lop?lang=it").headers["location"] == "/doc/project/ic4lop?lang=it"


def test_turtle_parses_and_holds_the_projects_triples(facade_client, facade_store):
    r = facade_client.get("/doc/project/ic4lop", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert r.headers["content-location"] == "/doc/project/ic4lop.ttl"
    g = parse(r, "turtle")
    project = rdflib.URIRef(IC4LOP)
    # every triple the store has about the project, from any graph
    stored = list(facade_store.query(f"SELECT ?p ?o WHERE {{ <{IC4LOP}> ?p ?o }}"))
    assert len(stored) > 20
    for row in stored:
        p, obj = rdflib.URIRef(row["p"].value), to_rdflib(row["o"])
        assert (project, p, obj) in g, (p, obj)
    # owned parts: a result with its range, the activities
    result3 = rdflib.URIRef(IC4LOP + "/result/3")
    assert (result3, rdflib.URIRef(KG + "minQuantity"), rdflib.Literal(10)) in g
    assert (result3, rdflib.URIRef(KG + "maxQuantity"), rdflib.Literal(20)) in g
    assert (rdflib.URIRef(IC4LOP + "/activity/2"), rdflib.URIRef(KG + "duration"), None) in g
    # labels of what it links to
    italy = rdflib.URIRef(COUNTRY + "ITA")
    assert (italy, rdflib.SKOS.prefLabel, rdflib.Literal("Italia", lang="it")) in g
    programme = rdflib.URIRef(BASE + "id/programme/erasmus-plus-ka3-social-inclusion")
    assert (programme, rdflib.RDFS.label, None) in g
    # but not the linked entities' other facts
    assert (italy, rdflib.SKOS.inScheme, None) not in g


@pytest.mark.parametrize("media", sorted(FORMATS))
def test_every_rdf_format_by_accept_and_by_suffix(facade_client, media):
    rdflib_format, suffix = FORMATS[media]
    by_accept = facade_client.get("/doc/project/2020-1-DE02-KA202-007701", headers={"Accept": media})
    assert by_accept.status_code == 200 and by_accept.headers["content-type"].startswith(media)
    assert "Accept" in by_accept.headers["vary"]
    by_suffix = facade_client.get(f"/doc/project/2020-1-DE02-KA202-007701.{suffix}", headers={"Accept": "text/html"})
    assert by_suffix.status_code == 200 and by_suffix.headers["content-type"].startswith(media)
    g1, g2 = parse(by_accept, rdflib_format), parse(by_suffix, rdflib_format)
    assert len(g1) == len(g2) > 30
    grant = rdflib.URIRef(ECCIPA + "/grant")
    assert (grant, rdflib.URIRef(KG + "grantNumber"), rdflib.Literal("2020-1-DE02-KA202-007701")) in g1
    start = rdflib.Literal("2020-12", datatype=rdflib.XSD.gYearMonth)
    assert (rdflib.URIRef(ECCIPA), rdflib.URIRef(KG + "startDate"), start) in g1


def test_negotiation_honours_q_values(facade_client):
    def kind(accept: str) -> str:
        r = facade_client.get("/doc/project/ic4lop", headers={"Accept": accept})
        return f"{r.status_code} {r.headers['content-type'].split(';')[0]}"

    assert kind("text/html;q=0.5, text/turtle") == "200 text/turtle"
    assert kind("text/turtle;q=0.4, application/ld+json;q=0.8") == "200 application/ld+json"
    assert kind("application/rdf+xml, text/*;q=0.1") == "200 application/rdf+xml"
    assert kind("*/*") == "200 text/html"
    assert kind("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") == "200 text/html"  # a browser
    assert kind("image/png") == "406 application/problem+json"
    assert facade_client.get("/doc/project/ic4lop.html", headers={"Accept": "text/turtle"}).headers["content-type"].startswith("text/html")


def test_etag_last_modified_and_304(facade_client, facade_server):
    r = facade_client.get("/doc/project/ic4lop", headers={"Accept": "text/turtle"})
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    same = facade_client.get("/doc/project/ic4lop", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    listed = facade_client.get("/doc/project/ic4lop", headers={"Accept": "text/turtle", "If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304
    since = facade_client.get("/doc/project/ic4lop.ttl", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    older = facade_client.get("/doc/project/ic4lop.ttl", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status_code == 200
    # If-None-Match wins over If-Modified-Since
    stale = facade_client.get("/doc/project/ic4lop.ttl", headers={"If-None-Match": '"stale"', "If-Modified-Since": modified})
    assert stale.status_code == 200
    # the ETag depends on the format, the path and the build
    html = facade_client.get("/doc/project/ic4lop", headers={"Accept": "text/html"})
    assert html.headers["etag"] != etag
    assert facade_client.get("/doc/project/liaison.ttl").headers["etag"] != etag
    assert facade_client.get("/doc/project/ic4lop.ttl").headers["etag"] == etag
    facade_server.set_build_id("20991231T235959.000000Z-abcdef")
    try:
        rebuilt = facade_client.get("/doc/project/ic4lop", headers={"Accept": "text/turtle", "If-None-Match": etag})
        assert rebuilt.status_code == 200 and rebuilt.headers["etag"] != etag
        assert rebuilt.headers["last-modified"] == "Thu, 31 Dec 2099 23:59:59 GMT"
    finally:
        facade_server.set_build_id(None)


def test_the_build_id_is_the_target_of_the_store_symlink(facade_server):
    from kg.store import releases
    from kg.web.context import build_id_from_var

    build = build_id_from_var(facade_server.var)
    assert build and build == releases.current(facade_server.var).name
    assert facade_server.facade.current_build() == build


def test_unknown_entities_are_404(facade_client):
    r = facade_client.get("/id/project/atlantis", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert "atlantis" in r.json()["detail"]
    page = facade_client.get("/doc/project/atlantis", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html") and "Not found" in page.text
    assert facade_client.get("/doc/project/atlantis.ttl").status_code == 404


def test_parts_and_other_entities_dereference(facade_client):
    r = facade_client.get("/id/project/ic4lop/result/3")
    assert r.status_code == 303 and r.headers["location"] == "/doc/project/ic4lop/result/3"
    g = parse(facade_client.get("/doc/project/ic4lop/result/3.ttl"), "turtle")
    assert (rdflib.URIRef(IC4LOP + "/result/3"), rdflib.URIRef(KG + "unit"), rdflib.Literal("stakeholders", lang="en")) in g
    for path in ("organisation/cesie", "funder/eacea", "programme/erasmus-plus-2014-2020", "place/ita/bologna", "source/000_7a480ec8357f5d78"):
        assert facade_client.get(f"/id/{path}").status_code == 303, path
        doc = facade_client.get(f"/doc/{path}", headers={"Accept": "application/ld+json"})
        assert doc.status_code == 200, path
        subjects = {node.get("@id") for node in json.loads(doc.content)}
        assert BASE + "id/" + path in subjects


def test_base_uri_maps_to_the_server_root(facade_client, facade_server):
    # the data keeps the configured base; the server answers for it at its own root
    assert facade_server.facade.base == BASE
    assert facade_server.facade.local_path(IC4LOP) == "/id/project/ic4lop"
    assert facade_server.facade.uri_for_path("id/project/ic4lop") == IC4LOP
    html = facade_client.get("/doc/project/liaison", headers={"Accept": "text/html"}).text
    assert 'href="/doc/organisation/cesie"' in html and 'href="/doc/funder/dg-just"' in html
    link = facade_client.get("/doc/project/ic4lop", headers={"Accept": "text/turtle"}).headers["link"]
    assert f'<{IC4LOP}>; rel="describes"' in link and '</doc/project/ic4lop.jsonld>; rel="alternate"' in link


def test_head_answers_like_get(facade_client):
    r = facade_client.head("/doc/project/ic4lop", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.content == b"" and r.headers["etag"]
    assert facade_client.head("/id/project/ic4lop").status_code == 303
