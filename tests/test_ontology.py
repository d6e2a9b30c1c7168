"""The OWL ontology (ontology/kg.ttl) against its contract, docs/model.md.

Checks that the file parses, that its header is complete, that every kg: term is labelled
(en, it), defined (en) and typed, that every kg: term of docs/model.md's tables is declared
with the kind, superclass, domain and range the model gives it (and nothing else is), that
alignments only use external IRIs that were checked against their vocabularies, and that the
pyLODE copy made by ontology/pylode_prep.py is usable.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib import namespace as rdflib_ns
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "kg.ttl"
MODEL_FILE = ROOT / "docs" / "model.md"
PREP_SCRIPT = ROOT / "ontology" / "pylode_prep.py"

# Open namespaces: rdflib's closed ones warn when pytest probes module attributes.
SDO = Namespace(str(rdflib_ns.SDO))
FOAF = Namespace(str(rdflib_ns.FOAF))
ORG = Namespace(str(rdflib_ns.ORG))
PROV = Namespace(str(rdflib_ns.PROV))
DCAT = Namespace(str(rdflib_ns.DCAT))
DCTERMS = Namespace(str(rdflib_ns.DCTERMS))
XSD = Namespace(str(rdflib_ns.XSD))
KG = Namespace("https://w3id.org/euprojects/def#")
ONT = URIRef("https://w3id.org/euprojects/def")
VANN = Namespace("http://purl.org/vocab/vann/")
EURIO = Namespace("http://data.europa.eu/s66#")
FRAPO = Namespace("http://purl.org/cerif/frapo/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
# W3C Basic Geo (rdflib's WGS namespace class has the wrong scheme, https:, so it is open here)
WGS84 = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")

DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual, SKOS.ConceptScheme}
PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty}

# Predicates whose objects are alignment targets or the vocabulary a term is built on.
ALIGNMENT_PREDICATES = (
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.inverseOf,
    RDFS.domain,
    RDFS.range,
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
)
MAPPING_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)

ALLOWED_NAMESPACES = {
    "eurio": str(EURIO),
    "schema": str(SDO),
    "frapo": str(FRAPO),
    "org": str(ORG),
    "foaf": str(FOAF),
    "prov": str(PROV),
    "dcat": str(DCAT),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "vcard": str(VCARD),
    "sdgo": str(SDGO),
    "spdx": str(SPDX),
    "wgs84": str(WGS84),
    "xsd": str(XSD),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
}

# External terms checked by hand against the vocabulary's published file (see
# ontology/README.md). Namespaces that rdflib ships as closed term lists (schema.org, FOAF,
# ORG, PROV, DCAT, SKOS, DCMI Terms, XSD) are also checked against those lists below.
# To align with a new external term: check it in the vocabulary's own file, then add it here.
VERIFIED_EXTERNAL_TERMS = {
    # EURIO 2.5.0 (eurio-v2.5.ttl)
    *(EURIO[t] for t in (
        "Project", "Organisation", "OrganisationRole", "FundingScheme", "FundingAgency", "Grant",
        "MonetaryAmount", "Result", "definition", "duration", "startDate", "endDate", "hasAcronym",
        "hasFundingAmount", "hasFundingScheme", "hasInvolvedParty", "hasResult", "isFundedBy",
        "isImplementedBy", "isInvolvedIn", "isRoleOf", "legalName", "projectStatus", "roleLabel",
        "signatureDate",
        # checked for the terms of programme-database imports
        "SME", "doi", "hasFundingSchemeCall", "hasFundingSchemeProgramme", "hasFundingSchemeType",
        "hasNUTSCode", "hasTotalCost", "identifier", "latitude", "longitude", "order", "postalCode",
        "streetAddress", "url", "vatNumber",
    )),
    # FRAPO 1.1 (frapo.owl)
    *(FRAPO[t] for t in (
        "FundingAgency", "FundingProgramme", "Grant", "Output", "hasAcronym", "hasStartDate",
        "hasEndDate", "hasFundingAgency", "hasGrantNumber", "hasOutput", "isFundedBy",
    )),
    # W3C ORG (org.ttl)
    ORG.Organization, ORG.OrganizationalCollaboration, ORG.Membership, ORG.Role, ORG.member,
    ORG.organization, ORG.role,
    # FOAF, PROV-O, DCAT 2, DCMI Terms, vCard (range of dcat:contactPoint), SPDX, UN SDG KOS
    FOAF.Project, FOAF.Organization, FOAF.Document, FOAF.page,
    PROV.Entity,
    DCAT.contactPoint,
    DCTERMS.Location, DCTERMS.subject,
    VCARD.Kind, VCARD["postal-code"], VCARD["street-address"],  # no rdfs:domain, range xsd:string
    # W3C Basic Geo (wgs84_pos.rdf, 2009): rdfs:domain wgs84:SpatialThing
    WGS84.lat, WGS84.long,
    SPDX.checksum,
    SDGO.Goal, SDGO.Target,
    SKOS.Concept,
    # schema.org
    *(SDO[t] for t in (
        "Project", "Organization", "FundingScheme", "FundingAgency", "MonetaryGrant", "MonetaryAmount",
        "Audience", "Place", "City", "CreativeWork", "ContactPoint", "startDate", "endDate", "funder",
        "amount", "audience", "legalName", "alternateName", "position", "duration", "minValue",
        "maxValue", "unitText", "contactPoint",
        "vatID", "postalCode", "streetAddress", "addressRegion", "latitude", "longitude", "identifier",
    )),
    # datatypes
    RDF.langString, RDF.Seq, XSD.string, XSD.integer, XSD.decimal, XSD.boolean, XSD.date, XSD.gYearMonth,
    XSD.gYear, XSD.duration,
}

# prefix -> name of rdflib's closed namespace class holding that vocabulary's term list
CLOSED_RDFLIB_NAMESPACES = {
    "schema": "SDO", "foaf": "FOAF", "org": "ORG", "prov": "PROV", "dcat": "DCAT", "skos": "SKOS",
    "dct": "DCTERMS", "xsd": "XSD",
}


# --------------------------------------------------------------------------- helpers
@lru_cache(maxsize=1)
def _graph() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@pytest.fixture(scope="module")
def g() -> Graph:
    return _graph()


def is_kg(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(KG))


def kg_subjects(g: Graph) -> set[URIRef]:
    """Every kg: IRI in subject position: the terms the ontology declares."""
    return {s for s in g.subjects() if is_kg(s)}


def curie(g: Graph, iri: URIRef) -> str:
    return g.namespace_manager.normalizeUri(iri)


def members(g: Graph, node) -> list:
    """The members of an owl:unionOf node, or the node itself."""
    if isinstance(node, BNode):
        union = g.value(node, OWL.unionOf)
        if union is not None:
            return list(Collection(g, union))
    return [node]


def literals(g: Graph, s, p, lang: str | None) -> list[Literal]:
    return [o for o in g.objects(s, p) if isinstance(o, Literal) and o.language == lang]


def superclasses(g: Graph, cls: URIRef) -> set:
    seen: set = set()
    todo = [cls]
    while todo:
        for sup in g.objects(todo.pop(), RDFS.subClassOf):
            if sup not in seen:
                seen.add(sup)
                todo.append(sup)
    return seen


def _section(text: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert m, f"docs/model.md has no section '## {title}'"
    return m.group(1)


def _table_rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        line = line.strip()
        if not line.startswith("|") or re.match(r"^\|[\s:|-]+\|$", line):
            continue
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:]  # drop the header row


KG_NAME = re.compile(r"\bkg:([A-Za-z][A-Za-z0-9]*)")


@lru_cache(maxsize=1)
def model() -> dict:
    """The kg: terms of docs/model.md's tables, with what the model says about them."""
    text = MODEL_FILE.read_text(encoding="utf-8")
    all_terms = {KG[n] for line in text.splitlines() if line.lstrip().startswith("|") for n in KG_NAME.findall(line)}

    classes: dict[URIRef, URIRef | None] = {}  # class -> its stated superclass
    individuals: dict[URIRef, URIRef] = {}  # individual -> the class it instantiates
    schemes: set[URIRef] = set()
    for cells in _table_rows(_section(text, "Classes")):
        names = KG_NAME.findall(cells[0])
        if not names:
            continue
        sup = KG[names[1]] if "⊑" in cells[0] and len(names) > 1 else None
        classes[KG[names[0]]] = sup
        last = cells[-1]
        if "individual" in last:
            head, _, scheme_part = last.partition("in scheme")
            for n in KG_NAME.findall(head):
                individuals[KG[n]] = KG[names[0]]
            schemes.update(KG[n] for n in KG_NAME.findall(scheme_part))

    properties: dict[URIRef, tuple[set[URIRef], set[URIRef] | None]] = {}
    for cells in _table_rows(_section(text, "Properties")):
        names = KG_NAME.findall(cells[0])
        if not names or "→" not in cells[1]:
            continue
        left, _, right = cells[1].partition("→")
        domain = {KG[n] for n in re.findall(r"\b([A-Z][A-Za-z]+)\b", left)}
        rng: set[URIRef] | None = set()
        for part in right.split("∪"):
            part = part.strip()
            if part == "IRI":  # any resource (a web page): not checked
                rng = None
                break
            if m := re.fullmatch(r"(xsd|rdf|sdgo|kg):([A-Za-z]+)", part):
                ns = {"xsd": XSD, "rdf": RDF, "sdgo": SDGO, "kg": KG}[m.group(1)]
                rng.add(ns[m.group(2)])
            elif re.fullmatch(r"[A-Z][A-Za-z]+", part):
                rng.add(KG[part])
            else:  # prose such as "EU authority country": not checked
                rng = None
                break
        for n in names:
            properties[KG[n]] = (domain, rng)

    return {
        "all": all_terms,
        "classes": classes,
        "individuals": individuals,
        "schemes": schemes,
        "properties": properties,
    }


def _report(problems: list[str]) -> str:
    return "\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------- parsing and header
def test_parses_with_rdflib_and_pyoxigraph(g: Graph) -> None:
    import pyoxigraph

    assert len(g) > 500
    quads = list(pyoxigraph.parse(path=str(ONTOLOGY_FILE), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) == len(g)


def test_header(g: Graph) -> None:
    assert set(g.subjects(RDF.type, OWL.Ontology)) == {ONT}
    assert g.value(ONT, OWL.versionIRI) == URIRef("https://w3id.org/euprojects/def/0.1.0")
    assert g.value(ONT, OWL.versionInfo) == Literal("0.1.0")
    assert g.value(ONT, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert literals(g, ONT, DCTERMS.title, "en"), "dct:title@en"
    assert literals(g, ONT, DCTERMS.description, "en"), "dct:description@en"
    for p in (DCTERMS.created, DCTERMS.modified):
        assert g.value(ONT, p) == Literal("2026-11-22", datatype=XSD.date), p
    assert g.value(ONT, VANN.preferredNamespacePrefix) == Literal("kg")
    assert str(g.value(ONT, VANN.preferredNamespaceUri)) == str(KG)

    creators = list(g.objects(ONT, DCTERMS.creator))
    assert creators, "dct:creator"
    names = set()
    for c in creators:
        if isinstance(c, Literal):
            names.add(str(c))
        else:
            names.update(str(n) for p in (SDO.name, FOAF.name) for n in g.objects(c, p))
    assert "EU projects knowledge graph team" in names


# --------------------------------------------------------------------------- every kg: term
def test_every_term_is_declared_labelled_and_defined(g: Graph) -> None:
    terms = kg_subjects(g)
    assert len(terms) > 60
    problems = []
    for t in sorted(terms):
        name = curie(g, t)
        if not set(g.objects(t, RDF.type)) & DECLARATION_TYPES:
            problems.append(f"{name}: no owl:Class/ObjectProperty/DatatypeProperty/NamedIndividual/ConceptScheme type")
        if len(literals(g, t, RDFS.label, "en")) != 1:
            problems.append(f"{name}: needs exactly one rdfs:label@en")
        if not literals(g, t, RDFS.label, "it"):
            problems.append(f"{name}: no rdfs:label@it")
        if not literals(g, t, SKOS.definition, "en"):
            problems.append(f"{name}: no skos:definition@en")
        if g.value(t, RDFS.isDefinedBy) != ONT:
            problems.append(f"{name}: rdfs:isDefinedBy is not the ontology IRI")
    assert not problems, _report(problems)


# the datatypes of the RDF namespace (its other terms, such as rdf:Seq, are classes)
RDF_DATATYPES = {RDF.langString, RDF.HTML, RDF.XMLLiteral, RDF.JSON, RDF.PlainLiteral}


def test_every_property_has_domain_and_range(g: Graph) -> None:
    problems = []
    for t in sorted(kg_subjects(g)):
        types = set(g.objects(t, RDF.type))
        if not types & PROPERTY_TYPES:
            continue
        if len(types & PROPERTY_TYPES) != 1:
            problems.append(f"{curie(g, t)}: both an object and a datatype property")
        if g.value(t, RDFS.domain) is None or g.value(t, RDFS.range) is None:
            problems.append(f"{curie(g, t)}: missing rdfs:domain or rdfs:range")
        rng = set(members(g, g.value(t, RDFS.range)))
        datatype_range = all(str(r).startswith(str(XSD)) or r in RDF_DATATYPES for r in rng)
        if (OWL.DatatypeProperty in types) != datatype_range:
            problems.append(f"{curie(g, t)}: property kind does not match its range {sorted(rng)}")
    assert not problems, _report(problems)


def test_no_kg_term_is_used_without_being_declared(g: Graph) -> None:
    declared = kg_subjects(g)
    used = {x for triple in g for x in triple if is_kg(x)}
    assert used <= declared, f"used but not declared: {sorted(used - declared)}"


def test_no_external_term_is_redeclared(g: Graph) -> None:
    foreign = {s for s in g.subjects() if isinstance(s, URIRef) and s != ONT and not is_kg(s)}
    assert not foreign, f"statements about external terms: {sorted(foreign)}"


# --------------------------------------------------------------------------- the contract
def test_model_terms_are_parsed() -> None:
    m = model()
    assert KG.Project in m["classes"] and KG.startDate in m["properties"]
    assert KG.RoleCoordinator in m["individuals"] and KG.ParticipationRoles in m["schemes"]
    assert len(m["classes"]) >= 20 and len(m["properties"]) >= 45


def test_every_model_term_is_declared(g: Graph) -> None:
    missing = sorted(curie(g, t) for t in model()["all"] - kg_subjects(g))
    assert not missing, f"docs/model.md names kg: terms that ontology/kg.ttl does not declare: {missing}"


def test_ontology_declares_nothing_the_model_lacks(g: Graph) -> None:
    extra = sorted(curie(g, t) for t in kg_subjects(g) - model()["all"])
    assert not extra, f"ontology/kg.ttl declares kg: terms that docs/model.md does not name: {extra}"


def test_model_classes_and_superclasses(g: Graph) -> None:
    problems = []
    for cls, sup in model()["classes"].items():
        if (cls, RDF.type, OWL.Class) not in g:
            problems.append(f"{curie(g, cls)} is not an owl:Class")
        if sup is not None and (cls, RDFS.subClassOf, sup) not in g:
            problems.append(f"{curie(g, cls)} is not rdfs:subClassOf {curie(g, sup)}")
    assert not problems, _report(problems)


def test_model_properties_domains_and_ranges(g: Graph) -> None:
    problems = []
    for prop, (domain, rng) in model()["properties"].items():
        name = curie(g, prop)
        if not set(g.objects(prop, RDF.type)) & PROPERTY_TYPES:
            problems.append(f"{name} is not an owl:ObjectProperty or owl:DatatypeProperty")
            continue
        declared_domain = set(members(g, g.value(prop, RDFS.domain)))
        if declared_domain != domain:
            problems.append(f"{name}: domain {sorted(map(str, declared_domain))}, model says {sorted(map(str, domain))}")
        if rng is not None:
            declared_range = set(members(g, g.value(prop, RDFS.range)))
            if declared_range != rng:
                problems.append(f"{name}: range {sorted(map(str, declared_range))}, model says {sorted(map(str, rng))}")
    assert not problems, _report(problems)


def test_roles_form_the_participation_scheme(g: Graph) -> None:
    from kg.model.records import ROLES

    m = model()
    scheme = KG.ParticipationRoles
    assert m["schemes"] == {scheme}
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    roles = set(m["individuals"])
    assert len(roles) == 5 and set(m["individuals"].values()) == {KG.Role}
    assert set(g.objects(scheme, SKOS.hasTopConcept)) == roles
    assert set(g.subjects(RDF.type, KG.Role)) == roles
    problems = []
    for r in sorted(roles):
        for t in (OWL.NamedIndividual, SKOS.Concept, KG.Role):
            if (r, RDF.type, t) not in g:
                problems.append(f"{curie(g, r)}: not a {curie(g, t)}")
        for p in (SKOS.inScheme, SKOS.topConceptOf):
            if (r, p, scheme) not in g:
                problems.append(f"{curie(g, r)}: no {curie(g, p)} kg:ParticipationRoles")
        if not (literals(g, r, SKOS.prefLabel, "en") and literals(g, r, SKOS.prefLabel, "it")):
            problems.append(f"{curie(g, r)}: needs skos:prefLabel in en and it")
    assert not problems, _report(problems)
    # the codes of the record model (src/kg/records.py) are the concepts' notations
    assert {str(g.value(r, SKOS.notation)) for r in roles} == set(ROLES)


def test_dates_keep_the_precision_the_source_states(g: Graph) -> None:
    for prop in (KG.startDate, KG.endDate):
        rng = g.value(prop, RDFS.range)
        assert (rng, RDF.type, RDFS.Datatype) in g, "the union must be a datatype (rdfs:Datatype)"
        assert set(members(g, rng)) == {XSD.date, XSD.gYearMonth, XSD.gYear}
    assert g.value(KG.signatureDate, RDFS.range) == XSD.date


# --------------------------------------------------------------------------- alignments
def _alignment_targets(g: Graph) -> dict[URIRef, set[URIRef]]:
    targets: dict[URIRef, set[URIRef]] = {}
    for p in ALIGNMENT_PREDICATES:
        for s, o in g.subject_objects(p):
            for x in members(g, o):
                if isinstance(x, URIRef) and not is_kg(x):
                    targets.setdefault(x, set()).add(s)
    return targets


def test_alignment_iris_are_from_allowed_namespaces_and_checked(g: Graph) -> None:
    targets = _alignment_targets(g)
    assert len(targets) > 50
    problems = []
    for iri, users in sorted(targets.items()):
        where = ", ".join(sorted(curie(g, u) for u in users if isinstance(u, URIRef)))
        ns = next((n for n in ALLOWED_NAMESPACES.values() if str(iri).startswith(n)), None)
        if ns is None:
            problems.append(f"{iri} (used by {where}) is not in an allowed namespace")
        elif iri not in VERIFIED_EXTERNAL_TERMS:
            problems.append(f"{iri} (used by {where}) is not on the list of checked external terms")
    assert not problems, _report(problems)


@pytest.mark.parametrize("prefix", sorted(CLOSED_RDFLIB_NAMESPACES))
def test_checked_terms_exist_in_rdflibs_closed_namespaces(prefix: str) -> None:
    """rdflib's namespace classes list each vocabulary's terms: a misspelt one raises."""
    ns = getattr(rdflib_ns, CLOSED_RDFLIB_NAMESPACES[prefix])
    problems = []
    for iri in sorted(VERIFIED_EXTERNAL_TERMS):
        if str(iri).startswith(str(ns)):
            local = str(iri)[len(str(ns)):]
            try:
                getattr(ns, local)
            except AttributeError:
                problems.append(str(iri))
    assert not problems, f"not terms of {ns}: {problems}"


def test_every_alignment_is_explained_in_the_terms_note(g: Graph) -> None:
    """Each external class/property a term is mapped to, or specialises, is named in its skos:note@en."""
    problems = []
    for t in sorted(kg_subjects(g)):
        aligned = set()
        for p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty, *MAPPING_PREDICATES):
            aligned.update(o for o in g.objects(t, p) if isinstance(o, URIRef) and not is_kg(o))
        if not aligned:
            continue
        note = " ".join(str(n) for n in literals(g, t, SKOS.note, "en"))
        for target in sorted(aligned):
            if curie(g, target) not in note:
                problems.append(f"{curie(g, t)}: skos:note@en does not mention {curie(g, target)}")
    assert not problems, _report(problems)


def test_eurio_is_only_linked_by_skos_mappings(g: Graph) -> None:
    """EURIO's classes carry CORDIS cardinalities; subsumption would claim them for our data."""
    for p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty):
        assert not [o for o in g.objects(None, p) if str(o).startswith(str(EURIO))], p


def test_no_inference_makes_a_project_an_organisation_or_an_activity(g: Graph) -> None:
    project = superclasses(g, KG.Project)
    # prov:wasDerivedFrom makes projects prov:Entity, which PROV-O declares disjoint with prov:Activity
    assert PROV.Activity not in project
    assert not project & {SDO.Organization, ORG.Organization, FOAF.Organization, KG.Organisation}
    assert SDO.Project not in superclasses(g, KG.Funder)  # schema:FundingAgency ⊑ schema:Project
    assert not superclasses(g, KG.FundingScheme) & {SDO.Organization, SDO.FundingScheme}
    assert FRAPO.Output not in superclasses(g, KG.Output)  # FRAPO 1.1: frapo:Output ⊑ frapo:Equipment
    # a linking decision is a record derived from a source (prov:wasDerivedFrom), never a PROV activity
    assert PROV.Entity in superclasses(g, KG.OrganisationMatch)
    assert PROV.Activity not in superclasses(g, KG.OrganisationMatch)


def test_no_inference_makes_an_organisation_a_spatial_thing_or_a_cordis_record(g: Graph) -> None:
    """wgs84:lat/long have the domain wgs84:SpatialThing, and EURIO's address, coordinate and identifier
    properties have EURIO classes as domains: ours are only mapped to them, never specialised."""
    for prop in (KG.latitude, KG.longitude, KG.postCode, KG.streetAddress, KG.nutsCode, KG.vatNumber, KG.pic):
        supers = set(g.objects(prop, RDFS.subPropertyOf))
        assert not [s for s in supers if str(s).startswith((str(WGS84), str(EURIO)))], prop
    # the amounts an import adds are kg:MonetaryAmount, as a grant's amount is
    for prop in (KG.totalCost, KG.ecContribution, KG.netEcContribution):
        assert g.value(prop, RDFS.range) == KG.MonetaryAmount


# --------------------------------------------------------------------------- documentation
def _prep_module():
    spec = importlib.util.spec_from_file_location("pylode_prep", PREP_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lang", ["en", "it"])
def test_pylode_copy_has_one_language_and_no_concept_scheme(g: Graph, lang: str) -> None:
    doc = _prep_module().graph_for_pylode(ONTOLOGY_FILE, lang)
    assert not set(doc.subjects(RDF.type, SKOS.ConceptScheme))
    assert set(doc.subjects(RDF.type, OWL.Ontology)) == {ONT}
    for s, p, o in doc:
        if isinstance(o, Literal) and o.language and o.language != lang:
            assert not literals(g, s, p, lang), f"{s} {p} keeps {o!r}"
    for t in kg_subjects(g):
        assert len(literals(doc, t, RDFS.label, lang)) == 1, t


def test_pylode_renders_the_copy(tmp_path: Path) -> None:
    pylode = pytest.importorskip("pylode", reason="pyLODE is not a project dependency")
    doc = _prep_module().graph_for_pylode(ONTOLOGY_FILE, "en")
    html = pylode.OntPub(doc).make_html()
    assert "EU projects knowledge graph ontology" in html
    assert "https://w3id.org/euprojects/def#Participation" in html
    assert "Progetto" not in html
