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
# the project as a CORDIS import states it, and the organisation-linking decisions
CORDIS = URIRef(BASE + "id/project/101004564")
TOTAL_COST = URIRef(f"{CORDIS}/total-cost")
UP = URIRef(BASE + "id/organisation/pic-999999999")
GOLM = URIRef(BASE + "id/organisation/de-universitaet-potsdam-golm")
PART_UP = URIRef(f"{CORDIS}/participation/pic-999999999")
EC_CONTRIBUTION = URIRef(f"{PART_UP}/ec-contribution")
OUTPUT_11 = URIRef(f"{CORDIS}/output/11")
MATCH_MERGED = URIRef(f"{UP}/match/9282905fcfdd3d64")
MATCH_APART = URIRef(f"{GOLM}/match/10fbafc70f52fc18")
SOLAR = URIRef(BASE + "id/euroscivoc/543")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")

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
    "A grant has at most one grant number (kg:grantNumber), written as the programme writes it — letters, "
    "digits, '.', '_' and '-', with at least one digit, no spaces, slashes or prefix such as \"n°\" — e.g. "
    "2020-1-DE02-KA202-007701 (Erasmus+), 101004564 (CORDIS), 586063-CITIZ-1-2017-1-FR-CITIZ-NT or "
    "EACEA-509925 (EACEA)."
)
MSG_GRANT_ERASMUS = (
    "The grant number starts like an Erasmus+ national-agency number but is not one in full: check it against "
    "the source, e.g. 2020-1-DE02-KA202-007701 or 2021-1-IT02-KA220-ADU-000033522 (capital letters)."
)
MSG_GRANT_NUMERIC = (
    "A grant number of digits only is a CORDIS / eGrants project number of 5 to 9 digits, e.g. 101004564 or "
    "848579: check it against the source."
)
MSG_PROJECT_IDENTIFIER = (
    "A project needs exactly one identifier (dct:identifier), the key at the end of its URI: its grant or project "
    "number as the programme writes it (e.g. 2020-1-DE02-KA202-007701, 101116741, EACEA-509925) or its record id "
    "(e.g. ic4lop), made of letters, digits, '.', '_' and '-' and starting with a letter or digit."
)
MSG_AMOUNT_URI = (
    "An amount's URI must be {project}/grant/amount (grant), {project}/total-cost (project's total cost) or "
    "{participation}/ec-contribution, {participation}/net-ec-contribution or {participation}/total-cost "
    "(a participant's amounts)."
)
MSG_PIC = (
    "An organisation has at most one Participant Identification Code (kg:pic): nine digits as a plain string, "
    'e.g. "999854855".'
)
MSG_NUTS = (
    "An organisation has at most one NUTS code (kg:nutsCode): two capital letters for the country, then up to "
    "three capital letters or digits, e.g. NL221."
)
MSG_LATITUDE = (
    "An organisation has at most one latitude (kg:latitude), an xsd:decimal in degrees from -90 to 90, e.g. 52.3908."
)
MSG_LONGITUDE = (
    "An organisation has at most one longitude (kg:longitude), an xsd:decimal in degrees from -180 to 180, "
    "e.g. 13.0645."
)
MSG_COORDINATES = (
    "An organisation's position needs both its latitude (kg:latitude) and its longitude (kg:longitude), or neither."
)
MSG_DOI = (
    "A project has at most one DOI (kg:doi), written as the DOI name without resolver, e.g. 10.3030/101116741 "
    "(not https://doi.org/10.3030/101116741 or doi:10.3030/101116741)."
)
MSG_CALL_YEAR = (
    'A project has at most one call year (kg:callYear), a year of four digits typed xsd:gYear, e.g. "2014"^^xsd:gYear.'
)
MSG_VAT_FORM = (
    "A VAT number (kg:vatNumber) is usually written as its two-letter country prefix and 2 to 13 capital letters "
    "or digits, without spaces or punctuation, e.g. DE129517720: check it against the source."
)
MSG_MATCH_RULE = (
    'An organisation match needs exactly one rule (kg:matchRule): "pic", "identifier", "identifier-conflict", '
    '"country-conflict", "name-country-city", "fellegi-sunter", "review" or "name-country".'
)
MSG_MATCH_DECISION = (
    'A merged match (kg:matchDecision "merged", by rule "pic", "identifier", "name-country-city", "fellegi-sunter" or '
    '"review") has the same organisation as '
    'kg:matchedOrganisation and kg:occurrenceOrganisation; a "not-merged" match has two different ones. Name and '
    "country alone never merge."
)
MSG_MATCHED_ORGANISATION = (
    "An organisation match needs exactly one matched organisation (kg:matchedOrganisation), the URI "
    "{base}id/organisation/{id} of the organisation it was merged into or kept apart from."
)
MSG_SUBJECT_SCHEME = (
    "A subject concept must be in one scheme (skos:inScheme): {base}id/scheme/euroscivoc or "
    "{base}id/scheme/cordis-subjects."
)
MSG_SUBJECT = (
    "dct:subject must link to a subject concept (skos:Concept): a EuroSciVoc field of science "
    "({base}id/euroscivoc/{code}) or a CORDIS subject code ({base}id/cordis-subject/{code})."
)
MSG_PARTICIPATION_ORDER = (
    "A participation has at most one position (kg:order) in the source's list of participants, an xsd:integer of "
    "1 or more."
)
MSG_EC_CONTRIBUTION = (
    "A participation has at most one EU contribution (kg:ecContribution), a kg:MonetaryAmount at "
    "{participation}/ec-contribution."
)
MSG_WEB_LINK = "A web link about the project (kg:webLink) must be an http(s) IRI, not a string."
MSG_ALT_LABEL = "Another name of an organisation (skos:altLabel) is a plain string, as the source writes it."
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
    ["n° 2020-1-DE02-KA202-007701", "2020/1/DE02/KA202/007701", "N/A", "not a grant number", "REC-RACI",
     " 2020-1-DE02-KA202-007701", "-2020-1-DE02-KA202-007701"],
)
def test_malformed_grant_number(base_graph: Graph, shapes: Graph, data: Graph, number: str) -> None:
    data.set((GRANT, KG.grantNumber, Literal(number)))
    # the project key no longer is the grant number either
    assert_only_violations(
        validate(base_graph, shapes, data),
        (GRANT, KG.grantNumber, MSG_GRANT_NUMBER),
        (ECCIPA, DCT.identifier, MSG_KEY_IS_GRANT),
    )


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("2020-1-de02-ka202-007701", MSG_GRANT_ERASMUS),  # lower case
        ("2020-1-DE02-KA202", MSG_GRANT_ERASMUS),  # the serial number is missing
        ("2020-1-DE02-KA202-07701", MSG_GRANT_ERASMUS),
        ("1234", MSG_GRANT_NUMERIC),
        ("1010045640", MSG_GRANT_NUMERIC),
    ],
)
def test_doubtful_grant_number_is_a_warning(
    base_graph: Graph, shapes: Graph, data: Graph, number: str, message: str
) -> None:
    """Forms that are URI-safe but unlike the programme's: a warning on the grant, not a violation."""
    data.set((GRANT, KG.grantNumber, Literal(number)))
    outcome = validate(base_graph, shapes, data, allow_warnings=True)
    assert outcome.violations() == {(ECCIPA, DCT.identifier, MSG_KEY_IS_GRANT)}, outcome.text
    assert outcome.warnings() == {(GRANT, KG.grantNumber, message)}, outcome.text


def test_project_key_must_be_the_grant_number(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((GRANT, KG.grantNumber, Literal("2020-1-DE02-KA202-007702")))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, DCT.identifier, MSG_KEY_IS_GRANT))


# Grant and project numbers from the real exports (../shared/data): CORDIS ids, legacy CORDIS references,
# Erasmus+ Project Results Platform identifiers of Erasmus+ and its predecessor programmes.
REAL_KEYS = [
    "2020-1-DE02-KA202-007701",
    "2021-1-IT02-KA220-ADU-000033522",
    "2014-1-DE03-KA101-000001",
    "101116741",
    "848579",
    "101000001",
    "511767-LLP-1-2010-1-IT-KA4-KA4MP",
    "586063-CITIZ-1-2017-1-FR-CITIZ-NT",
    "552144-CREA-1-2014-1-AT-CULT-COOP1",
    "EACEA-509925",
    "EACEA-168191",
    "EAC-2013-0493",
    "HR-2-01-2009-R2",
    "FI-CULT-2008-MOTN-01",
    "EN3M0034",
    "ENV4950055",
]


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        *[(key, True) for key in REAL_KEYS],
        ("n° 2020-1-DE02-KA202-007701", False),
        ("2020-1-DE02-KA202-007701 ", False),
        ("2020/1/DE02/KA202/007701", False),
        ("not a grant number", False),
        ("REC-RACI", False),
        ("N/A", False),
        ("", False),
    ],
)
def test_grant_number_pattern(shapes: Graph, number: str, ok: bool) -> None:
    assert bool(re.search(pattern_of(shapes, "Grant-grantNumber"), number)) is ok
    if ok:  # a project key may be that grant number
        assert re.search(pattern_of(shapes, "Project-identifier"), number)


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        *[(key, True) for key in REAL_KEYS],
        ("ic4lop", True),
        ("uniseco_2018.v2", True),
        ("not%20a%20grant%20number", False),  # a number with spaces, as src/kg/uris.py percent-encodes it
        ("not a grant number", False),
        ("-ic4lop", False),
        ("2020/1", False),
        ("", False),
    ],
)
def test_project_identifier_pattern(shapes: Graph, key: str, ok: bool) -> None:
    """Any URI-safe key is a project key, and the pattern is the one src/kg/uris.py keeps keys to."""
    from kg.model.uris import _SAFE_KEY

    assert bool(re.search(pattern_of(shapes, "Project-identifier"), key)) is ok
    assert pattern_of(shapes, "Project-identifier") == _SAFE_KEY.pattern


def rekey(data: Graph, project: URIRef, key: str) -> URIRef:
    """Give ``project`` (and its grant) the key ``key``: every URI under the project moves along."""
    new = URIRef(f"{BASE}id/project/{key}")

    def move(term):  # type: ignore[no-untyped-def]
        if isinstance(term, URIRef) and (term == project or str(term).startswith(f"{project}/")):
            return URIRef(str(new) + str(term)[len(str(project)):])
        return term

    for s, p, o in list(data):
        moved = (move(s), p, move(o))
        if moved != (s, p, o):
            data.remove((s, p, o))
            data.add(moved)
    data.set((new, DCT.identifier, Literal(key)))
    data.set((URIRef(f"{new}/grant"), KG.grantNumber, Literal(key)))
    return new


@pytest.mark.parametrize("key", REAL_KEYS)
def test_real_grant_numbers_are_valid_project_keys(base_graph: Graph, shapes: Graph, data: Graph, key: str) -> None:
    """A project keyed by any grant number of the real exports conforms, without warnings."""
    rekey(data, ECCIPA, key)
    outcome = validate(base_graph, shapes, data)
    assert outcome.conforms and outcome.results == [], outcome.text


def test_percent_encoded_key_is_rejected(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    """A grant number with spaces makes a percent-encoded key (src/kg/uris.py): both are reported."""
    new = rekey(data, ECCIPA, "not%20a%20grant%20number")
    data.set((URIRef(f"{new}/grant"), KG.grantNumber, Literal("not a grant number")))
    assert_only_violations(
        validate(base_graph, shapes, data),
        (URIRef(f"{new}/grant"), KG.grantNumber, MSG_GRANT_NUMBER),
        (new, DCT.identifier, MSG_PROJECT_IDENTIFIER),
    )


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


def test_amount_uri_layout(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    """Amounts live at {project}/grant/amount, {project}/total-cost, {participation}/ec-contribution …"""
    wrong = URIRef(f"{CORDIS}/cost")
    for p, o in list(data.predicate_objects(TOTAL_COST)):
        data.remove((TOTAL_COST, p, o))
        data.add((wrong, p, o))
    data.set((CORDIS, KG.totalCost, wrong))
    assert_only_violations(validate(base_graph, shapes, data), (wrong, None, MSG_AMOUNT_URI))


@pytest.mark.parametrize(
    "uri",
    ["grant/amount", "total-cost", "participation/pic-999999999/ec-contribution",
     "participation/pic-999999999/net-ec-contribution", "participation/pic-999999999/total-cost"],
)
def test_amount_uris_of_the_model(shapes: Graph, uri: str) -> None:
    assert re.search(str(shapes.value(KGSH.MonetaryAmountShape, SH.pattern)), f"{CORDIS}/{uri}")


def test_participant_with_two_eu_contributions(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.add((PART_UP, KG.ecContribution, TOTAL_COST))
    assert_only_violations(validate(base_graph, shapes, data), (PART_UP, KG.ecContribution, MSG_EC_CONTRIBUTION))


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


# --------------------------------------------------------------------------- facts of programme databases
@pytest.mark.parametrize("pic", ["99999999", "9999999999", "PIC 999999999", "999 999 999"])
def test_bad_pic(base_graph: Graph, shapes: Graph, data: Graph, pic: str) -> None:
    data.set((UP, KG.pic, Literal(pic)))
    assert_only_violations(validate(base_graph, shapes, data), (UP, KG.pic, MSG_PIC))


def test_pic_as_integer(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((UP, KG.pic, Literal(999999999)))
    assert_only_violations(validate(base_graph, shapes, data), (UP, KG.pic, MSG_PIC))


@pytest.mark.parametrize(("nuts", "ok"), [("NL221", True), ("DE4", True), ("US", True), ("EL30", True), ("UKI31", True),
                                          ("nl221", False), ("NL2211", False), ("N", False), ("NL 221", False)])
def test_nuts_code(base_graph: Graph, shapes: Graph, data: Graph, nuts: str, ok: bool) -> None:
    data.set((UP, KG.nutsCode, Literal(nuts)))
    outcome = validate(base_graph, shapes, data)
    if ok:
        assert outcome.conforms, outcome.text
    else:
        assert_only_violations(outcome, (UP, KG.nutsCode, MSG_NUTS))


@pytest.mark.parametrize(
    ("prop", "value", "message"),
    [
        (KG.latitude, Literal("90.5", datatype=XSD.decimal), MSG_LATITUDE),
        (KG.latitude, Literal("-91", datatype=XSD.decimal), MSG_LATITUDE),
        (KG.latitude, Literal("52.4009309"), MSG_LATITUDE),  # a string
        (KG.longitude, Literal("180.01", datatype=XSD.decimal), MSG_LONGITUDE),
        (KG.longitude, Literal("13.01", datatype=XSD.double), MSG_LONGITUDE),
    ],
    ids=["lat>90", "lat<-90", "lat-string", "long>180", "long-double"],
)
def test_bad_coordinates(base_graph: Graph, shapes: Graph, data: Graph, prop: URIRef, value: Literal, message: str) -> None:
    data.set((UP, prop, value))
    assert_only_violations(validate(base_graph, shapes, data), (UP, prop, message))


def test_coordinates_at_the_limits(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((UP, KG.latitude, Literal("-90", datatype=XSD.decimal)))
    data.set((UP, KG.longitude, Literal("180.0", datatype=XSD.decimal)))
    assert validate(base_graph, shapes, data).conforms


def test_latitude_without_longitude(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.remove((UP, KG.longitude, None))
    assert_only_violations(validate(base_graph, shapes, data), (UP, None, MSG_COORDINATES))


@pytest.mark.parametrize("doi", ["https://doi.org/10.3030/101004564", "doi:10.3030/101004564", "10.3030", "10.30/1", "10.3030/ 1"])
def test_bad_doi(base_graph: Graph, shapes: Graph, data: Graph, doi: str) -> None:
    data.set((CORDIS, KG.doi, Literal(doi)))
    assert_only_violations(validate(base_graph, shapes, data), (CORDIS, KG.doi, MSG_DOI))


@pytest.mark.parametrize("value", [Literal("2020"), Literal(2020), Literal("20", datatype=XSD.gYear)], ids=str)
def test_bad_call_year(base_graph: Graph, shapes: Graph, data: Graph, value: Literal) -> None:
    data.set((ECCIPA, KG.callYear, value))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, KG.callYear, MSG_CALL_YEAR))


def test_web_link_as_string(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((ECCIPA, KG.webLink, Literal("https://erasmus-plus.ec.europa.eu/projects")))
    assert_only_violations(validate(base_graph, shapes, data), (ECCIPA, KG.webLink, MSG_WEB_LINK))


def test_other_name_with_language_tag(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((UP, SKOS.altLabel, Literal("Universität Potsdam", lang="de")))
    assert_only_violations(validate(base_graph, shapes, data), (UP, SKOS.altLabel, MSG_ALT_LABEL))


def test_doubtful_vat_number_is_a_warning(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((UP, KG.vatNumber, Literal("DE 138 408 327")))
    outcome = validate(base_graph, shapes, data, allow_warnings=True)
    assert outcome.violations() == set(), outcome.text
    assert outcome.warnings() == {(UP, KG.vatNumber, MSG_VAT_FORM)}, outcome.text


@pytest.mark.parametrize("order", [0, -1, "1"], ids=str)
def test_bad_participation_order(base_graph: Graph, shapes: Graph, data: Graph, order: object) -> None:
    data.set((PART_UP, KG.order, Literal(order)))
    assert_only_violations(validate(base_graph, shapes, data), (PART_UP, KG.order, MSG_PARTICIPATION_ORDER))


def test_subject_not_a_concept(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.add((CORDIS, DCT.subject, Literal("solar energy")))
    outcome = validate(base_graph, shapes, data)
    assert (CORDIS, DCT.subject, MSG_SUBJECT) in outcome.violations(), outcome.text


def test_subject_concept_outside_the_subject_schemes(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((SOLAR, SKOS.inScheme, URIRef(BASE + "id/scheme/programmes")))
    assert_only_violations(validate(base_graph, shapes, data), (SOLAR, SKOS.inScheme, MSG_SUBJECT_SCHEME))


def test_sdgs_are_not_subject_concepts(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    """kg:sdg ⊑ dct:subject in the ontology, but shapes see no inference: SDGs keep their own shape."""
    assert validate(base_graph, shapes, data).conforms


# --------------------------------------------------------------------------- organisation linking
def test_match_without_rule(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.remove((MATCH_MERGED, KG.matchRule, None))
    assert_only_violations(validate(base_graph, shapes, data), (MATCH_MERGED, KG.matchRule, MSG_MATCH_RULE))


def test_match_with_unknown_rule(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((MATCH_APART, KG.matchRule, Literal("name")))
    assert_only_violations(validate(base_graph, shapes, data), (MATCH_APART, KG.matchRule, MSG_MATCH_RULE))


def test_merge_of_two_organisations(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((MATCH_MERGED, KG.matchedOrganisation, GOLM))
    assert_only_violations(validate(base_graph, shapes, data), (MATCH_MERGED, None, MSG_MATCH_DECISION))


def test_kept_apart_from_itself(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((MATCH_APART, KG.matchedOrganisation, GOLM))
    assert_only_violations(validate(base_graph, shapes, data), (MATCH_APART, None, MSG_MATCH_DECISION))


def test_name_and_country_never_merge(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    data.set((MATCH_MERGED, KG.matchRule, Literal("name-country")))
    assert_only_violations(validate(base_graph, shapes, data), (MATCH_MERGED, None, MSG_MATCH_DECISION))


def test_matched_organisation_described_elsewhere(base_graph: Graph, shapes: Graph, data: Graph) -> None:
    """The look-alike may be described only in another import's graph: its URI is enough."""
    other = URIRef(BASE + "id/organisation/pic-888888888")
    data.set((MATCH_APART, KG.matchedOrganisation, other))
    assert validate(base_graph, shapes, data).conforms
    data.set((MATCH_APART, KG.matchedOrganisation, URIRef(BASE + "id/place/deu/potsdam")))
    assert_only_violations(
        validate(base_graph, shapes, data), (MATCH_APART, KG.matchedOrganisation, MSG_MATCHED_ORGANISATION)
    )


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
