"""`kg import cordis` on the real CORDIS material in ../shared/data: Horizon Europe project and
organization tables in every format CORDIS publishes (pandas CSV, official ';' CSV, DATA-sheet xlsx,
zip) with the big xlsx link tables, the H2020 reference tables, legacy one-row-per-project files
(with shifted rows); facts checked with SPARQL on the store the import promotes."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from conftest import run_kg
from kg.imports.artefacts import read_manifest
from kg.imports.context import ImportFailed
from kg.imports.pipeline import run_import
from kg.settings import Settings
from kg.store import releases
from test_import_helpers import (
    BASE,
    COUNTRY,
    H2020_REF,
    HE,
    HEAD,
    ID,
    LEGACY,
    count,
    fresh_var,
    he_official,  # noqa: F401 - a fixture
    legacy_line,
    read_csv,
    select,
    values,
    write_official_csv,
)

GRAPH = BASE + "graph/import/cordis/horizon-europe"
MEASURED: dict[str, float] = {}


def settings(var: Path) -> Settings:
    return Settings(var_dir=var)


@pytest.fixture(scope="module")
def he(seed_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The head-100 project/organization CSVs with every xlsx link table (15k–38k rows each)."""
    var = fresh_var(seed_build, tmp_path_factory.mktemp("he"))
    paths = [HEAD / "project_df_100.csv", HEAD / "organization_df_100.csv"] + sorted(HE.glob("*.xlsx"))
    started = time.perf_counter()
    result = run_import(settings(var), "cordis", paths, name="horizon-europe")
    MEASURED["total seconds"] = time.perf_counter() - started
    for t in result.tables:
        MEASURED[f"{t.file} rows/s"] = t.rows_per_second
    (var / "result.json").write_text(
        json.dumps({"projects": result.projects, "skipped": result.skipped, "tables": [t.__dict__ | {"advance": None} for t in result.tables]}, default=str)
    )
    return var


def project(var: Path, key: str) -> dict[str, str]:
    rows = select(
        var,
        f"""SELECT ?acronym ?title ?start ?end ?amount ?total ?signed ?doi ?status WHERE {{
          <{ID}project/{key}> kg:acronym ?acronym ; dct:title ?title ; kg:startDate ?start ; kg:endDate ?end ;
             kg:status ?status ; kg:hasGrant ?g .
          ?g kg:amount/schema:value ?amount . OPTIONAL {{ ?g kg:signatureDate ?signed }}
          OPTIONAL {{ <{ID}project/{key}> kg:totalCost/schema:value ?total }}
          OPTIONAL {{ <{ID}project/{key}> kg:doi ?doi }} }}""",
    )
    assert len(rows) == 1, rows
    return rows[0]


def participants(var: Path, key: str) -> list[dict[str, str]]:
    return select(
        var,
        f"""SELECT ?org ?name ?role ?country ?city ?ec ?order WHERE {{
          <{ID}project/{key}> kg:hasParticipation ?p . ?p kg:organisation ?org ; kg:role ?role .
          OPTIONAL {{ ?p kg:order ?order }} OPTIONAL {{ ?p kg:ecContribution/schema:value ?ec }}
          ?org kg:legalName ?name . OPTIONAL {{ ?org kg:country ?country }} OPTIONAL {{ ?org kg:city/rdfs:label ?city }} }}
          ORDER BY ?order""",
    )


# --------------------------------------------------------------------------- Horizon Europe
def test_project_facts(he: Path):
    doe = project(he, "101116741")
    assert doe["acronym"] == "DOE" and doe["title"] == "Digitizing Other Economies: A Comparative Approach"
    assert (doe["start"], doe["end"], doe["signed"]) == ("2024-02-01", "2029-01-31", "2023-12-15")
    assert doe["amount"] == "1499998" and doe["total"] == "1499998" and doe["doi"] == "10.3030/101116741"
    [coordinator] = participants(he, "101116741")
    assert coordinator["name"] == "WAGENINGEN UNIVERSITY" and coordinator["role"] == BASE + "def#RoleCoordinator"
    assert coordinator["country"] == COUNTRY + "NLD" and coordinator["city"] == "Wageningen"
    assert coordinator["ec"] == "1499998" and coordinator["org"] == ID + "organisation/pic-999981634"


def test_partners_their_countries_and_contributions(he: Path):
    irastro = participants(he, "101163161")
    assert [(p["name"], p["role"].rsplit("#", 1)[1], p["country"].rsplit("/", 1)[1]) for p in irastro] == [
        ("MAX-PLANCK-GESELLSCHAFT ZUR FORDERUNG DER WISSENSCHAFTEN EV", "RoleCoordinator", "DEU"),
        ("AARHUS UNIVERSITET", "RoleParticipant", "DNK"),
        ("UNIVERSITAET POTSDAM", "RoleParticipant", "DEU"),
    ]
    assert [p["ec"] for p in irastro] == ["5856310", "4246240", "1982813"]


def test_eu_style_country_codes_resolve(he: Path):
    # EL is Greece and UK the United Kingdom in CORDIS
    rows = select(he, f"""SELECT ?name ?c WHERE {{ GRAPH <{GRAPH}> {{ ?o a kg:Organisation ; kg:legalName ?name ; kg:country ?c }}
                         FILTER(?name IN ("OPENAIRE AMKE", "IDRYMA TECHNOLOGIAS KAI EREVNAS", "EIT DIGITAL UK")) }}""")
    assert {r["name"]: r["c"].rsplit("/", 1)[1] for r in rows} == {
        "OPENAIRE AMKE": "GRC",
        "IDRYMA TECHNOLOGIAS KAI EREVNAS": "GRC",
        "EIT DIGITAL UK": "GBR",
    }


def test_one_organisation_per_pic_with_address_nuts_and_coordinates(he: Path):
    mpg = ID + "organisation/pic-999990267"
    assert len(values(he, f"SELECT ?p WHERE {{ ?p kg:organisation <{mpg}> }}", "p")) == 3  # three projects
    [row] = select(he, f"""SELECT ?street ?post ?nuts ?lat ?lon ?vat ?type ?sme WHERE {{ <{mpg}> kg:streetAddress ?street ;
        kg:postCode ?post ; kg:nutsCode ?nuts ; kg:latitude ?lat ; kg:longitude ?lon ; kg:vatNumber ?vat ;
        kg:organisationType ?type ; kg:isSME ?sme }}""")
    assert row == {"street": "HOFGARTENSTRASSE 8", "post": "80539", "nuts": "DE212", "lat": "48.1411687", "lon": "11.5822929",
                   "vat": "DE129517720", "type": "Research Organisations", "sme": "false"}


def test_programme_hierarchy_horizon_europe_legal_basis_topic(he: Path):
    chain = select(he, f"""SELECT ?c ?label ?type WHERE {{ <{ID}project/101116741> kg:fundedUnder ?t . ?t skos:broader* ?c .
        ?c skos:prefLabel ?label ; a ?type FILTER(?type != skos:Concept) }}""")
    got = {r["c"].rsplit("/", 1)[1]: (r["label"], r["type"].rsplit("#", 1)[1]) for r in chain}
    assert got == {
        "erc-2023-stg": ("ERC STARTING GRANTS", "Call"),
        "horizon-1-1": ("European Research Council (ERC)", "FundingProgramme"),
        "horizon-1": ("Excellent Science", "FundingProgramme"),
        "horizon-europe-2021-2027": ("Horizon Europe (2021–2027)", "FundingProgramme"),
    }
    assert values(he, f"SELECT ?s WHERE {{ <{ID}programme/erc-2023-stg> skos:inScheme ?s }}", "s") == {ID + "scheme/programmes"}
    # every legal basis CORDIS lists for a project
    assert values(he, f"SELECT ?l WHERE {{ <{ID}project/101072693> kg:legalBasis ?l }}", "l") == {
        ID + "programme/euratom2027", ID + "programme/euratom-1-2-2"}


def test_euroscivoc_fields_as_skos_concepts(he: Path):
    rows = select(he, f"""SELECT ?label ?parent ?top WHERE {{ <{ID}project/101116741> dct:subject ?c .
        ?c skos:prefLabel ?label ; skos:inScheme <{ID}scheme/euroscivoc> ; skos:broader ?b .
        ?b skos:prefLabel ?parent ; skos:broader/skos:prefLabel ?top }}""")
    assert rows == [{"label": "government systems", "parent": "political sciences", "top": "social sciences"}]


def test_deliverables_and_web_links(he: Path):
    rows = select(he, f"""SELECT ?o ?title ?kind ?url WHERE {{ <{ID}project/101157697> kg:hasOutput ?o .
        ?o dct:title ?title ; kg:outputKind ?kind ; schema:url ?url }}""")
    by_uri = {r["o"]: r for r in rows}
    plan = by_uri[f"{ID}project/101157697/output/7"]  # deliverable 101157697_7_DELIVHORIZON keeps its number
    assert plan["title"] == "Data Management Plan" and plan["kind"] == "Data Management Plan"
    assert plan["url"].startswith("https://ec.europa.eu/research/participants/documents/downloadPublic")
    assert len(values(he, f"SELECT ?l WHERE {{ <{ID}project/101072693> kg:webLink ?l }}", "l")) >= 5


def test_link_rows_of_projects_not_in_the_import_are_counted_not_loaded(he: Path):
    result = json.loads((he / "result.json").read_text())
    assert result["projects"] == 100
    assert result["skipped"]["topics: project not in this import's project table"] == 15341 - 100
    assert result["skipped"]["legalBasis: project not in this import's project table"] == 20512 - 138


def test_xlsx_link_tables_report_their_rows_and_time(he: Path):
    """Each xlsx link table states its rows and seconds in the import result (speed itself is measured in bench/, not asserted)."""
    result = json.loads((he / "result.json").read_text())
    xlsx = [t for t in result["tables"] if t["file"].endswith(".xlsx")]
    assert {t["file"] for t in xlsx} >= {"topics.xlsx", "legalBasis.xlsx", "euroSciVoc.xlsx", "webLink.xlsx", "deliverables.xlsx"}
    for t in xlsx:
        assert t["rows"] > 0 and t["seconds"] > 0, t
        print(f"{t['file']}: {t['rows']} rows in {t['seconds']:.2f}s = {t['rows'] / t['seconds']:,.0f} rows/s")
    print(f"whole import: {MEASURED.get('total seconds', 0):.1f} s")


def test_reimport_replaces_the_graph_and_leaves_the_triple_count_unchanged(he: Path, tmp_path: Path):
    before_total, before_graph = count(he), count(he, GRAPH)
    paths = [HEAD / "project_df_100.csv", HEAD / "organization_df_100.csv"] + sorted(HE.glob("*.xlsx"))
    run_import(settings(he), "cordis", paths, name="horizon-europe")
    assert (count(he), count(he, GRAPH)) == (before_total, before_graph)
    manifest = read_manifest(releases.current(he))
    assert [e["graph"] for e in manifest["imports"]] == [GRAPH]


def test_imports_survive_kg_build(he: Path):
    before = count(he, GRAPH)
    run_kg("build", "--var-dir", str(he), check=True)
    assert count(he, GRAPH) == before
    assert project(he, "101116741")["acronym"] == "DOE"


# --------------------------------------------------------------------------- every format CORDIS publishes
def _content(var: Path) -> set[tuple[str, str, str]]:
    """The import graph's triples about projects, organisations and concepts (not about source files)."""
    rows = select(var, f"""SELECT ?s ?p ?o WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }}
        FILTER(!CONTAINS(STR(?s), "/id/source/") && !CONTAINS(STR(?o), "/id/source/") && ?s != <{GRAPH}>) }}""")
    return {(r["s"], r["p"], r["o"]) for r in rows}


def test_official_csv_xlsx_and_zip_give_the_same_graph(seed_build: Path, tmp_path: Path, he_official: dict[str, Path]):
    pandas = [HEAD / f"{t}_df_100.csv" for t in ("project", "organization", "legalBasis", "topics")]
    official = [he_official[t] for t in ("project", "organization", "legalBasis", "topics")]
    xlsx = [he_official["project.xlsx"], he_official["organization.xlsx"], he_official["legalBasis"], he_official["topics"]]
    graphs = {}
    for label, paths in (("pandas", pandas), ("official", official), ("xlsx", xlsx), ("zip", [he_official["zip"]])):
        var = fresh_var(seed_build, tmp_path / label)
        result = run_import(settings(var), "cordis", paths, name="horizon-europe")
        assert result.projects == 100 and not result.rejects, (label, result.rejects[:3])
        graphs[label] = _content(var)
    objective = lambda g: {o for s, p, o in g if s == ID + "project/101163161" and p.endswith("/description")}  # noqa: E731
    assert "\n" in next(iter(objective(graphs["official"])))  # the quoted multi-line field came through whole
    for label in ("official", "xlsx", "zip"):
        diff = {t for t in graphs[label] ^ graphs["pandas"] if not t[1].endswith("/description")}
        assert not diff, (label, sorted(diff)[:5])


# --------------------------------------------------------------------------- bad rows
def _bad_org_table(tmp_path: Path) -> Path:
    header, rows = read_csv(HEAD / "organization_df_100.csv")
    rows = [list(r) for r in rows]
    rows[4][header.index("country")] = "XX"  # line 6: not a country
    rows[9][header.index("order")] = "first"  # line 11
    return write_official_csv(tmp_path / "organization.csv", header, rows)


def _bad_project_table(tmp_path: Path) -> Path:
    header, rows = read_csv(HEAD / "project_df_100.csv")
    rows = [list(r) for r in rows]
    rows[2][header.index("startDate")] = "2024-02-30"  # line 4: no such day
    return write_official_csv(tmp_path / "project.csv", header, rows)


def test_bad_rows_are_reported_with_file_row_column_and_the_rest_loads(seed_build: Path, tmp_path: Path):
    var = fresh_var(seed_build, tmp_path)
    proc = run_kg("import", "cordis", str(_bad_project_table(tmp_path)), str(_bad_org_table(tmp_path)),
                  "--name", "bad", "--var-dir", str(var))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("reject: ")]
    assert "reject: project.csv:4:startDate: '2024-02-30' is not a date (day is out of range for month)" in lines
    assert any(line.startswith("reject: organization.csv:6:country: unknown country 'XX'") for line in lines)
    assert "reject: organization.csv:11:order: 'first' is not a whole number" in lines
    report = next(Path(w) for w in proc.stdout.split() if w.endswith(".csv") and "/rejects/" in w)
    with open(report, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {(r["file"], r["row"], r["column"]) for r in rows} == {("project.csv", "4", "startDate"), ("organization.csv", "6", "country"), ("organization.csv", "11", "order")}
    assert report.parent == var / "rejects"
    assert len(values(var, f"SELECT ?p WHERE {{ GRAPH <{BASE}graph/import/cordis/bad> {{ ?p a kg:Project }} }}", "p")) == 99


def test_strict_rejects_the_file_and_leaves_the_store_untouched(seed_build: Path, tmp_path: Path):
    var = fresh_var(seed_build, tmp_path)
    run_import(settings(var), "cordis", [HEAD / "project_df_100.csv"], name="he")
    build, total = releases.current(var), count(var)
    proc = run_kg("import", "cordis", str(_bad_project_table(tmp_path)), "--name", "he", "--strict", "--var-dir", str(var))
    assert proc.returncode == 1
    assert "reject: project.csv:4:startDate:" in proc.stderr and "--strict" in proc.stderr
    assert releases.current(var) == build and count(var) == total
    assert len(releases.builds(var)) == 2  # the seed build and the first import; nothing half-made left
    with pytest.raises(ImportFailed, match="--strict"):
        run_import(settings(var), "cordis", [_bad_project_table(tmp_path)], name="other", strict=True)
    assert releases.current(var) == build and not (var / "imports" / "cordis" / "other").exists()


def test_a_file_that_is_no_cordis_table_is_refused(seed_build: Path, tmp_path: Path):
    var = fresh_var(seed_build, tmp_path)
    path = tmp_path / "people.csv"
    path.write_text("name;email\nx;y\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="people.csv: not a cordis table"):
        run_import(settings(var), "cordis", [path], name="x")


# --------------------------------------------------------------------------- legacy layouts
@pytest.fixture(scope="module")
def legacy_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The three legacy stubs as the old export wrote them (';', every field quoted, quotes unescaped),
    with two broken rows after UNISECO: an unescaped ';' and an unescaped '"' inside objective."""
    out = tmp_path_factory.mktemp("legacy")
    uniseco = json.loads((LEGACY / "record2.json").read_text(encoding="utf-8"))
    keys = list(uniseco)
    lines = [legacy_line(keys), legacy_line(list(uniseco.values()))]
    shifted = dict(uniseco, rcn="215950", id="773902", acronym="SHIFTED", objective="Farming systems; a new view; and more")
    lines.append(";".join(v if k == "objective" else f'"{v}"' for k, v in shifted.items()))
    quoted = dict(uniseco, rcn="215951", id="773903", acronym="QUOTED", objective='The so-called "agro-ecological" approach')
    lines.append(legacy_line(list(quoted.values())))
    h2020 = out / "cordis-h2020projects.csv"
    h2020.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    files = [h2020]
    for stem in ("recordReference", "recordFP4"):
        record = json.loads((LEGACY / f"{stem}.json").read_text(encoding="utf-8"))
        path = out / f"{stem}.csv"
        path.write_text(legacy_line(list(record)) + "\r\n" + legacy_line(list(record.values())) + "\r\n", encoding="utf-8")
        files.append(path)
    return files


@pytest.fixture(scope="module")
def legacy(seed_build: Path, tmp_path_factory: pytest.TempPathFactory, legacy_files: list[Path]) -> tuple[Path, object]:
    var = fresh_var(seed_build, tmp_path_factory.mktemp("legacy-var"))
    result = run_import(settings(var), "cordis", legacy_files, name="legacy")
    return var, result


def test_legacy_record(legacy):
    var, _ = legacy
    uniseco = project(var, "773901")
    assert uniseco["acronym"] == "UNISECO" and (uniseco["start"], uniseco["end"]) == ("2018-05-01", "2021-04-30")
    assert uniseco["amount"] == "4924771" and uniseco["total"] == "4924771"
    orgs = participants(var, "773901")
    assert orgs[0]["name"] == "JOHANN HEINRICH VON THUENEN-INSTITUT, BUNDESFORSCHUNGSINSTITUT FUER LAENDLICHE RAEUME, WALD UND FISCHEREI"
    assert orgs[0]["role"] == BASE + "def#RoleCoordinator" and orgs[0]["country"] == COUNTRY + "DEU"
    assert len(orgs) == 18  # the coordinator and 17 participants
    countries = values(var, f"SELECT ?c WHERE {{ <{ID}project/773901> kg:country ?c }}", "c")
    assert {c.rsplit("/", 1)[1] for c in countries} == {
        "DEU", "GBR", "ESP", "ROU", "FIN", "SWE", "CHE", "CZE", "BEL", "GRC", "HUN", "AUT", "LVA", "LTU", "ITA", "FRA"}
    topic = values(var, f"SELECT ?b WHERE {{ <{ID}project/773901> kg:fundedUnder/skos:broader ?b }}", "b")
    assert topic == {ID + "programme/h2020-eu-3-2-1-1"}


def test_legacy_rows_with_shifted_columns_are_rejected(legacy):
    var, result = legacy
    rejects = {(r.file, r.row, r.column): r.reason for r in result.rejects}
    assert set(rejects) == {("cordis-h2020projects.csv", 3, "totalCost"), ("cordis-h2020projects.csv", 4, "objective")}
    assert "columns shifted: the row has 23 fields, the header 21" in rejects[("cordis-h2020projects.csv", 3, "totalCost")]
    assert "unescaped '\"'" in rejects[("cordis-h2020projects.csv", 4, "objective")]
    assert not values(var, "SELECT ?p WHERE { ?p kg:acronym ?a FILTER(?a IN (\"SHIFTED\", \"QUOTED\")) }", "p")


def test_older_layouts_fp1_reference_and_fp4(legacy):
    var, _ = legacy
    rows = select(var, f"""SELECT ?start ?end ?prog ?top WHERE {{ <{ID}project/EN3M0034> kg:startDate ?start ; kg:endDate ?end ;
        kg:fundedUnder ?prog . ?prog skos:broader ?top }}""")
    assert rows == [{"start": "1986-01-01", "end": "1988-03-31", "prog": ID + "programme/fp1-ennonuc-3c", "top": ID + "programme/fp1-1984-1987"}]
    fp4 = select(var, f"""SELECT ?title ?status ?scheme WHERE {{ <{ID}project/ENV4950055> dct:title ?title ; kg:status ?status ;
        kg:fundingSchemeCode ?scheme }}""")
    assert fp4 == [{"title": "Formation and occurrence of nitrous acd in the atmosphere", "status": "Completed", "scheme": "CSC"}]
    countries = values(var, f"SELECT ?c WHERE {{ <{ID}project/ENV4950055> kg:country ?c }}", "c")
    assert {c.rsplit("/", 1)[1] for c in countries} == {"ITA", "CHE", "DEU", "DNK", "FRA", "GBR", "GRC"}


# --------------------------------------------------------------------------- H2020 reference tables
@pytest.fixture(scope="module")
def reference(seed_build: Path, tmp_path_factory: pytest.TempPathFactory):
    var = fresh_var(seed_build, tmp_path_factory.mktemp("ref"))
    return var, run_import(settings(var), "cordis", sorted(H2020_REF.glob("*.csv")), name="h2020-reference")


def test_h2020_reference_tables_become_vocabularies(reference):
    var, result = reference
    assert result.projects == 0
    msca = select(var, f"""SELECT ?label ?b ?blabel WHERE {{ <{ID}programme/msca-itn-2014-etn> skos:prefLabel ?label ;
        skos:broader ?b . ?b skos:prefLabel ?blabel }}""")
    assert msca == [{"label": "Marie Sk?odowska-Curie Innovative Training Networks (ITN-ETN)",  # as CORDIS lost the ł
                     "b": ID + "programme/h2020-eu-1-3-1", "blabel": "Fostering new skills by means of excellent initial training of researchers"}]
    env = {r["l"] for r in select(var, f"SELECT ?l WHERE {{ <{ID}cordis-subject/ENV> skos:prefLabel ?l }}")}
    assert {"Environmental Protection", "Protezione ambientale", "Umweltschutz"} <= env


def test_h2020_reference_rows_with_characters_lost_at_source_are_reported(reference):
    _, result = reference
    lines = [str(r) for r in result.rejects]
    assert "cordisref-H2020programmes.csv:64:title: broken encoding: replacement character U+FFFD (a character lost at source) in 'Technology �demonstrator p'" in lines
    assert all("broken encoding" in r.reason for r in result.rejects)
    assert {r.column for r in result.rejects} == {"title", "code", "topicCode", "legalBasisCode"}  # codes lost characters too
    assert "cordisref-H2020topics.csv:1038:legalBasisCode" in {f"{r.file}:{r.row}:{r.column}" for r in result.rejects}
    assert {r.file for r in result.rejects} == {"cordisref-H2020programmes.csv", "cordisref-H2020topics.csv"}


def test_kg_build_refuses_a_missing_artefact_and_keeps_the_store(seed_build: Path, tmp_path: Path):
    var = fresh_var(seed_build, tmp_path)
    result = run_import(settings(var), "cordis", [HEAD / "project_df_100.csv"], name="he")
    build, total = releases.current(var), count(var)
    moved = tmp_path / "moved.nq.gz"
    result.artefact.rename(moved)
    proc = run_kg("build", "--var-dir", str(var))
    assert proc.returncode == 1 and "is missing; re-run the import" in " ".join(proc.stderr.split())
    assert releases.current(var) == build and count(var) == total
    moved.rename(result.artefact)
    run_kg("build", "--var-dir", str(var), check=True)
    assert count(var, BASE + "graph/import/cordis/he") == result.graph_triples
    listing = run_kg("import", "list", "--var-dir", str(var), check=True).stdout
    assert "cordis" in listing and "he" in listing
