"""Countries and cities: the countries that have projects (with counts), one country with its
projects, cities and organisations, and one city with its projects and organisations.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kg.model.namespaces import RDFS, SKOS
from kg.read import common
from kg.read.projects import list_projects, project_summaries
from kg.read.refs import city_refs, country_refs, organisation_refs
from kg.settings import Settings
from kg.store.base import Store

__all__ = ["get_city", "get_country", "list_countries"]


# --------------------------------------------------------------------------- countries

PROJECT_COUNTRY = (
    "{ ?p kg:country ?c } UNION { ?p kg:city/kg:country ?c } UNION { ?p kg:hasParticipation/kg:organisation/kg:country ?c }"
)


def list_countries(store: Store, lang: str = "en") -> list[dict[str, Any]]:
    """Countries that have projects (named by the project, or a city or organisation there), with
    ISO codes, label in ``lang`` and ``projectCount``; most projects first."""
    rows = common.rows(store, f"SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a kg:Project . {PROJECT_COUNTRY} }} GROUP BY ?c")
    counts = {r["c"].value: common.to_int(r["n"]) for r in rows}
    names = common.labels(store, counts, lang)
    refs = country_refs(store, counts, names)
    for ref in refs:
        ref["projectCount"] = counts[ref["@id"]]
    return sorted(refs, key=lambda r: (-r["projectCount"], r["label"]))


def get_country(store: Store, code: str, lang: str = "en", *, settings: Settings | None = None) -> dict[str, Any]:
    """A country by any form (``ITA``, ``IT``, ``EL``, ``Italia``, URI) with its projects, cities
    and organisations there. ``NotFound`` when the text names no country."""
    try:
        uri = common.resolve_country(code, settings=settings)
    except common.InvalidParameter:
        raise common.NotFound("country", str(code)) from None
    names = common.labels(store, [uri], lang)
    doc = country_refs(store, [uri], names)[0]
    p = common.subject_props(store, uri)
    doc["labels"] = {t.language: t.value for t in p.get(str(SKOS.prefLabel), []) if isinstance(t, ox.Literal) and t.language}
    items, total = list_projects(store, country=uri, limit=10_000, lang=lang, sort="start", settings=settings)
    doc["projects"] = items
    doc["projectCount"] = total
    cities = [r["x"].value for r in common.rows(store, f"SELECT DISTINCT ?x WHERE {{ ?x a kg:City ; kg:country {common.iri(uri)} }}")]
    doc["cities"] = city_refs(store, cities, lang)
    orgs = [r["o"].value for r in common.rows(store, f"SELECT DISTINCT ?o WHERE {{ ?o a kg:Organisation ; kg:country {common.iri(uri)} }}")]
    doc["organisations"] = sorted(organisation_refs(store, orgs, lang).values(), key=lambda o: o["label"])
    return doc


# --------------------------------------------------------------------------- cities


def get_city(store: Store, uri: str, lang: str = "en") -> dict[str, Any]:
    """A city: its names, country, projects working there and organisations based there."""
    try:
        ok = common.ask(store, f"ASK {{ {common.iri(uri)} a kg:City }}")
    except ValueError:
        ok = False
    if not ok:
        raise common.NotFound("city", uri)
    doc = city_refs(store, [uri], lang)[0]
    p = common.subject_props(store, uri)
    doc["names"] = sorted({t.value for k in (RDFS.label, SKOS.prefLabel) for t in p.get(str(k), []) if isinstance(t, ox.Literal)})
    projects = [r["p"].value for r in common.rows(store, f"SELECT DISTINCT ?p WHERE {{ ?p a kg:Project ; kg:city {common.iri(uri)} }}")]
    doc["projects"] = sorted(project_summaries(store, projects, lang), key=lambda i: i["title"])
    orgs = [r["o"].value for r in common.rows(store, f"SELECT DISTINCT ?o WHERE {{ ?o a kg:Organisation ; kg:city {common.iri(uri)} }}")]
    doc["organisations"] = sorted(organisation_refs(store, orgs, lang).values(), key=lambda o: o["label"])
    return doc
