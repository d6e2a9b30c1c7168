"""`kg import erasmus` on all 13 Project Results Platform rows of ../shared/data, written as the real
export files (xlsx, and CSV): Erasmus+ and LLP, Youth in Action, Creative Europe, Culture 2007-2013,
Erasmus Mundus, Sport, cooperation with industrialised countries."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from conftest import run_kg
from kg.imports.pipeline import run_import
from kg.settings import Settings
from test_import_helpers import (
    BASE,
    COUNTRY,
    ID,
    count,
    erasmus_rows,
    fresh_var,
    select,
    values,
    write_erasmus_csv,
    write_erasmus_xlsx,
)

GRAPH = BASE + "graph/import/erasmus/platform"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    out = tmp_path_factory.mktemp("platform")
    rows = erasmus_rows()
    assert len(rows) == 13
    xlsx = [write_erasmus_xlsx(out / f"{stem}.xlsx", row) for stem, row in rows]
    # CSV: one file per programme (their columns differ), as the platform exports them
    csvs = [write_erasmus_csv(out / f"{stem}.csv", [row]) for stem, row in rows]
    return {"xlsx": xlsx, "csv": csvs}


@pytest.fixture(scope="module")
def platform(seed_build: Path, tmp_path_factory: pytest.TempPathFactory, exports) -> tuple[Path, object]:
    var = fresh_var(seed_build, tmp_path_factory.mktemp("erasmus"))
    result = run_import(Settings(var_dir=var), "erasmus", exports["xlsx"], name="platform")
    return var, result


def project(var: Path, key: str) -> dict[str, str]:
    rows = select(var, f"""SELECT ?title ?status ?amount ?year ?start ?end ?prog WHERE {{ <{ID}project/{key}> dct:title ?title .
        OPTIONAL {{ <{ID}project/{key}> kg:status ?status }} OPTIONAL {{ <{ID}project/{key}> kg:hasGrant/kg:amount/schema:value ?amount }}
        OPTIONAL {{ <{ID}project/{key}> kg:callYear ?year }} OPTIONAL {{ <{ID}project/{key}> kg:startDate ?start }}
        OPTIONAL {{ <{ID}project/{key}> kg:endDate ?end }} OPTIONAL {{ <{ID}project/{key}> kg:fundedUnder ?prog }} }}""")
    assert len(rows) == 1, rows
    return rows[0]


def organisations(var: Path, key: str) -> list[tuple[str, str, str, str]]:
    rows = select(var, f"""SELECT ?name ?role ?country ?city WHERE {{ <{ID}project/{key}> kg:hasParticipation ?p .
        ?p kg:role ?role ; kg:organisation ?o . ?o rdfs:label ?name .
        OPTIONAL {{ ?o kg:country ?country }} OPTIONAL {{ ?o kg:city/rdfs:label ?city }} }}""")
    return sorted((r["name"], r["role"].rsplit("#Role", 1)[1], r.get("country", "").rsplit("/", 1)[-1], r.get("city", "")) for r in rows)


def chain(var: Path, key: str) -> list[tuple[str, str]]:
    rows = select(var, f"""SELECT ?c ?type (COUNT(?mid) AS ?depth) WHERE {{ <{ID}project/{key}> kg:fundedUnder ?f .
        ?f skos:broader* ?mid . ?mid skos:broader* ?c . ?c a ?type FILTER(?type != skos:Concept) }} GROUP BY ?c ?type ORDER BY ?depth""")
    return [(r["c"].rsplit("/", 1)[1], r["type"].rsplit("#", 1)[1]) for r in rows]


def test_all_thirteen_rows_load(platform):
    var, result = platform
    assert result.projects == 13 and not result.rejects
    assert len(values(var, f"SELECT ?p WHERE {{ GRAPH <{GRAPH}> {{ ?p a kg:Project }} }}", "p")) == 13


def test_erasmus_plus_ka2_project(platform):
    var, _ = platform
    p = project(var, "2014-1-LI01-KA200-000005")
    assert p["title"] == "Community Education" and p["amount"] == "112527.93" and p["year"] == "2014" and p["status"] == "finalized"
    assert organisations(var, "2014-1-LI01-KA200-000005") == [
        ("Diakonisches Werk der evangelischen Kirche in Württemberg e.V.", "Partner", "DEU", "Stuttgart"),
        ("EU WAREHOUSE", "Partner", "BEL", "Brussels"),
        ("Europäisches Institut für interkulturelle und interreligiöse Forschung", "Coordinator", "LIE", "Triesen"),
        ("KATHOLISCHE FACHHOCHSCHULE NORDRHEIN-WESTFALEN", "Partner", "DEU", "KOELN"),
        ("Liechtenstein-Institut", "Partner", "LIE", "Bendern"),
    ]
    countries = values(var, f"SELECT ?c WHERE {{ <{ID}project/2014-1-LI01-KA200-000005> kg:country ?c }}", "c")
    assert countries == {COUNTRY + c for c in ("LIE", "DEU", "BEL")}
    assert values(var, f"SELECT ?x WHERE {{ <{ID}project/2014-1-LI01-KA200-000005> kg:isGoodPractice ?x }}", "x") == {"true"}


def test_programme_hierarchy_reuses_the_curated_concepts(platform):
    var, _ = platform
    # KA200 is new, its key action KA2 and the programme are data/vocab/programmes.yaml's concepts
    assert chain(var, "2014-1-LI01-KA200-000005") == [
        ("erasmus-plus-ka200", "ActionType"), ("erasmus-plus-ka2", "KeyAction"), ("erasmus-plus-2014-2020", "FundingProgramme")]
    assert chain(var, "2014-1-DE03-KA101-000001") == [
        ("erasmus-plus-ka101", "ActionType"), ("erasmus-plus-ka1", "KeyAction"), ("erasmus-plus-2014-2020", "FundingProgramme")]
    # the curated concepts are referred to, not restated, by the import
    assert not values(var, f"SELECT ?l WHERE {{ GRAPH <{GRAPH}> {{ <{ID}programme/erasmus-plus-ka2> skos:prefLabel ?l }} }}", "l")
    labels = select(var, f"SELECT ?l ?n WHERE {{ <{ID}programme/erasmus-plus-ka1> skos:prefLabel ?l ; skos:notation ?n }}")
    assert labels == [{"l": "Learning Mobility of Individuals", "n": "KA1"}]
    assert chain(var, "EACEA-509925") == [
        ("llp-2007-2013-comenius-accompanying-measures", "ActionType"), ("llp-2007-2013-comenius", "FundingProgramme"),
        ("llp-2007-2013", "FundingProgramme")]
    assert chain(var, "552144-CREA-1-2014-1-AT-CULT-COOP1") == [
        ("creative-europe-2014-2020-culture-cooperation-projects", "ActionType"),
        ("creative-europe-2014-2020-culture", "FundingProgramme"), ("creative-europe-2014-2020", "FundingProgramme")]


def test_titles_are_in_no_stated_language_summaries_in_english(platform):
    var, _ = platform
    title = select(var, f"SELECT ?t (LANG(?t) AS ?lang) WHERE {{ <{ID}project/2014-1-DE03-KA101-000001> dct:title ?t }}")
    assert title[0]["lang"] == "und" and title[0]["t"].startswith("Mobilisierung der Lehrer")
    summary = select(var, f"SELECT (LANG(?d) AS ?lang) WHERE {{ <{ID}project/2014-1-DE03-KA101-000001> dct:description ?d }}")
    assert summary == [{"lang": "en"}]


def test_eu_style_codes_el_and_uk(platform):
    var, _ = platform
    llp = organisations(var, "EACEA-509925")
    assert [o for o in llp if o[2] == "GRC"] == [
        ("DIAN - Training and Management Activities", "Partner", "GRC", "Athens"),
        ("Technical University of Crete", "Partner", "GRC", "Chania"),
        ("The Moraitis School", "Partner", "GRC", "Psihico"),
    ]
    ce = organisations(var, "552144-CREA-1-2014-1-AT-CULT-COOP1")
    assert ("EASTERMAN MAX", "Partner", "GBR", "LONDON") in ce
    sport = organisations(var, "EAC-2013-0493")
    assert ("Sport Aid Trust and the Talented Athlete Supporting Scheme TASS", "Coordinator", "GBR", "") in sport


def test_older_programmes_amounts_dates_and_countries_written_in_names(platform):
    var, _ = platform
    ce = project(var, "552144-CREA-1-2014-1-AT-CULT-COOP1")
    assert (ce["start"], ce["end"], Decimal(ce["amount"])) == ("2015-01-01", "2018-12-31", Decimal("200000.00"))
    culture = project(var, "FI-CULT-2008-MOTN-01")
    assert (culture["start"], culture["end"]) == ("2006-05-01", "2009-04-30")  # written 01/05/2006
    partners = organisations(var, "FI-CULT-2008-MOTN-01")
    assert ("Kunstencentrum Vooruit", "Partner", "BEL", "") in partners  # "Kunstencentrum Vooruit, Belgium"
    assert ("Springdance", "Partner", "NLD", "") in partners  # "Springdance, the Netherlands"
    assert Decimal(project(var, "EAC-2013-0493")["amount"]) == Decimal("240000")  # written "240000.0 EUR"
    coop = organisations(var, "EACEA-168191")
    assert sum(1 for o in coop if o[2] == "KOR") == 3
    mundus = select(var, f"""SELECT ?name ?short ?city WHERE {{ <{ID}project/EACEA-159061> kg:hasParticipation/kg:organisation ?o .
        ?o kg:legalName ?name ; kg:shortName ?short ; kg:city/rdfs:label ?city }}""")
    assert mundus == [{"name": "UNIVERSITAET POTSDAM", "short": "UP", "city": "GOLM"}]  # "UNIVERSITAET POTSDAM; UP"
    assert ("Youth Peace Group Danube", "Coordinator", "HRV", "Vukovar") in organisations(var, "HR-2-01-2009-R2")  # "Vocarska 17\n32000 Vukovar"


def test_the_same_school_in_two_rows_is_one_organisation(platform):
    var, _ = platform
    schools = values(var, f"""SELECT ?o WHERE {{ VALUES ?p {{ <{ID}project/2016-1-LI01-KA101-000050> <{ID}project/2018-1-LI01-KA101-000090> }}
        ?p kg:hasParticipation/kg:organisation ?o }}""", "o")
    assert schools == {ID + "organisation/li-oberschule-eschen-eschen"}
    [match] = select(var, f"""SELECT ?rule ?decision ?where WHERE {{ ?m a kg:OrganisationMatch ;
        kg:matchedOrganisation <{ID}organisation/li-oberschule-eschen-eschen> ; kg:matchRule ?rule ; kg:matchDecision ?decision ; kg:sourceLocation ?where }}""")
    assert match == {"rule": "name-country-city", "decision": "merged",
                     "where": "ErasmusPlus_KA1_2018_LearningMobilityOfIndividuals_Projects_Overview.xlsx:2"}


def test_csv_export_gives_the_same_graph_as_xlsx(platform, seed_build: Path, tmp_path: Path, exports):
    var_xlsx, _ = platform
    var_csv = fresh_var(seed_build, tmp_path)
    result = run_import(Settings(var_dir=var_csv), "erasmus", exports["csv"], name="platform")
    assert result.projects == 13 and not result.rejects

    def content(var: Path) -> set[tuple[str, str, str]]:
        rows = select(var, f"""SELECT ?s ?p ?o WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }}
            FILTER(!CONTAINS(STR(?s), "/id/source/") && !CONTAINS(STR(?o), "/id/source/") && ?s != <{GRAPH}> && !CONTAINS(STR(?s), "/match/")) }}""")
        return {(r["s"], r["p"], r["o"]) for r in rows}

    assert content(var_csv) == content(var_xlsx)


def test_reimport_leaves_the_triple_count_unchanged(platform, exports):
    var, _ = platform
    before = count(var), count(var, GRAPH)
    run_import(Settings(var_dir=var), "erasmus", exports["xlsx"], name="platform")
    assert (count(var), count(var, GRAPH)) == before


def test_a_bad_row_is_reported_and_the_others_load(seed_build: Path, tmp_path: Path):
    var = fresh_var(seed_build, tmp_path)
    rows = [row for _, row in erasmus_rows(
        "ErasmusPlus_KA1_2015_LearningMobilityOfIndividuals_Projects_Overview",
        "ErasmusPlus_KA1_2016_LearningMobilityOfIndividuals_Projects_Overview",
        "ErasmusPlus_KA1_2017_LearningMobilityOfIndividuals_Projects_Overview",
    )]
    rows[1] = dict(rows[1], **{"Coordinator's country": "Liechtenstien"})  # line 3: a misspelt country
    path = write_erasmus_csv(tmp_path / "export.csv", rows)
    proc = run_kg("import", "erasmus", str(path), "--var-dir", str(var))
    assert proc.returncode == 0, proc.stderr
    assert "reject: export.csv:3:Coordinator's country: unknown country 'Liechtenstien'; did you mean 'Liechtenstein'?" in proc.stderr
    loaded = values(var, f"SELECT ?p WHERE {{ GRAPH <{BASE}graph/import/erasmus/export> {{ ?p a kg:Project }} }}", "p")
    assert loaded == {ID + "project/2015-1-LI01-KA101-000034", ID + "project/2017-1-RS01-KA101-000006"}
    proc = run_kg("import", "erasmus", str(path), "--name", "strict", "--strict", "--var-dir", str(var))
    assert proc.returncode == 1 and "export.csv:3:Coordinator's country" in proc.stderr
    assert not values(var, f"SELECT ?p WHERE {{ GRAPH <{BASE}graph/import/erasmus/strict> {{ ?p ?x ?y }} }}", "p")


def test_validate_checks_the_import_with_the_shapes(seed_build: Path, tmp_path: Path, exports):
    """--validate runs the SHACL shapes on the import's graph (with the curated graphs it refers to)."""
    var = fresh_var(seed_build, tmp_path)
    ka1 = [p for p in exports["xlsx"] if p.name.startswith("ErasmusPlus_KA1_")]
    result = run_import(Settings(var_dir=var), "erasmus", ka1, name="ka1", validate=True)
    assert result.projects == 5
