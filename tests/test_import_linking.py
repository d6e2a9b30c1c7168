"""One organisation across sources: a CORDIS participant that also appears in an Erasmus+ partner list
is ONE node, whichever is imported first; look-alikes are kept apart and listed for review.

The reference fixtures share exactly one organisation: UNIVERSITAET POTSDAM (CORDIS PIC 999854855, in
Potsdam) is the coordinator of the Erasmus Mundus row — at its Golm campus, which the score links
(distinctive name, same country, another city). For a merge, this module builds a small
realistic platform export of its own: the real KA2 row's columns, with a SYNTHETIC project
(identifier ``2021-1-DE01-KA220-HED-000000000``, title "Synthetic test project") whose partner is the
University of Potsdam written as the platform writes it ("Universität Potsdam", Am Neuen Palais 10,
14469, Potsdam — CORDIS's address for it). No real project gains a partner.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import run_kg
from kg.imports.pipeline import run_import
from kg.settings import Settings
from test_import_helpers import BASE, HEAD, ID, erasmus_rows, fresh_var, select, values, write_erasmus_xlsx

POTSDAM = ID + "organisation/pic-999854855"
SYNTHETIC = "2021-1-DE01-KA220-HED-000000000"


def synthetic_export(path: Path, *, partner_country: str = "DE", partner_name: str = "Universität Potsdam") -> Path:
    [(_, row)] = erasmus_rows("ErasmusPlus_KA2_CooperationForInnovationAndTheExchangeOfGoodPractices_Projects_Overview")
    row = {k: "" for k in row} | {
        "Programme": "Erasmus+",
        "Key Action": "Partnerships for cooperation and exchanges of practices",
        "Action Type": "Cooperation partnerships in higher education",
        "Call year": "2021",
        "Project Identifier": SYNTHETIC,
        "Project Title": "Synthetic test project (not a real project)",
        "Project Status": "ongoing",
        "Participating countries": f"LI,{partner_country}",
        "Coordinating organisation name": "Liechtenstein-Institut",
        "Coordinating organisation type": "Research Institute/Centre",
        "Coordinator's address": "St. Luziweg 2, 9487, Bendern",
        "Coordinator's country": "LI",
        "Partner 1 name": partner_name,
        "Partner 1 organisation type": "Higher education institution (tertiary level)",
        "Partner 1 address": "Am Neuen Palais 10, 14469, Potsdam",
        "Partner 1 region": "Brandenburg",
        "Partner 1 country": partner_country,
        "Partner 1 website": "www.uni-potsdam.de",
    }
    return write_erasmus_xlsx(path, row)


def cordis(var: Path) -> None:
    run_import(Settings(var_dir=var), "cordis", [HEAD / "project_df_100.csv", HEAD / "organization_df_100.csv"], name="he")


def erasmus(var: Path, tmp: Path, **kw: str) -> None:
    paths = [write_erasmus_xlsx(tmp / f"{stem}.xlsx", row) for stem, row in erasmus_rows()]
    paths.append(synthetic_export(tmp / "synthetic.xlsx", **kw))
    run_import(Settings(var_dir=var), "erasmus", paths, name="platform")


def organisations_of(var: Path, project: str) -> set[str]:
    return values(var, f"SELECT ?o WHERE {{ <{ID}project/{project}> kg:hasParticipation/kg:organisation ?o }}", "o")


@pytest.fixture(scope="module")
def cordis_then_erasmus(seed_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("c-e")
    var = fresh_var(seed_build, tmp)
    cordis(var)
    erasmus(var, tmp)
    return var


def test_a_cordis_participant_in_an_erasmus_partner_list_is_one_node(cordis_then_erasmus: Path):
    var = cordis_then_erasmus
    assert POTSDAM in organisations_of(var, "101163161")  # IRASTRO (CORDIS)
    assert POTSDAM in organisations_of(var, SYNTHETIC)  # the platform export
    rows = select(var, f"SELECT ?legal ?alt WHERE {{ <{POTSDAM}> kg:legalName ?legal ; skos:altLabel ?alt }}")
    assert {r["legal"] for r in rows} == {"UNIVERSITAET POTSDAM"}  # one legal name
    assert "Universität Potsdam" in {r["alt"] for r in rows}  # the other spelling kept
    assert len(values(var, f"SELECT ?c WHERE {{ <{POTSDAM}> kg:city ?c }}", "c")) == 1


def test_the_merge_is_recorded_with_rule_and_evidence(cordis_then_erasmus: Path):
    rows = select(cordis_then_erasmus, f"""SELECT ?decision ?rule ?evidence ?where ?doc WHERE {{
        GRAPH <{BASE}graph/inferred/organisation-matches/erasmus/platform> {{ ?m a kg:OrganisationMatch ; kg:matchedOrganisation <{POTSDAM}> ;
          kg:occurrenceOrganisation <{POTSDAM}> ; kg:matchDecision ?decision ; kg:matchRule ?rule ; kg:matchEvidence ?evidence ;
          kg:sourceLocation ?where ; prov:wasDerivedFrom ?doc }} }}""")
    [m] = [r for r in rows if r["where"] == "synthetic.xlsx:2"]
    assert (m["decision"], m["rule"], m["where"]) == ("merged", "name-country-city", "synthetic.xlsx:2")
    assert "name 'Universität Potsdam' ~ 'UNIVERSITAET POTSDAM' (key 'universitat potsdam')" in m["evidence"]
    assert "country DEU = DEU" in m["evidence"] and "city 'Potsdam' = 'Potsdam'" in m["evidence"]
    assert m["doc"] == ID + "source/erasmus-platform-synthetic"
    # the decisions are inferred: a graph of their own, apart from the import's source facts
    assert not select(cordis_then_erasmus, f"SELECT ?m WHERE {{ GRAPH <{BASE}graph/import/erasmus/platform> {{ ?m a kg:OrganisationMatch }} }}")


def test_the_golm_campus_is_the_university_linked_by_the_score(cordis_then_erasmus: Path):
    """The Erasmus Mundus row writes the University of Potsdam at its Golm campus, without a PIC: the
    name is distinctive and the country agrees, so the score links it despite the other city."""
    var = cordis_then_erasmus
    assert POTSDAM in organisations_of(var, "EACEA-159061")
    rows = select(var, f"""SELECT ?rule ?outcome ?score ?evidence WHERE {{ ?m kg:matchOutcome ?outcome ; kg:occurrenceOrganisation <{POTSDAM}> ;
        kg:matchedOrganisation <{POTSDAM}> ; kg:matchRule ?rule ; kg:matchScore ?score ; kg:matchEvidence ?evidence ; kg:sourceLocation ?where
        FILTER(STRSTARTS(?where, "ErasmusMundus")) }}""")
    assert len(rows) == 1 and (rows[0]["rule"], rows[0]["outcome"]) == ("fellegi-sunter", "linked")
    assert "city 'GOLM' ≠ 'Potsdam'" in rows[0]["evidence"] and float(rows[0]["score"]) >= 0.99


def test_kg_orgs_lists_the_decisions_for_review(cordis_then_erasmus: Path):
    proc = run_kg("orgs", "--matches", "--format", "csv", "--var-dir", str(cordis_then_erasmus), check=True)
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    merged = [r for r in rows if r["organisation"] == POTSDAM and r["decision"] == "merged" and r["location"].startswith("synthetic")]
    assert len(merged) == 1 and merged[0]["stated_name"] == "Universität Potsdam" and merged[0]["location"] == "synthetic.xlsx:2"
    assert any(r["outcome"] == "linked" and r["rule"] == "fellegi-sunter" and r["matched_organisation"] == POTSDAM for r in rows)
    table = run_kg("orgs", "--matches", "--var-dir", str(cordis_then_erasmus), check=True)
    assert "name-country-city" in table.stdout and "Universität Potsdam" in table.stdout


def test_kg_orgs_csv_lists_every_organisation_once(cordis_then_erasmus: Path):
    """``kg orgs --format csv`` is the organisations themselves (it used to repeat the per-graph counts)."""
    proc = run_kg("orgs", "--format", "csv", "--var-dir", str(cordis_then_erasmus), check=True)
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert list(rows[0]) == ["organisation", "name", "country", "graphs", "projects"]
    uris = [r["organisation"] for r in rows]
    assert len(uris) == len(set(uris)) == len(values(cordis_then_erasmus, "SELECT DISTINCT ?o WHERE { ?o a kg:Organisation }", "o"))
    [potsdam] = [r for r in rows if r["organisation"] == POTSDAM]
    assert len(potsdam["graphs"].split()) >= 2 and int(potsdam["projects"]) >= 2  # one node, both sources


def test_one_node_whichever_source_comes_first(seed_build: Path, tmp_path: Path):
    var = fresh_var(seed_build, tmp_path)
    erasmus(var, tmp_path)
    cordis(var)
    [org] = organisations_of(var, SYNTHETIC) - organisations_of(var, SYNTHETIC).intersection(
        values(var, "SELECT ?o WHERE { ?o kg:legalName \"Liechtenstein-Institut\" }", "o"))
    assert org in organisations_of(var, "101163161")  # CORDIS's occurrence merged into the node the platform minted
    assert org == ID + "organisation/de-universitaet-potsdam-golm"  # the first key that minted it wins
    assert values(var, f"SELECT ?pic WHERE {{ <{org}> kg:pic ?pic }}", "pic") == {"999854855"}
    decisions = f"{BASE}graph/inferred/organisation-matches/cordis/he"
    rule = values(var, f"SELECT ?r WHERE {{ GRAPH <{decisions}> {{ ?m kg:matchedOrganisation <{org}> ; kg:matchDecision \"merged\" ; kg:matchRule ?r }} }}", "r")
    assert rule == {"name-country-city"}


def test_never_merged_on_the_name_alone_across_countries(seed_build: Path, tmp_path: Path):
    var = fresh_var(seed_build, tmp_path)
    cordis(var)
    erasmus(var, tmp_path, partner_country="AT", partner_name="UNIVERSITAET POTSDAM")
    partner = organisations_of(var, SYNTHETIC) - values(var, "SELECT ?o WHERE { ?o kg:legalName \"Liechtenstein-Institut\" }", "o")
    assert partner and POTSDAM not in partner
    rows = select(var, f"""SELECT ?outcome ?rule WHERE {{ ?m kg:matchedOrganisation <{POTSDAM}> ;
        kg:occurrenceOrganisation <{partner.pop()}> ; kg:matchOutcome ?outcome ; kg:matchRule ?rule }}""")
    assert rows == [{"outcome": "distinct", "rule": "country-conflict"}]  # compared, recorded, never merged


def cesie_row(identifier: str = "2015-1-IT01-KA101-000000") -> dict[str, str]:
    [(_, row)] = erasmus_rows("ErasmusPlus_KA1_2015_LearningMobilityOfIndividuals_Projects_Overview")
    return dict(row) | {"Project Identifier": identifier, "Project Title": "Synthetic test project (not a real project)",
                        "Participating countries": "IT", "Coordinating organisation name": "CESIE",
                        "Coordinator's address": "Via Roma 94, 90133, Palermo", "Coordinator's country": "IT", "Coordinator's region": "Sicilia"}


def test_the_seed_case_legal_form_no_address_vs_bare_name_with_country_and_town_is_one_node(seed_build: Path, tmp_path: Path):
    """The LIAISON seed names "CESIE ETS" (the Italian third-sector form) with no address; a platform
    row names "CESIE" in Palermo, IT: one node (the seed's URI), the decision recorded with its evidence."""
    var = fresh_var(seed_build, tmp_path)
    run_import(Settings(var_dir=var), "erasmus", [write_erasmus_xlsx(tmp_path / "cesie.xlsx", cesie_row())], name="cesie")
    assert organisations_of(var, "2015-1-IT01-KA101-000000") == {ID + "organisation/cesie"}
    assert values(var, "SELECT ?n WHERE { <https://w3id.org/euprojects/id/organisation/cesie> kg:legalName ?n }", "n") == {"CESIE ETS"}
    [m] = select(var, f"""SELECT ?outcome ?rule ?score ?evidence WHERE {{ ?m kg:matchedOrganisation <{ID}organisation/cesie> ;
        kg:occurrenceOrganisation <{ID}organisation/cesie> ; kg:matchOutcome ?outcome ; kg:matchRule ?rule ; kg:matchScore ?score ;
        kg:matchEvidence ?evidence }}""")
    assert (m["outcome"], m["rule"]) == ("linked", "fellegi-sunter") and float(m["score"]) >= 0.99
    assert "names equal once normalised" in m["evidence"] and "country missing on one side" in m["evidence"]
    proc = run_kg("orgs", "--matches", "--format", "csv", "--var-dir", str(var), check=True)
    assert any(r["outcome"] == "linked" and r["stated_name"] == "CESIE" for r in csv.DictReader(io.StringIO(proc.stdout)))


def test_a_review_decision_survives_every_later_import(seed_build: Path, tmp_path: Path):
    """A person's reject (data/organisation-reviews.yaml) keeps the pair apart in every later import;
    an accept is stated by every later build (owl:sameAs) and applied by every later import."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(Settings().data_dir, data)  # type: ignore[arg-type]
    var = fresh_var(seed_build, tmp_path)
    run_kg("orgs", "review", "--reject", "it-cesie-palermo=cesie", "--note", "test", "--data-dir", str(data), "--var-dir", str(var), check=True)
    assert "decision: reject" in (data / "organisation-reviews.yaml").read_text()
    for name in ("one", "two"):  # the import, and the same import again (a rebuild of its graph)
        run_import(Settings(var_dir=var, data_dir=data), "erasmus", [write_erasmus_xlsx(tmp_path / "cesie.xlsx", cesie_row())], name="cesie")
        assert organisations_of(var, "2015-1-IT01-KA101-000000") == {ID + "organisation/it-cesie-palermo"}, name
    rules = values(var, f"SELECT ?r WHERE {{ ?m kg:matchedOrganisation <{ID}organisation/cesie> ; kg:matchOutcome \"distinct\" ; kg:matchRule ?r }}", "r")
    assert rules == {"review"}
    # changed to accept: the next build states the two nodes are one (owl:sameAs, no URI changes) ...
    run_kg("orgs", "review", "--accept", "it-cesie-palermo=cesie", "--data-dir", str(data), "--var-dir", str(var), check=True)
    run_kg("build", "--data-dir", str(data), "--var-dir", str(var), check=True)
    same = f"SELECT ?o WHERE {{ <{ID}organisation/it-cesie-palermo> <http://www.w3.org/2002/07/owl#sameAs> ?o }}"
    assert values(var, same, "o") == {ID + "organisation/cesie"}
    # ... and the next import attaches the occurrence to the known node, by the review's rule
    run_import(Settings(var_dir=var, data_dir=data), "erasmus", [write_erasmus_xlsx(tmp_path / "cesie.xlsx", cesie_row())], name="cesie")
    assert organisations_of(var, "2015-1-IT01-KA101-000000") == {ID + "organisation/cesie"}
    linked = f"SELECT ?r WHERE {{ ?m kg:matchedOrganisation <{ID}organisation/cesie> ; kg:matchOutcome \"linked\" ; kg:matchRule ?r }}"
    assert values(var, linked, "r") == {"review"}


def test_one_node_lists_every_source_its_aliases_and_decisions(cordis_then_erasmus: Path):
    """The organisation's API answer (kg.read.organisations.get_organisation): every source graph
    with its projects, the other spellings with the graph stating each, and the linking decisions."""
    from kg.read.organisations import get_organisation
    from kg.store.oxigraph import OxigraphStore

    with OxigraphStore(cordis_then_erasmus / "store", read_only=True) as store:
        doc = get_organisation(store, POTSDAM)
    graphs = {s["graph"]: s["projectCount"] for s in doc["sources"]}
    assert graphs[f"{BASE}graph/import/cordis/he"] >= 1 and graphs[f"{BASE}graph/import/erasmus/platform"] >= 2
    assert {"label": "Universität Potsdam", "graphs": [f"{BASE}graph/import/erasmus/platform"]} in doc["aliases"]
    assert {p["@id"] for p in doc["projects"]} >= {ID + "project/101163161", ID + f"project/{SYNTHETIC}", ID + "project/EACEA-159061"}
    assert any(d["outcome"] == "linked" and d["rule"] == "fellegi-sunter" and d["score"] >= 0.99 for d in doc["linkingDecisions"])
