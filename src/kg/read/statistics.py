"""Statistics of the graph for the home page and the API: totals, and projects by top-level
programme, country, SDG goal and start year (triples per graph and instances per class for the
command line are :mod:`kg.read.stats`).
"""

from __future__ import annotations

from typing import Any

from kg.read import common
from kg.read.places import PROJECT_COUNTRY, list_countries
from kg.read.programmes import programme_tree
from kg.read.sdgs import list_sdgs
from kg.store.base import Store

__all__ = ["statistics"]


def statistics(store: Store, lang: str = "en") -> dict[str, Any]:
    """Counts: totals, and projects by top-level programme, country, SDG goal and start year."""
    totals_rows = common.rows(
        store,
        """SELECT
  (COUNT(DISTINCT ?proj) AS ?projects)
  WHERE { ?proj a kg:Project }""",
    )
    totals: dict[str, int] = {"projects": common.to_int(totals_rows[0].get("projects")) if totals_rows else 0}
    for name, pattern in (
        ("organisations", "?x a kg:Organisation FILTER NOT EXISTS { ?x a kg:Funder }"),
        ("funders", "?x a kg:Funder"),
        ("fundingSchemes", common.SCHEME_CONCEPT.replace("?c", "?x")),
        ("cities", "?x a kg:City"),
        ("sourceDocuments", "?x a kg:SourceDocument"),
        ("countries", "?p a kg:Project . " + PROJECT_COUNTRY.replace("?c", "?x")),
        ("sdgs", "?p a kg:Project ; kg:sdg ?x"),
        ("activities", "?x a kg:Activity"),
        ("expectedResults", "?x a kg:ExpectedResult"),
        ("outputs", "?x a kg:Output"),
    ):
        rows = common.rows(store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}")
        totals[name] = common.to_int(rows[0].get("n")) if rows else 0
    rows = common.rows(store, "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?g) WHERE { GRAPH ?g { ?s ?p ?o } }")
    totals["triples"] = common.to_int(rows[0].get("n")) if rows else 0
    totals["graphs"] = common.to_int(rows[0].get("g")) if rows else 0

    tree = programme_tree(store, lang)
    by_programme = [
        {k: n[k] for k in ("@id", "@type", "label", "key", "notation", "schemeLevel") if k in n} | {"projectCount": n["totalProjectCount"]}
        for n in tree
    ]
    by_programme.sort(key=lambda n: (-n["projectCount"], n["label"]))
    by_country = list_countries(store, lang)
    by_sdg = [
        {k: g[k] for k in ("@id", "@type", "label", "code", "shortLabel") if k in g} | {"projectCount": g["projectCount"]}
        for g in list_sdgs(store, lang, used_only=True)
    ]
    year_rows = common.rows(
        store,
        "SELECT ?y (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:startDate ?d "
        "BIND(xsd:integer(SUBSTR(STR(?d), 1, 4)) AS ?y) } GROUP BY ?y ORDER BY ?y",
    )
    by_year = [{"year": common.to_int(r["y"]), "projectCount": common.to_int(r["n"])} for r in year_rows if "y" in r]
    return {
        "totals": totals,
        "byProgramme": by_programme,
        "byCountry": by_country,
        "bySdg": by_sdg,
        "byStartYear": by_year,
    }
