"""The named queries of queries/: headers parse, parameters are typed, every query runs on the seed build.

The facts below hold on the embedded store and on a live Virtuoso holding the same release
(copied by ``releases.mirror``, what ``kg build`` does with ``KG_STORE``): the same answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.read.queries import QueryParameterError, load_queries
from kg.store import OxigraphStore, VirtuosoStore, open_store, releases
from kgtesting import ROOT

QUERIES = load_queries(ROOT / "queries")


@pytest.fixture(scope="module", params=["embedded", "virtuoso"])
def store(request: pytest.FixtureRequest, seed_build: Path):
    if request.param == "embedded":
        with OxigraphStore(seed_build / "store", read_only=True) as st:
            yield st
        return
    server = request.getfixturevalue("virtuoso")
    with open_store(server.store_url) as writer:
        assert isinstance(writer, VirtuosoStore)
        writer.clear()
        releases.mirror(seed_build / "store", writer)
    with open_store(server.sparql, read_only=True) as st:  # read as a client would: anonymous /sparql
        yield st


def rows(store, name: str, **params) -> list[dict[str, str]]:
    solutions = store.query(QUERIES[name].bind(params))
    names = [v.value for v in solutions.variables]
    return [{n: r[n].value for n in names if r[n] is not None} for r in solutions]


def test_at_least_twelve_documented_queries():
    assert len(QUERIES) >= 12
    for q in QUERIES.values():
        assert q.summary and q.summary != q.name, f"{q.name} has no summary"
        assert q.description, f"{q.name} has no description"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_runs_on_the_seed_graph(store, name):
    rows(store, name)  # raises on a syntax or evaluation error


def test_projects_for_sdg_10_lists_the_europe_for_citizens_network(store):
    found = rows(store, "projects-for-sdg")
    assert len(found) == 1 and found[0]["start"] == "2017-09"
    assert rows(store, "projects-for-sdg", sdg="http://metadata.un.org/sdg/4") == []


def test_cities_query_lists_the_six_learning_cities(store):
    names = {r["cityName"] for r in rows(store, "cities-of-migrant-inclusion-projects")}
    assert {"Bologna", "Berlin", "Dunkerque", "Catania", "Santander", "Budapest"} <= names


def test_projects_in_country_and_period(store):
    italian = rows(store, "projects-in-country")
    assert len(italian) >= 3
    german = {r["title"] for r in rows(store, "projects-in-country", country="http://publications.europa.eu/resource/authority/country/DEU")}
    assert any("ECCIPA" in t for t in german)
    assert {r["start"] for r in rows(store, "projects-active-in-period", **{"from": 2009, "to": 2010})} == {"2009-11-01"}


def test_projects_without_sdg_are_the_four_others(store):
    assert len(rows(store, "projects-without-sdg")) == 4


def test_parameters_are_typed_and_checked():
    q = QUERIES["projects-for-sdg"]
    with pytest.raises(QueryParameterError, match="not a valid iri"):
        q.bind({"sdg": "not an iri> } DROP ALL {"})
    with pytest.raises(QueryParameterError, match="unknown parameter"):
        q.bind({"nope": "1"})
    with pytest.raises(QueryParameterError, match="integer"):
        QUERIES["projects-active-in-period"].bind({"from": "2019; DROP"})


def test_programme_hierarchy_and_timeline(store):
    levels = {r["label"]: r for r in rows(store, "programme-hierarchy")}
    assert any("Erasmus+" in label for label in levels)
    assert len(levels) >= 10
    tops = {r["label"]: int(r["projects"]) for r in rows(store, "programme-timeline")}
    assert sum(tops.values()) == 5  # every project counted once, under its top programme
