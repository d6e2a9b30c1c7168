"""`kg build` on the real data/: every seed project with its facts, checked with SPARQL on the built store."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from kg.imports.artefacts import write_manifest
from kg.model.namespaces import sparql_prefixes
from kg.store import OxigraphStore, releases
from kgtesting import run_kg

P = sparql_prefixes()
BASE = "https://w3id.org/euprojects/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"


@pytest.fixture(scope="module")
def store(seed_build: Path):
    st = OxigraphStore(seed_build / "store", read_only=True)
    yield st
    st.close()


def select(store, query: str) -> list[dict[str, str]]:
    solutions = store.query(P + query)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def values(store, query: str, var: str) -> set[str]:
    return {row[var] for row in select(store, query) if var in row}


def project_by_acronym(store, acronym: str) -> str:
    found = values(store, f'SELECT ?p WHERE {{ ?p a kg:Project ; kg:acronym "{acronym}" }}', "p")
    assert len(found) == 1, f"expected one project with acronym {acronym}, got {found}"
    return found.pop()


def test_all_five_seed_projects_are_loaded(store):
    projects = values(store, "SELECT ?p WHERE { ?p a kg:Project }", "p")
    assert len(projects) == 5
    # every project keeps its provenance: a source document with a checksum, in its own named graph
    rows = select(
        store,
        """SELECT ?p ?doc ?g ?sha WHERE { GRAPH ?g { ?p a kg:Project ; prov:wasDerivedFrom ?doc .
             ?doc a kg:SourceDocument ; kg:sha256 ?sha . ?g prov:wasDerivedFrom ?doc } }""",
    )
    assert {r["p"] for r in rows} == projects
    assert len({r["g"] for r in rows}) == 5
    assert all(len(r["sha"]) == 64 for r in rows)


def test_vocabularies_and_ontology_each_have_a_named_graph(store):
    graphs = values(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "g")
    for name in ("ontology", "vocab/programmes", "vocab/un-sdg", "vocab/eu-country"):
        assert BASE + "graph/" + name in graphs
    assert len([g for g in graphs if g.startswith(BASE + "graph/source/")]) == 5


def test_europe_for_citizens_network_countries_and_sdgs(store):
    p = values(
        store,
        """SELECT ?p WHERE { ?p a kg:Project ; kg:fundedUnder/skos:broader* ?prog .
             ?prog skos:prefLabel ?l FILTER(CONTAINS(LCASE(STR(?l)), "europe for citizens")) }""",
        "p",
    )
    assert len(p) == 1
    uri = p.pop()
    countries = values(store, f"SELECT ?c WHERE {{ <{uri}> kg:country ?c }}", "c")
    assert countries == {
        COUNTRY + c for c in ("ALB", "BEL", "DNK", "EST", "FRA", "ITA", "LVA", "LTU", "NLD", "SVN")
    }
    sdgs = values(store, f"SELECT ?s WHERE {{ <{uri}> kg:sdg ?s }}", "s")
    assert sdgs == {"http://metadata.un.org/sdg/10", "http://metadata.un.org/sdg/11"}
    # no title on the page: a descriptive one, marked as such
    assert values(store, f"SELECT ?d WHERE {{ <{uri}> kg:hasDescriptiveTitle ?d }}", "d") == {"true"}
    dates = select(store, f"SELECT ?s ?e (DATATYPE(?s) AS ?t) WHERE {{ <{uri}> kg:startDate ?s ; kg:endDate ?e }}")
    assert dates == [{"s": "2017-09", "e": "2019-08", "t": "http://www.w3.org/2001/XMLSchema#gYearMonth"}]


def test_eccipa_grant_dates_and_countries(store):
    uri = project_by_acronym(store, "ECCIPA")
    assert uri == BASE + "id/project/2020-1-DE02-KA202-007701"  # the URI comes from the grant number
    assert values(store, f"SELECT ?n WHERE {{ <{uri}> kg:hasGrant/kg:grantNumber ?n }}", "n") == {
        "2020-1-DE02-KA202-007701"
    }
    dates = select(store, f"SELECT ?s ?e (DATATYPE(?e) AS ?t) WHERE {{ <{uri}> kg:startDate ?s ; kg:endDate ?e }}")
    assert dates == [{"s": "2020-12", "e": "2023-05", "t": "http://www.w3.org/2001/XMLSchema#gYearMonth"}]
    countries = values(store, f"SELECT ?c WHERE {{ <{uri}> kg:country ?c }}", "c")
    assert countries == {COUNTRY + "DEU", COUNTRY + "ITA", COUNTRY + "ESP"}
    counts = select(store, f"SELECT ?pc ?cc WHERE {{ <{uri}> kg:partnerCount ?pc ; kg:countryCount ?cc }}")
    assert counts == [{"pc": "5", "cc": "3"}]


def test_liaison_dates_and_organisation(store):
    uri = project_by_acronym(store, "LIAISON")
    dates = select(store, f"SELECT ?s ?e (DATATYPE(?s) AS ?t) WHERE {{ <{uri}> kg:startDate ?s ; kg:endDate ?e }}")
    assert dates == [{"s": "2020-02-03", "e": "2022-04-02", "t": "http://www.w3.org/2001/XMLSchema#date"}]
    orgs = values(
        store,
        f"SELECT ?name WHERE {{ <{uri}> kg:hasParticipation/kg:organisation ?o . ?o kg:legalName ?name }}",
        "name",
    )
    assert "CESIE ETS" in orgs
    funders = values(store, f"SELECT ?l WHERE {{ <{uri}> kg:fundedBy/kg:shortName ?l }}", "l")
    assert funders == {"DG JUST"}
    # Italian text is tagged @it
    langs = values(store, f"SELECT (LANG(?o) AS ?l) WHERE {{ <{uri}> kg:objective ?o }}", "l")
    assert langs == {"it"}


def test_liaison_personal_email_stays_out_of_the_public_graph(store):
    found = values(store, 'SELECT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "daria.labarbera")) }', "s")
    assert found == set()


def test_learning_cities_six_cities(store):
    uri = values(
        store,
        'SELECT ?p WHERE { ?p a kg:Project ; dct:title ?t FILTER(STR(?t) = "Learning Cities for Migrants Inclusion") }',
        "p",
    ).pop()
    cities = values(store, f"SELECT ?l WHERE {{ <{uri}> kg:city ?c . ?c rdfs:label ?l }}", "l")
    assert {"Bologna", "Berlin", "Dunkerque", "Catania", "Santander", "Budapest"} <= cities
    assert len(values(store, f"SELECT ?c WHERE {{ <{uri}> kg:city ?c }}", "c")) == 6
    city_countries = values(store, f"SELECT ?k WHERE {{ <{uri}> kg:city/kg:country ?k }}", "k")
    assert city_countries == {COUNTRY + c for c in ("ITA", "DEU", "FRA", "ESP", "HUN")}
    assert values(store, f"SELECT ?s WHERE {{ <{uri}> kg:startDate ?s }}", "s") == {"2009-11-01"}


def test_ic4lop_programme_and_indicators(store):
    uri = project_by_acronym(store, "IC4LOP")
    chain = values(
        store,
        f"SELECT ?n WHERE {{ <{uri}> kg:fundedUnder/skos:broader* ?c . ?c skos:notation ?n }}",
        "n",
    )
    assert "KA3" in chain
    labels = values(
        store, f"SELECT ?l WHERE {{ <{uri}> kg:fundedUnder/skos:broader* ?c . ?c skos:prefLabel ?l }}", "l"
    )
    assert any("Erasmus+" in label for label in labels)
    results = select(
        store,
        f"""SELECT ?q ?min ?max WHERE {{ <{uri}> kg:hasExpectedResult ?r .
              OPTIONAL {{ ?r kg:quantity ?q }} OPTIONAL {{ ?r kg:minQuantity ?min }} OPTIONAL {{ ?r kg:maxQuantity ?max }} }}""",
    )
    quantities = {r["q"] for r in results if "q" in r}
    ranges = {(r["min"], r["max"]) for r in results if "min" in r}
    assert {"30", "6"} <= quantities
    assert {("10", "20"), ("10", "17")} <= ranges
    dates = select(store, f"SELECT ?s ?e WHERE {{ <{uri}> kg:startDate ?s ; kg:endDate ?e }}")
    assert dates == [{"s": "2019-01-15", "e": "2021-01-14"}]


def test_countries_carry_iso_codes_for_linking(store):
    codes = values(store, f"SELECT ?n WHERE {{ <{COUNTRY}ITA> skos:notation ?n }}", "n")
    assert {"IT", "ITA"} <= codes


def test_kg_query_outputs_csv_and_json(seed_build: Path, tmp_path: Path):
    proc = run_kg(
        "query",
        P + "SELECT ?a WHERE { ?p kg:acronym ?a } ORDER BY ?a",
        "--format",
        "csv",
        "--var-dir",
        str(seed_build),
        check=True,
    )
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["a"]
    assert ["ECCIPA"] in rows and ["IC4LOP"] in rows and ["LIAISON"] in rows
    rq = tmp_path / "count.rq"
    rq.write_text(P + "SELECT (COUNT(?p) AS ?n) WHERE { ?p a kg:Project }")
    proc = run_kg("query", str(rq), "--format", "json", "--var-dir", str(seed_build), check=True)
    assert json.loads(proc.stdout)["results"]["bindings"][0]["n"]["value"] == "5"
    proc = run_kg("query", P + "CONSTRUCT { ?p a kg:Project } WHERE { ?p a kg:Project }", "-f", "turtle",
                  "--var-dir", str(seed_build), check=True)
    assert proc.stdout.count("kg:Project") + proc.stdout.count("def#Project") >= 5
    bad = run_kg("query", "SELECT WHERE {", "--var-dir", str(seed_build))
    assert bad.returncode == 1 and "Bad query" in bad.stderr


def test_kg_stats_counts_per_class_and_graph(seed_build: Path):
    proc = run_kg("stats", "--var-dir", str(seed_build), check=True)
    assert "Triples per named graph" in proc.stdout and "Instances per class" in proc.stdout
    assert "def#Project" in proc.stdout and "graph/vocab/un-sdg" in proc.stdout


def test_kg_build_states_what_it_carries_over_from_imports(seed_build: Path, tmp_path: Path):
    """After `kg import`, `kg build` names the import graphs and quads it carries into the new store
    besides the curated ones (an import made by hand here: an artefact and its manifest entry)."""
    var = tmp_path / "var"
    shutil.copytree(seed_build, var, symlinks=True)
    graph = BASE + "graph/import/test/sample"
    nquads = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" <{graph}> .\n' for i in range(3))
    artefact = var / "imports" / "test" / "sample" / "sample.nq.gz"
    artefact.parent.mkdir(parents=True)
    artefact.write_bytes(gzip.compress(nquads.encode()))
    entry = {
        "source": "test", "name": "sample", "graph": graph, "artefact": str(artefact.relative_to(var)),
        "sha256": hashlib.sha256(artefact.read_bytes()).hexdigest(), "quads": 3,
    }
    current = releases.current(var)
    assert current is not None
    write_manifest(current, {"imports": [entry]})

    proc = run_kg("build", "--var-dir", str(var), check=True)
    summary = " ".join(proc.stdout.split())
    assert re.search(r"Built 5 projects, \d+ quads in \d+ named graphs, plus 3 quads in 1 import graph\(s\) carried over", summary), summary
    with OxigraphStore(var / "store", read_only=True) as store:
        assert len(list(store.query(f"SELECT * WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))) == 3


def test_kg_build_without_imports_states_only_the_curated_counts(seed_build: Path, tmp_path: Path):
    var = tmp_path / "var"
    shutil.copytree(seed_build, var, symlinks=True)
    proc = run_kg("build", "--var-dir", str(var), check=True)
    assert "Built 5 projects" in proc.stdout and "carried over" not in proc.stdout
