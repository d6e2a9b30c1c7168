"""Organisations and funders: the filtered list (sorted by name, with project counts), one
organisation with its projects (and its roles in them) and the programmes it manages; and, for
``kg orgs``, the organisations per graph and every organisation-linking decision the store records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox

from kg.model.namespaces import FOAF, KG, RDFS, SKOS
from kg.read import common
from kg.read.projects import project_summaries, role_rank
from kg.read.refs import city_refs, organisation_refs
from kg.settings import Settings
from kg.store.base import Store

__all__ = ["get_organisation", "list_organisations", "organisation_counts", "organisation_matches", "organisation_sources"]


# --------------------------------------------------------------------------- organisations

_ORG_PROJECTS = (
    "{ ?proj kg:hasParticipation ?part . ?part kg:organisation ?o . OPTIONAL { ?part kg:role ?role } } "
    "UNION { ?proj kg:fundedBy ?o BIND(\"funder\" AS ?role) }"
)


def list_organisations(
    store: Store,
    *,
    q: str | None = None,
    country: str | None = None,
    funder: bool | None = None,
    limit: int = 20,
    offset: int = 0,
    lang: str = "en",
    settings: Settings | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Organisations (funders included unless ``funder=False``; only funders with ``True``),
    each with the number of projects it takes part in or funds; sorted by name."""
    if limit < 0:
        raise common.InvalidParameter("limit", "must be >= 0")
    if offset < 0:
        raise common.InvalidParameter("offset", "must be >= 0")
    clauses = ["?o a kg:Organisation ."]
    if funder is True:
        clauses.append("?o a kg:Funder .")
    elif funder is False:
        clauses.append("FILTER NOT EXISTS { ?o a kg:Funder }")
    if country not in (None, ""):
        c = common.iri(common.resolve_country(str(country), settings=settings))
        clauses.append(f"FILTER EXISTS {{ {{ ?o kg:country {c} }} UNION {{ ?o kg:city/kg:country {c} }} }}")
    if q and q.strip():
        for token in q.split()[:10]:
            clauses.append(
                "FILTER EXISTS { ?o rdfs:label|skos:prefLabel|kg:legalName|kg:shortName|dct:identifier ?txt "
                f"FILTER(CONTAINS(LCASE(STR(?txt)), {common.lit(token.casefold())})) }}"
            )
    where = "\n".join(clauses)
    total_rows = common.rows(store, f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {where} }}")
    total = common.to_int(total_rows[0].get("n")) if total_rows else 0
    language = common.lit(common.primary(lang) or "en")
    page = common.rows(
        store,
        f"""SELECT ?o (MIN(?nk) AS ?name) WHERE {{
  {where}
  OPTIONAL {{ ?o rdfs:label ?ll FILTER(LANGMATCHES(LANG(?ll), {language})) }}
  OPTIONAL {{ ?o rdfs:label ?la }}
  BIND(LCASE(STR(COALESCE(?ll, ?la, STR(?o)))) AS ?nk)
}} GROUP BY ?o ORDER BY ?name ?o LIMIT {int(limit)} OFFSET {int(offset)}""",
    )
    uris = [r["o"].value for r in page]
    refs = organisation_refs(store, uris, lang)
    counts = _organisation_project_counts(store, uris)
    items = []
    for u in uris:
        item = refs[u]
        item["projectCount"] = counts.get(u, 0)
        items.append(item)
    return items, total


def _organisation_project_counts(store: Store, uris: Sequence[str]) -> dict[str, int]:
    if not uris:
        return {}
    rows = common.rows(store, f"SELECT ?o (COUNT(DISTINCT ?proj) AS ?n) WHERE {{ {common.values('o', uris)} {_ORG_PROJECTS} }} GROUP BY ?o")
    return {r["o"].value: common.to_int(r["n"]) for r in rows}


def _organisation_uri(store: Store, key: str) -> str:
    key = str(key).strip()
    if common.is_iri_text(key):
        try:
            if common.ask(store, f"ASK {{ {common.iri(key)} a kg:Organisation }}"):
                return key
        except ValueError:
            pass
        raise common.NotFound("organisation", key)
    rows = common.rows(store, f"SELECT ?o WHERE {{ ?o a kg:Organisation ; dct:identifier {common.lit(key)} }}")
    if not rows:
        rows = common.rows(
            store,
            f"SELECT DISTINCT ?o WHERE {{ ?o a kg:Organisation ; dct:identifier|kg:shortName ?v FILTER(LCASE(STR(?v)) = {common.lit(key.casefold())}) }}",
        )
    if not rows:
        raise common.NotFound("organisation", key)
    # an organisation before a funder of the same key
    return sorted((r["o"].value for r in rows), key=lambda u: ("/organisation/" not in u, u))[0]


def get_organisation(store: Store, uri_or_key: str, lang: str = "en") -> dict[str, Any]:
    """One organisation (or funder) with its details, projects (with roles) and managed programmes."""
    uri = _organisation_uri(store, uri_or_key)
    p = common.subject_props(store, uri)
    doc = organisation_refs(store, [uri], lang)[uri]
    doc["labels"] = {
        t.language: t.value
        for t in p.get(str(RDFS.label), []) + p.get(str(SKOS.prefLabel), [])
        if isinstance(t, ox.Literal) and t.language
    }
    if (legal := common.first(p, KG.legalName)) is not None:
        doc["legalName"] = legal.value
    if (home := common.first(p, FOAF.homepage)) is not None:
        doc["homepage"] = home.value
    doc["cities"] = city_refs(store, [c.value for c in p.get(str(KG.city), [])], lang)
    rows = common.rows(store, f"SELECT ?proj ?role WHERE {{ BIND({common.iri(uri)} AS ?o) {_ORG_PROJECTS} }}")
    roles: dict[str, set[str]] = defaultdict(set)
    funded: set[str] = set()
    for r in rows:
        role = r.get("role")
        if isinstance(role, ox.Literal):  # "funder": the project names it in kg:fundedBy
            funded.add(r["proj"].value)
            roles[r["proj"].value]
        else:
            roles[r["proj"].value].add(role.value if role is not None else str(KG.RoleParticipant))
    role_names = common.labels(store, {x for rs in roles.values() for x in rs}, lang)
    projects = project_summaries(store, sorted(roles), lang)
    for item in projects:
        item["roles"] = [common.ref(r, role_names, "Role") for r in sorted(roles[item["@id"]], key=role_rank)]
        item["fundedByThis"] = item["@id"] in funded
    doc["projects"] = sorted(projects, key=lambda i: (i.get("startDate") or "~", i["title"]))
    managed = common.rows(store, f"SELECT ?c WHERE {{ ?c kg:managedBy {common.iri(uri)} }}")
    names = common.labels(store, [r["c"].value for r in managed], lang)
    doc["manages"] = sorted((common.ref(r["c"].value, names, "FundingScheme") for r in managed), key=lambda r: r["label"])
    doc.update(organisation_sources(store, uri))
    return doc


# --------------------------------------------------------------------------- one node, every source
SOURCES_QUERY = """
SELECT ?g (COUNT(DISTINCT ?proj) AS ?projects) WHERE {{
  {{ GRAPH ?g {{ {o} a kg:Organisation }} }} UNION {{ GRAPH ?g {{ ?part kg:organisation {o} . ?proj kg:hasParticipation ?part }} }}
}} GROUP BY ?g ORDER BY ?g LIMIT 100
"""
ALIASES_QUERY = "SELECT DISTINCT ?alias ?g WHERE {{ GRAPH ?g {{ {o} skos:altLabel ?alias }} }} ORDER BY ?alias ?g LIMIT 200"
SAME_AS = "<http://www.w3.org/2002/07/owl#sameAs>"
SAME_AS_QUERY = f"SELECT DISTINCT ?same WHERE {{{{ {{{{ {{o}} {SAME_AS} ?same }}}} UNION {{{{ ?same {SAME_AS} {{o}} }}}} }}}} ORDER BY ?same LIMIT 100"
DECISIONS_QUERY = """
SELECT ?m ?outcome ?rule ?score ?stated ?other ?evidence ?where ?g WHERE {{
  GRAPH ?g {{ ?m a kg:OrganisationMatch ; kg:matchRule ?rule ; kg:statedName ?stated ; kg:matchEvidence ?evidence ;
               kg:occurrenceOrganisation ?occ ; kg:matchedOrganisation ?matched ; kg:matchDecision ?decision .
             OPTIONAL {{ ?m kg:matchOutcome ?stated_outcome }} OPTIONAL {{ ?m kg:matchScore ?score }} OPTIONAL {{ ?m kg:sourceLocation ?where }} }}
  FILTER(?occ = {o} || ?matched = {o})
  BIND(IF(?occ = {o}, ?matched, ?occ) AS ?other)
  BIND(COALESCE(?stated_outcome, IF(?decision = "merged", "linked", "distinct")) AS ?outcome)
}} ORDER BY ?outcome ?where ?m LIMIT 200
"""


def organisation_sources(store: Store, uri: str) -> dict[str, Any]:
    """What the graph states about where one organisation comes from (SPARQL over the named graphs):
    ``sources`` — every graph that states it or a participation of it, with its project count;
    ``aliases`` — its other spellings (``skos:altLabel``) with the graph that states each;
    ``sameAs`` — ``owl:sameAs`` links (ROR, Wikidata, a reviewed duplicate); ``linkingDecisions`` — the
    entity-resolution decisions that name it (outcome, rule, score, evidence, where). Each list is bounded."""
    o = common.iri(uri)
    sources = [
        {"graph": r["g"].value, "projectCount": common.to_int(r["projects"])}
        for r in common.rows(store, SOURCES_QUERY.format(o=o))
        if "/graph/inferred/" not in r["g"].value
    ]
    aliases: dict[str, list[str]] = {}
    for r in common.rows(store, ALIASES_QUERY.format(o=o)):
        aliases.setdefault(r["alias"].value, []).append(r["g"].value)
    same = [r["same"].value for r in common.rows(store, SAME_AS_QUERY.format(o=o))]
    decisions = []
    for r in common.rows(store, DECISIONS_QUERY.format(o=o)):
        decisions.append(
            {
                "outcome": r["outcome"].value,
                "rule": r["rule"].value,
                "score": float(r["score"].value) if r.get("score") is not None else None,
                "statedName": r["stated"].value,
                "other": r["other"].value,
                "evidence": r["evidence"].value,
                "location": r["where"].value if r.get("where") is not None else None,
                "graph": r["g"].value,
            }
        )
    return {
        "sources": sources,
        "aliases": [{"label": a, "graphs": gs} for a, gs in sorted(aliases.items())],
        "sameAs": same,
        "linkingDecisions": decisions,
    }


# --------------------------------------------------------------------------- review of organisation merges (kg orgs)


def _solutions(store: Store, sparql: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query (the store's query result, typed)."""
    result = store.query(sparql)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("expected SELECT results")
    return result


MATCHES_QUERY = """
PREFIX kg: <https://w3id.org/euprojects/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?decision ?outcome ?score ?rule ?stated ?org (SAMPLE(?orgLabel) AS ?organisation) ?other (SAMPLE(?otherLabel) AS ?otherName)
       ?evidence ?where ?g
WHERE {
  GRAPH ?g {
    ?m a kg:OrganisationMatch ; kg:matchDecision ?decision ; kg:matchRule ?rule ; kg:statedName ?stated ;
       kg:occurrenceOrganisation ?org ; kg:matchedOrganisation ?other ; kg:matchEvidence ?evidence .
    OPTIONAL { ?m kg:sourceLocation ?where }
    OPTIONAL { ?m kg:matchOutcome ?stated_outcome }
    OPTIONAL { ?m kg:matchScore ?score }
  }
  BIND(COALESCE(?stated_outcome, IF(?decision = "merged", "linked", "distinct")) AS ?outcome)
  OPTIONAL { ?org rdfs:label ?orgLabel }
  OPTIONAL { ?other rdfs:label ?otherLabel }
}
GROUP BY ?decision ?outcome ?score ?rule ?stated ?org ?other ?evidence ?where ?g
ORDER BY ?outcome ?rule ?stated ?where
"""


def organisation_matches(store: Store) -> list[dict[str, str]]:
    """Every organisation-linking decision the store records (merged and kept apart), for review."""
    rows = []
    for sol in _solutions(store, MATCHES_QUERY):
        row = {}
        for var in ("decision", "outcome", "score", "rule", "stated", "org", "organisation", "other", "otherName", "evidence", "where", "g"):
            term = sol[var]
            row[var] = term.value if term is not None else ""
        rows.append(row)
    return rows


ORGANISATIONS_QUERY = """
PREFIX kg: <https://w3id.org/euprojects/def#>
SELECT ?g (COUNT(DISTINCT ?o) AS ?organisations) WHERE { GRAPH ?g { ?o a kg:Organisation } } GROUP BY ?g ORDER BY ?g
"""


def organisation_counts(store: Store) -> dict[str, int]:
    return {sol["g"].value: int(sol["organisations"].value) for sol in _solutions(store, ORGANISATIONS_QUERY)}


ORGANISATION_LIST_QUERY = """
PREFIX kg: <https://w3id.org/euprojects/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?o (SAMPLE(?label) AS ?name) (SAMPLE(?c) AS ?country)
       (GROUP_CONCAT(DISTINCT STR(?g); separator=" ") AS ?graphs) (COUNT(DISTINCT ?proj) AS ?projects)
WHERE {
  GRAPH ?g { ?o a kg:Organisation }
  OPTIONAL { ?o rdfs:label ?label }
  OPTIONAL { ?o kg:country ?c }
  OPTIONAL { ?proj kg:hasParticipation ?part . ?part kg:organisation ?o }
}
GROUP BY ?o ORDER BY ?o
"""


def organisation_list(store: Store) -> list[dict[str, str]]:
    """Every organisation once: its URI, a name, its country, the graphs that state it and how many
    projects it takes part in (``kg orgs --format csv``)."""
    return [
        {var: (sol[var].value if sol[var] is not None else "") for var in ("o", "name", "country", "graphs", "projects")}
        for sol in _solutions(store, ORGANISATION_LIST_QUERY)
    ]
