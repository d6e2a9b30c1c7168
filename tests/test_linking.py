"""Linking: country texts resolve to EU authority URIs and SDG texts to UN KOS URIs, on the real tables."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.linking.countries import (
    ISO_ALPHA_2,
    ISO_ALPHA_3,
    AmbiguousCountry,
    CountryTable,
    UnknownCountry,
    country_graph_quads,
    default_table,
)
from kg.linking.sdgs import SdgKos, UnknownSdg, default_kos
from kg.settings import Settings

C = "http://publications.europa.eu/resource/authority/country/"
SDG = "http://metadata.un.org/sdg/"
SKOS_NOTATION = ox.NamedNode("http://www.w3.org/2004/02/skos/core#notation")
ROOT = Path(__file__).resolve().parents[1]
COUNTRY_RDF = ROOT / "data/vocab/eu-authority/eu-op-country-skos-20221214-0.rdf"


@pytest.fixture(scope="module")
def table() -> CountryTable:
    return default_table()


@pytest.fixture(scope="module")
def kos() -> SdgKos:
    return default_kos()


@pytest.fixture(scope="module")
def raw_table() -> ox.Store:
    """The country table as published, to check the resolver against the file itself."""
    store = ox.Store()
    store.bulk_load(path=str(COUNTRY_RDF), format=ox.RdfFormat.RDF_XML)
    return store


def deprecated_in_file(store: ox.Store, uri: str) -> str:
    flag = ox.NamedNode("http://publications.europa.eu/ontology/authority/deprecated")
    (quad,) = store.quads_for_pattern(ox.NamedNode(uri), flag, None)
    return quad.object.value


# --- vocabulary files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "un-sdg/un-sdg-kos-goals-targets-indicators.ttl",
        "un-sdg/un-sdg-sdgs-ontology.ttl",
        "un-sdg/un-sdg-void.ttl",
        "eu-authority/eu-op-country-skos-20221214-0.rdf",
        "eu-authority/eu-op-file-type-skos-20221214-0.rdf",
    ],
)
def test_vocabulary_files_are_unedited_copies_of_shared(shared: Path, name: str) -> None:
    assert filecmp.cmp(ROOT / "data/vocab" / name, shared / "vocab" / name, shallow=False)


def test_vocabulary_folders_carry_licence_notes() -> None:
    sdg_note = (ROOT / "data/vocab/un-sdg/LICENSE.md").read_text(encoding="utf-8")
    assert "0ae578b" in sdg_note and "Amit Joshi, Luis Gonzalez Morales, Szymon Klarman" in sdg_note
    eu_note = (ROOT / "data/vocab/eu-authority/LICENSE.md").read_text(encoding="utf-8")
    assert "20221214-0" in eu_note and "2011/833/EU" in eu_note


# --- countries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("IT", "ITA"),
        ("it", "ITA"),
        ("ITA", "ITA"),
        ("Italy", "ITA"),
        ("Italia", "ITA"),
        ("italia", "ITA"),
        ("  ITALIA \n", "ITA"),
        ("EL", "GRC"),
        ("GR", "GRC"),
        ("GRC", "GRC"),
        ("Greece", "GRC"),
        ("Ελλάδα", "GRC"),
        ("ελλαδα", "GRC"),
        ("UK", "GBR"),
        ("GB", "GBR"),
        ("United Kingdom", "GBR"),
        ("Netherlands", "NLD"),
        ("the Netherlands", "NLD"),
        ("The  Netherlands", "NLD"),
        ("Deutschland", "DEU"),
        ("Germania", "DEU"),
        ("Spagna", "ESP"),
        ("Österreich", "AUT"),
        ("osterreich", "AUT"),
        ("Côte d'Ivoire", "CIV"),
        ("XK", "1A0"),
        (C + "ITA", "ITA"),
    ],
)
def test_country_forms_resolve_to_the_authority_uri(table: CountryTable, text: str, code: str) -> None:
    assert table.resolve(text) == C + code


def test_the_ten_partner_countries_resolve_to_ten_distinct_current_concepts(
    table: CountryTable, raw_table: ox.Store
) -> None:
    names = "Albania, Belgium, Denmark, Estonia, France, Italy, Latvia, Lithuania, Netherlands, Slovenia"
    uris = [table.resolve(name) for name in names.split(", ")]
    assert len(set(uris)) == 10
    assert all(deprecated_in_file(raw_table, uri) == "false" for uri in uris)
    assert [table.alpha2(u) for u in uris] == ["AL", "BE", "DK", "EE", "FR", "IT", "LV", "LT", "NL", "SI"]


def test_a_label_shared_with_a_deprecated_concept_resolves_to_the_current_one(
    table: CountryTable, raw_table: ox.Store
) -> None:
    # "Belarus" also labels the withdrawn BYS, "Yemen" the withdrawn North Yemen (YMD)
    assert deprecated_in_file(raw_table, C + "BYS") == "true"
    assert table.resolve("Belarus") == C + "BLR"
    assert table.resolve("Yemen") == C + "YEM"
    assert table.resolve("Serbia") == C + "SRB"
    # a name only a withdrawn concept carries still resolves to it
    assert table.resolve("Czechoslovakia") == C + "CSK"
    assert not table.is_current(C + "CSK")


def test_a_preferred_label_beats_another_concepts_hidden_label(table: CountryTable) -> None:
    # the table gives "Burundi" as a Spanish hiddenLabel of Benin, "Congo" as a Danish one of DR Congo
    assert table.resolve("Burundi") == C + "BDI"
    assert table.resolve("Congo") == C + "COG"


def test_codes_beat_labels_that_spell_the_same_letters(table: CountryTable) -> None:
    # "EL" and "ES" are also altLabels of the European Union (EUR) in the table
    assert table.resolve("EL") == C + "GRC"
    assert table.resolve("ES") == C + "ESP"


def test_an_ambiguous_name_raises_and_names_every_candidate(table: CountryTable) -> None:
    with pytest.raises(AmbiguousCountry) as caught:
        table.resolve("San Martín")  # Spanish prefLabel of both Saint-Martin and Sint Maarten
    message = str(caught.value)
    assert "ambiguous country 'San Martín'" in message
    assert C + "MAF" in message and C + "SXM" in message
    assert set(caught.value.candidates) == {C + "MAF", C + "SXM"}
    assert isinstance(caught.value, UnknownCountry) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [("Germny", "Germany"), ("Atlantis", "Albania"), ("Turkey", "Türkiye")],
)
def test_an_unknown_country_raises_with_close_suggestions(
    table: CountryTable, text: str, suggestion: str
) -> None:
    with pytest.raises(UnknownCountry) as caught:
        table.resolve(text)
    assert str(caught.value).startswith(f"unknown country {text!r}")
    assert f"did you mean {suggestion!r}" in str(caught.value)
    assert caught.value.text == text


@pytest.mark.parametrize("text", ["", "   ", "ZZ", "QQQ", C + "XXX", C + "OP_DATPRO", "Provisional data"])
def test_texts_naming_no_country_raise(table: CountryTable, text: str) -> None:
    with pytest.raises(UnknownCountry, match="unknown country"):
        table.resolve(text)


def test_codes_and_labels_of_a_concept(table: CountryTable) -> None:
    assert (table.alpha2(C + "ITA"), table.alpha3(C + "ITA")) == ("IT", "ITA")
    assert (table.alpha2(C + "GRC"), table.alpha3(C + "GRC")) == ("GR", "GRC")
    assert table.alpha2(C + "1A0") is None  # Kosovo: no ISO code
    assert table.alpha2(C + "CSK") is None  # withdrawn
    assert table.label(C + "ITA") == "Italy"
    assert table.label(C + "ITA", lang="it") == "Italia"
    assert table.label(C + "GRC", lang="el") == "Ελλάδα"
    assert table.label(C + "ITA", lang="xx") == "Italy"
    assert C + "ITA" in table and C + "CSK" in table
    assert C + "XXX" not in table and "ITA" not in table
    with pytest.raises(UnknownCountry):
        table.label(C + "XXX")


def test_iso_codes_are_stated_as_typed_skos_notations(table: CountryTable) -> None:
    triples = {(t.subject.value, t.predicate, t.object) for t in table.iso_code_triples()}
    for code, alpha2 in [("ITA", "IT"), ("GRC", "GR")]:
        assert (C + code, SKOS_NOTATION, ox.Literal(alpha2, datatype=ox.NamedNode(ISO_ALPHA_2))) in triples
        assert (C + code, SKOS_NOTATION, ox.Literal(code, datatype=ox.NamedNode(ISO_ALPHA_3))) in triples
    assert ISO_ALPHA_2 == "http://publications.europa.eu/ontology/euvoc#ISO_3166_1_ALPHA_2"
    assert not any(s == C + "CSK" for s, _, _ in triples)


def test_country_graph_holds_the_table_and_the_iso_codes_in_one_named_graph(
    table: CountryTable, raw_table: ox.Store
) -> None:
    graph = "https://w3id.org/euprojects/graph/vocab/eu-country"
    quads = country_graph_quads(graph)
    assert {q.graph_name for q in quads} == {ox.NamedNode(graph)}
    assert len(quads) == len(raw_table) + len(table.iso_code_triples())
    store = ox.Store()
    store.bulk_extend(quads)
    ask = f"ASK {{ GRAPH <{graph}> {{ <{C}GRC> <{SKOS_NOTATION.value}> \"GR\"^^<{ISO_ALPHA_2}> }} }}"
    assert store.query(ask)


def test_the_table_is_parsed_once_per_file(table: CountryTable) -> None:
    assert CountryTable.from_file(COUNTRY_RDF) is table
    assert default_table(Settings(data_dir=ROOT / "data")) is table


# --- SDGs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "uri"),
    [
        (10, SDG + "10"),
        ("10", SDG + "10"),
        ("SDG 10", SDG + "10"),
        ("sdg10", SDG + "10"),
        ("Goal 10", SDG + "10"),
        ("Reduced inequalities", SDG + "10"),
        ("10.2", SDG + "10.2"),
        ("Target 10.2", SDG + "10.2"),
        ("10.02", SDG + "10.2"),
        ("10.a", SDG + "10.a"),
        ("10.A", SDG + "10.a"),
        ("17.19", SDG + "17.19"),
        (SDG + "10", SDG + "10"),
        (SDG + "10.2", SDG + "10.2"),
    ],
)
def test_sdg_forms_resolve_to_the_kos_uri(kos: SdgKos, text: str | int, uri: str) -> None:
    assert kos.resolve(text) == uri


def test_every_goal_and_its_targets_resolve(kos: SdgKos) -> None:
    goals = [kos.resolve(n) for n in range(1, 18)]
    assert all(kos.is_goal(g) and not kos.is_target(g) for g in goals)
    assert kos.is_target(kos.resolve("1.1")) and kos.goal_of(kos.resolve("1.1")) == SDG + "1"
    assert kos.goal_of(SDG + "10") == SDG + "10"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (18, "(goals are 1–17)"),
        ("18", "(goals are 1–17)"),
        (0, "(goals are 1–17)"),
        ("SDG 0", "(goals are 1–17)"),
        ("10.99", "(goal 10 has targets 10.1–10.7 and 10.a–10.c)"),
        ("10.2.1", "10.2.1 is an indicator; link its target 10.2 instead"),
        (SDG + "C100201", "10.2.1 is an indicator; link its target 10.2 instead"),
        ("poverty", "write a goal number 1–17"),
        (True, "write a goal number 1–17"),
    ],
)
def test_texts_naming_no_goal_or_target_raise_a_clear_message(kos: SdgKos, text: object, reason: str) -> None:
    with pytest.raises(UnknownSdg) as caught:
        kos.resolve(text)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"SDG {str(text)!r} is not a UN SDG goal or target")
    assert reason in str(caught.value)


def test_sdg_labels(kos: SdgKos) -> None:
    assert kos.label(SDG + "10") == "Reduce inequality within and among countries"
    assert kos.label(SDG + "10", lang="fr").startswith("Réduire les inégalités")
    # the KOS gives 12.3 a second, truncated English prefLabel ("By 2030,d"); the full one wins
    assert kos.label(SDG + "12.3").startswith("By 2030,halve per capita global food waste")
    with pytest.raises(UnknownSdg):
        kos.label(SDG + "99")


def test_sdg_graph_holds_the_kos_in_one_named_graph(kos: SdgKos) -> None:
    graph = "https://w3id.org/euprojects/graph/vocab/un-sdg"
    quads = kos.graph_quads(graph)
    assert {q.graph_name for q in quads} == {ox.NamedNode(graph)}
    store = ox.Store()
    store.bulk_extend(quads)
    goals = store.query(
        f"SELECT (COUNT(?g) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?g a <http://metadata.un.org/sdg/ontology#Goal> }} }}"
    )
    assert int(next(goals)["n"].value) == 17
