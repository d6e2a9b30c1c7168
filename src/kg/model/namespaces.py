"""The vocabularies' namespaces, declared once (rdflib Namespace objects)."""

from __future__ import annotations

from typing import TypeAlias

from rdflib import Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SKOS,
    XSD,
    DefinedNamespace,
)

KG = Namespace("https://w3id.org/euprojects/def#")  # this project's ontology
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EURIO = Namespace("http://data.europa.eu/s66#")
FRAPO = Namespace("http://purl.org/cerif/frapo/")
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
ATOLD = Namespace("http://publications.europa.eu/ontology/authority/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VANN = Namespace("http://purl.org/vocab/vann/")

DCT = DCTERMS
SCHEMA = SDO

# rdflib's well-known vocabularies (DCTERMS, RDF, XSD …) are DefinedNamespace classes, not Namespace
# objects; both give their IRI with str()
Vocabulary: TypeAlias = Namespace | type[DefinedNamespace]

PREFIXES: dict[str, Vocabulary] = {
    "kg": KG,
    "eurio": EURIO,
    "frapo": FRAPO,
    "sdg": SDG,
    "sdgo": SDGO,
    "country": EU_COUNTRY,
    "atold": ATOLD,
    "dct": DCT,
    "dcat": DCAT,
    "foaf": FOAF,
    "org": ORG,
    "owl": OWL,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "skos": SKOS,
    "vcard": VCARD,
    "xsd": XSD,
    "sh": SH,
    "spdx": SPDX,
    "vann": VANN,
}


def sparql_prefixes(*names: str) -> str:
    """PREFIX lines for a SPARQL query (all known prefixes when no names are given)."""
    chosen = names or tuple(PREFIXES)
    return "".join(f"PREFIX {n}: <{PREFIXES[n]}>\n" for n in chosen)
