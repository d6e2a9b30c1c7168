"""Entity resolution of organisations (docs/entity-resolution.md): names, identifiers, the score's
three outcomes, and the evaluation figures regenerating from the real names in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_kg
from kg.linking.evidence import Profile, TermFrequencies, compare
from kg.linking.names import EXTRA_LEGAL_FORMS, domain, normalise
from kg.linking.reviews import load_reviews, record_review
from kg.model.errors import RecordsInvalid

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ITA = "http://publications.europa.eu/resource/authority/country/ITA"
ESP = "http://publications.europa.eu/resource/authority/country/ESP"
FRA = "http://publications.europa.eu/resource/authority/country/FRA"
TF = TermFrequencies(lambda t: 1, lambda: 1000)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [("CESIE ETS", "cesie"), ("CESIE E.T.S.", "cesie"), ("Associazione Arci APS", "associazione arci"), ("Fondazione Banco Onlus", "fondazione banco"),
     ("ΚΕΝΤΡΟ ΑΜΚΕ", "kentro"), ("Diakonie Düsseldorf gGmbH", "diakonie dusseldorf"), ("Eurochild AISBL", "eurochild"),
     ("Fundación Secretariado Gitano S.L.", "fundacion secretariado gitano"), ("UNIVERSITAET POTSDAM; UP", "universitat potsdam")],
)
def test_names_lose_legal_form_case_accents_script_and_punctuation(written: str, normalised: str):
    assert normalise(written) == normalised


def test_the_extra_legal_forms_are_the_ones_cleanco_lacks():
    from cleanco import basename

    for form in (("ets",), ("onlus",), ("amke",), ("ggmbh",), ("aisbl",)):
        assert form in EXTRA_LEGAL_FORMS
        assert basename(f"Alfa {form[0].upper()}") != "Alfa"  # still lacking in cleanco: the table is needed


def test_domains_skip_shared_hosts():
    assert domain("www.uni-potsdam.de") == "uni-potsdam.de" and domain("https://cesie.org/en/") == "cesie.org"
    assert domain("https://sites.google.com/x") is None and domain("gmail.com") is None


def test_three_outcomes():
    linked = compare(Profile("CESIE ETS"), Profile("CESIE", country=ITA, city="Palermo"), TF)
    candidate = compare(Profile("Comune", country=ITA), Profile("Comune", country=ITA), TF)
    distinct = compare(Profile("Comune di Palermo", country=ITA), Profile("Comune di Catania", country=ITA), TF)
    assert (linked.outcome, candidate.outcome, distinct.outcome) == ("linked", "candidate", "distinct")
    assert linked.probability > 0.99 > candidate.probability > 0.5 > distinct.probability
    swap = compare(Profile("Universidad Complutense de Madrid", country=ESP, city="Madrid"), Profile("Universidad Autonoma de Madrid", country=ESP, city="Madrid"), TF)
    assert swap.outcome != "linked"  # a distinctive word each side lacks: two universities, whatever the city says


def test_identifiers_link_and_conflicting_identifiers_forbid_whatever_the_names_say():
    same = compare(Profile("Alfa", identifiers={"oid": "E10012345"}), Profile("Completely Other Name", identifiers={"oid": "E10012345"}), TF)
    assert (same.outcome, same.rule) == ("linked", "identifier:oid")
    conflict = compare(Profile("CESIE", country=ITA, identifiers={"pic": "111111111"}), Profile("CESIE", country=ITA, identifiers={"pic": "222222222"}), TF)
    assert (conflict.outcome, conflict.rule) == ("distinct", "identifier-conflict")
    vat = compare(Profile("CESIE", identifiers={"vat": "IT 97171570829"}), Profile("CESIE", identifiers={"vat": "IT97171570820"}), TF)
    assert vat.outcome == "distinct"
    assert compare(Profile("CESIE", country=ITA), Profile("CESIE", country=FRA), TF).rule == "country-conflict"


def test_review_file_round_trip_and_errors(tmp_path: Path):
    path = tmp_path / "organisation-reviews.yaml"
    record_review(path, "it-cesie-palermo", "cesie", "accept", "same association")
    record_review(path, "it-cesie-palermo", "cesie", "reject")  # replaces the earlier decision on the pair
    assert load_reviews(path) == {("it-cesie-palermo", "cesie"): "reject"}
    path.write_text("decisions:\n  - occurrence: a\n    organisation: b\n    decision: maybe\n")
    with pytest.raises(RecordsInvalid, match=r"decisions\[0\]\.decision.*not accept or reject"):
        load_reviews(path)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is the evaluation's input")
def test_the_evaluation_figures_regenerate(tmp_path: Path):
    report = tmp_path / "figures.md"
    proc = run_kg("orgs", "evaluate", "--size", "120", "--shared", str(SHARED), "--report", str(report), check=True)
    assert "precision" in proc.stdout
    text = report.read_text()
    assert "| legal-form | same |" in text and "| same-name-other-country | different |" in text
    precision = float(text.split("**Precision ")[1].split(",")[0])
    assert precision >= 0.95


def test_external_identifiers_are_links():
    from kg.mapping import identifier_link

    assert identifier_link("ror", "03bnmw459") == identifier_link("ror", "https://ror.org/03bnmw459") == "https://ror.org/03bnmw459"
    assert identifier_link("wikidata", "Q152171") == "http://www.wikidata.org/entity/Q152171"
    assert identifier_link("vat", "IT1") is None
