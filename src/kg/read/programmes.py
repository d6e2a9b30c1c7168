"""Funding programmes: the scheme hierarchy (programme → key action → action type → call) with
project counts, one scheme concept with its ``broader`` chain, definition and projects, and
:func:`chain_list` (a nested ``broader`` chain as a flat list, for breadcrumbs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from kg.model.namespaces import SKOS
from kg.read import common
from kg.read.projects import list_projects
from kg.read.refs import SCHEME_LEVELS, scheme_chain
from kg.store.base import Store

__all__ = ["get_programme", "programme_tree"]


# --------------------------------------------------------------------------- programmes


def chain_list(node: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A nested ``broader`` chain as a flat list, top first."""
    out = []
    while node:
        out.append({k: v for k, v in node.items() if k != "broader"})
        node = node.get("broader")
    return list(reversed(out))


def _scheme_concepts(store: Store, lang: str) -> dict[str, dict[str, Any]]:
    rows = common.rows(
        store,
        f"""SELECT ?c ?level ?b ?n ?f WHERE {{
  {common.SCHEME_CONCEPT}
  OPTIONAL {{ ?c skos:broader ?b }}
  OPTIONAL {{ ?c skos:notation ?n }}
  OPTIONAL {{ ?c kg:managedBy ?f }}
}}""",
    )
    info: dict[str, dict[str, Any]] = defaultdict(lambda: {"funders": set(), "broader": None})
    for r in rows:
        c = r["c"].value
        info[c]["level"] = SCHEME_LEVELS[r["level"].value]
        if "b" in r:
            info[c]["broader"] = r["b"].value
        if "n" in r:
            info[c]["notation"] = r["n"].value
        if "f" in r:
            info[c]["funders"].add(r["f"].value)
    return info


def _direct_counts(store: Store) -> dict[str, int]:
    rows = common.rows(store, "SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:fundedUnder ?c } GROUP BY ?c")
    return {r["c"].value: common.to_int(r["n"]) for r in rows}


def _total_counts(store: Store) -> dict[str, int]:
    rows = common.rows(
        store,
        "SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:fundedUnder ?f . ?f skos:broader* ?c } GROUP BY ?c",
    )
    return {r["c"].value: common.to_int(r["n"]) for r in rows}


def programme_tree(store: Store, lang: str = "en") -> list[dict[str, Any]]:
    """The funding-programme hierarchy (programme → key action → action type → call), each node
    with its level, notation, managing funders, ``projectCount`` (funded directly under it),
    ``totalProjectCount`` (it or anything narrower) and ``narrower`` children; roots first by label."""
    info = _scheme_concepts(store, lang)
    direct, total = _direct_counts(store), _total_counts(store)
    names = common.labels(store, set(info) | {f for i in info.values() for f in i["funders"]}, lang)
    children: dict[str | None, list[str]] = defaultdict(list)
    for c, i in info.items():
        parent = i["broader"] if i["broader"] in info else None
        children[parent].append(c)

    def node(c: str, seen: frozenset[str]) -> dict[str, Any]:
        i = info[c]
        out = common.ref(c, names, "FundingScheme", key=common.fallback_label(c), schemeLevel=i.get("level"), notation=i.get("notation"))
        out["managedBy"] = [common.ref(f, names, "Funder") for f in sorted(i["funders"])]
        out["projectCount"] = direct.get(c, 0)
        out["totalProjectCount"] = total.get(c, 0)
        kids = [k for k in children.get(c, []) if k not in seen]
        out["narrower"] = sorted((node(k, seen | {k}) for k in kids), key=lambda n: n["label"].casefold())
        return out

    return sorted((node(c, frozenset({c})) for c in children.get(None, [])), key=lambda n: n["label"].casefold())


def get_programme(store: Store, uri_or_key: str, lang: str = "en") -> dict[str, Any]:
    """One funding-scheme concept: its chain up to the programme, narrower concepts, definition,
    funders and the projects funded under it or anything narrower."""
    text = str(uri_or_key).strip()
    try:
        found = common.resolve_programme(store, text, param="programme")
    except common.InvalidParameter:
        raise common.NotFound("programme", text) from None
    uri = found[0]
    tree = {n["@id"]: n for n in _flatten(programme_tree(store, lang))}
    node = dict(tree.get(uri) or {"@id": uri, "@type": "FundingScheme", "label": common.label_of(store, uri, lang)})
    p = common.subject_props(store, uri)
    node["definition"] = common.pick_text(p.get(str(SKOS.definition), []), lang)
    node["altLabels"] = sorted({t.value for t in p.get(str(SKOS.altLabel), []) if isinstance(t, ox.Literal)})
    chain = chain_list(scheme_chain(store, uri, lang))
    node["broaderChain"] = chain[:-1]
    items, _ = list_projects(store, programme=uri, limit=10_000, lang=lang, sort="start")
    node["projects"] = items
    return node


def _flatten(nodes: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for n in nodes:
        yield n
        yield from _flatten(n.get("narrower", []))
