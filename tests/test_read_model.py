"""The read model (kg-read.sqlite) says exactly what the store says: every count and listing the
REST API serves from it, compared with the same answer computed by SPARQL over the release's store."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kg.read import model, organisations, places, projects, sdgs, statistics
from kg.readmodel import FILE, Deadline, ReadModel
from kg.settings import Settings
from kg.store import OxigraphStore, releases
from kgtesting import SHARED, run_kg


def stated(value):
    """The answer without what only the read model shows (issue 16's suggested SDGs, marked apart)."""
    if isinstance(value, dict):
        return {k: stated(v) for k, v in value.items() if k not in ("suggestedSdgs", "suggestedCount")}
    if isinstance(value, (list, tuple)):
        return type(value)(stated(v) for v in value)
    return value


@pytest.fixture(scope="module")
def release(seed_build: Path) -> Path:
    current = releases.current(seed_build)
    assert current is not None
    return current


@pytest.fixture(scope="module")
def store(release: Path):
    with OxigraphStore(release, read_only=True) as s:
        yield s


@pytest.fixture(scope="module")
def rm(release: Path) -> ReadModel:
    return ReadModel(release / FILE)


def test_the_release_has_its_read_model_built_once(release: Path) -> None:
    path = release / FILE
    assert path.is_file() and not (release / (FILE + ".tmp")).exists()
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
    assert dict(con.execute("SELECT key, value FROM meta"))["build"] == release.name
    with pytest.raises(sqlite3.OperationalError):  # read-only: never written after the build
        con.execute("DELETE FROM project")


@pytest.mark.parametrize("lang", ["en", "it"])
def test_statistics_countries_and_sdgs_agree_with_sparql(store, rm, lang) -> None:
    assert stated(model.statistics(rm, lang, timeout=10)) == statistics.statistics(store, lang)
    assert stated(model.list_countries(rm, lang, timeout=10)) == places.list_countries(store, lang)
    for used in (True, False):
        assert stated(model.list_sdgs(rm, lang, used_only=used, timeout=10)) == sdgs.list_sdgs(store, lang, used_only=used)


@pytest.mark.parametrize("code", ["10", "4", "10.2", "4.4", "17"])
def test_sdg_documents_agree_with_sparql(store, rm, code) -> None:
    settings = Settings.from_env()
    assert stated(model.get_sdg(rm, code, "en", timeout=10, settings=settings)) == sdgs.get_sdg(store, code, "en", settings=settings)


FILTERS = [
    {},
    {"country": "IT"},
    {"sdg": "10"},
    {"programme": "Erasmus+"},
    {"organisation": "cesie"},
    {"year_from": 2019, "year_to": 2020},
    {"country": "IT", "sdg": "4"},
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("sort", ["title", "start", "-end", "acronym"])
def test_project_listings_agree_field_by_field(store, rm, filters, sort) -> None:
    settings = Settings.from_env()
    want, want_total = projects.list_projects(store, sort=sort, limit=50, settings=settings, **filters)
    got, total, _ = model.list_projects(rm, timeout=10, sort=sort, limit=50, settings=settings, **filters)
    assert total == want_total
    assert stated(got) == want


def test_organisation_listings_agree(store, rm) -> None:
    for kwargs in ({}, {"funder": True}, {"funder": False}, {"country": "IT"}):
        assert stated(model.list_organisations(rm, timeout=10, limit=100, **kwargs)) == organisations.list_organisations(store, limit=100, **kwargs)


def test_suggested_sdgs_are_the_inferred_graph_marked_apart(store, rm) -> None:
    rows = store.query(
        "PREFIX kg: <https://w3id.org/euprojects/def#> SELECT DISTINCT ?p ?g WHERE { GRAPH ?graph { ?s a kg:SdgSuggestion ; "
        'kg:suggestionFor ?p ; kg:suggestedGoal ?g } FILTER(STRENDS(STR(?graph), "graph/inferred/sdg-suggestions")) }'
    )
    want = {(r["p"].value, r["g"].value) for r in rows}
    with rm.read(10) as con:
        got = set(con.execute("SELECT p.uri, s.sdg FROM project_sdg s JOIN project p ON p.pid = s.pid WHERE s.suggested = 1 AND s.sdg = s.goal"))
    assert got == want
    items, _, _ = model.list_projects(rm, timeout=10, limit=100)
    assert any(i.get("suggestedSdgs") for i in items) == bool(want)
    for item in items:  # never mixed into the stated ones: those are kg:sdg only, with no score
        assert all("score" in x for x in item.get("suggestedSdgs", [])) and not any("score" in x for x in item["sdgs"])


def test_search_ranks_folds_diacritics_and_highlights(rm) -> None:
    items, total, _ = model.list_projects(rm, timeout=10, q="migrants inclusion")
    assert total >= 1 and "<mark>" in items[0]["snippet"]
    folded, _, _ = model.list_projects(rm, timeout=10, q="MIGRÁNTS")
    assert [i["@id"] for i in folded] == [i["@id"] for i in model.list_projects(rm, timeout=10, q="migrants")[0]]
    hits = model.search(rm, "erasm", timeout=10)
    assert hits and hits[0]["@type"] == "programme" and "<mark>" in hits[0]["highlight"]


def test_facets_count_under_the_other_filters(rm) -> None:
    _, total, facets = model.list_projects(rm, timeout=10, country="IT", facets=True)
    assert facets is not None
    # the country facet ignores its own filter; the others count only Italian projects
    assert sum(f["count"] for f in facets["year"]) <= total
    italy = next(f for f in facets["country"] if f["iso3"] == "ITA")
    assert italy["count"] == total


def test_a_read_past_its_deadline_stops(rm) -> None:
    with pytest.raises(Deadline), rm.read(0.05) as con:
        con.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n").fetchone()
    assert model.statistics(rm, timeout=5)["totals"]["projects"] > 0  # the connection is fine afterwards


@pytest.fixture(scope="module")
def imported(seed_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`kg import cordis` of the real Horizon Europe head-100 tables into a copy of the seed var."""
    var = tmp_path_factory.mktemp("var-import")
    shutil.copytree(seed_build, var, dirs_exist_ok=True, symlinks=True)
    head = SHARED / "data" / "cordis-horizon-europe" / "head-100-rows"
    tables = [str(head / "project_df_100.csv"), str(head / "organization_df_100.csv")]
    run_kg("import", "cordis", *tables, "--var-dir", str(var), "--name", "head", "--no-validate", check=True)
    return var


def test_an_import_promotes_a_release_with_its_read_model(imported: Path) -> None:
    release = releases.current(imported)
    assert release is not None
    rm = ReadModel(release / FILE)
    with OxigraphStore(release, read_only=True) as store:
        stats = model.statistics(rm, timeout=10)
        assert stated(stats) == statistics.statistics(store)
        assert stats["totals"]["projects"] > 100  # the curated five and the imported hundred
        for kwargs in ({"country": "DE"}, {"country": "FR", "sort": "-start"}, {"organisation": rm_org_key(rm)}):
            want, want_total = projects.list_projects(store, limit=40, **kwargs)
            got, total, facets = model.list_projects(rm, timeout=10, limit=40, facets=True, **kwargs)
            assert (stated(got), total) == (want, want_total)
            assert facets is not None and facets["role"]  # CORDIS participants have roles
        assert stated(model.list_organisations(rm, timeout=10, limit=200, country="DE")) == organisations.list_organisations(store, limit=200, country="DE")


def rm_org_key(rm: ReadModel) -> str:
    with rm.read(5) as con:
        return con.execute("SELECT key FROM organisation WHERE key IS NOT NULL ORDER BY project_count DESC, key LIMIT 1").fetchone()[0]


def test_co_partnership_counts_agree_with_sparql(imported: Path) -> None:
    release = releases.current(imported)
    assert release is not None
    rm = ReadModel(release / FILE)
    key = rm_org_key(rm)
    net = model.partners(rm, key, timeout=10, limit=1000)
    with OxigraphStore(release, read_only=True) as store:
        rows = store.query(
            "PREFIX kg: <https://w3id.org/euprojects/def#> PREFIX dct: <http://purl.org/dc/terms/>\n"
            f'SELECT ?o2 (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?o dct:identifier "{key}" . '
            "{ ?p kg:hasParticipation/kg:organisation ?o } UNION { ?p kg:fundedBy ?o } "
            "{ ?p kg:hasParticipation/kg:organisation ?o2 } UNION { ?p kg:fundedBy ?o2 } FILTER(?o2 != ?o) } GROUP BY ?o2"
        )
        want = {r["o2"].value: int(r["n"].value) for r in rows}
    assert want and {p["@id"]: p["projects"] for p in net["partners"]} == want
