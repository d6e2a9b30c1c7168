"""Organisation linking (kg.linking.organisations): normalised names, the merge rules, the evidence,
and decisions that are the same when an import is run again."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.linking.organisations import Occurrence, OrganisationRegistry, city_key, name_key, split_acronym

DEU = "http://publications.europa.eu/resource/authority/country/DEU"
AUT = "http://publications.europa.eu/resource/authority/country/AUT"
ITA = "http://publications.europa.eu/resource/authority/country/ITA"
CORDIS = "https://w3id.org/euprojects/graph/import/cordis/he"
ERASMUS = "https://w3id.org/euprojects/graph/import/erasmus/eplus"


@pytest.mark.parametrize(
    "a, b",
    [
        ("Diakonisches Werk der evangelischen Kirche in Württemberg e.V.", "DIAKONISCHES WERK DER EVANGELISCHEN KIRCHE IN WUERTTEMBERG EV"),
        ("UNIVERSITAET POTSDAM", "Universität Potsdam"),
        ("STICKYDOT SRL", "Stickydot S.R.L."),
        ("WACHAU KULTUR MELK GMBH", "Wachau Kultur Melk GmbH"),
        ("CESIE ETS", "Cesie"),
        ("EIT MANUFACTURING ASBL", "EIT Manufacturing"),
        ("ZWIAZEK PRACODAWCOW KLASTRY POLSKIE SP. Z O.O.", "Związek Pracodawców Klastry Polskie"),
        ("The Moraitis School", "MORAITIS SCHOOL"),
    ],
)
def test_name_key_ignores_case_accents_punctuation_and_legal_forms(a: str, b: str):
    assert name_key(a) == name_key(b)


def test_name_key_keeps_what_distinguishes():
    assert name_key("EIT DIGITAL") != name_key("EIT DIGITAL SPAIN")
    assert name_key("GmbH") == "gmbh"  # a name that is only a legal form keeps it
    assert split_acronym("UNIVERSITAET POTSDAM; UP") == ("UNIVERSITAET POTSDAM", "UP")
    assert city_key("München") == city_key("MUNCHEN") == city_key("Muenchen")


def occ(name: str, country: str | None = DEU, city: str | None = "Potsdam", pic: str | None = None, **facts: str) -> Occurrence:
    f = {"legal_name": name, **facts}
    if country:
        f["country"] = country
    if city:
        f["city"] = city
    if pic:
        f["pic"] = pic
    return Occurrence(name=name, country=country, country_code="DE" if country == DEU else "IT", city=city, pic=pic,
                      facts=f, location="f.csv:2", project_key="p1")


def registry(path: Path, origin: str, run: str = "r1") -> OrganisationRegistry:
    return OrganisationRegistry(path, origin=origin, run=run)


def test_pic_merges_whatever_the_name(tmp_path: Path):
    r = registry(tmp_path / "r.sqlite", CORDIS)
    a = r.resolve(occ("UNIVERSITAET POTSDAM", pic="999854855"))
    b = r.resolve(occ("University of Potsdam", pic="999854855", city="Golm"))
    assert a.new and a.id == "pic-999854855"
    assert not b.new and b.id == a.id
    assert b.matches == []  # the same PIC within one source is not a decision worth reviewing
    assert b.alt_names == ["University of Potsdam"] and b.label == "UNIVERSITAET POTSDAM"
    assert {"legal_name", "city"} <= b.omit  # the first source's legal name and city stand


def test_name_country_city_merges_across_sources_with_evidence(tmp_path: Path):
    path = tmp_path / "r.sqlite"
    r = registry(path, CORDIS)
    cordis = r.resolve(occ("UNIVERSITAET POTSDAM", pic="999854855", street="AM NEUEN PALAIS 10"))
    r.close()
    r = registry(path, ERASMUS)
    erasmus = r.resolve(occ("Universität Potsdam", street="Am Neuen Palais 10, 14469, Potsdam", organisation_type="Higher education institution"))
    assert erasmus.id == cordis.id == "pic-999854855"
    [m] = erasmus.matches
    assert m.merged and m.rule == "name-country-city" and m.organisation == "pic-999854855"
    assert "key 'universitat potsdam'" in m.evidence and "country DEU = DEU" in m.evidence
    assert "street 'Am Neuen Palais 10, 14469, Potsdam' not stated" in m.evidence
    assert "street" in erasmus.omit and "organisation_type" not in erasmus.omit  # a fact not stated before may be added


def test_two_countries_never_one_organisation_other_cities_may_be(tmp_path: Path):
    """Entity resolution (docs/entity-resolution.md): a distinctive name in the same country links
    whatever the city says (a campus, a new address), with the city difference in the evidence;
    another country never; a missing country is no contradiction, but two equally good nodes are
    an ambiguity left to review (candidates)."""
    r = registry(tmp_path / "r.sqlite", ERASMUS)
    first = r.resolve(occ("Red Cross", country=DEU, city="Berlin"))
    other_country = r.resolve(occ("Red Cross", country=AUT, city="Berlin"))
    other_city = r.resolve(occ("Red Cross", country=DEU, city="Bonn"))
    no_city = r.resolve(occ("Red Cross", country=DEU, city=None))
    no_country = r.resolve(occ("Red Cross", country=None, city=None))
    assert other_country.id != first.id and other_country.new
    [m] = other_country.matches
    assert m.decided == "distinct" and m.rule == "country-conflict" and m.other == first.id
    assert other_city.id == no_city.id == first.id
    [m] = other_city.matches
    assert m.decided == "linked" and m.rule == "fellegi-sunter" and "city 'Bonn' ≠ 'Berlin'" in m.evidence and m.score and m.score >= 0.99
    assert no_country.new and {x.other for x in no_country.matches} == {first.id, other_country.id}
    assert all(x.decided == "candidate" and "ambiguous" in x.evidence for x in no_country.matches)


def test_two_pics_are_two_organisations(tmp_path: Path):
    r = registry(tmp_path / "r.sqlite", CORDIS)
    a = r.resolve(occ("EIT DIGITAL", pic="111111111", city="Brussels"))
    b = r.resolve(occ("EIT DIGITAL", pic="222222222", city="Brussels"))
    assert a.id != b.id
    assert any(m.decided == "distinct" and m.rule == "identifier-conflict" and "pic 222222222 ≠ 111111111" in m.evidence for m in b.matches)
    # a PIC-less occurrence with that name, country and city merges into the first
    c = r.resolve(occ("EIT Digital", city="Brussels"))
    assert c.id == a.id


def test_a_second_run_of_the_same_import_reaches_the_same_decisions(tmp_path: Path):
    path = tmp_path / "r.sqlite"
    rows = [
        occ("Oberschule Eschen", country=DEU, city="Eschen"),
        occ("Oberschule Eschen", country=DEU, city="Eschen"),
        occ("Gemeindeschule", country=DEU, city=None),
        occ("Gemeindeschule", country=DEU, city=None),
        occ("Gemeindeschule", country=DEU, city="Schellenberg"),
    ]
    runs = []
    for run in ("r1", "r2", "r3"):
        r = registry(path, ERASMUS, run)
        runs.append([(x.id, x.new, [(m.rule, m.merged, m.other) for m in x.matches]) for x in map(r.resolve, rows)])
        r.close()
    ids = [[i for i, _, _ in run] for run in runs]
    assert ids[0] == ids[1] == ids[2]
    assert [m for _, _, m in runs[1]] == [m for _, _, m in runs[0]]
    assert ids[0][0] == ids[0][1] and len({ids[0][2], ids[0][3], ids[0][4]}) == 1  # a rare name, one country: linked


def test_curated_organisations_are_known(tmp_path: Path):
    from kg.model.records import Organisation, ProjectRecord, Source

    record = ProjectRecord(
        id="x",
        source=Source(path="sources/x.txt"),
        title="x",
        organisations=[Organisation(id="cesie", name="CESIE ETS", country="IT", city="Palermo", identifiers={"pic": "999999999"})],
    )
    r = registry(tmp_path / "r.sqlite", CORDIS)
    # a made-up PIC (999999999, the records docs example): this tests the rule, not CESIE's data
    r.register_seed([record], lambda text: ITA if text == "IT" else None)
    by_pic = r.resolve(Occurrence(name="CESIE", country=ITA, country_code="IT", city="PALERMO", pic="999999999", facts={}))
    assert by_pic.id == "cesie" and by_pic.matches[0].rule == "pic"  # a merge across sources: recorded


def test_curated_identifiers_link_and_conflicting_ones_forbid(tmp_path: Path):
    """A curated record states an Erasmus+ OID and a ROR link (made-up values): an occurrence with the
    same OID is that organisation whatever its name; one with the same name, country and city but
    another OID is a different organisation, and the decision says why."""
    from kg.model.records import Organisation, ProjectRecord, Source

    record = ProjectRecord(
        id="x",
        source=Source(path="sources/x.txt"),
        title="x",
        organisations=[Organisation(id="alfa", name="Associazione Alfa APS", country="IT", city="Catania",
                                    identifiers={"oid": "E10000001", "ror": "https://ror.org/000000000"})],
    )
    r = registry(tmp_path / "r.sqlite", ERASMUS)
    r.register_seed([record], lambda text: ITA if text == "IT" else None)
    same = r.resolve(Occurrence(name="ALFA", country=ITA, country_code="IT", city=None, facts={}, identifiers={"oid": "E10000001"}))
    assert same.id == "alfa" and [(m.rule, m.decided) for m in same.matches] == [("identifier", "linked")]
    assert "oid E10000001 agrees" in same.matches[0].evidence
    other = r.resolve(Occurrence(name="Associazione Alfa", country=ITA, country_code="IT", city="Catania", facts={}, identifiers={"oid": "E19999999"}))
    assert other.id != "alfa" and other.new
    assert any(m.other == "alfa" and m.rule == "identifier-conflict" and m.decided == "distinct" for m in other.matches)


def test_an_unknown_identifier_scheme_is_refused():
    from pydantic import ValidationError

    from kg.model.records import Organisation

    with pytest.raises(ValidationError, match="'duns' is not an identifier scheme"):
        Organisation(id="a", name="A", identifiers={"duns": "1"})
    assert Organisation(id="a", name="A", identifiers={"registry:it": "12345678901"}).identifiers == {"registry:it": "12345678901"}
