"""The REST API (/api/...) and the named queries over HTTP, against a live server on a real build."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import httpx
import pytest
import rdflib
from conftest_facade import (  # noqa: F401 - fixtures
    BASE,
    COUNTRY,
    ECCIPA,
    IC4LOP,
    KG,
    LEARNING,
    LIAISON,
    NETWORK,
    ROOT,
    SDG,
    facade_client,
    facade_server,
    facade_store,
    live_facade,
)

from kg.read.queries import load_queries

QUERIES = load_queries(ROOT / "queries")
ALL_PROJECTS = {IC4LOP, ECCIPA, NETWORK, LEARNING, LIAISON}


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["@id"] for item in response.json()["items"]}


def assert_problem(response: httpx.Response, status: int, param: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and "type" in body
    if param is not None:
        assert param in {p["name"] for p in body["invalid-params"]}, body
        assert param in body["detail"]
    return body


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="([^"]+)"', response.headers.get("link", ""))}


# --------------------------------------------------------------------------- filters


def test_sdg_10_lists_the_europe_for_citizens_network(facade_client):
    r = facade_client.get("/api/projects", params={"sdg": "10"})
    assert ids(r) == {NETWORK}
    item = r.json()["items"][0]
    assert "Europe for Citizens" in item["programme"]["label"]
    assert {s["code"] for s in item["sdgs"]} == {"10", "11"}
    assert ids(facade_client.get("/api/projects", params={"sdg": SDG + "10"})) == {NETWORK}
    assert ids(facade_client.get("/api/projects", params={"sdg": "SDG 11"})) == {NETWORK}
    assert ids(facade_client.get("/api/projects", params={"sdg": "10.2"})) == set()  # linked to the goal, not the target
    assert ids(facade_client.get("/api/projects", params={"sdg": "4"})) == set()
    assert_problem(facade_client.get("/api/projects", params={"sdg": "42"}), 422, "sdg")


@pytest.mark.parametrize("country", ["ITA", "IT", "it", "Italy", "Italia", COUNTRY + "ITA"])
def test_country_filter_takes_any_form(facade_client, country):
    assert ids(facade_client.get("/api/projects", params={"country": country})) == {IC4LOP, ECCIPA, NETWORK, LEARNING}


def test_country_filter_other_countries(facade_client):
    assert ids(facade_client.get("/api/projects", params={"country": "DE"})) == {ECCIPA, LEARNING}  # LEARNING via Berlin
    assert ids(facade_client.get("/api/projects", params={"country": "EL"})) == set()  # Greece: valid, no project
    body = assert_problem(facade_client.get("/api/projects", params={"country": "Atlantis"}), 422, "country")
    assert "Atlantis" in body["detail"]


def test_programme_filter_includes_narrower_levels(facade_client):
    erasmus = {IC4LOP, ECCIPA}
    assert ids(facade_client.get("/api/projects", params={"programme": "Erasmus+"})) == erasmus
    assert ids(facade_client.get("/api/projects", params={"programme": "erasmus-plus-2014-2020"})) == erasmus
    assert ids(facade_client.get("/api/projects", params={"programme": BASE + "id/programme/erasmus-plus-2014-2020"})) == erasmus
    assert ids(facade_client.get("/api/projects", params={"programme": "KA3"})) == {IC4LOP}
    assert ids(facade_client.get("/api/projects", params={"programme": "LLP"})) == {LEARNING}
    assert ids(facade_client.get("/api/projects", params={"programme": "REC"})) == {LIAISON}
    assert_problem(facade_client.get("/api/projects", params={"programme": "Horizon 2050"}), 422, "programme")


def test_free_text_search(facade_client):
    # titles, acronyms, summaries, objectives and organisation names (IC4LOP: in its objectives)
    found = facade_client.get("/api/projects", params={"q": "migrants"}).json()["items"]
    assert {i["@id"] for i in found} == {LEARNING, NETWORK, IC4LOP}
    assert found[0]["@id"] == LEARNING  # ranked: the title match first
    assert all("<mark>" in i["snippet"].lower() for i in found)
    assert ids(facade_client.get("/api/projects", params={"q": "MIGRÁNTS"})) == {LEARNING, NETWORK, IC4LOP}  # diacritics folded
    assert ids(facade_client.get("/api/projects", params={"q": "eccipa"})) == {ECCIPA}  # acronym, any case
    assert ids(facade_client.get("/api/projects", params={"q": "INTERNATIONAL citizens"})) == {IC4LOP}  # every word
    assert ids(facade_client.get("/api/projects", params={"q": "citizens zzzz"})) == set()
    assert ids(facade_client.get("/api/projects", params={"q": 'x" } ; DROP ALL ; #'})) == set()  # no injection


def test_year_range_on_dates_of_any_precision(facade_client):
    assert ids(facade_client.get("/api/projects", params={"year_from": 2009, "year_to": 2010})) == {LEARNING}
    # ECCIPA runs 2020-12..2023-05 (months), LIAISON 2020-02-03..2022-04-02 (days)
    assert ids(facade_client.get("/api/projects", params={"year_from": 2022})) == {ECCIPA, LIAISON}
    assert ids(facade_client.get("/api/projects", params={"year_to": 2017})) == {LEARNING, NETWORK}
    assert ids(facade_client.get("/api/projects", params={"year_from": 2018, "year_to": 2018})) == {NETWORK}
    assert_problem(facade_client.get("/api/projects", params={"year_from": 2022, "year_to": 2020}), 422, "year_from")
    assert_problem(facade_client.get("/api/projects", params={"year_from": "soon"}), 422, "year_from")


def test_filters_combine(facade_client):
    r = facade_client.get("/api/projects", params={"country": "IT", "programme": "Erasmus+", "year_from": 2022})
    assert ids(r) == {ECCIPA}
    assert ids(facade_client.get("/api/projects", params={"organisation": "cesie"})) == {LIAISON}
    assert ids(facade_client.get("/api/projects", params={"organisation": "DG JUST"})) == {LIAISON}  # funder


# --------------------------------------------------------------------------- paging and sorting


def test_paging_has_link_headers_and_totals(facade_client):
    first = facade_client.get("/api/projects", params={"per_page": 2, "sort": "start"})
    assert first.status_code == 200
    assert first.headers["x-total-count"] == "5"
    body = first.json()
    assert body["total"] == 5 and body["page"] == 1 and body["perPage"] == 2 and len(body["items"]) == 2
    rels = links(first)
    assert set(rels) == {"first", "next", "last"}
    assert "page=3" in rels["last"] and "per_page=2" in rels["last"] and "sort=start" in rels["next"]
    assert body["links"] == rels
    seen: list[str] = []
    url: str | None = str(first.url)
    pages = 0
    while url:
        r = facade_client.get(url)
        seen += [i["@id"] for i in r.json()["items"]]
        url = links(r).get("next")
        pages += 1
        if pages == 2:
            assert set(links(r)) == {"first", "prev", "next", "last"}
    assert pages == 3 and len(seen) == 5 and set(seen) == ALL_PROJECTS


def test_limit_offset_paging(facade_client):
    r = facade_client.get("/api/projects", params={"limit": 2, "offset": 2, "sort": "start"})
    body = r.json()
    assert body["limit"] == 2 and body["offset"] == 2 and "page" not in body
    assert r.headers["x-total-count"] == "5"
    rels = links(r)
    assert "offset=0" in rels["first"] and "offset=0" in rels["prev"] and "offset=4" in rels["next"] and "offset=4" in rels["last"]
    everything = [i["@id"] for i in facade_client.get("/api/projects", params={"limit": 5, "sort": "start"}).json()["items"]]
    assert [i["@id"] for i in body["items"]] == everything[2:4]
    beyond = facade_client.get("/api/projects", params={"page": 9, "per_page": 2})
    assert beyond.status_code == 200 and beyond.json()["items"] == [] and beyond.json()["total"] == 5


def test_sorting(facade_client):
    starts = [i["startDate"] for i in facade_client.get("/api/projects", params={"sort": "start"}).json()["items"]]
    assert starts == sorted(starts) and starts[0] == "2009-11-01"
    down = [i["startDate"] for i in facade_client.get("/api/projects", params={"sort": "-start"}).json()["items"]]
    assert down == sorted(down, reverse=True)
    titles = [i["title"].casefold() for i in facade_client.get("/api/projects").json()["items"]]
    assert titles == sorted(titles)
    assert_problem(facade_client.get("/api/projects", params={"sort": "budget"}), 422, "sort")
    assert_problem(facade_client.get("/api/projects", params={"per_page": 0}), 422, "per_page")
    assert_problem(facade_client.get("/api/projects", params={"per_page": "many"}), 422, "per_page")
    assert_problem(facade_client.get("/api/projects", params={"lang": "not a tag"}), 422, "lang")


# --------------------------------------------------------------------------- one project


def test_project_document_has_its_facts(facade_client):
    r = facade_client.get("/api/projects/2020-1-DE02-KA202-007701")
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["@id"] == ECCIPA and p["@type"] == "Project" and p["acronym"] == "ECCIPA"
    assert p["grant"]["grantNumber"] == "2020-1-DE02-KA202-007701"
    assert (p["startDate"], p["startPrecision"], p["endDate"], p["endPrecision"]) == ("2020-12", "month", "2023-05", "month")
    assert p["startDatatype"].endswith("#gYearMonth")
    chain = []
    node = p["programme"]
    while node:
        chain.append(node.get("notation") or node["label"])
        node = node.get("broader")
    assert chain[0] == "KA202" and chain[1] == "KA2" and chain[-1].startswith("Erasmus+")
    assert {c["iso3"] for c in p["countries"]} == {"DEU", "ESP", "ITA"}
    assert p["partnerCount"] == 5 and p["countryCount"] == 3
    assert [a["position"] for a in p["activities"]] == [1, 2, 3, 4]
    assert p["outputs"][0]["outputKind"] == "report"
    source = p["sources"][0]
    assert len(source["sha256"]) == 64 and source["derivedGraphs"] == [BASE + "graph/source/" + source["key"]]
    assert BASE + "graph/source/" + source["key"] in p["inGraphs"]
    # the acronym works as a key when it is unique
    assert facade_client.get("/api/projects/ECCIPA").json()["@id"] == ECCIPA


def test_project_document_dates_results_and_participations(facade_client):
    ic4lop = facade_client.get("/api/projects/ic4lop").json()
    assert (ic4lop["startDate"], ic4lop["startPrecision"]) == ("2019-01-15", "day")
    results = {r["position"]: r for r in ic4lop["expectedResults"]}
    assert (results[3]["minQuantity"], results[3]["maxQuantity"], results[3]["quantityText"]) == (10, 20, "10–20")
    assert results[3]["unit"] == "stakeholders" and results[3]["scope"] == "per country"
    assert results[2]["quantity"] == 30
    assert "KA3" in [n.get("notation") for n in _chain(ic4lop["programme"])]
    assert any(f["label"].startswith("European Education and Culture") for n in _chain(ic4lop["programme"]) for f in n["managedBy"])
    liaison = facade_client.get("/api/projects/liaison").json()
    assert liaison["funders"][0]["@id"] == BASE + "id/funder/dg-just"
    part = liaison["participations"][0]
    assert part["organisation"]["@id"] == BASE + "id/organisation/cesie" and part["role"]["label"] == "participant"
    assert {r["quantityText"] for r in liaison["expectedResults"]} == {"about 500", "about 150", "about 2000"}
    learning = facade_client.get("/api/projects/learning-cities-migrants-inclusion").json()
    assert {c["label"] for c in learning["cities"]} >= {"Bologna", "Berlin", "Dunkerque"}
    network = facade_client.get("/api/projects/cosmopolitan-towns-network").json()
    assert network["hasDescriptiveTitle"] is True and (network["startDate"], network["startPrecision"]) == ("2017-09", "month")
    assert {s["shortLabel"] for s in network["sdgs"]} == {"Reduced inequalities", "Sustainable cities and communities"}


def _chain(node):
    while node:
        yield node
        node = node.get("broader")


def test_labels_in_the_requested_language(facade_client):
    it = facade_client.get("/api/projects/ic4lop", params={"lang": "it"}).json()
    assert it["countries"][0]["label"] == "Italia" and it["lang"] == "it"
    en = facade_client.get("/api/projects/ic4lop").json()
    assert en["countries"][0]["label"] == "Italy"
    by_header = facade_client.get("/api/projects/ic4lop", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"}).json()
    assert by_header["countries"][0]["label"] == "Italia"
    role = facade_client.get("/api/projects/liaison", params={"lang": "it"}).json()["participations"][0]["role"]
    assert role["label"] == "partecipante"
    # no Italian label: English
    sdg = facade_client.get("/api/projects/cosmopolitan-towns-network", params={"lang": "it"}).json()["sdgs"][0]
    assert sdg["label"].startswith("Reduce inequality")


# --------------------------------------------------------------------------- JSON-LD


def test_documents_expand_as_json_ld_to_the_stores_triples(facade_client, facade_store):
    r = facade_client.get("/api/projects/ic4lop")
    g = rdflib.Graph()
    g.parse(data=r.text, format="json-ld", base=str(r.url))
    p = rdflib.URIRef(IC4LOP)
    assert (p, rdflib.RDF.type, rdflib.URIRef(KG + "Project")) in g
    assert (p, rdflib.URIRef(KG + "fundedUnder"), rdflib.URIRef(BASE + "id/programme/erasmus-plus-ka3-social-inclusion")) in g
    assert (p, rdflib.URIRef(KG + "country"), rdflib.URIRef(COUNTRY + "ITA")) in g
    assert (p, rdflib.URIRef(KG + "startDate"), rdflib.Literal("2019-01-15", datatype=rdflib.XSD.date)) in g
    assert (p, rdflib.URIRef(KG + "acronym"), rdflib.Literal("IC4LOP")) in g
    # every link the JSON-LD states from the project is in the store
    links_out = [(pred, o) for _, pred, o in g.triples((p, None, None)) if isinstance(o, rdflib.URIRef)]
    assert len(links_out) > 10
    for pred, obj in links_out:
        assert facade_store.query(f"ASK {{ <{IC4LOP}> <{pred}> <{obj}> }}"), (pred, obj)
    # the source's named graph comes out as a reverse link
    assert any(str(s).startswith(BASE + "graph/source/") for s in g.subjects(rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), None))


def test_list_and_country_documents_are_json_ld(facade_client):
    r = facade_client.get("/api/projects", params={"country": "IT"})
    g = rdflib.Graph()
    g.parse(data=r.text, format="json-ld", base=str(r.url))
    projects = set(g.subjects(rdflib.RDF.type, rdflib.URIRef(KG + "Project")))
    assert {str(x) for x in projects} == {IC4LOP, ECCIPA, NETWORK, LEARNING}
    assert (rdflib.URIRef(str(r.url)), rdflib.URIRef("http://www.w3.org/ns/hydra/core#totalItems"), rdflib.Literal(4)) in g
    c = facade_client.get("/api/countries/IT")
    g = rdflib.Graph()
    g.parse(data=c.text, format="json-ld", base=str(c.url))
    assert (rdflib.URIRef(BASE + "id/place/ita/bologna"), rdflib.URIRef(KG + "country"), rdflib.URIRef(COUNTRY + "ITA")) in g
    context = facade_client.get("/api/context.jsonld")
    assert context.headers["content-type"].startswith("application/ld+json") and "@context" in context.json()


# --------------------------------------------------------------------------- other resources


def test_unknown_project_is_problem_json(facade_client):
    body = assert_problem(facade_client.get("/api/projects/no-such-project"), 404)
    assert "no-such-project" in body["detail"]
    assert_problem(facade_client.get("/api/organisations/nobody"), 404)
    assert_problem(facade_client.get("/api/sdgs/99"), 404)
    assert_problem(facade_client.get("/api/countries/XX"), 404)
    assert_problem(facade_client.get("/api/programmes/nothing-like-this"), 404)


def test_countries(facade_client):
    r = facade_client.get("/api/countries", params={"lang": "it"})
    items = r.json()["items"]
    assert items[0]["iso3"] == "ITA" and items[0]["iso2"] == "IT" and items[0]["projectCount"] == 4 and items[0]["label"] == "Italia"
    assert len(items) == r.json()["total"] == 13
    for code in ("ITA", "IT", "Italia", "italy"):
        doc = facade_client.get(f"/api/countries/{code}").json()
        assert doc["@id"] == COUNTRY + "ITA" and doc["projectCount"] == 4
    it = facade_client.get("/api/countries/ITA", params={"lang": "it"}).json()
    assert it["label"] == "Italia" and it["labels"]["de"] == "Italien"
    assert {c["label"] for c in it["cities"]} == {"Bologna", "Catania"}
    greece = facade_client.get("/api/countries/EL").json()
    assert greece["iso3"] == "GRC" and greece["projects"] == [] and greece["projectCount"] == 0


def test_sdgs(facade_client):
    goals = facade_client.get("/api/sdgs").json()["items"]
    assert len(goals) == 17 and [g["code"] for g in goals][:3] == ["1", "2", "3"]
    ten = next(g for g in goals if g["code"] == "10")
    assert ten["projectCount"] == 1 and ten["shortLabel"] == "Reduced inequalities"
    used = facade_client.get("/api/sdgs", params={"used": "true"}).json()["items"]
    assert {g["code"] for g in used} == {"10", "11"}
    doc = facade_client.get("/api/sdgs/10").json()
    assert doc["@type"] == "SdgGoal" and [p["@id"] for p in doc["projects"]] == [NETWORK]
    assert "10.2" in {t["code"] for t in doc["targets"]}
    target = facade_client.get("/api/sdgs/10.2").json()
    assert target["@type"] == "SdgTarget" and target["goal"] == SDG + "10" and target["labels"]["fr"]


def test_programme_tree(facade_client):
    tree = facade_client.get("/api/programmes").json()["items"]
    erasmus = next(n for n in tree if n["key"] == "erasmus-plus-2014-2020")
    assert erasmus["schemeLevel"] == "programme" and erasmus["totalProjectCount"] == 2 and erasmus["projectCount"] == 0
    assert {n["notation"] for n in erasmus["narrower"]} == {"KA2", "KA3"}
    ka2 = next(n for n in erasmus["narrower"] if n["notation"] == "KA2")
    assert ka2["narrower"][0]["notation"] == "KA202" and ka2["narrower"][0]["projectCount"] == 1
    # the seeds' four programmes, and the programme families data/vocab/programmes.yaml names for kg extract
    assert {n["key"] for n in tree} == {
        "erasmus-plus-2014-2020", "europe-for-citizens-2014-2020", "llp-2007-2013", "rec-2014-2020",
        "europe-for-citizens-2007-2013", "amif", "creative-europe", "interreg", "horizon-2020", "horizon-europe", "europeaid"}
    ka3 = facade_client.get("/api/programmes/KA3").json()
    assert [p["@id"] for p in ka3["projects"]] == [IC4LOP] and ka3["broaderChain"][0]["key"] == "erasmus-plus-2014-2020"


def test_organisations(facade_client):
    r = facade_client.get("/api/organisations")
    keys = {o["key"] for o in r.json()["items"]}
    assert {"cesie", "eacea", "dg-just"} <= keys and r.headers["x-total-count"] == str(len(keys))
    only = facade_client.get("/api/organisations", params={"funder": "false"}).json()["items"]
    assert [o["key"] for o in only] == ["cesie"]
    cesie = facade_client.get("/api/organisations/cesie").json()
    assert cesie["legalName"] == "CESIE ETS"
    assert [(p["@id"], p["roles"][0]["label"]) for p in cesie["projects"]] == [(LIAISON, "participant")]
    eacea = facade_client.get("/api/organisations/eacea").json()
    assert eacea["@type"] == "Funder" and eacea["shortName"] == "EACEA"
    # the seeds' three schemes, and two programme families added for kg extract (data/vocab/programmes.yaml)
    assert {m["@id"].rsplit("/", 1)[-1] for m in eacea["manages"]} == {
        "erasmus-plus-ka3-social-inclusion", "europe-for-citizens-2014-2020", "llp-ka4-multilateral-projects",
        "europe-for-citizens-2007-2013", "creative-europe"}


def test_statistics(facade_client):
    stats = facade_client.get("/api/stats").json()
    assert stats["totals"]["projects"] == 5 and stats["totals"]["triples"] > 30000
    assert stats["byCountry"][0]["iso3"] == "ITA"
    assert {y["year"] for y in stats["byStartYear"]} == {2009, 2017, 2019, 2020}
    assert sum(p["projectCount"] for p in stats["byProgramme"]) == 5
    assert {s["code"] for s in stats["bySdg"]} == {"10", "11"}


def test_api_answers_carry_etags(facade_client):
    r = facade_client.get("/api/projects/ic4lop")
    etag = r.headers["etag"]
    again = facade_client.get("/api/projects/ic4lop", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert facade_client.get("/api/projects/ic4lop", params={"lang": "it"}, headers={"If-None-Match": etag}).status_code == 200


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/ld+json", "application/ld+json"),
        ("application/json;q=0.5, application/ld+json", "application/ld+json"),
        ("application/ld+json;q=0.5, application/json", "application/json"),
        ("text/html", "application/json"),  # nothing acceptable: the document, as JSON
    ],
)
@pytest.mark.parametrize("path", ["/api/projects/ic4lop", "/api/projects?sdg=10", "/api/stats"])
def test_json_ld_media_type_when_asked_for(facade_client, path, accept, expected):
    r = facade_client.get(path, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200, r.text
    assert media(r) == expected
    assert "Accept" in [v.strip() for v in r.headers["vary"].split(",")]
    assert r.json()["@context"]  # the same document either way


def test_json_and_json_ld_are_two_representations(facade_client):
    plain = facade_client.get("/api/projects/ic4lop", headers={"Accept": "application/json"})
    linked = facade_client.get("/api/projects/ic4lop", headers={"Accept": "application/ld+json"})
    assert plain.content == linked.content
    assert plain.headers["etag"] != linked.headers["etag"]
    again = facade_client.get("/api/projects/ic4lop", headers={"Accept": "application/ld+json", "If-None-Match": linked.headers["etag"]})
    assert again.status_code == 304 and "Accept" in again.headers["vary"]
    other = facade_client.get("/api/projects/ic4lop", headers={"Accept": "application/ld+json", "If-None-Match": plain.headers["etag"]})
    assert other.status_code == 200 and media(other) == "application/ld+json"


def test_errors_stay_problems_when_json_ld_is_asked_for(facade_client):
    assert_problem(facade_client.get("/api/projects/no-such-project", headers={"Accept": "application/ld+json"}), 404)
    assert media(facade_client.get("/api/context.jsonld")) == "application/ld+json"


def test_openapi_documents_the_api(facade_client):
    spec = facade_client.get("/openapi.json").json()
    for path in (
        "/api/projects", "/api/projects/{key}", "/api/organisations", "/api/programmes", "/api/sdgs/{code}",
        "/api/countries/{code}", "/api/stats", "/api/queries", "/api/queries/{name}",
    ):
        assert path in spec["paths"], path
    op = spec["paths"]["/api/projects"]["get"]
    assert op["summary"]
    params = {p["name"]: p for p in op["parameters"]}
    assert {"country", "sdg", "programme", "q", "year_from", "year_to", "page", "per_page", "limit", "offset", "sort", "lang"} <= set(params)
    assert all(params[n].get("description") for n in ("country", "sdg", "programme", "q"))
    assert "ProjectDocument" in spec["components"]["schemas"]
    assert facade_client.get("/docs").status_code == 200


def test_no_store_yet_is_503(tmp_path):
    from kg.settings import Settings

    settings = Settings.from_env(var_dir=tmp_path, base_uri=BASE)
    with live_facade(settings, lambda: None, lambda: "") as (url, _facade):
        with httpx.Client(base_url=url) as client:
            assert_problem(client.get("/api/projects"), 503)
            assert_problem(client.get("/doc/project/ic4lop", headers={"Accept": "text/turtle"}), 503)
            page = client.get("/", headers={"Accept": "text/html"})
            assert page.status_code == 503 and "not available" in page.text


# --------------------------------------------------------------------------- named queries


def test_query_list_documents_every_query(facade_client):
    body = facade_client.get("/api/queries").json()
    by_name = {q["name"]: q for q in body["items"]}
    assert set(by_name) == set(QUERIES) and body["total"] == len(QUERIES)
    sdg = by_name["projects-for-sdg"]
    assert sdg["summary"] and sdg["description"] and sdg["tags"] == ["sdg"] and "SELECT" in sdg["sparql"]
    assert sdg["parameters"] == [{"name": "sdg", "type": "iri", "required": False, "default": SDG + "10"}]
    period = {p["name"]: p for p in by_name["projects-active-in-period"]["parameters"]}
    assert period["from"]["type"] == "integer" and period["to"]["default"] == "2021"
    assert sdg["@id"].endswith("/api/queries/projects-for-sdg")


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_runs_over_http_in_json_and_csv(facade_client, name):
    r = facade_client.get(f"/api/queries/{name}", headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    data = r.json()
    variables = data["head"]["vars"]
    assert variables and isinstance(data["results"]["bindings"], list)
    c = facade_client.get(f"/api/queries/{name}", params={"format": "csv"})
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(c.text)))
    assert rows[0] == variables and len(rows) - 1 == len(data["results"]["bindings"])
    accepted = facade_client.get(f"/api/queries/{name}", headers={"Accept": "text/csv"})
    assert accepted.text == c.text


def test_named_query_parameters_and_formats(facade_client):
    default = facade_client.get("/api/queries/projects-for-sdg").json()
    assert [b["project"]["value"] for b in default["results"]["bindings"]] == [NETWORK]
    other = facade_client.get("/api/queries/projects-for-sdg", params={"sdg": SDG + "4"}).json()
    assert other["results"]["bindings"] == []
    german = facade_client.get("/api/queries/projects-in-country", params={"country": COUNTRY + "DEU"}).json()
    assert ECCIPA in {b["project"]["value"] for b in german["results"]["bindings"]}
    period = facade_client.get("/api/queries/projects-active-in-period", params={"from": 2009, "to": 2010}).json()
    assert {b["start"]["value"] for b in period["results"]["bindings"]} == {"2009-11-01"}
    xml = facade_client.get("/api/queries/projects-by-year", params={"format": "xml"})
    assert xml.headers["content-type"].startswith("application/sparql-results+xml")
    assert ET.fromstring(xml.content).tag.endswith("sparql")
    tsv = facade_client.get("/api/queries/projects-by-year", headers={"Accept": "text/tab-separated-values"})
    assert tsv.headers["content-type"].startswith("text/tab-separated-values") and tsv.text.startswith("?")
    # q-values: the client prefers CSV
    pref = facade_client.get("/api/queries/projects-by-year", headers={"Accept": "application/sparql-results+json;q=0.5, text/csv"})
    assert pref.headers["content-type"].startswith("text/csv")


def test_named_query_bad_parameters_are_400_naming_them(facade_client):
    assert_problem(facade_client.get("/api/queries/projects-for-sdg", params={"sdg": "not an iri"}), 400, "sdg")
    assert_problem(facade_client.get("/api/queries/projects-active-in-period", params={"from": "soon"}), 400, "from")
    assert_problem(facade_client.get("/api/queries/projects-for-sdg", params={"colour": "blue"}), 400, "colour")
    assert_problem(facade_client.get("/api/queries/projects-for-sdg", params={"format": "turtle"}), 400, "format")
    assert_problem(facade_client.get("/api/queries/no-such-query"), 404)
    r = facade_client.get("/api/queries/projects-for-sdg", headers={"Accept": "image/png"})
    assert_problem(r, 406)


def test_named_query_values_are_bound_as_terms_not_text(facade_client):
    evil = 'http://x/> } UNION { ?project ?p ?o } #'
    assert_problem(facade_client.get("/api/queries/projects-for-sdg", params={"sdg": evil}), 400, "sdg")
    quoted = facade_client.get("/api/queries/projects-active-in-period", params={"from": "2019 || true"})
    assert_problem(quoted, 400, "from")


def test_suggested_sdgs_are_listed_apart_from_stated_ones(facade_client):
    """Issue 16: the REST list carries the Aurora suggestions as suggestedSdgs, never in sdgs; the
    stated-SDG filter and counts ignore them."""
    items = facade_client.get("/api/projects", params={"per_page": 50}).json()["items"]
    with_suggestions = [p for p in items if p.get("suggestedSdgs")]
    assert with_suggestions, "the seed texts match some Aurora queries"
    for p in items:  # the list's stated SDGs are exactly the store's kg:sdg, as the project's own answer gives them
        detail = facade_client.get("/api/projects/" + p["@id"].rsplit("/", 1)[-1]).json()
        assert sorted(s["code"] for s in p.get("sdgs", [])) == sorted(s["code"] for s in detail.get("sdgs", []))
    stats = facade_client.get("/api/stats").json()
    assert {s["code"] for s in stats["bySdg"]} == {"10", "11"}
    only_stated = facade_client.get("/api/projects", params={"sdg": "10"}).json()["items"]
    assert all("10" in {s["code"] for s in p.get("sdgs", [])} for p in only_stated)
