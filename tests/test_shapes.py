"""SHACL shapes (shapes/*.ttl) with pySHACL, the reference validator.

The data graph is a small valid fixture (tests/fixtures/shapes/valid.ttl, following docs/model.md)
plus the real UN SDG KOS and EU country table from ../shared/vocab, plus the ontology
(ontology/kg.ttl, or tests/fixtures/shapes/ontology-min.ttl while kg.ttl does not exist), since
sh:class and sh:targetClass follow rdfs:subClassOf in the data graph. Each test breaks one fact
and checks that the report names the expected message, focus node and path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import PROV, RDF, RDFS, SH, SKOS

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "shapes"
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
ONTOLOGY = ROOT / "ontology" / "kg.ttl"
MODEL_DOC = ROOT / "docs" / "model.md"

KG = Namespace("https://w3id.org/euprojects/def#")
KGSH = Namespace("https://w3id.org/euprojects/shapes#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open namespace: no warnings at collection
SCHEMA = Namespace("https://schema.org/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
BASE = "https://w3id.org/euprojects/"

ECCIPA = URIRef(BASE + "id/project/2020-1-DE02-KA202-007701")
IC4LOP = URIRef(BASE + "id/project/ic4lop")
GRANT = URIRef(f"{ECCIPA}/grant")
AMOUNT = URIRef(f"{ECCIPA}/grant/amount")
PART_CESIE = URIRef(f"{ECCIPA}/participation/cesie")
ACTIVITY = URIRef(f"{ECCIPA}/activity/1")
RESULT_QTY = URIRef(f"{ECCIPA}/result/1")
RESULT_RANGE = URIRef(f"{ECCIPA}/result/2")
CONTACT = URIRef(f"{ECCIPA}/contact/1")
CESIE = URIRef(BASE + "id/organisation/cesie")
PALERMO = URIRef(BASE + "id/place/ita/palermo")
SOURCE = URIRef(BASE + "id/source/003_b6e3edf6708f26aa")
KA2 = URIRef(BASE + "id/programme/erasmus-plus-ka2")
KA202 = URIRef(BASE + "id/programme/erasmus-plus-ka202")
EACEA = URIRef(BASE + "id/funder/eacea")

# the messages curators read (must match the shapes word for word)
MSG_TITLE = "A project needs a title (dct:title) with a language tag."
MSG_TITLE_LANG = "A project has at most one title (dct:title) per language."
MSG_START = (
    "A project has at most one start date (kg:startDate), written 2019-01-15 (xsd:date), "
    "2017-09 (xsd:gYearMonth) or 2017 (xsd:gYear)."
)
MSG_END = (
    "A project has at most one end date (kg:endDate), written 2019-01-15 (xsd:date), "
    "2017-09 (xsd:gYearMonth) or 2017 (xsd:gYear)."
)
MSG_END_BEFORE_START = "The end date must not be before the start date."
MSG_COUNTRY = (
    "kg:country must link to a country of the EU authority table, "
    "e.g. http://publications.europa.eu/resource/authority/country/ITA."
)
MSG_SDG = (
    "kg:sdg must link to a UN SDG goal or target (http://metadata.un.org/sdg/1 … /17, "
    "or a target such as /10.2)."
)
MSG_PROVENANCE = (
    "A project needs its provenance: prov:wasDerivedFrom linking to the source document "
    "(kg:SourceDocument) its facts come from."
)
MSG_ROLE = (
    "A participation needs exactly one role (kg:role): kg:RoleCoordinator, kg:RolePartner, "
    "kg:RoleAssociatedPartner, kg:RoleParticipant or kg:RoleThirdParty."
)
MSG_ORGANISATION = "A participation needs exactly one organisation (kg:organisation), a kg:Organisation."
MSG_GRANT_NUMBER = (
    "A grant has at most one grant number (kg:grantNumber), written as the programme writes it: "
    "e.g. 2020-1-DE02-KA202-007701 (Erasmus+), 101004564 (CORDIS) or 586063-CITIZ-1-2017-1-FR-CITIZ-NT "
    '(EACEA), without prefix such as "n°".'
)
MSG_KEY_IS_GRANT = (
    "A project whose grant number is stated (kg:hasGrant/kg:grantNumber) must use that number as its "
    "identifier (dct:identifier) and URI key."
)
MSG_CURRENCY = (
    "An amount needs exactly one currency (schema:currency), an ISO 4217 code of three capital letters, e.g. EUR."
)
MSG_MIN_MAX = "The range minimum (kg:minQuantity) must not be greater than the range maximum (kg:maxQuantity)."
MSG_QTY_OR_RANGE = (
    "An expected result states either a quantity (kg:quantity) or a range "
    "(kg:minQuantity / kg:maxQuantity), not both."
)
MSG_FUNDED_UNDER = (
    "kg:fundedUnder must link to one concept of the programme scheme (a kg:FundingScheme: programme, "
    "key action, action type or call), the most specific level stated."
)
MSG_NO_SDG = (
    "The project names no Sustainable Development Goal (kg:sdg); add the goals or targets if the source states them."
)
MSG_NO_COUNTRY = "The project names no country (kg:country); add the countries involved if the source states them."
MSG_IDENTIFIER_KEY = "The identifier (dct:identifier) must be the key at the end of the entity's URI ({base}id/<kind>/<key>)."
MSG_INVERSE = (
    "kg:inProject and kg:hasParticipation must mirror each other: the project the participation is in "
    "must list it with kg:hasParticipation, and no other project may."
)
MSG_LEVEL = (
    "A programme-scheme concept must be of exactly one level: kg:FundingProgramme, kg:KeyAction, "
    "kg:ActionType or kg:Call."
)
MSG_KEY_ACTION_BROADER = (
    "A key action's broader concept (skos:broader) must be a funding programme (kg:FundingProgramme)."
)
MSG_CONTACT = "A contact point needs an e-mail address (vcard:hasEmail) or a web address (vcard:hasURL)."
MSG_DURATION = (
    "An activity has at most one duration (kg:duration), an xsd:duration in years, months and days "
    "such as P5D, P6M or P1Y6M (weeks as days: P14D, not P2W)."
)
MSG_SHA256 = (
    "A source document has at most one checksum (kg:sha256): the SHA-256 of its bytes as 64 lower-case "
    "hexadecimal digits."
)
MSG_ACTIVITY_URI = "An activity's URI must be {project}/activity/{n}, n counting from 1."


# --------------------------------------------------------------------------- fixtures and helpers
@pytest.fixture(scope="module")
def base_graph(shared: Path) -> Graph:
    """The vocabularies and the ontology, loaded once per module (the RDF/XML country table is slow-ish)."""
    g = Graph()
    g.parse(shared / "vocab" / "un-sdg" / "un-sdg-kos-goals-targets-indicators.ttl", format="turtle")
    g.parse(shared / "vocab" / "eu-authority" / "eu-op-country-skos-20221214-0.rdf", format="xml")
    g.parse(ONTOLOGY if ONTOLOGY.is_file() else FIXTURES / "ontology-min.ttl", format="turtle")
    return g


@pytest.fixture(scope="module")
def shapes() -> Graph:
    g = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


@pytest.fixture()
def data() -> Graph:
    """A fresh copy of the valid fixture, for one test to break."""
    return Graph().parse(FIXTURES / "valid.ttl", format="turtle")


@dataclass(frozen=True)
class Result:
    focus: object
    path: object  # a URIRef, ("inverse", URIRef) or None
    message: str
    severity: URIRef
    value: object


@dataclass
class Outcome:
    conforms: bool
    results: list[Result]
    text: str

    def violations(self) -> set[tuple[object, object, str]]:
        return {(r.focus, r.path, r.message) for r in self.results if r.severity == SH.Violation}

    def warnings(self) -> set[tuple[object, object, str]]:
        return {(r.focus, r.path, r.message) for r in self.results if r.severity == SH.Warning}


def _path(report: Graph, node: object) -> object:
    if isinstance(node, BNode):
        inverse = report.value(node, SH.inversePath)
        if inverse is not None:
            return ("inverse", inverse)
    return node


def validate(base: Graph, shapes: Graph, data: Graph, *, allow_warnings: bool = False) -> Outcome:
    """Validate ``data`` together with the vocabularies (added to ``base`` for the call, then removed)."""
    added = [t for t in data if t not in base]
    for t in added:
        base.add(t)
    try:
        conforms, report, text = pyshacl.validate(
            base, shacl_graph=shapes, inference="none", allow_warnings=allow_warnings
        )
    finally:
        for t in added:
            base.remove(t)
    results = []
    for r in set(report.objects(None, SH.result)):  # top-level results, not their sh:detail
        results.append(
            Result(
                focus=report.value(r, SH.focusNode),
                path=_path(report, report.value(r, SH.resultPath)),
                message="; ".join(str(m) for m in report.objects(r, SH.resultMessage)),
                severity=report.value(r, SH.resultSeverity),
                value=report.value(r, SH.value),
            )
        )
    return Outcome(conforms, results, text)


def assert_only_violations(outcome: Outcome, *expected: tuple[object, object, str]) -> None:
    assert not outcome.conforms, outcome.text
    assert outcome.violations() == set(expected), outcome.text


def pattern_of(shapes: Graph, shape: str) -> str:
    value = shapes.value(KGSH[shape], SH.pattern)
    assert value is not None, f"kgsh:{shape} has no sh:pattern"
    return str(value)


# --------------------------------------------------------------------------- the valid graph
def test_valid_fixture_conforms_without_warnings(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    outcome = validate(base_graph, shapes, data, allow_warnings=False)
    assert outcome.conforms, outcome.text
    assert outcome.results == [], outcome.text


def test_valid_fixture_relies_on_subclassing(data: Graph) -> None:
    """The fixture must exercise sh:class / sh:targetClass through rdfs:subClassOf (no reasoning)."""
    assert set(data.objects(KA202, RDF.type)) == {KG.ActionType}
    assert (ECCIPA, KG.fundedUnder, KA202) in data
    assert set(data.objects(URIRef(BASE + "id/funder/na-bibb"), RDF.type)) == {KG.Funder}
    assert set(data.objects(PALERMO, RDF.type)) == {KG.City}


def test_valid_fixture_has_every_class_of_the_model(base_graph: Graph, data: Graph) -> None:
    typed = set(data.objects(None, RDF.type)) | set(base_graph.objects(None, RDF.type))
    missing = [c for c in model_classes() if KG[c] not in typed and c not in {"FundingScheme", "Place"}]
    assert missing == []


def test_subclass_lookup_is_needed(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    """Without kg:ActionType rdfs:subClassOf kg:FundingScheme, kg:fundedUnder KA202 is reported."""
    axiom = (KG.ActionType, RDFS.subClassOf, KG.FundingScheme)
    if axiom not in base_graph:
        pytest.skip("the ontology does not state kg:ActionType rdfs:subClassOf kg:FundingScheme directly")
    base_graph.remove(axiom)
    try:
        outcome = validate(base_graph, shapes, data)
    finally:
        base_graph.add(axiom)
    assert (ECCIPA, KG.fundedUnder, MSG_FUNDED_UNDER) in outcome.violations(), outcome.text


# --------------------------------------------------------------------------- titles, provenance
def test_missing_title(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.remove((ECCIPA, DCT.title, None))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, DCT.title, MSG_TITLE))


def test_title_without_language_tag(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.remove((ECCIPA, DCT.title, None))
    data.add((ECCIPA, DCT.title, Literal("ECCIPA")))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, DCT.title, MSG_TITLE))


def test_two_titles_in_one_language(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.add((ECCIPA, DCT.title, Literal("ECCIPA project", lang="en")))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, DCT.title, MSG_TITLE_LANG))


def test_missing_provenance(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.remove((ECCIPA, PROV.wasDerivedFrom, None))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, PROV.wasDerivedFrom, MSG_PROVENANCE))


def test_provenance_not_a_source_document(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((ECCIPA, PROV.wasDerivedFrom, URIRef("https://www.example.org/eccipa/leaflet")))
    outcome = validate(base_graph, shapes, data)
    assert (ECCIPA, PROV.wasDerivedFrom, MSG_PROVENANCE) in outcome.violations(), outcome.text


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    "literal",
    [
        Literal("2019-13-01", datatype=XSD.date),  # no month 13
        Literal("2019-02-30", datatype=XSD.date),  # no 30 February
        Literal("15/01/2019", datatype=XSD.date),  # not ISO 8601
        Literal("2019", datatype=XSD.date),  # a year typed as a date
        Literal("2017-13", datatype=XSD.gYearMonth),
        Literal("17-09", datatype=XSD.gYearMonth),
        Literal("201", datatype=XSD.gYear),
        Literal("2019-01-15"),  # untyped string
        Literal("2019-01-15T10:00:00", datatype=XSD.dateTime),  # other datatype
    ],
    ids=lambda lit: f"{lit}^^{str(lit.datatype or 'string').rsplit('#', 1)[-1]}",
)
def test_bad_start_date(base_graph: Graph, shapes: Graph, data: Graph, literal: Literal) -> None:
    data.set((ECCIPA, KG.startDate, literal))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, KG.startDate, MSG_START))


def test_two_end_dates(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.add((ECCIPA, KG.endDate, Literal("2023-06", datatype=XSD.gYearMonth)))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, KG.endDate, MSG_END))


D, M, Y = XSD.date, XSD.gYearMonth, XSD.gYear


@pytest.mark.parametrize(
    ("start", "end", "violates"),
    [
        # same precision
        (("2019-01-15", D), ("2019-01-14", D), True),
        (("2019-01-15", D), ("2019-01-15", D), False),
        (("2019-01-15", D), ("2021-01-14", D), False),
        (("2020-12", M), ("2020-11", M), True),
        (("2020-12", M), ("2020-12", M), False),
        (("2021", Y), ("2020", Y), True),
        (("2020", Y), ("2020", Y), False),
        # mixed precision: earliest day of the start against the latest day of the end
        (("2020-12-15", D), ("2020-11", M), True),
        (("2020-12-15", D), ("2020-12", M), False),  # ends some day in December 2020
        (("2020-02-29", D), ("2020-02", M), False),
        (("2020-12", M), ("2020-11-30", D), True),
        (("2020-12", M), ("2020-12-01", D), False),
        (("2021", Y), ("2020-12-31", D), True),
        (("2020", Y), ("2020-01-01", D), False),
        (("2021-01-01", D), ("2020", Y), True),
        (("2020-12-31", D), ("2020", Y), False),
        (("2021-01", M), ("2020", Y), True),
        (("2020", Y), ("2020-01", M), False),
        (("2020-06", M), ("2020", Y), False),
    ],
    ids=lambda v: v if isinstance(v, bool) else f"{v[0]}^^{str(v[1]).rsplit('#', 1)[-1]}",
)
def test_end_not_before_start(
    base_graph: Graph, shapes: Graph, data: Graph, start: tuple[str, URIRef], end: tuple[str, URIRef], violates: bool
) -> None:
    data.set((ECCIPA, KG.startDate, Literal(start[0], datatype=start[1])))
    data.set((ECCIPA, KG.endDate, Literal(end[0], datatype=end[1])))
    outcome = validate(base_graph, shapes, data)
    if violates:
        assert_only_violations(outcome, (ECCIPA, KG.endDate, MSG_END_BEFORE_START))
        (result,) = outcome.results
        assert result.value == Literal(end[0], datatype=end[1])
    else:
        assert outcome.conforms, outcome.text


def test_end_before_start_reported_once_per_project(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((IC4LOP, KG.endDate, Literal("2018", datatype=XSD.gYear)))
    assert_only_violations(validate(base_graph, shapes, data), (IC4LOP, KG.endDate, MSG_END_BEFORE_START))


def test_bad_signature_date(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((GRANT, KG.signatureDate, Literal("2020-11", datatype=XSD.gYearMonth)))
    message = "A grant has at most one signature date (kg:signatureDate), an xsd:date such as 2020-09-01."
    assert_only_violations(validate(base_graph, shapes, data), (GRANT, KG.signatureDate, message))


# --------------------------------------------------------------------------- countries and SDGs
@pytest.mark.parametrize(
    "value",
    [
        COUNTRY.XXX,  # not in the table
        URIRef("http://publications.europa.eu/resource/authority/country/ita"),  # wrong case
        URIRef("http://publications.europa.eu/resource/authority/language/ITA"),  # another table
        SDG["10"],  # a skos:Concept, but of the SDG KOS
        Literal("ITA"),  # a code, not a link
    ],
    ids=str,
)
def test_unknown_country_on_project(base_graph: Graph, shapes: Graph, data: Graph, value: object) -> None:
    data.add((ECCIPA, KG.country, value))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, KG.country, MSG_COUNTRY))


@pytest.mark.parametrize("focus", [CESIE, PALERMO], ids=["organisation", "city"])
def test_unknown_country_on_organisation_and_place(
    base_graph: Graph, shapes: Graph, data: Graph, focus: URIRef
) -> None:
    data.set((focus, KG.country, COUNTRY.XXX))
    assert_only_violations(validate(base_graph, shapes, data), (focus, KG.country, MSG_COUNTRY))


def test_any_authority_table_country_is_accepted(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    """Countries of the authority table, EU members or not (Albania is in seed page 001)."""
    data.add((ECCIPA, KG.country, COUNTRY.ALB))
    assert validate(base_graph, shapes, data).conforms


@pytest.mark.parametrize(
    "value",
    [
        SDG["18"],  # there are 17 goals
        SDG["10.99"],  # no such target
        SDG["C010101"],  # an indicator, not a goal or target
        URIRef("https://sdgs.un.org/goals/goal10"),
        Literal("10"),
    ],
    ids=str,
)
def test_sdg_not_a_goal_or_target(base_graph: Graph, shapes: Graph, data: Graph, value: object) -> None:
    data.add((ECCIPA, KG.sdg, value))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, KG.sdg, MSG_SDG))


def test_the_kos_types_goals_and_targets(base_graph: Graph) -> None:
    """What kgsh:Project-sdg relies on: the KOS types goals sdgo:Goal and targets sdgo:Target."""
    goals = set(base_graph.subjects(RDF.type, SDGO.Goal))
    assert goals == {SDG[str(n)] for n in range(1, 18)}
    assert (SDG["10.2"], RDF.type, SDGO.Target) in base_graph
    assert (COUNTRY.ITA, SKOS.inScheme, URIRef("http://publications.europa.eu/resource/authority/country")) in base_graph


@pytest.mark.parametrize(
    ("remove", "message"),
    [(KG.sdg, MSG_NO_SDG), (KG.country, MSG_NO_COUNTRY)],
    ids=["no-sdg", "no-country"],
)
def test_recommendations_are_warnings(
    base_graph: Graph, shapes: Graph, data: Graph, remove: URIRef, message: str
) -> None:
    data.remove((IC4LOP, remove, None))
    outcome = validate(base_graph, shapes, data, allow_warnings=True)
    assert outcome.conforms, outcome.text
    assert outcome.violations() == set()
    assert outcome.warnings() == {(IC4LOP, remove, message)}
    assert not validate(base_graph, shapes, data, allow_warnings=False).conforms


# --------------------------------------------------------------------------- participations
@pytest.mark.parametrize(
    ("prop", "message"), [(KG.role, MSG_ROLE), (KG.organisation, MSG_ORGANISATION)], ids=["role", "organisation"]
)
def test_participation_without(base_graph: Graph, shapes: Graph, data: Graph, prop: URIRef, message: str) -> None:
    data.remove((PART_CESIE, prop, None))
    assert_only_violations(validate(base_graph, shapes, data), (PART_CESIE, prop, message))


def test_participation_with_two_roles(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.add((PART_CESIE, KG.role, KG.RolePartner))
    assert_only_violations(validate(base_graph, shapes, data), (PART_CESIE, KG.role, MSG_ROLE))


def test_participation_role_not_a_role(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((PART_CESIE, KG.role, KG.Coordinator))
    assert_only_violations(validate(base_graph, shapes, data), (PART_CESIE, KG.role, MSG_ROLE))


def test_participation_not_listed_by_its_project(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.remove((ECCIPA, KG.hasParticipation, PART_CESIE))
    assert_only_violations(
        validate(base_graph, shapes, data), (PART_CESIE, ("inverse", KG.hasParticipation), MSG_INVERSE)
    )


# --------------------------------------------------------------------------- grants and amounts
@pytest.mark.parametrize(
    "number",
    ["n° 2020-1-DE02-KA202-007701", "2020-1-de02-ka202-007701", "2020/1/DE02/KA202/007701", "N/A", "1234"],
)
def test_malformed_grant_number(base_graph: Graph, shapes: Graph, data: Graph, number: str) -> None:
    data.set((GRANT, KG.grantNumber, Literal(number)))
    # the project key no longer is the grant number either
    assert_only_violations(
        validate(base_graph, shapes, data),
        (GRANT, KG.grantNumber, MSG_GRANT_NUMBER),
        (ECCIPA, DCT.identifier, MSG_KEY_IS_GRANT),
    )


def test_project_key_must_be_the_grant_number(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((GRANT, KG.grantNumber, Literal("2020-1-DE02-KA202-007702")))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, DCT.identifier, MSG_KEY_IS_GRANT))


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("2020-1-DE02-KA202-007701", True),
        ("2021-1-IT02-KA220-ADU-000033522", True),
        ("101004564", True),
        ("848579", True),
        ("511767-LLP-1-2010-1-IT-KA4-KA4MP", True),
        ("586063-CITIZ-1-2017-1-FR-CITIZ-NT", True),
        ("n° 2020-1-DE02-KA202-007701", False),
        ("2020-1-DE02-KA202-007701 ", False),
        ("2020-1-DE02-KA202", False),
        ("12", False),
        ("REC-RACI", False),
    ],
)
def test_grant_number_pattern(shapes: Graph, number: str, ok: bool) -> None:
    assert bool(re.search(pattern_of(shapes, "Grant-grantNumber"), number)) is ok
    if ok:  # a project key may be that grant number
        assert re.search(pattern_of(shapes, "Project-identifier"), number)


@pytest.mark.parametrize("currency", ["eur", "EURO", "€", "EU", " EUR"])
def test_bad_currency(base_graph: Graph, shapes: Graph, data: Graph, currency: str) -> None:
    data.set((AMOUNT, SCHEMA.currency, Literal(currency)))
    assert_only_violations(validate(base_graph, shapes, data), (AMOUNT, SCHEMA.currency, MSG_CURRENCY))


def test_missing_currency(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.remove((AMOUNT, SCHEMA.currency, None))
    assert_only_violations(validate(base_graph, shapes, data), (AMOUNT, SCHEMA.currency, MSG_CURRENCY))


def test_amount_not_a_decimal(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((AMOUNT, SCHEMA.value, Literal("249870", datatype=XSD.integer)))
    message = "An amount needs exactly one value (schema:value), an xsd:decimal of 0 or more, e.g. 250000.00."
    assert_only_violations(validate(base_graph, shapes, data), (AMOUNT, SCHEMA.value, message))


# --------------------------------------------------------------------------- expected results, activities
def test_min_greater_than_max(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((RESULT_RANGE, KG.minQuantity, Literal(40)))
    assert_only_violations(validate(base_graph, shapes, data), (RESULT_RANGE, KG.minQuantity, MSG_MIN_MAX))


def test_quantity_and_range(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.add((RESULT_QTY, KG.maxQuantity, Literal(5)))
    assert_only_violations(validate(base_graph, shapes, data), (RESULT_QTY, None, MSG_QTY_OR_RANGE))


def test_negative_quantity(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((RESULT_QTY, KG.quantity, Literal(-3)))
    message = "An expected result has at most one quantity (kg:quantity), an xsd:integer of 0 or more."
    assert_only_violations(validate(base_graph, shapes, data), (RESULT_QTY, KG.quantity, message))


@pytest.mark.parametrize("duration", ["P2W", "P", "5 days", "PT2H"])
def test_bad_duration(base_graph: Graph, shapes: Graph, data: Graph, duration: str) -> None:
    # normalize=False: rdflib would otherwise rewrite P2W as P14D (a store such as Oxigraph keeps P2W)
    data.set((ACTIVITY, KG.duration, Literal(duration, datatype=XSD.duration, normalize=False)))
    assert_only_violations(validate(base_graph, shapes, data), (ACTIVITY, KG.duration, MSG_DURATION))


@pytest.mark.parametrize(("duration", "ok"), [("P5D", True), ("P6M", True), ("P1Y6M", True), ("P1Y2M3D", True),
                                              ("P14D", True), ("P2W", False), ("P", False), ("P1D2M", False)])
def test_duration_pattern(shapes: Graph, duration: str, ok: bool) -> None:
    assert bool(re.search(pattern_of(shapes, "Activity-duration"), duration)) is ok


def test_activity_uri_layout(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    wrong = URIRef(BASE + "id/activity/1")
    for p, o in list(data.predicate_objects(ACTIVITY)):
        data.remove((ACTIVITY, p, o))
        data.add((wrong, p, o))
    data.remove((ECCIPA, KG.hasActivity, ACTIVITY))
    data.add((ECCIPA, KG.hasActivity, wrong))
    assert_only_violations(validate(base_graph, shapes, data), (wrong, None, MSG_ACTIVITY_URI))


# --------------------------------------------------------------------------- funding scheme
def test_funded_under_not_a_scheme_concept(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((ECCIPA, KG.fundedUnder, EACEA))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, KG.fundedUnder, MSG_FUNDED_UNDER))


def test_concept_of_two_levels(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.add((KA2, RDF.type, KG.ActionType))
    assert_only_violations(validate(base_graph, shapes, data), (KA2, None, MSG_LEVEL))


def test_key_action_under_a_key_action(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((KA2, SKOS.broader, URIRef(BASE + "id/programme/erasmus-plus-ka3")))
    assert_only_violations(validate(base_graph, shapes, data), (KA2, SKOS.broader, MSG_KEY_ACTION_BROADER))


# --------------------------------------------------------------------------- identifiers, sources, contacts
def test_identifier_is_the_uri_key(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((CESIE, DCT.identifier, Literal("cesie-palermo")))
    assert_only_violations(validate(base_graph, shapes, data), (CESIE, DCT.identifier, MSG_IDENTIFIER_KEY))


@pytest.mark.parametrize("digest", ["EA79C1C2612BAD910B03636C964EF8D059EF270250735D4E52DABBA2111B6FF6", "ea79c1c2", "sha256:ea79"])
def test_bad_sha256(base_graph: Graph, shapes: Graph, data: Graph, digest: str) -> None:
    data.set((SOURCE, KG.sha256, Literal(digest)))
    assert_only_violations(validate(base_graph, shapes, data), (SOURCE, KG.sha256, MSG_SHA256))


def test_contact_point_without_address(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.remove((CONTACT, VCARD.hasEmail, None))
    data.remove((CONTACT, VCARD.hasURL, None))
    assert_only_violations(validate(base_graph, shapes, data), (CONTACT, None, MSG_CONTACT))


def test_contact_email_as_string(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((CONTACT, VCARD.hasEmail, Literal("info@example.org")))
    message = "An e-mail address (vcard:hasEmail) must be a mailto: IRI, e.g. <mailto:info@example.org>."
    assert_only_violations(validate(base_graph, shapes, data), (CONTACT, VCARD.hasEmail, message))


# --------------------------------------------------------------------------- the shapes themselves
def model_classes() -> list[str]:
    """The classes of docs/model.md's "Classes" table (local names in kg:)."""
    text = MODEL_DOC.read_text(encoding="utf-8")
    section = text.split("## Classes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `kg:(\w+)`", section, flags=re.MULTILINE)


def test_every_model_class_has_a_node_shape(shapes: Graph) -> None:
    classes = model_classes()
    assert len(classes) >= 20
    targeted = {t for s in shapes.subjects(RDF.type, SH.NodeShape) for t in shapes.objects(s, SH.targetClass)}
    assert [c for c in classes if KG[c] not in targeted] == []


def test_every_shape_is_named_explained_and_graded(shapes: Graph) -> None:
    named = {
        s
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if isinstance(s, URIRef)
    }
    assert len(named) > 100
    problems = []
    for s in sorted(named):
        if shapes.value(s, RDFS.label) is None and shapes.value(s, SH.name) is None:
            problems.append(f"{s}: no rdfs:label / sh:name")
        if shapes.value(s, SH.message) is None:
            problems.append(f"{s}: no sh:message")
        if shapes.value(s, SH.severity) not in (SH.Violation, SH.Warning, SH.Info):
            problems.append(f"{s}: no sh:severity")
    assert problems == []
    # the property shapes of named shapes are named too (anonymous ones only inside sh:or / sh:not)
    anonymous = [f"{s} sh:property {p}" for s in named for p in shapes.objects(s, SH.property) if not isinstance(p, URIRef)]
    assert anonymous == []


def test_shapes_are_open_and_mostly_core(shapes: Graph) -> None:
    assert list(shapes.subjects(SH.closed, None)) == []
    sparql_shapes = set(shapes.subjects(SH.sparql, None))
    assert sparql_shapes == {KGSH["Project-endNotBeforeStart"], KGSH["Project-identifier-isGrantNumber"], KGSH.IdentifierIsURIKey}


def test_shapes_graph_is_valid_shacl(shapes: Graph) -> None:
    """pySHACL's meta-validation of the shapes graph against SHACL-SHACL."""
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


@pytest.mark.parametrize("path", sorted(SHAPES_DIR.glob("*.ttl")), ids=lambda p: p.name)
def test_each_shapes_file_parses_alone(path: Path) -> None:
    g = Graph().parse(path, format="turtle")
    assert len(g) > 0
