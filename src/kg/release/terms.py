"""The terms publishing uses beyond :mod:`kg.model.namespaces`, and the controlled-vocabulary concepts
the catalogue cites, with the statements DCAT-AP's vocabulary shapes look for.

A DCAT-AP catalogue states, for every concept it uses, its class and ``skos:inScheme`` (and a
``skos:prefLabel``, which the 3.0.1 ``skos:Concept`` shape requires), as DCAT-AP exporters do;
each scheme gets a ``dct:title`` (the ``skos:ConceptScheme`` shape). Nothing is fetched at run
time: the EU file-type and country concepts come from the authority tables in
``data/vocab/eu-authority`` and from the store; the few others are stated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Namespace

from kg.model.namespaces import DCT, KG, RDF, SKOS
from kg.model.namespaces import PREFIXES as NAMESPACES

__all__ = [
    "ADMS",
    "DCAT",
    "AUTHORITY",
    "Concept",
    "DATA_THEMES",
    "DCATAP",
    "FILE_TYPE_TABLE",
    "IANA",
    "LICENCE",
    "ONTOLOGY_IRI",
    "PUBLISHER_TYPES",
    "VOID",
    "Scheme",
    "file_type_labels",
    "language_concept",
]

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # open: rdflib's DCAT lacks DCAT 3 terms (dcat:version)
DCATAP = Namespace("http://data.europa.eu/r5r/")
VOID = Namespace("http://rdfs.org/ns/void#")
IANA = "http://www.iana.org/assignments/media-types/"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
ONTOLOGY_IRI = str(KG).rstrip("#")
FORMATS = "http://www.w3.org/ns/formats/"  # W3C format identifiers, for void:feature

FILE_TYPE_TABLE = Path("vocab/eu-authority/eu-op-file-type-skos-20221214-0.rdf")  # under data_dir

# The prefixes of the catalogue and VoID files: the project's own, plus the publishing vocabularies.
PREFIXES: dict[str, str] = {
    **{name: str(ns) for name, ns in sorted(NAMESPACES.items())},
    "adms": str(ADMS),
    "dcatap": str(DCATAP),
    "void": str(VOID),
}


@dataclass(frozen=True)
class Scheme:
    iri: str
    title: str


@dataclass(frozen=True)
class Concept:
    iri: str
    label: str
    scheme: Scheme
    classes: tuple[str, ...] = ()  # beyond skos:Concept


FILE_TYPE = Scheme(AUTHORITY + "file-type", "File type")
COUNTRY = Scheme(AUTHORITY + "country", "Country")
LANGUAGE = Scheme(AUTHORITY + "language", "Language")
DATA_THEME = Scheme(AUTHORITY + "data-theme", "Data theme")
LICENCE_SCHEME = Scheme(AUTHORITY + "licence", "Licence")
LICENCE_TYPE = Scheme("http://purl.org/adms/licencetype/1.0", "ADMS licence type")
PUBLISHER_TYPE = Scheme("http://purl.org/adms/publishertype/1.0", "ADMS publisher type")

DATA_THEMES: tuple[Concept, ...] = (
    Concept(AUTHORITY + "data-theme/SOCI", "Population and society", DATA_THEME),
    Concept(AUTHORITY + "data-theme/EDUC", "Education, culture and sport", DATA_THEME),
)

AVAILABILITY = Scheme(AUTHORITY + "planned-availability", "Planned availability")
STABLE = Concept(AUTHORITY + "planned-availability/STABLE", "stable", AVAILABILITY)

LICENCE = Concept(
    AUTHORITY + "licence/CC_BY_4_0",
    "Creative Commons Attribution 4.0 International",
    LICENCE_SCHEME,
    (str(DCT.LicenseDocument),),
)
LICENCE_KIND = Concept("http://purl.org/adms/licencetype/Attribution", "Attribution", LICENCE_TYPE)
LICENCE_DEED = "https://creativecommons.org/licenses/by/4.0/"

PUBLISHER_TYPES: dict[str, str] = {  # ADMS publisher types (local name -> label)
    "Academia-ScientificOrganisation": "Academia/Scientific organisation",
    "Company": "Company",
    "IndustryConsortium": "Industry consortium",
    "LocalAuthority": "Local Authority",
    "NationalAuthority": "National authority",
    "NonGovernmentalOrganisation": "Non-Governmental Organisation",
    "NonProfitOrganisation": "Non-Profit Organisation",
    "PrivateIndividual(s)": "Private Individual(s)",
    "RegionalAuthority": "Regional authority",
    "StandardisationBody": "Standardisation body",
    "SupraNationalAuthority": "Supra-national authority",
}


def publisher_type(name: str) -> Concept:
    if name not in PUBLISHER_TYPES:
        raise ValueError(f"unknown ADMS publisher type {name!r}; use one of {', '.join(PUBLISHER_TYPES)}")
    return Concept(f"http://purl.org/adms/publishertype/{name}", PUBLISHER_TYPES[name], PUBLISHER_TYPE)


def language_concept(tag: str) -> Concept | None:
    """The EU *Language* authority concept of a BCP 47 tag (``it`` → ``…/language/ITA``); the
    authority codes are ISO 639-2/T codes in capitals."""
    import pycountry

    primary = tag.split("-")[0].lower()
    lang = pycountry.languages.get(alpha_2=primary) if len(primary) == 2 else pycountry.languages.get(alpha_3=primary)
    if lang is None:
        return None
    return Concept(
        f"{AUTHORITY}language/{lang.alpha_3.upper()}", lang.name, LANGUAGE, (str(DCT.LinguisticSystem),)
    )


def country_concept(iri: str, label: str) -> Concept:
    return Concept(iri, label, COUNTRY, (str(DCT.Location),))


def file_type_labels(path: Path) -> dict[str, str]:
    """``{code: English prefLabel}`` of the EU *File type* table at ``path``."""
    labels: dict[str, str] = {}
    pref = str(SKOS.prefLabel)
    for t in ox.parse(path=str(path), format=ox.RdfFormat.RDF_XML):
        if (
            t.predicate.value == pref
            and isinstance(t.subject, ox.NamedNode)
            and isinstance(t.object, ox.Literal)
            and t.object.language == "en"
        ):
            labels[t.subject.value.rsplit("/", 1)[-1]] = t.object.value
    return labels


def file_type_concept(code: str, labels: dict[str, str]) -> Concept:
    if code not in labels:
        raise ValueError(f"{code!r} is not a code of the EU file-type authority table")
    return Concept(f"{AUTHORITY}file-type/{code}", labels[code], FILE_TYPE, (str(DCT.MediaTypeOrExtent),))


def concept_triples(concept: Concept) -> list[ox.Triple]:
    """What DCAT-AP's shapes look for on a concept (class, scheme, label) and on its scheme (title)."""
    s = ox.NamedNode(concept.iri)
    scheme = ox.NamedNode(concept.scheme.iri)
    a = ox.NamedNode(str(RDF.type))
    out = [ox.Triple(s, a, ox.NamedNode(str(SKOS.Concept)))]
    out += [ox.Triple(s, a, ox.NamedNode(c)) for c in concept.classes]
    out += [
        ox.Triple(s, ox.NamedNode(str(SKOS.prefLabel)), ox.Literal(concept.label, language="en")),
        ox.Triple(s, ox.NamedNode(str(SKOS.inScheme)), scheme),
        ox.Triple(scheme, a, ox.NamedNode(str(SKOS.ConceptScheme))),
        ox.Triple(scheme, ox.NamedNode(str(DCT.title)), ox.Literal(concept.scheme.title, language="en")),
    ]
    return out


def media_type_triples(media_type: str) -> tuple[ox.NamedNode, list[ox.Triple]]:
    """The IANA URI of a media type, typed ``dct:MediaType``."""
    node = ox.NamedNode(IANA + media_type)
    return node, [ox.Triple(node, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(DCT.MediaType)))]
