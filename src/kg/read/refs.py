"""References to linked entities, as the views of projects, organisations, countries, cities and
SDGs embed them: ``{"@id", "@type", "label", ...}`` dicts for countries (with ISO codes), cities
(with their country), organisations and funders, SDG goals and targets (with codes and short
names), and a funding-scheme concept with its ``broader`` chain up to the programme.

They live here, not in the entity modules, because :mod:`kg.read.projects` needs all of them (a
project links to every kind) while the entity modules need :mod:`kg.read.projects` (a country,
SDG, programme or organisation lists its projects).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from kg.model.namespaces import DCT, KG, RDF
from kg.read import common
from kg.store.base import Store

_EUVOC = "http://publications.europa.eu/ontology/euvoc#"
SCHEME_LEVELS = {
    str(KG.FundingProgramme): "programme",
    str(KG.KeyAction): "key-action",
    str(KG.ActionType): "action-type",
    str(KG.Call): "call",
}


# --------------------------------------------------------------------------- countries and cities


def country_codes(store: Store, uris: Iterable[str]) -> dict[str, dict[str, str]]:
    """ISO alpha-2 / alpha-3 codes of EU authority countries (from the vocabulary graph)."""
    wanted = sorted(set(uris))
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for chunk in common.chunks(wanted):
        for r in common.rows(store, f"SELECT ?c ?n WHERE {{ {common.values('c', chunk)} ?c skos:notation ?n }}"):
            dt = r["n"].datatype.value if isinstance(r["n"], ox.Literal) else ""
            if dt == _EUVOC + "ISO_3166_1_ALPHA_2":
                out[r["c"].value]["iso2"] = r["n"].value
            elif dt == _EUVOC + "ISO_3166_1_ALPHA_3":
                out[r["c"].value]["iso3"] = r["n"].value
        for r in common.rows(
            store,
            f"SELECT ?c ?code WHERE {{ {common.values('c', chunk)} ?c <http://publications.europa.eu/ontology/authority/authority-code> ?code }}",
        ):
            out[r["c"].value].setdefault("iso3", r["code"].value)
    return out


def country_refs(store: Store, uris: Iterable[str], names: dict[str, str]) -> list[dict[str, Any]]:
    uris = sorted(set(uris))
    codes = country_codes(store, uris)
    refs = [
        common.ref(u, names, "Country", iso2=codes.get(u, {}).get("iso2"), iso3=codes.get(u, {}).get("iso3") or common.fallback_label(u))
        for u in uris
    ]
    return sorted(refs, key=lambda r: r["label"])


def city_refs(store: Store, uris: Sequence[str], lang: str) -> list[dict[str, Any]]:
    if not uris:
        return []
    countries: dict[str, str] = {}
    for r in common.rows(store, f"SELECT ?c ?k WHERE {{ {common.values('c', uris)} ?c kg:country ?k }}"):
        countries[r["c"].value] = r["k"].value
    names = common.labels(store, set(uris) | set(countries.values()), lang)
    codes = country_codes(store, countries.values())
    refs = []
    for u in uris:
        ref = common.ref(u, names, "City")
        if u in countries:
            c = countries[u]
            ref["country"] = common.ref(c, names, "Country", iso2=codes.get(c, {}).get("iso2"), iso3=codes.get(c, {}).get("iso3"))
        refs.append(ref)
    return sorted(refs, key=lambda r: r["label"])


# --------------------------------------------------------------------------- organisations


def organisation_refs(store: Store, uris: Sequence[str], lang: str) -> dict[str, dict[str, Any]]:
    if not uris:
        return {}
    props: dict[str, dict[str, list[Any]]] = {u: defaultdict(list) for u in uris}
    preds = [DCT.identifier, KG.shortName, KG.country, RDF.type, KG.organisationType]
    for r in common.rows(store, f"SELECT ?s ?p ?o WHERE {{ {common.values('s', uris)} ?s ?p ?o {common.one_of('p', [str(x) for x in preds])} }}"):
        props[r["s"].value][r["p"].value].append(r["o"])
    countries = {c.value for p in props.values() for c in p.get(str(KG.country), [])}
    names = common.labels(store, set(uris) | countries, lang)
    codes = country_codes(store, countries)
    out = {}
    for u in uris:
        p = props[u]
        is_funder = any(t.value == str(KG.Funder) for t in p.get(str(RDF.type), []))
        ref = common.ref(u, names, "Funder" if is_funder else "Organisation")
        if (k := common.first(p, DCT.identifier)) is not None:
            ref["key"] = k.value
        if (s := common.first(p, KG.shortName)) is not None:
            ref["shortName"] = s.value
        if (t := common.first(p, KG.organisationType)) is not None:
            ref["organisationType"] = t.value
        c = common.first(p, KG.country)
        if c is not None:
            ref["country"] = common.ref(c.value, names, "Country", iso2=codes.get(c.value, {}).get("iso2"), iso3=codes.get(c.value, {}).get("iso3"))
        out[u] = ref
    return out


# --------------------------------------------------------------------------- SDGs


def sdg_sort_key(code: str) -> tuple[Any, ...]:
    parts = code.split(".")
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in parts)


def sdg_refs(store: Store, uris: Iterable[str], names: dict[str, str], lang: str) -> list[dict[str, Any]]:
    uris = sorted(set(uris))
    short = _sdg_short_names(store, uris, lang)
    goals = {r["t"].value: r["g"].value for r in common.rows(store, f"SELECT ?t ?g WHERE {{ {common.values('t', uris)} ?t sdgo:isTargetOf ?g }}")} if uris else {}
    refs = []
    for u in uris:
        code = u.removeprefix(common.SDG_NS)
        is_target = u in goals
        ref = common.ref(
            u,
            names,
            "SdgTarget" if is_target else "SdgGoal",
            code=code,
            shortLabel=short.get(u),
            goal=goals.get(u),
            goalCode=goals[u].removeprefix(common.SDG_NS) if is_target else code,
        )
        refs.append(ref)
    return sorted(refs, key=lambda r: sdg_sort_key(r["code"]))


def _sdg_short_names(store: Store, uris: Sequence[str], lang: str) -> dict[str, str]:
    """Goals' short names (the KOS's ``skos:altLabel``, e.g. "Reduced inequalities")."""
    if not uris:
        return {}
    found: dict[str, list[Any]] = defaultdict(list)
    for r in common.rows(store, f"SELECT ?s ?l WHERE {{ {common.values('s', uris)} ?s skos:altLabel ?l }}"):
        found[r["s"].value].append(r["l"])
    return {s: v for s, ls in found.items() if (v := common.pick_text(ls, lang))}


# --------------------------------------------------------------------------- funding schemes


def scheme_chain(store: Store, concept: str, lang: str) -> dict[str, Any] | None:
    """The concept with its ``broader`` chain nested up to the top, each with level and funders."""
    rows = common.rows(
        store,
        f"""SELECT ?c ?b ?level ?n ?f WHERE {{
  {common.iri(concept)} skos:broader* ?c .
  OPTIONAL {{ ?c skos:broader ?b }}
  OPTIONAL {{ ?c a ?level FILTER(?level IN (kg:FundingProgramme, kg:KeyAction, kg:ActionType, kg:Call)) }}
  OPTIONAL {{ ?c skos:notation ?n }}
  OPTIONAL {{ ?c kg:managedBy ?f }}
}}""",
    )
    if not rows:
        return None
    info: dict[str, dict[str, Any]] = defaultdict(lambda: {"funders": set()})
    for r in rows:
        c = r["c"].value
        if "b" in r:
            info[c]["broader"] = r["b"].value
        if "level" in r:
            info[c]["level"] = SCHEME_LEVELS[r["level"].value]
        if "n" in r:
            info[c]["notation"] = r["n"].value
        if "f" in r:
            info[c]["funders"].add(r["f"].value)
    names = common.labels(store, set(info) | {f for i in info.values() for f in i["funders"]}, lang)

    def node(c: str, depth: int = 0) -> dict[str, Any]:
        i = info[c]
        out = common.ref(c, names, "FundingScheme", key=common.fallback_label(c), schemeLevel=i.get("level"), notation=i.get("notation"))
        out["managedBy"] = [common.ref(f, names, "Funder") for f in sorted(i["funders"])]
        b = i.get("broader")
        if b and b in info and depth < 20:
            out["broader"] = node(b, depth + 1)
        return out

    return node(concept)
