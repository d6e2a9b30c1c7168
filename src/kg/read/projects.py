"""Projects: the filters and sorts of :func:`list_projects` (one page and the total), short
summaries (:func:`project_summaries`, also used by the pages of organisations and cities), and
everything about one project (:func:`get_project`): funding and grant, places and goals,
partnership, content (activities, target groups, results, outputs, contact points) and
provenance.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox

from kg.model.namespaces import DCT, KG, PROV, RDFS, SCHEMA, VCARD
from kg.read import common
from kg.read.refs import (
    city_refs,
    country_codes,
    country_refs,
    organisation_refs,
    scheme_chain,
    sdg_refs,
    sdg_sort_key,
)
from kg.settings import Settings
from kg.store.base import Store

__all__ = ["PROJECT_SORTS", "get_project", "list_projects"]


# --------------------------------------------------------------------------- projects: lists

PROJECT_SORTS = ("title", "-title", "start", "-start", "end", "-end", "acronym", "-acronym")


def _project_filters(
    store: Store,
    *,
    country: str | None,
    sdg: str | int | None,
    programme: str | None,
    organisation: str | None,
    year_from: int | None,
    year_to: int | None,
    q: str | None,
    settings: Settings | None,
) -> list[str]:
    """SPARQL patterns restricting ``?p`` (already ``a kg:Project``)."""
    clauses: list[str] = []
    if country not in (None, ""):
        c = common.iri(common.resolve_country(str(country), settings=settings))
        clauses.append(
            f"FILTER EXISTS {{ {{ ?p kg:country {c} }} UNION {{ ?p kg:city/kg:country {c} }} "
            f"UNION {{ ?p kg:hasParticipation/kg:organisation/kg:country {c} }} }}"
        )
    if sdg not in (None, ""):
        uri = common.resolve_sdg(sdg, settings=settings)
        s = common.iri(uri)
        if re.fullmatch(r"\d+", uri.removeprefix(common.SDG_NS)):  # a goal: it or any of its targets
            clauses.append(f"FILTER EXISTS {{ ?p kg:sdg ?sdgLink . FILTER(?sdgLink = {s} || EXISTS {{ ?sdgLink sdgo:isTargetOf {s} }}) }}")
        else:
            clauses.append(f"FILTER EXISTS {{ ?p kg:sdg {s} }}")
    if programme not in (None, ""):
        concepts = common.resolve_programme(store, str(programme))
        # one path per concept, with the concept as a constant (an unbound end makes the
        # zero-length path enumerate every node of the store)
        alternatives = " UNION ".join(f"{{ ?p kg:fundedUnder/skos:broader* {common.iri(c)} }}" for c in concepts)
        clauses.append(f"FILTER EXISTS {{ {alternatives} }}")
    if organisation not in (None, ""):
        orgs = common.resolve_organisation(store, str(organisation))
        clauses.append(
            f"FILTER EXISTS {{ {common.values('org', orgs)} {{ ?p kg:hasParticipation/kg:organisation ?org }} "
            f"UNION {{ ?p kg:fundedBy ?org }} }}"
        )
    if year_from is not None or year_to is not None:
        if year_from is not None and year_to is not None and year_from > year_to:
            raise common.InvalidParameter("year_from", f"year_from ({year_from}) is after year_to ({year_to})")
        tests = []
        if year_to is not None:
            tests.append(f"?y0 <= {int(year_to)}")
        if year_from is not None:
            tests.append(f"?y1 >= {int(year_from)}")
        clauses.append(
            "FILTER EXISTS { ?p kg:startDate ?d0 . OPTIONAL { ?p kg:endDate ?d1 } "
            "BIND(xsd:integer(SUBSTR(STR(?d0), 1, 4)) AS ?y0) "
            "BIND(COALESCE(xsd:integer(SUBSTR(STR(?d1), 1, 4)), ?y0) AS ?y1) "
            f"FILTER({' && '.join(tests)}) }}"
        )
    if q is not None and q.strip():
        for token in q.split()[:10]:
            clauses.append(
                "FILTER EXISTS { ?p dct:title|kg:acronym|kg:fullName|dct:description|dct:identifier ?txt "
                f"FILTER(CONTAINS(LCASE(STR(?txt)), {common.lit(token.casefold())})) }}"
            )
    return clauses


def _sort_clause(sort: str, lang: str) -> tuple[str, str]:
    """(patterns binding ?sk and ?tk, ORDER BY expression)."""
    if sort not in PROJECT_SORTS:
        raise common.InvalidParameter("sort", f"{sort!r} is not one of {', '.join(PROJECT_SORTS)}")
    desc = sort.startswith("-")
    field = sort.lstrip("-")
    language = common.lit(common.primary(lang) or "en")
    title = (
        f"OPTIONAL {{ ?p dct:title ?tl FILTER(LANGMATCHES(LANG(?tl), {language})) }} "
        'OPTIONAL { ?p dct:title ?te FILTER(LANGMATCHES(LANG(?te), "en")) } '
        "OPTIONAL { ?p dct:title ?ta } "
        'BIND(LCASE(STR(COALESCE(?tl, ?te, ?ta, ""))) AS ?tk) '
    )
    missing = '""' if desc else '"~"'
    if field == "title":
        pattern = title + "BIND(?tk AS ?sk)"
    elif field in ("start", "end"):
        pattern = title + f"OPTIONAL {{ ?p kg:{field}Date ?sd }} BIND(COALESCE(STR(?sd), {missing}) AS ?sk)"
    else:
        pattern = title + f"OPTIONAL {{ ?p kg:acronym ?ac }} BIND(COALESCE(LCASE(STR(?ac)), {missing}) AS ?sk)"
    order = f"{'DESC' if desc else 'ASC'}(?key) ?title ?p"
    return pattern, order


_ORDER_CACHE: dict[tuple[str, str, str, str], list[str]] = {}


def list_projects(
    store: Store,
    *,
    country: str | None = None,
    sdg: str | int | None = None,
    programme: str | None = None,
    organisation: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    q: str | None = None,
    sort: str = "title",
    limit: int = 20,
    offset: int = 0,
    lang: str = "en",
    settings: Settings | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Projects matching every filter given, one page of them, and how many match in all.

    ``country``: any form the EU country table knows; ``sdg``: goal or target (a goal also
    matches its targets); ``programme``: a funding-scheme concept, matching projects funded under
    it or any narrower concept; ``organisation``: a participant or funder; ``year_from`` /
    ``year_to``: the project runs in at least one year of the range (dates at any precision,
    compared by year); ``q``: every word appears in the title, acronym, full name, description or
    key (case-insensitive); ``sort``: one of :data:`PROJECT_SORTS`.
    """
    if limit < 0:
        raise common.InvalidParameter("limit", "must be >= 0")
    if offset < 0:
        raise common.InvalidParameter("offset", "must be >= 0")
    clauses = _project_filters(
        store,
        country=country,
        sdg=sdg,
        programme=programme,
        organisation=organisation,
        year_from=year_from,
        year_to=year_to,
        q=q,
        settings=settings,
    )
    sort_pattern, order = _sort_clause(sort, lang)
    where = "?p a kg:Project .\n" + "\n".join(clauses)
    path = getattr(store, "path", None)
    cacheable = path is not None and store.read_only
    key = (str(path), where, sort, common.primary(lang) or "en")
    ordered = _ORDER_CACHE.get(key) if cacheable else None
    if ordered is None:
        rows = common.rows(
            store,
            f"""SELECT ?p (MIN(?sk) AS ?key) (MIN(?tk) AS ?title) WHERE {{
  {where}
  {sort_pattern}
}} GROUP BY ?p ORDER BY {order}""",
        )
        ordered = [r["p"].value for r in rows]
        if cacheable:
            with common.ORDER_LOCK:
                _ORDER_CACHE[key] = ordered
                while len(_ORDER_CACHE) > 64:
                    _ORDER_CACHE.pop(next(iter(_ORDER_CACHE)))
    total = len(ordered)
    if limit == 0 or offset >= total:
        return [], total
    uris = ordered[offset : offset + limit]
    return project_summaries(store, uris, lang), total


def project_summaries(store: Store, uris: Sequence[str], lang: str = "en") -> list[dict[str, Any]]:
    """Short descriptions of projects, in the order given."""
    if not uris:
        return []
    preds = {
        "identifier": DCT.identifier,
        "acronym": KG.acronym,
        "title": DCT.title,
        "fullName": KG.fullName,
        "start": KG.startDate,
        "end": KG.endDate,
        "programme": KG.fundedUnder,
        "country": KG.country,
        "sdg": KG.sdg,
        "status": KG.status,
    }
    by_iri = {str(v): k for k, v in preds.items()}
    props: dict[str, dict[str, list[Any]]] = {u: defaultdict(list) for u in uris}
    for chunk in common.chunks(list(uris)):
        for r in common.rows(store, f"SELECT ?s ?p ?o WHERE {{ {common.values('s', chunk)} ?s ?p ?o {common.one_of('p', by_iri)} }}"):
            props[r["s"].value][by_iri[r["p"].value]].append(r["o"])
    linked = {o.value for p in props.values() for k in ("programme", "country", "sdg") for o in p.get(k, [])}
    names = common.labels(store, linked, lang)
    codes = country_codes(store, [o.value for p in props.values() for o in p.get("country", [])])
    items = []
    for u in uris:
        p = props[u]
        item: dict[str, Any] = {
            "@id": u,
            "@type": "Project",
            "key": common.py(p["identifier"][0]) if p.get("identifier") else common.fallback_label(u),
        }
        if p.get("acronym"):
            item["acronym"] = common.py(p["acronym"][0])
        item["title"] = common.pick_text(p.get("title", []), lang) or item.get("acronym") or item["key"]
        item["label"] = item["title"]
        if p.get("fullName"):
            item["fullName"] = common.pick_text(p["fullName"], lang)
        if p.get("start"):
            item.update(common.date_fields("start", p["start"][0]))
        if p.get("end"):
            item.update(common.date_fields("end", p["end"][0]))
        if p.get("status"):
            item["status"] = common.py(p["status"][0])
        if p.get("programme"):
            item["programme"] = common.ref(p["programme"][0].value, names, "FundingScheme")
        item["countries"] = sorted(
            (common.ref(c.value, names, "Country", iso3=codes.get(c.value, {}).get("iso3")) for c in p.get("country", [])),
            key=lambda c: c["label"],
        )
        item["sdgs"] = sorted(
            (
                common.ref(s.value, names, "SdgTarget" if "." in s.value.removeprefix(common.SDG_NS) else "SdgGoal", code=s.value.removeprefix(common.SDG_NS))
                for s in p.get("sdg", [])
            ),
            key=lambda s: sdg_sort_key(s["code"]),
        )
        items.append(item)
    return items


# --------------------------------------------------------------------------- projects: one


def _parts(store: Store, uri: str) -> dict[str, dict[str, list[Any]]]:
    """Triples of the entity's owned parts (URIs under ``{uri}/``, one or two links away)."""
    prefix = common.lit(uri + "/")
    rows = common.rows(
        store,
        f"""SELECT ?s ?p ?o WHERE {{
  {{ {common.iri(uri)} ?l1 ?s }} UNION {{ {common.iri(uri)} ?l1 ?m . ?m ?l2 ?s FILTER(isIRI(?m) && STRSTARTS(STR(?m), {prefix})) }}
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix}))
  ?s ?p ?o
}}""",
    )
    out: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    seen: set[tuple[str, str, str]] = set()
    for r in rows:
        key = (r["s"].value, r["p"].value, str(r["o"]))
        if key not in seen:
            seen.add(key)
            out[r["s"].value][r["p"].value].append(r["o"])
    return out


def _objectives(parts: dict[str, dict[str, list[Any]]], sequences: list[Any], values: list[Any], lang: str) -> list[str]:
    """The objectives in their source's order: the members of the project's ``kg:objectiveSequence``
    (an ``rdf:Seq``, ``rdf:_1`` first) when it has one, else the ``kg:objective`` values as stored."""
    for seq in sequences:
        members = parts.get(seq.value, {})
        numbered = sorted(
            (int(p.removeprefix(_RDF_MEMBER)), terms) for p, terms in members.items()
            if p.startswith(_RDF_MEMBER) and p.removeprefix(_RDF_MEMBER).isdigit()
        )
        ordered = [common.pick_text(terms, lang) for _, terms in numbered]
        if ordered and all(ordered):
            return [text for text in ordered if text is not None]
    return common.pick_texts(values, lang)


_RDF_MEMBER = "http://www.w3.org/1999/02/22-rdf-syntax-ns#_"


def _project_uri(store: Store, key: str) -> str:
    key = str(key).strip()
    if not key:
        raise common.NotFound("project", key)
    if common.is_iri_text(key):
        try:
            if common.ask(store, f"ASK {{ {common.iri(key)} a kg:Project }}"):
                return key
        except ValueError:
            pass
        raise common.NotFound("project", key)
    rows = common.rows(store, f"SELECT ?p WHERE {{ ?p a kg:Project ; dct:identifier {common.lit(key)} }}")
    if rows:
        return sorted(r["p"].value for r in rows)[0]
    rows = common.rows(
        store,
        f"""SELECT DISTINCT ?p WHERE {{ ?p a kg:Project . {{ ?p dct:identifier ?v }} UNION {{ ?p kg:acronym ?v }}
  FILTER(LCASE(STR(?v)) = {common.lit(key.casefold())}) }}""",
    )
    if len(rows) == 1:
        return rows[0]["p"].value
    raise common.NotFound("project", key)


def get_project(store: Store, uri_or_key: str, lang: str = "en") -> dict[str, Any]:
    """Everything about one project: ``uri_or_key`` is its URI, its key (grant number or record id)
    or, when unique, its acronym. ``NotFound`` otherwise."""
    uri = _project_uri(store, uri_or_key)
    p = common.subject_props(store, uri)
    parts = _parts(store, uri)

    def texts(pred: Any) -> list[Any]:
        return p.get(str(pred), [])

    linked: set[str] = set()
    for values in p.values():
        linked |= {v.value for v in values if isinstance(v, ox.NamedNode)}
    for props in parts.values():
        for values in props.values():
            linked |= {v.value for v in values if isinstance(v, ox.NamedNode)}
    names = common.labels(store, linked, lang)

    doc: dict[str, Any] = {"@id": uri, "@type": "Project"}
    ident = common.first(p, DCT.identifier)
    doc["key"] = ident.value if ident is not None else common.fallback_label(uri)
    acronym = common.first(p, KG.acronym)
    if acronym is not None:
        doc["acronym"] = acronym.value
    doc["title"] = common.pick_text(texts(DCT.title), lang) or doc.get("acronym") or doc["key"]
    doc["label"] = doc["title"]
    doc["titles"] = {t.language: t.value for t in texts(DCT.title) if isinstance(t, ox.Literal) and t.language}
    if texts(KG.fullName):
        doc["fullName"] = common.pick_text(texts(KG.fullName), lang)
    descriptive = common.first(p, KG.hasDescriptiveTitle)
    if descriptive is not None:  # only when stated: true means the curator wrote the title
        doc["hasDescriptiveTitle"] = bool(common.py(descriptive))
    if texts(DCT.description):
        doc["description"] = common.pick_text(texts(DCT.description), lang)
    for field, pred in (("start", KG.startDate), ("end", KG.endDate)):
        term = common.first(p, pred)
        if term is not None:
            doc.update(common.date_fields(field, term))
    status = common.first(p, KG.status)
    if status is not None:
        doc["status"] = status.value
    for field, pred in (("partnerCount", KG.partnerCount), ("countryCount", KG.countryCount)):
        term = common.first(p, pred)
        if term is not None:
            doc[field] = common.py(term)

    # funding
    funded = common.first(p, KG.fundedUnder)
    if funded is not None:
        doc["programme"] = scheme_chain(store, funded.value, lang) or common.ref(funded.value, names, "FundingScheme")
    if texts(KG.fundingStatement):
        doc["fundingStatement"] = common.pick_text(texts(KG.fundingStatement), lang)
    doc["funders"] = [common.ref(f.value, names, "Funder") for f in texts(KG.fundedBy)]
    grant_ref = common.first(p, KG.hasGrant)
    if grant_ref is not None:
        g = parts.get(grant_ref.value, {})
        grant: dict[str, Any] = {"@id": grant_ref.value, "@type": "Grant"}
        if (n := common.first(g, KG.grantNumber)) is not None:
            grant["grantNumber"] = n.value
        if (d := common.first(g, KG.signatureDate)) is not None:
            grant["signatureDate"] = d.value
        if (a := common.first(g, KG.amount)) is not None:
            amount_props = parts.get(a.value, {})
            amount: dict[str, Any] = {"@id": a.value, "@type": "MonetaryAmount"}
            if (v := common.first(amount_props, SCHEMA.value)) is not None:
                amount["value"] = v.value
            if (c := common.first(amount_props, SCHEMA.currency)) is not None:
                amount["currency"] = c.value
            grant["amount"] = amount
        doc["grant"] = grant

    # places and goals
    doc["countries"] = country_refs(store, [c.value for c in texts(KG.country)], names)
    city_uris = [c.value for c in texts(KG.city)]
    doc["cities"] = city_refs(store, city_uris, lang)
    doc["sdgs"] = sdg_refs(store, [s.value for s in texts(KG.sdg)], names, lang)

    # partnership
    participations = []
    org_uris = set()
    for part in texts(KG.hasParticipation):
        pp = parts.get(part.value, {})
        org = common.first(pp, KG.organisation)
        role = common.first(pp, KG.role)
        if org is not None:
            org_uris.add(org.value)
        participations.append((part.value, org.value if org is not None else None, role.value if role is not None else None))
    org_info = organisation_refs(store, sorted(org_uris), lang)
    doc["participations"] = [
        {
            "@id": part,
            "@type": "Participation",
            **({"organisation": org_info.get(org) or common.ref(org, names, "Organisation")} if org else {}),
            **({"role": common.ref(role, names, "Role")} if role else {}),
        }
        for part, org, role in sorted(participations, key=lambda t: (role_rank(t[2]), names.get(t[1] or "", "")))
    ]

    # content
    doc["objectives"] = _objectives(parts, texts(KG.objectiveSequence), texts(KG.objective), lang)
    doc["categories"] = common.pick_texts(texts(KG.category), lang)
    doc["activities"] = _ordered_parts(parts, texts(KG.hasActivity), "Activity", lang)
    doc["targetGroups"] = _ordered_parts(parts, texts(KG.hasTargetGroup), "TargetGroup", lang)
    doc["expectedResults"] = _ordered_parts(parts, texts(KG.hasExpectedResult), "ExpectedResult", lang)
    doc["outputs"] = _ordered_parts(parts, texts(KG.hasOutput), "Output", lang)
    doc["contactPoints"] = _ordered_parts(parts, texts(KG.contactPoint), "ContactPoint", lang)

    # provenance
    sources = [s.value for s in texts(PROV.wasDerivedFrom)]
    doc["sources"] = [_source(store, s, lang) for s in sources]
    doc["inGraphs"] = sorted(r["g"].value for r in common.rows(store, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {common.iri(uri)} ?p ?o }} }}"))
    return doc


_ROLE_ORDER = [str(KG.RoleCoordinator), str(KG.RolePartner), str(KG.RoleParticipant), str(KG.RoleAssociatedPartner), str(KG.RoleThirdParty)]


def role_rank(role: str | None) -> int:
    return _ROLE_ORDER.index(role) if role in _ROLE_ORDER else len(_ROLE_ORDER)


def _ordered_parts(
    parts: dict[str, dict[str, list[Any]]], refs: list[Any], type_: str, lang: str
) -> list[dict[str, Any]]:
    """Activities, target groups, results, outputs: in source order (the ``/n`` of their URIs)."""

    def number(uri: str) -> tuple[int, str]:
        tail = uri.rsplit("/", 1)[-1]
        return (int(tail), uri) if tail.isdigit() else (10**9, uri)

    out = []
    for uri in sorted({r.value for r in refs if isinstance(r, ox.NamedNode)}, key=number):
        pr = parts.get(uri, {})
        item: dict[str, Any] = {"@id": uri, "@type": type_}
        n = number(uri)[0]
        if n < 10**9:
            item["position"] = n
        title = common.pick_text(pr.get(str(DCT.title), []), lang)
        label = common.pick_text(pr.get(str(RDFS.label), []), lang)
        description = common.pick_text(pr.get(str(DCT.description), []), lang)
        item["label"] = label or title or description or common.fallback_label(uri)
        if title:
            item["title"] = title
        if description:
            item["description"] = description
        for key, pred in (
            ("activityKind", KG.activityKind),
            ("outputKind", KG.outputKind),
            ("order", KG.order),
            ("quantity", KG.quantity),
            ("minQuantity", KG.minQuantity),
            ("maxQuantity", KG.maxQuantity),
            ("isApproximate", KG.isApproximate),
            ("duration", KG.duration),
            ("level", KG.level),
        ):
            term = common.first(pr, pred)
            if term is not None:
                item[key] = common.py(term)
        for key, pred in (("unit", KG.unit), ("scope", KG.scope)):
            value = common.pick_text(pr.get(str(pred), []), lang)
            if value:
                item[key] = value
        for key, pred in (("email", VCARD.hasEmail), ("web", VCARD.hasURL)):
            term = common.first(pr, pred)
            if term is not None:
                item[key] = term.value
        fn = common.first(pr, VCARD.fn)
        if fn is not None:
            item["name"] = fn.value
        if type_ == "ExpectedResult" and (amount := _result_amount(item)) is not None:
            item["quantityText"] = amount
        out.append(item)
    return out


def _result_amount(item: dict[str, Any]) -> str | None:
    """A result's number as people write it: "30", "10–20", "about 500"."""
    if "quantity" in item:
        text = str(item["quantity"])
    elif "minQuantity" in item and "maxQuantity" in item:
        text = f"{item['minQuantity']}–{item['maxQuantity']}"
    elif "minQuantity" in item:
        text = f"at least {item['minQuantity']}"
    elif "maxQuantity" in item:
        text = f"up to {item['maxQuantity']}"
    else:
        return None
    return ("about " + text) if item.get("isApproximate") else text


def _source(store: Store, uri: str, lang: str) -> dict[str, Any]:
    s = common.subject_props(store, uri)
    out: dict[str, Any] = {"@id": uri, "@type": "SourceDocument"}
    out["label"] = common.pick_text(s.get(str(DCT.title), []) + s.get(str(RDFS.label), []), lang) or common.fallback_label(uri)
    if (ident := common.first(s, DCT.identifier)) is not None:
        out["key"] = ident.value
    if (sha := common.first(s, KG.sha256)) is not None:
        out["sha256"] = sha.value
    if (url := common.first(s, SCHEMA.url)) is not None:
        out["url"] = url.value
    out["languages"] = sorted(v.value for v in s.get(str(DCT.language), []))
    out["derivedGraphs"] = sorted(
        r["g"].value
        for r in common.rows(store, f"SELECT DISTINCT ?g WHERE {{ ?g prov:wasDerivedFrom {common.iri(uri)} FILTER EXISTS {{ GRAPH ?g {{ ?a ?b ?c }} }} }}")
    )
    return out
