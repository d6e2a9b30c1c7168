"""The UN Sustainable Development Goals: the 17 goals with project counts and the targets projects
link to, and one goal (with all its targets) or target (with its goal) with its projects.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox

from kg.model.namespaces import SKOS
from kg.read import common
from kg.read.projects import list_projects
from kg.read.refs import sdg_refs, sdg_sort_key
from kg.settings import Settings
from kg.store.base import Store

__all__ = ["get_sdg", "list_sdgs"]


# --------------------------------------------------------------------------- SDGs


def list_sdgs(store: Store, lang: str = "en", *, used_only: bool = False) -> list[dict[str, Any]]:
    """The 17 goals (only those with projects if ``used_only``), each with its short name, full
    label, ``projectCount`` (projects linked to it or one of its targets) and its linked targets."""
    goals = [r["g"].value for r in common.rows(store, "SELECT ?g WHERE { ?g a sdgo:Goal }")]
    counts = {
        r["g"].value: common.to_int(r["n"])
        for r in common.rows(
            store,
            "SELECT ?g (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:sdg ?s . "
            "{ ?s a sdgo:Goal BIND(?s AS ?g) } UNION { ?s sdgo:isTargetOf ?g } } GROUP BY ?g",
        )
    }
    target_rows = common.rows(
        store,
        "SELECT ?t ?g (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:sdg ?t . ?t sdgo:isTargetOf ?g } GROUP BY ?t ?g",
    )
    if used_only:
        goals = [g for g in goals if counts.get(g)]
    names = common.labels(store, goals + [r["t"].value for r in target_rows], lang)
    refs = sdg_refs(store, goals, names, lang)
    targets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in target_rows:
        t = r["t"].value
        targets[r["g"].value].append(
            common.ref(t, names, "SdgTarget", code=t.removeprefix(common.SDG_NS), projectCount=common.to_int(r["n"]))
        )
    for ref in refs:
        ref["projectCount"] = counts.get(ref["@id"], 0)
        ref["linkedTargets"] = sorted(targets.get(ref["@id"], []), key=lambda t: sdg_sort_key(t["code"]))
    return refs


def get_sdg(store: Store, code: str, lang: str = "en", *, settings: Settings | None = None) -> dict[str, Any]:
    """A goal (with all its targets) or a target (with its goal), and the projects serving it."""
    try:
        uri = common.resolve_sdg(code, settings=settings)
    except common.InvalidParameter:
        raise common.NotFound("SDG", str(code)) from None
    names = common.labels(store, [uri], lang)
    doc = sdg_refs(store, [uri], names, lang)[0]
    p = common.subject_props(store, uri)
    doc["labels"] = {t.language: t.value for t in p.get(str(SKOS.prefLabel), []) if isinstance(t, ox.Literal) and t.language}
    if doc["@type"] == "SdgGoal":
        target_uris = [r["t"].value for r in common.rows(store, f"SELECT ?t WHERE {{ ?t sdgo:isTargetOf {common.iri(uri)} }}")]
        counts = {
            r["t"].value: common.to_int(r["n"])
            for r in common.rows(
                store,
                f"SELECT ?t (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?t sdgo:isTargetOf {common.iri(uri)} . ?p kg:sdg ?t }} GROUP BY ?t",
            )
        }
        tnames = common.labels(store, target_uris, lang)
        doc["targets"] = sorted(
            (common.ref(t, tnames, "SdgTarget", code=t.removeprefix(common.SDG_NS), projectCount=counts.get(t, 0)) for t in target_uris),
            key=lambda t: sdg_sort_key(t["code"]),
        )
    else:
        gnames = common.labels(store, [doc["goal"]], lang)
        doc["goalRef"] = sdg_refs(store, [doc["goal"]], gnames, lang)[0]
    items, total = list_projects(store, sdg=uri, limit=10_000, lang=lang, sort="start", settings=settings)
    doc["projects"] = items
    doc["projectCount"] = total
    return doc
