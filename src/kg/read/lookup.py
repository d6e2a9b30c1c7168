"""The graph's read side: plain dicts and lists about projects, organisations, programmes, SDGs
and countries, built with SPARQL over a :class:`kg.store.Store` (no HTTP here).

Every function takes the store first and returns JSON-ready values (str, int, bool, lists, dicts).
Entities are dicts with ``"@id"`` (their URI), ``"@type"`` (a short class name such as
``"Project"``) and a display ``"label"``; keys follow the model's terms (see ``docs/model.md``), so
the web layer can map them to IRIs with one JSON-LD context.

Labels come in the requested language (``lang``, a BCP 47 tag; its primary subtag is compared),
else English, else a label without language, else any.

User input never reaches SPARQL as raw text: values are turned into terms with pyoxigraph's
``Literal`` / ``NamedNode`` (whose ``str()`` is the escaped SPARQL form) or are resolved to URIs
first (countries through the EU country table, SDGs through the UN SDG KOS).

Errors: :class:`NotFound` (no such entity) and :class:`InvalidParameter` (a filter value that is
not valid; ``param`` names the parameter).
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from kg.settings import Settings
from kg.model.namespaces import DCT, FOAF, KG, PROV, RDF, RDFS, SCHEMA, SDG, SDGO, SKOS, VCARD, XSD
from kg.store.base import Store

__all__ = [
    "InvalidParameter",
    "NotFound",
    "PROJECT_SORTS",
    "date_precision",
    "describe",
    "entity_exists",
    "get_city",
    "get_country",
    "get_entity",
    "get_organisation",
    "get_programme",
    "get_project",
    "get_sdg",
    "labels",
    "list_countries",
    "list_organisations",
    "list_projects",
    "list_sdgs",
    "programme_tree",
    "resolve_country",
    "resolve_programme",
    "resolve_sdg",
    "statistics",
]


class NotFound(LookupError):
    """No entity of the kind asked for has this key or URI."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r} in the graph")


class InvalidParameter(ValueError):
    """A parameter value is not valid; ``param`` is its name, the message says why."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        self.message = message
        super().__init__(f"{param}: {message}")


# --------------------------------------------------------------------------- SPARQL plumbing

PREFIXES = f"""PREFIX kg: <{KG}>
PREFIX dct: <{DCT}>
PREFIX rdf: <{RDF}>
PREFIX rdfs: <{RDFS}>
PREFIX skos: <{SKOS}>
PREFIX prov: <{PROV}>
PREFIX schema: <{SCHEMA}>
PREFIX foaf: <{FOAF}>
PREFIX vcard: <{VCARD}>
PREFIX sdgo: <{SDGO}>
PREFIX xsd: <{XSD}>
"""

_XSD = str(XSD)
_SDG_NS = str(SDG)
_COUNTRY_NS = "http://publications.europa.eu/resource/authority/country/"
_EUVOC = "http://publications.europa.eu/ontology/euvoc#"
SCHEME_LEVELS = {
    str(KG.FundingProgramme): "programme",
    str(KG.KeyAction): "key-action",
    str(KG.ActionType): "action-type",
    str(KG.Call): "call",
}
# Display-label predicates, best first: our display label, SKOS, then titles and names.
LABEL_PREDICATES = [str(RDFS.label), str(SKOS.prefLabel), str(DCT.title), str(FOAF.name), str(SCHEMA.name), str(VCARD.fn)]
_CHUNK = 400


def iri(value: str) -> str:
    """``<value>`` as a SPARQL term; ``ValueError`` when it is not an IRI."""
    return str(ox.NamedNode(value))


def lit(value: str) -> str:
    """A plain string literal as a SPARQL term (escaped)."""
    return str(ox.Literal(value))


def _values(var: str, uris: Iterable[str]) -> str:
    return f"VALUES ?{var} {{ {' '.join(iri(u) for u in uris)} }}"


def _one_of(var: str, uris: Iterable[str]) -> str:
    """FILTER(?var IN (...)): for a small set of predicates next to a VALUES of subjects (two
    VALUES blocks make Oxigraph 0.5 join their cross product with a scan of the whole store)."""
    return f"FILTER(?{var} IN ({', '.join(iri(u) for u in uris)}))"


def _rows(store: Store, sparql: str) -> list[dict[str, Any]]:
    result = store.query(PREFIXES + sparql)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("expected SELECT results")
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names if row[n] is not None} for row in result]


def _ask(store: Store, sparql: str) -> bool:
    result = store.query(PREFIXES + sparql)
    return bool(result)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def py(term: Any) -> Any:
    """A pyoxigraph term as a JSON-ready Python value (IRIs as strings, typed numbers and booleans)."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt in (_XSD + "integer", _XSD + "int", _XSD + "long", _XSD + "nonNegativeInteger", _XSD + "positiveInteger"):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if dt == _XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    return None if term is None else str(term)


def _int(term: Any, default: int = 0) -> int:
    try:
        return int(term.value)
    except (AttributeError, ValueError):
        return default


# --------------------------------------------------------------------------- languages and labels


def primary(lang: str | None) -> str:
    """The primary subtag of a language tag, lower-cased (``"it-IT"`` → ``"it"``)."""
    return (lang or "").split("-")[0].strip().lower()


def _lang_rank(tag: str, lang: str) -> int:
    """0: the requested language, 1: English, 2: no language, 3: any other."""
    p = primary(tag)
    if p and p == primary(lang):
        return 0
    if p == "en":
        return 1
    if not tag:
        return 2
    return 3


def pick_text(literals: Iterable[Any], lang: str) -> str | None:
    """The one literal to show for ``lang``: the requested language, then English, none, any."""
    best: tuple[int, str] | None = None
    for term in literals:
        if not isinstance(term, ox.Literal):
            continue
        key = (_lang_rank(term.language or "", lang), term.value)
        if best is None or key < best:
            best = key
    return best[1] if best else None


def pick_texts(literals: Iterable[Any], lang: str) -> list[str]:
    """Multi-valued text (objectives, categories): every value in the best language available."""
    groups: dict[str, list[str]] = defaultdict(list)
    for term in literals:
        if isinstance(term, ox.Literal):
            groups[term.language or ""].append(term.value)
    if not groups:
        return []
    best = min(groups, key=lambda tag: (_lang_rank(tag, lang), tag))
    return groups[best]


def labels(store: Store, uris: Iterable[str], lang: str = "en") -> dict[str, str]:
    """Display labels for URIs (only those that have one): language first, then predicate
    (``rdfs:label``, ``skos:prefLabel``, ``dct:title``, names)."""
    wanted = sorted({u for u in uris if u and not u.startswith("_:")})
    path = getattr(store, "path", None)
    cache = None
    if path is not None and store.read_only:
        key = (str(path), lang)
        cache = _LABEL_CACHE.get(key)
        if cache is None:
            with _ORDER_LOCK:
                for old in [k for k in _LABEL_CACHE if k[0] != key[0]]:  # an older build's labels
                    del _LABEL_CACHE[old]
                cache = _LABEL_CACHE.setdefault(key, {})
        known = {u: cache[u] for u in wanted if u in cache}
        missing = [u for u in wanted if u not in cache]
        if not missing:
            return {u: v for u, v in known.items() if v is not None}
        found = _labels(store, missing, lang)
        if len(cache) < 200_000:
            cache.update({u: found.get(u) for u in missing})
        known.update(found)
        return {u: v for u, v in known.items() if v is not None}
    return _labels(store, wanted, lang)


# Caches keyed by the (immutable) build directory a read-only store was opened from: a new build
# has a new path, so nothing stale is ever served.
_LABEL_CACHE: dict[tuple[str, str], dict[str, str | None]] = {}


def _labels(store: Store, wanted: list[str], lang: str) -> dict[str, str]:
    ranks = {p: i for i, p in enumerate(LABEL_PREDICATES)}
    best: dict[str, tuple[int, int, str]] = {}
    for chunk in _chunks(wanted):
        rows = _rows(
            store,
            f"SELECT ?s ?p ?l WHERE {{ {_values('s', chunk)} "
            f"?s ?p ?l {_one_of('p', LABEL_PREDICATES)} FILTER(isLiteral(?l)) }}",
        )
        for r in rows:
            s, term = r["s"].value, r["l"]
            key = (_lang_rank(term.language or "", lang), ranks[r["p"].value], term.value)
            if s not in best or key < best[s]:
                best[s] = key
    return {s: k[2] for s, k in best.items()}


def fallback_label(uri: str) -> str:
    """A readable label from the URI itself (its last segment)."""
    tail = re.split(r"[/#]", uri.rstrip("/#"))[-1]
    return tail or uri


def label_of(store: Store, uri: str, lang: str = "en") -> str:
    return labels(store, [uri], lang).get(uri) or fallback_label(uri)


def _ref(uri: str, names: dict[str, str], type_: str | None = None, **extra: Any) -> dict[str, Any]:
    """A linked entity as ``{"@id", "@type"?, "label", ...}``."""
    out: dict[str, Any] = {"@id": uri}
    if type_:
        out["@type"] = type_
    out["label"] = names.get(uri) or fallback_label(uri)
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


# --------------------------------------------------------------------------- dates

_PRECISION = {_XSD + "date": "day", _XSD + "dateTime": "day", _XSD + "gYearMonth": "month", _XSD + "gYear": "year"}


def date_precision(term: Any) -> str | None:
    """``"day"``, ``"month"`` or ``"year"`` for an xsd:date / gYearMonth / gYear literal."""
    if isinstance(term, ox.Literal):
        return _PRECISION.get(term.datatype.value)
    return None


def _date_fields(prefix: str, term: Any) -> dict[str, Any]:
    if not isinstance(term, ox.Literal):
        return {}
    return {
        f"{prefix}Date": term.value,
        f"{prefix}Precision": date_precision(term),
        f"{prefix}Datatype": term.datatype.value,
    }


# --------------------------------------------------------------------------- resolving user input


def _settings(settings: Settings | None) -> Settings:
    return settings or Settings.from_env()


def resolve_country(text: str, *, settings: Settings | None = None, param: str = "country") -> str:
    """The EU authority URI for any form of a country (``ITA``, ``IT``, ``EL``, ``Italia``, the URI)."""
    from kg.linking.countries import UnknownCountry, default_table

    try:
        return default_table(_settings(settings)).resolve(str(text))
    except UnknownCountry as exc:
        raise InvalidParameter(param, str(exc)) from None


def resolve_sdg(text: str | int, *, settings: Settings | None = None, param: str = "sdg") -> str:
    """The UN KOS URI of a goal (``10``, ``"SDG 10"``) or target (``"10.2"``), or the URI."""
    from kg.linking.sdgs import UnknownSdg, default_kos

    value: str | int = text
    if isinstance(text, str) and text.strip().isdigit():
        value = text.strip()
    try:
        return default_kos(_settings(settings)).resolve(value)
    except UnknownSdg as exc:
        raise InvalidParameter(param, str(exc)) from None


def _is_iri_text(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", text)) and "://" in text or text.startswith("urn:")


def _checked_iri(text: str, param: str) -> str:
    try:
        ox.NamedNode(text)
    except ValueError as exc:
        raise InvalidParameter(param, f"{text!r} is not a valid IRI ({exc})") from None
    return text


_SCHEME_CONCEPT = "VALUES ?level { kg:FundingProgramme kg:KeyAction kg:ActionType kg:Call } ?c a ?level ."


def resolve_programme(store: Store, text: str, *, param: str = "programme") -> list[str]:
    """The funding-scheme concepts ``text`` names: the URI, the key in ``…/id/programme/{key}``,
    a notation (``KA3``, ``LLP``) or a label/alternative label (``Erasmus+``), case-insensitively."""
    text = " ".join(str(text).split())
    if not text:
        raise InvalidParameter(param, "empty")
    if _is_iri_text(text):
        uri = _checked_iri(text, param)
        if _ask(store, f"ASK {{ {_SCHEME_CONCEPT.replace('?c', iri(uri))} }}"):
            return [uri]
        raise InvalidParameter(param, f"<{uri}> is not a funding programme, action or call of the graph")
    folded = text.casefold()
    rows = _rows(
        store,
        f"""SELECT DISTINCT ?c WHERE {{
  {_SCHEME_CONCEPT}
  OPTIONAL {{ ?c skos:notation ?n }}
  OPTIONAL {{ ?c skos:prefLabel|skos:altLabel|rdfs:label ?l }}
  FILTER(STRENDS(STR(?c), {lit('/programme/' + text)})
         || LCASE(STR(?n)) = {lit(folded)} || LCASE(STR(?l)) = {lit(folded)})
}}""",
    )
    found = sorted(r["c"].value for r in rows)
    if not found:
        raise InvalidParameter(param, f"no funding programme, action or call is called {text!r}")
    return found


def resolve_organisation(store: Store, text: str, *, param: str = "organisation") -> list[str]:
    """Organisations (funders included) ``text`` names: URI, key (``dct:identifier``), name or short name."""
    text = " ".join(str(text).split())
    if not text:
        raise InvalidParameter(param, "empty")
    if _is_iri_text(text):
        uri = _checked_iri(text, param)
        if _ask(store, f"ASK {{ {iri(uri)} a kg:Organisation }}"):
            return [uri]
        raise InvalidParameter(param, f"<{uri}> is not an organisation of the graph")
    rows = _rows(
        store,
        f"""SELECT DISTINCT ?o WHERE {{
  ?o a kg:Organisation .
  {{ ?o dct:identifier ?v }} UNION {{ ?o kg:legalName|kg:shortName|rdfs:label|skos:prefLabel ?v }}
  FILTER(LCASE(STR(?v)) = {lit(text.casefold())})
}}""",
    )
    found = sorted(r["o"].value for r in rows)
    if not found:
        raise InvalidParameter(param, f"no organisation is called {text!r}")
    return found


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
        c = iri(resolve_country(str(country), settings=settings))
        clauses.append(
            f"FILTER EXISTS {{ {{ ?p kg:country {c} }} UNION {{ ?p kg:city/kg:country {c} }} "
            f"UNION {{ ?p kg:hasParticipation/kg:organisation/kg:country {c} }} }}"
        )
    if sdg not in (None, ""):
        uri = resolve_sdg(sdg, settings=settings)  # type: ignore[arg-type]
        s = iri(uri)
        if re.fullmatch(r"\d+", uri.removeprefix(_SDG_NS)):  # a goal: it or any of its targets
            clauses.append(f"FILTER EXISTS {{ ?p kg:sdg ?sdgLink . FILTER(?sdgLink = {s} || EXISTS {{ ?sdgLink sdgo:isTargetOf {s} }}) }}")
        else:
            clauses.append(f"FILTER EXISTS {{ ?p kg:sdg {s} }}")
    if programme not in (None, ""):
        concepts = resolve_programme(store, str(programme))
        # one path per concept, with the concept as a constant (an unbound end makes the
        # zero-length path enumerate every node of the store)
        alternatives = " UNION ".join(f"{{ ?p kg:fundedUnder/skos:broader* {iri(c)} }}" for c in concepts)
        clauses.append(f"FILTER EXISTS {{ {alternatives} }}")
    if organisation not in (None, ""):
        orgs = resolve_organisation(store, str(organisation))
        clauses.append(
            f"FILTER EXISTS {{ {_values('org', orgs)} {{ ?p kg:hasParticipation/kg:organisation ?org }} "
            f"UNION {{ ?p kg:fundedBy ?org }} }}"
        )
    if year_from is not None or year_to is not None:
        if year_from is not None and year_to is not None and year_from > year_to:
            raise InvalidParameter("year_from", f"year_from ({year_from}) is after year_to ({year_to})")
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
                f"FILTER(CONTAINS(LCASE(STR(?txt)), {lit(token.casefold())})) }}"
            )
    return clauses


def _sort_clause(sort: str, lang: str) -> tuple[str, str]:
    """(patterns binding ?sk and ?tk, ORDER BY expression)."""
    if sort not in PROJECT_SORTS:
        raise InvalidParameter("sort", f"{sort!r} is not one of {', '.join(PROJECT_SORTS)}")
    desc = sort.startswith("-")
    field = sort.lstrip("-")
    language = lit(primary(lang) or "en")
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
_ORDER_LOCK = threading.Lock()


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
        raise InvalidParameter("limit", "must be >= 0")
    if offset < 0:
        raise InvalidParameter("offset", "must be >= 0")
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
    key = (str(path), where, sort, primary(lang) or "en")
    ordered = _ORDER_CACHE.get(key) if cacheable else None
    if ordered is None:
        rows = _rows(
            store,
            f"""SELECT ?p (MIN(?sk) AS ?key) (MIN(?tk) AS ?title) WHERE {{
  {where}
  {sort_pattern}
}} GROUP BY ?p ORDER BY {order}""",
        )
        ordered = [r["p"].value for r in rows]
        if cacheable:
            with _ORDER_LOCK:
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
    for chunk in _chunks(list(uris)):
        for r in _rows(store, f"SELECT ?s ?p ?o WHERE {{ {_values('s', chunk)} ?s ?p ?o {_one_of('p', by_iri)} }}"):
            props[r["s"].value][by_iri[r["p"].value]].append(r["o"])
    linked = {o.value for p in props.values() for k in ("programme", "country", "sdg") for o in p.get(k, [])}
    names = labels(store, linked, lang)
    codes = _country_codes(store, [o.value for p in props.values() for o in p.get("country", [])])
    items = []
    for u in uris:
        p = props[u]
        item: dict[str, Any] = {
            "@id": u,
            "@type": "Project",
            "key": py(p["identifier"][0]) if p.get("identifier") else fallback_label(u),
        }
        if p.get("acronym"):
            item["acronym"] = py(p["acronym"][0])
        item["title"] = pick_text(p.get("title", []), lang) or item.get("acronym") or item["key"]
        item["label"] = item["title"]
        if p.get("fullName"):
            item["fullName"] = pick_text(p["fullName"], lang)
        if p.get("start"):
            item.update(_date_fields("start", p["start"][0]))
        if p.get("end"):
            item.update(_date_fields("end", p["end"][0]))
        if p.get("status"):
            item["status"] = py(p["status"][0])
        if p.get("programme"):
            item["programme"] = _ref(p["programme"][0].value, names, "FundingScheme")
        item["countries"] = sorted(
            (_ref(c.value, names, "Country", iso3=codes.get(c.value, {}).get("iso3")) for c in p.get("country", [])),
            key=lambda c: c["label"],
        )
        item["sdgs"] = sorted(
            (
                _ref(s.value, names, "SdgTarget" if "." in s.value.removeprefix(_SDG_NS) else "SdgGoal", code=s.value.removeprefix(_SDG_NS))
                for s in p.get("sdg", [])
            ),
            key=lambda s: _sdg_sort_key(s["code"]),
        )
        items.append(item)
    return items


def _sdg_sort_key(code: str) -> tuple[Any, ...]:
    parts = code.split(".")
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in parts)


# --------------------------------------------------------------------------- projects: one


def _subject_props(store: Store, uri: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for r in _rows(store, f"SELECT ?p ?o WHERE {{ {iri(uri)} ?p ?o }}"):
        out[r["p"].value].append(r["o"])
    return out


def _parts(store: Store, uri: str) -> dict[str, dict[str, list[Any]]]:
    """Triples of the entity's owned parts (URIs under ``{uri}/``, one or two links away)."""
    prefix = lit(uri + "/")
    rows = _rows(
        store,
        f"""SELECT ?s ?p ?o WHERE {{
  {{ {iri(uri)} ?l1 ?s }} UNION {{ {iri(uri)} ?l1 ?m . ?m ?l2 ?s FILTER(isIRI(?m) && STRSTARTS(STR(?m), {prefix})) }}
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


def _first(props: dict[str, list[Any]], pred: Any) -> Any:
    values = props.get(str(pred))
    return values[0] if values else None


def _country_codes(store: Store, uris: Iterable[str]) -> dict[str, dict[str, str]]:
    """ISO alpha-2 / alpha-3 codes of EU authority countries (from the vocabulary graph)."""
    wanted = sorted(set(uris))
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for chunk in _chunks(wanted):
        for r in _rows(store, f"SELECT ?c ?n WHERE {{ {_values('c', chunk)} ?c skos:notation ?n }}"):
            dt = r["n"].datatype.value if isinstance(r["n"], ox.Literal) else ""
            if dt == _EUVOC + "ISO_3166_1_ALPHA_2":
                out[r["c"].value]["iso2"] = r["n"].value
            elif dt == _EUVOC + "ISO_3166_1_ALPHA_3":
                out[r["c"].value]["iso3"] = r["n"].value
        for r in _rows(
            store,
            f"SELECT ?c ?code WHERE {{ {_values('c', chunk)} ?c <http://publications.europa.eu/ontology/authority/authority-code> ?code }}",
        ):
            out[r["c"].value].setdefault("iso3", r["code"].value)
    return out


def _country_refs(store: Store, uris: Iterable[str], names: dict[str, str]) -> list[dict[str, Any]]:
    uris = sorted(set(uris))
    codes = _country_codes(store, uris)
    refs = [
        _ref(u, names, "Country", iso2=codes.get(u, {}).get("iso2"), iso3=codes.get(u, {}).get("iso3") or fallback_label(u))
        for u in uris
    ]
    return sorted(refs, key=lambda r: r["label"])


def _sdg_refs(store: Store, uris: Iterable[str], names: dict[str, str], lang: str) -> list[dict[str, Any]]:
    uris = sorted(set(uris))
    short = _sdg_short_names(store, uris, lang)
    goals = {r["t"].value: r["g"].value for r in _rows(store, f"SELECT ?t ?g WHERE {{ {_values('t', uris)} ?t sdgo:isTargetOf ?g }}")} if uris else {}
    refs = []
    for u in uris:
        code = u.removeprefix(_SDG_NS)
        is_target = u in goals
        ref = _ref(
            u,
            names,
            "SdgTarget" if is_target else "SdgGoal",
            code=code,
            shortLabel=short.get(u),
            goal=goals.get(u),
            goalCode=goals[u].removeprefix(_SDG_NS) if is_target else code,
        )
        refs.append(ref)
    return sorted(refs, key=lambda r: _sdg_sort_key(r["code"]))


def _sdg_short_names(store: Store, uris: Sequence[str], lang: str) -> dict[str, str]:
    """Goals' short names (the KOS's ``skos:altLabel``, e.g. "Reduced inequalities")."""
    if not uris:
        return {}
    found: dict[str, list[Any]] = defaultdict(list)
    for r in _rows(store, f"SELECT ?s ?l WHERE {{ {_values('s', uris)} ?s skos:altLabel ?l }}"):
        found[r["s"].value].append(r["l"])
    return {s: v for s, ls in found.items() if (v := pick_text(ls, lang))}


def _scheme_chain(store: Store, concept: str, lang: str) -> dict[str, Any] | None:
    """The concept with its ``broader`` chain nested up to the top, each with level and funders."""
    rows = _rows(
        store,
        f"""SELECT ?c ?b ?level ?n ?f WHERE {{
  {iri(concept)} skos:broader* ?c .
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
    names = labels(store, set(info) | {f for i in info.values() for f in i["funders"]}, lang)

    def node(c: str, depth: int = 0) -> dict[str, Any]:
        i = info[c]
        out = _ref(c, names, "FundingScheme", key=fallback_label(c), schemeLevel=i.get("level"), notation=i.get("notation"))
        out["managedBy"] = [_ref(f, names, "Funder") for f in sorted(i["funders"])]
        b = i.get("broader")
        if b and b in info and depth < 20:
            out["broader"] = node(b, depth + 1)
        return out

    return node(concept)


def chain_list(node: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A nested ``broader`` chain as a flat list, top first."""
    out = []
    while node:
        out.append({k: v for k, v in node.items() if k != "broader"})
        node = node.get("broader")
    return list(reversed(out))


def _project_uri(store: Store, key: str) -> str:
    key = str(key).strip()
    if not key:
        raise NotFound("project", key)
    if _is_iri_text(key):
        try:
            if _ask(store, f"ASK {{ {iri(key)} a kg:Project }}"):
                return key
        except ValueError:
            pass
        raise NotFound("project", key)
    rows = _rows(store, f"SELECT ?p WHERE {{ ?p a kg:Project ; dct:identifier {lit(key)} }}")
    if rows:
        return sorted(r["p"].value for r in rows)[0]
    rows = _rows(
        store,
        f"""SELECT DISTINCT ?p WHERE {{ ?p a kg:Project . {{ ?p dct:identifier ?v }} UNION {{ ?p kg:acronym ?v }}
  FILTER(LCASE(STR(?v)) = {lit(key.casefold())}) }}""",
    )
    if len(rows) == 1:
        return rows[0]["p"].value
    raise NotFound("project", key)


def get_project(store: Store, uri_or_key: str, lang: str = "en") -> dict[str, Any]:
    """Everything about one project: ``uri_or_key`` is its URI, its key (grant number or record id)
    or, when unique, its acronym. ``NotFound`` otherwise."""
    uri = _project_uri(store, uri_or_key)
    p = _subject_props(store, uri)
    parts = _parts(store, uri)

    def texts(pred: Any) -> list[Any]:
        return p.get(str(pred), [])

    linked: set[str] = set()
    for values in p.values():
        linked |= {v.value for v in values if isinstance(v, ox.NamedNode)}
    for props in parts.values():
        for values in props.values():
            linked |= {v.value for v in values if isinstance(v, ox.NamedNode)}
    names = labels(store, linked, lang)

    doc: dict[str, Any] = {"@id": uri, "@type": "Project"}
    ident = _first(p, DCT.identifier)
    doc["key"] = ident.value if ident is not None else fallback_label(uri)
    acronym = _first(p, KG.acronym)
    if acronym is not None:
        doc["acronym"] = acronym.value
    doc["title"] = pick_text(texts(DCT.title), lang) or doc.get("acronym") or doc["key"]
    doc["label"] = doc["title"]
    doc["titles"] = {t.language: t.value for t in texts(DCT.title) if isinstance(t, ox.Literal) and t.language}
    if texts(KG.fullName):
        doc["fullName"] = pick_text(texts(KG.fullName), lang)
    descriptive = _first(p, KG.hasDescriptiveTitle)
    if descriptive is not None:  # only when stated: true means the curator wrote the title
        doc["hasDescriptiveTitle"] = bool(py(descriptive))
    if texts(DCT.description):
        doc["description"] = pick_text(texts(DCT.description), lang)
    for field, pred in (("start", KG.startDate), ("end", KG.endDate)):
        term = _first(p, pred)
        if term is not None:
            doc.update(_date_fields(field, term))
    status = _first(p, KG.status)
    if status is not None:
        doc["status"] = status.value
    for field, pred in (("partnerCount", KG.partnerCount), ("countryCount", KG.countryCount)):
        term = _first(p, pred)
        if term is not None:
            doc[field] = py(term)

    # funding
    funded = _first(p, KG.fundedUnder)
    if funded is not None:
        doc["programme"] = _scheme_chain(store, funded.value, lang) or _ref(funded.value, names, "FundingScheme")
    if texts(KG.fundingStatement):
        doc["fundingStatement"] = pick_text(texts(KG.fundingStatement), lang)
    doc["funders"] = [_ref(f.value, names, "Funder") for f in texts(KG.fundedBy)]
    grant_ref = _first(p, KG.hasGrant)
    if grant_ref is not None:
        g = parts.get(grant_ref.value, {})
        grant: dict[str, Any] = {"@id": grant_ref.value, "@type": "Grant"}
        if (n := _first(g, KG.grantNumber)) is not None:
            grant["grantNumber"] = n.value
        if (d := _first(g, KG.signatureDate)) is not None:
            grant["signatureDate"] = d.value
        if (a := _first(g, KG.amount)) is not None:
            amount_props = parts.get(a.value, {})
            amount: dict[str, Any] = {"@id": a.value, "@type": "MonetaryAmount"}
            if (v := _first(amount_props, SCHEMA.value)) is not None:
                amount["value"] = v.value
            if (c := _first(amount_props, SCHEMA.currency)) is not None:
                amount["currency"] = c.value
            grant["amount"] = amount
        doc["grant"] = grant

    # places and goals
    doc["countries"] = _country_refs(store, [c.value for c in texts(KG.country)], names)
    city_uris = [c.value for c in texts(KG.city)]
    doc["cities"] = _city_refs(store, city_uris, lang)
    doc["sdgs"] = _sdg_refs(store, [s.value for s in texts(KG.sdg)], names, lang)

    # partnership
    participations = []
    org_uris = set()
    for part in texts(KG.hasParticipation):
        pp = parts.get(part.value, {})
        org = _first(pp, KG.organisation)
        role = _first(pp, KG.role)
        if org is not None:
            org_uris.add(org.value)
        participations.append((part.value, org.value if org is not None else None, role.value if role is not None else None))
    org_info = _organisation_refs(store, sorted(org_uris), lang)
    doc["participations"] = [
        {
            "@id": part,
            "@type": "Participation",
            **({"organisation": org_info.get(org) or _ref(org, names, "Organisation")} if org else {}),
            **({"role": _ref(role, names, "Role")} if role else {}),
        }
        for part, org, role in sorted(participations, key=lambda t: (_role_rank(t[2]), names.get(t[1] or "", "")))
    ]

    # content
    doc["objectives"] = pick_texts(texts(KG.objective), lang)
    doc["categories"] = pick_texts(texts(KG.category), lang)
    doc["activities"] = _ordered_parts(parts, texts(KG.hasActivity), "Activity", lang)
    doc["targetGroups"] = _ordered_parts(parts, texts(KG.hasTargetGroup), "TargetGroup", lang)
    doc["expectedResults"] = _ordered_parts(parts, texts(KG.hasExpectedResult), "ExpectedResult", lang)
    doc["outputs"] = _ordered_parts(parts, texts(KG.hasOutput), "Output", lang)
    doc["contactPoints"] = _ordered_parts(parts, texts(KG.contactPoint), "ContactPoint", lang)

    # provenance
    sources = [s.value for s in texts(PROV.wasDerivedFrom)]
    doc["sources"] = [_source(store, s, lang) for s in sources]
    doc["inGraphs"] = sorted(r["g"].value for r in _rows(store, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {iri(uri)} ?p ?o }} }}"))
    return doc


_ROLE_ORDER = [str(KG.RoleCoordinator), str(KG.RolePartner), str(KG.RoleParticipant), str(KG.RoleAssociatedPartner), str(KG.RoleThirdParty)]


def _role_rank(role: str | None) -> int:
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
        title = pick_text(pr.get(str(DCT.title), []), lang)
        label = pick_text(pr.get(str(RDFS.label), []), lang)
        description = pick_text(pr.get(str(DCT.description), []), lang)
        item["label"] = label or title or description or fallback_label(uri)
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
            term = _first(pr, pred)
            if term is not None:
                item[key] = py(term)
        for key, pred in (("unit", KG.unit), ("scope", KG.scope)):
            value = pick_text(pr.get(str(pred), []), lang)
            if value:
                item[key] = value
        for key, pred in (("email", VCARD.hasEmail), ("web", VCARD.hasURL)):
            term = _first(pr, pred)
            if term is not None:
                item[key] = term.value
        fn = _first(pr, VCARD.fn)
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
    s = _subject_props(store, uri)
    out: dict[str, Any] = {"@id": uri, "@type": "SourceDocument"}
    out["label"] = pick_text(s.get(str(DCT.title), []) + s.get(str(RDFS.label), []), lang) or fallback_label(uri)
    if (ident := _first(s, DCT.identifier)) is not None:
        out["key"] = ident.value
    if (sha := _first(s, KG.sha256)) is not None:
        out["sha256"] = sha.value
    if (url := _first(s, SCHEMA.url)) is not None:
        out["url"] = url.value
    out["languages"] = sorted(v.value for v in s.get(str(DCT.language), []))
    out["derivedGraphs"] = sorted(
        r["g"].value
        for r in _rows(store, f"SELECT DISTINCT ?g WHERE {{ ?g prov:wasDerivedFrom {iri(uri)} FILTER EXISTS {{ GRAPH ?g {{ ?a ?b ?c }} }} }}")
    )
    return out


def _city_refs(store: Store, uris: Sequence[str], lang: str) -> list[dict[str, Any]]:
    if not uris:
        return []
    countries: dict[str, str] = {}
    for r in _rows(store, f"SELECT ?c ?k WHERE {{ {_values('c', uris)} ?c kg:country ?k }}"):
        countries[r["c"].value] = r["k"].value
    names = labels(store, set(uris) | set(countries.values()), lang)
    codes = _country_codes(store, countries.values())
    refs = []
    for u in uris:
        ref = _ref(u, names, "City")
        if u in countries:
            c = countries[u]
            ref["country"] = _ref(c, names, "Country", iso2=codes.get(c, {}).get("iso2"), iso3=codes.get(c, {}).get("iso3"))
        refs.append(ref)
    return sorted(refs, key=lambda r: r["label"])


def _organisation_refs(store: Store, uris: Sequence[str], lang: str) -> dict[str, dict[str, Any]]:
    if not uris:
        return {}
    props: dict[str, dict[str, list[Any]]] = {u: defaultdict(list) for u in uris}
    preds = [DCT.identifier, KG.shortName, KG.country, RDF.type, KG.organisationType]
    for r in _rows(store, f"SELECT ?s ?p ?o WHERE {{ {_values('s', uris)} ?s ?p ?o {_one_of('p', [str(x) for x in preds])} }}"):
        props[r["s"].value][r["p"].value].append(r["o"])
    countries = {c.value for p in props.values() for c in p.get(str(KG.country), [])}
    names = labels(store, set(uris) | countries, lang)
    codes = _country_codes(store, countries)
    out = {}
    for u in uris:
        p = props[u]
        is_funder = any(t.value == str(KG.Funder) for t in p.get(str(RDF.type), []))
        ref = _ref(u, names, "Funder" if is_funder else "Organisation")
        if (k := _first(p, DCT.identifier)) is not None:
            ref["key"] = k.value
        if (s := _first(p, KG.shortName)) is not None:
            ref["shortName"] = s.value
        if (t := _first(p, KG.organisationType)) is not None:
            ref["organisationType"] = t.value
        c = _first(p, KG.country)
        if c is not None:
            ref["country"] = _ref(c.value, names, "Country", iso2=codes.get(c.value, {}).get("iso2"), iso3=codes.get(c.value, {}).get("iso3"))
        out[u] = ref
    return out


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
        raise InvalidParameter("limit", "must be >= 0")
    if offset < 0:
        raise InvalidParameter("offset", "must be >= 0")
    clauses = ["?o a kg:Organisation ."]
    if funder is True:
        clauses.append("?o a kg:Funder .")
    elif funder is False:
        clauses.append("FILTER NOT EXISTS { ?o a kg:Funder }")
    if country not in (None, ""):
        c = iri(resolve_country(str(country), settings=settings))
        clauses.append(f"FILTER EXISTS {{ {{ ?o kg:country {c} }} UNION {{ ?o kg:city/kg:country {c} }} }}")
    if q and q.strip():
        for token in q.split()[:10]:
            clauses.append(
                "FILTER EXISTS { ?o rdfs:label|skos:prefLabel|kg:legalName|kg:shortName|dct:identifier ?txt "
                f"FILTER(CONTAINS(LCASE(STR(?txt)), {lit(token.casefold())})) }}"
            )
    where = "\n".join(clauses)
    total_rows = _rows(store, f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {where} }}")
    total = _int(total_rows[0].get("n")) if total_rows else 0
    language = lit(primary(lang) or "en")
    page = _rows(
        store,
        f"""SELECT ?o (MIN(?nk) AS ?name) WHERE {{
  {where}
  OPTIONAL {{ ?o rdfs:label ?ll FILTER(LANGMATCHES(LANG(?ll), {language})) }}
  OPTIONAL {{ ?o rdfs:label ?la }}
  BIND(LCASE(STR(COALESCE(?ll, ?la, STR(?o)))) AS ?nk)
}} GROUP BY ?o ORDER BY ?name ?o LIMIT {int(limit)} OFFSET {int(offset)}""",
    )
    uris = [r["o"].value for r in page]
    refs = _organisation_refs(store, uris, lang)
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
    rows = _rows(store, f"SELECT ?o (COUNT(DISTINCT ?proj) AS ?n) WHERE {{ {_values('o', uris)} {_ORG_PROJECTS} }} GROUP BY ?o")
    return {r["o"].value: _int(r["n"]) for r in rows}


def _organisation_uri(store: Store, key: str) -> str:
    key = str(key).strip()
    if _is_iri_text(key):
        try:
            if _ask(store, f"ASK {{ {iri(key)} a kg:Organisation }}"):
                return key
        except ValueError:
            pass
        raise NotFound("organisation", key)
    rows = _rows(store, f"SELECT ?o WHERE {{ ?o a kg:Organisation ; dct:identifier {lit(key)} }}")
    if not rows:
        rows = _rows(
            store,
            f"SELECT DISTINCT ?o WHERE {{ ?o a kg:Organisation ; dct:identifier|kg:shortName ?v FILTER(LCASE(STR(?v)) = {lit(key.casefold())}) }}",
        )
    if not rows:
        raise NotFound("organisation", key)
    # an organisation before a funder of the same key
    return sorted((r["o"].value for r in rows), key=lambda u: ("/organisation/" not in u, u))[0]


def get_organisation(store: Store, uri_or_key: str, lang: str = "en") -> dict[str, Any]:
    """One organisation (or funder) with its details, projects (with roles) and managed programmes."""
    uri = _organisation_uri(store, uri_or_key)
    p = _subject_props(store, uri)
    doc = _organisation_refs(store, [uri], lang)[uri]
    doc["labels"] = {
        t.language: t.value
        for t in p.get(str(RDFS.label), []) + p.get(str(SKOS.prefLabel), [])
        if isinstance(t, ox.Literal) and t.language
    }
    if (legal := _first(p, KG.legalName)) is not None:
        doc["legalName"] = legal.value
    if (home := _first(p, FOAF.homepage)) is not None:
        doc["homepage"] = home.value
    doc["cities"] = _city_refs(store, [c.value for c in p.get(str(KG.city), [])], lang)
    rows = _rows(store, f"SELECT ?proj ?role WHERE {{ BIND({iri(uri)} AS ?o) {_ORG_PROJECTS} }}")
    roles: dict[str, set[str]] = defaultdict(set)
    funded: set[str] = set()
    for r in rows:
        role = r.get("role")
        if isinstance(role, ox.Literal):  # "funder": the project names it in kg:fundedBy
            funded.add(r["proj"].value)
            roles[r["proj"].value]
        else:
            roles[r["proj"].value].add(role.value if role is not None else str(KG.RoleParticipant))
    role_names = labels(store, {x for rs in roles.values() for x in rs}, lang)
    projects = project_summaries(store, sorted(roles), lang)
    for item in projects:
        item["roles"] = [_ref(r, role_names, "Role") for r in sorted(roles[item["@id"]], key=_role_rank)]
        item["fundedByThis"] = item["@id"] in funded
    doc["projects"] = sorted(projects, key=lambda i: (i.get("startDate") or "~", i["title"]))
    managed = _rows(store, f"SELECT ?c WHERE {{ ?c kg:managedBy {iri(uri)} }}")
    names = labels(store, [r["c"].value for r in managed], lang)
    doc["manages"] = sorted((_ref(r["c"].value, names, "FundingScheme") for r in managed), key=lambda r: r["label"])
    return doc


# --------------------------------------------------------------------------- programmes


def _scheme_concepts(store: Store, lang: str) -> dict[str, dict[str, Any]]:
    rows = _rows(
        store,
        f"""SELECT ?c ?level ?b ?n ?f WHERE {{
  {_SCHEME_CONCEPT}
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
    rows = _rows(store, "SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:fundedUnder ?c } GROUP BY ?c")
    return {r["c"].value: _int(r["n"]) for r in rows}


def _total_counts(store: Store) -> dict[str, int]:
    rows = _rows(
        store,
        "SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:fundedUnder ?f . ?f skos:broader* ?c } GROUP BY ?c",
    )
    return {r["c"].value: _int(r["n"]) for r in rows}


def programme_tree(store: Store, lang: str = "en") -> list[dict[str, Any]]:
    """The funding-programme hierarchy (programme → key action → action type → call), each node
    with its level, notation, managing funders, ``projectCount`` (funded directly under it),
    ``totalProjectCount`` (it or anything narrower) and ``narrower`` children; roots first by label."""
    info = _scheme_concepts(store, lang)
    direct, total = _direct_counts(store), _total_counts(store)
    names = labels(store, set(info) | {f for i in info.values() for f in i["funders"]}, lang)
    children: dict[str | None, list[str]] = defaultdict(list)
    for c, i in info.items():
        parent = i["broader"] if i["broader"] in info else None
        children[parent].append(c)

    def node(c: str, seen: frozenset[str]) -> dict[str, Any]:
        i = info[c]
        out = _ref(c, names, "FundingScheme", key=fallback_label(c), schemeLevel=i.get("level"), notation=i.get("notation"))
        out["managedBy"] = [_ref(f, names, "Funder") for f in sorted(i["funders"])]
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
        found = resolve_programme(store, text, param="programme")
    except InvalidParameter:
        raise NotFound("programme", text) from None
    uri = found[0]
    tree = {n["@id"]: n for n in _flatten(programme_tree(store, lang))}
    node = dict(tree.get(uri) or {"@id": uri, "@type": "FundingScheme", "label": label_of(store, uri, lang)})
    p = _subject_props(store, uri)
    node["definition"] = pick_text(p.get(str(SKOS.definition), []), lang)
    node["altLabels"] = sorted({t.value for t in p.get(str(SKOS.altLabel), []) if isinstance(t, ox.Literal)})
    chain = chain_list(_scheme_chain(store, uri, lang))
    node["broaderChain"] = chain[:-1]
    items, _ = list_projects(store, programme=uri, limit=10_000, lang=lang, sort="start")
    node["projects"] = items
    return node


def _flatten(nodes: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for n in nodes:
        yield n
        yield from _flatten(n.get("narrower", []))


# --------------------------------------------------------------------------- SDGs


def list_sdgs(store: Store, lang: str = "en", *, used_only: bool = False) -> list[dict[str, Any]]:
    """The 17 goals (only those with projects if ``used_only``), each with its short name, full
    label, ``projectCount`` (projects linked to it or one of its targets) and its linked targets."""
    goals = [r["g"].value for r in _rows(store, "SELECT ?g WHERE { ?g a sdgo:Goal }")]
    counts = {
        r["g"].value: _int(r["n"])
        for r in _rows(
            store,
            "SELECT ?g (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:sdg ?s . "
            "{ ?s a sdgo:Goal BIND(?s AS ?g) } UNION { ?s sdgo:isTargetOf ?g } } GROUP BY ?g",
        )
    }
    target_rows = _rows(
        store,
        "SELECT ?t ?g (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:sdg ?t . ?t sdgo:isTargetOf ?g } GROUP BY ?t ?g",
    )
    if used_only:
        goals = [g for g in goals if counts.get(g)]
    names = labels(store, goals + [r["t"].value for r in target_rows], lang)
    refs = _sdg_refs(store, goals, names, lang)
    targets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in target_rows:
        t = r["t"].value
        targets[r["g"].value].append(
            _ref(t, names, "SdgTarget", code=t.removeprefix(_SDG_NS), projectCount=_int(r["n"]))
        )
    for ref in refs:
        ref["projectCount"] = counts.get(ref["@id"], 0)
        ref["linkedTargets"] = sorted(targets.get(ref["@id"], []), key=lambda t: _sdg_sort_key(t["code"]))
    return refs


def get_sdg(store: Store, code: str, lang: str = "en", *, settings: Settings | None = None) -> dict[str, Any]:
    """A goal (with all its targets) or a target (with its goal), and the projects serving it."""
    try:
        uri = resolve_sdg(code, settings=settings)
    except InvalidParameter:
        raise NotFound("SDG", str(code)) from None
    names = labels(store, [uri], lang)
    doc = _sdg_refs(store, [uri], names, lang)[0]
    p = _subject_props(store, uri)
    doc["labels"] = {t.language: t.value for t in p.get(str(SKOS.prefLabel), []) if isinstance(t, ox.Literal) and t.language}
    if doc["@type"] == "SdgGoal":
        target_uris = [r["t"].value for r in _rows(store, f"SELECT ?t WHERE {{ ?t sdgo:isTargetOf {iri(uri)} }}")]
        counts = {
            r["t"].value: _int(r["n"])
            for r in _rows(
                store,
                f"SELECT ?t (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?t sdgo:isTargetOf {iri(uri)} . ?p kg:sdg ?t }} GROUP BY ?t",
            )
        }
        tnames = labels(store, target_uris, lang)
        doc["targets"] = sorted(
            (_ref(t, tnames, "SdgTarget", code=t.removeprefix(_SDG_NS), projectCount=counts.get(t, 0)) for t in target_uris),
            key=lambda t: _sdg_sort_key(t["code"]),
        )
    else:
        gnames = labels(store, [doc["goal"]], lang)
        doc["goalRef"] = _sdg_refs(store, [doc["goal"]], gnames, lang)[0]
    items, total = list_projects(store, sdg=uri, limit=10_000, lang=lang, sort="start", settings=settings)
    doc["projects"] = items
    doc["projectCount"] = total
    return doc


# --------------------------------------------------------------------------- countries

_PROJECT_COUNTRY = (
    "{ ?p kg:country ?c } UNION { ?p kg:city/kg:country ?c } UNION { ?p kg:hasParticipation/kg:organisation/kg:country ?c }"
)


def list_countries(store: Store, lang: str = "en") -> list[dict[str, Any]]:
    """Countries that have projects (named by the project, or a city or organisation there), with
    ISO codes, label in ``lang`` and ``projectCount``; most projects first."""
    rows = _rows(store, f"SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a kg:Project . {_PROJECT_COUNTRY} }} GROUP BY ?c")
    counts = {r["c"].value: _int(r["n"]) for r in rows}
    names = labels(store, counts, lang)
    refs = _country_refs(store, counts, names)
    for ref in refs:
        ref["projectCount"] = counts[ref["@id"]]
    return sorted(refs, key=lambda r: (-r["projectCount"], r["label"]))


def get_country(store: Store, code: str, lang: str = "en", *, settings: Settings | None = None) -> dict[str, Any]:
    """A country by any form (``ITA``, ``IT``, ``EL``, ``Italia``, URI) with its projects, cities
    and organisations there. ``NotFound`` when the text names no country."""
    try:
        uri = resolve_country(code, settings=settings)
    except InvalidParameter:
        raise NotFound("country", str(code)) from None
    names = labels(store, [uri], lang)
    doc = _country_refs(store, [uri], names)[0]
    p = _subject_props(store, uri)
    doc["labels"] = {t.language: t.value for t in p.get(str(SKOS.prefLabel), []) if isinstance(t, ox.Literal) and t.language}
    items, total = list_projects(store, country=uri, limit=10_000, lang=lang, sort="start", settings=settings)
    doc["projects"] = items
    doc["projectCount"] = total
    cities = [r["x"].value for r in _rows(store, f"SELECT DISTINCT ?x WHERE {{ ?x a kg:City ; kg:country {iri(uri)} }}")]
    doc["cities"] = _city_refs(store, cities, lang)
    orgs = [r["o"].value for r in _rows(store, f"SELECT DISTINCT ?o WHERE {{ ?o a kg:Organisation ; kg:country {iri(uri)} }}")]
    doc["organisations"] = sorted(_organisation_refs(store, orgs, lang).values(), key=lambda o: o["label"])
    return doc


# --------------------------------------------------------------------------- cities and other entities


def get_city(store: Store, uri: str, lang: str = "en") -> dict[str, Any]:
    """A city: its names, country, projects working there and organisations based there."""
    try:
        ok = _ask(store, f"ASK {{ {iri(uri)} a kg:City }}")
    except ValueError:
        ok = False
    if not ok:
        raise NotFound("city", uri)
    doc = _city_refs(store, [uri], lang)[0]
    p = _subject_props(store, uri)
    doc["names"] = sorted({t.value for k in (RDFS.label, SKOS.prefLabel) for t in p.get(str(k), []) if isinstance(t, ox.Literal)})
    projects = [r["p"].value for r in _rows(store, f"SELECT DISTINCT ?p WHERE {{ ?p a kg:Project ; kg:city {iri(uri)} }}")]
    doc["projects"] = sorted(project_summaries(store, projects, lang), key=lambda i: i["title"])
    orgs = [r["o"].value for r in _rows(store, f"SELECT DISTINCT ?o WHERE {{ ?o a kg:Organisation ; kg:city {iri(uri)} }}")]
    doc["organisations"] = sorted(_organisation_refs(store, orgs, lang).values(), key=lambda o: o["label"])
    return doc


def entity_exists(store: Store, uri: str) -> bool:
    """Whether the URI is the subject of at least one triple (in any graph)."""
    try:
        return _ask(store, f"ASK {{ {iri(uri)} ?p ?o }}")
    except ValueError:
        return False


def entity_types(store: Store, uri: str) -> list[str]:
    return sorted(r["t"].value for r in _rows(store, f"SELECT DISTINCT ?t WHERE {{ {iri(uri)} a ?t }}"))


def _term_view(term: Any, names: dict[str, str]) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "iri", "value": term.value, "label": names.get(term.value) or fallback_label(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value, "label": f"_:{term.value}"}
    out = {"type": "literal", "value": term.value, "label": term.value}
    if term.language:
        out["language"] = term.language
    elif term.datatype.value != _XSD + "string":
        out["datatype"] = term.datatype.value
    return out


def get_entity(store: Store, uri: str, lang: str = "en", *, incoming_limit: int = 200) -> dict[str, Any]:
    """Any resource: its label, types, every property (labelled with the ontology's labels) and the
    resources that link to it. ``NotFound`` when nothing is said about it."""
    try:
        outgoing = _rows(store, f"SELECT ?p ?o WHERE {{ {iri(uri)} ?p ?o }}")
        incoming = _rows(store, f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {iri(uri)} }} LIMIT {int(incoming_limit)}")
    except ValueError:
        raise NotFound("resource", uri) from None
    if not outgoing and not incoming:
        raise NotFound("resource", uri)
    refs = {r["p"].value for r in outgoing} | {r["o"].value for r in outgoing if isinstance(r["o"], ox.NamedNode)}
    refs |= {r["s"].value for r in incoming if isinstance(r["s"], ox.NamedNode)} | {r["p"].value for r in incoming}
    names = labels(store, refs | {uri}, lang)
    grouped: dict[str, list[Any]] = defaultdict(list)
    for r in outgoing:
        grouped[r["p"].value].append(r["o"])
    properties = []
    for pred in sorted(grouped, key=lambda p: (p != str(RDF.type), names.get(p, fallback_label(p)).casefold())):
        values = grouped[pred]
        # many language variants (country and SDG labels): the chosen one first
        values.sort(key=lambda t: (_lang_rank(t.language or "", lang), t.value) if isinstance(t, ox.Literal) else (-1, t.value))
        properties.append(
            {
                "predicate": pred,
                "label": names.get(pred) or fallback_label(pred),
                "values": [_term_view(v, names) for v in values],
            }
        )
    incoming_view = [
        {
            "subject": r["s"].value if isinstance(r["s"], ox.NamedNode) else f"_:{r['s'].value}",
            "subjectLabel": names.get(r["s"].value) or fallback_label(r["s"].value),
            "predicate": r["p"].value,
            "label": names.get(r["p"].value) or fallback_label(r["p"].value),
        }
        for r in incoming
    ]
    types = [v["value"] for prop in properties if prop["predicate"] == str(RDF.type) for v in prop["values"]]
    return {
        "@id": uri,
        "label": names.get(uri) or fallback_label(uri),
        "types": types,
        "typeLabels": [names.get(t) or fallback_label(t) for t in types],
        "properties": properties,
        "incoming": incoming_view,
        "graphs": sorted(r["g"].value for r in _rows(store, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {iri(uri)} ?p ?o }} }}")),
    }


_LABELS_SPARQL = " ".join(f"<{p}>" for p in LABEL_PREDICATES[:3])


def describe(store: Store, uri: str) -> list[ox.Triple]:
    """A concise bounded description of ``uri``: its triples as subject (all graphs), the triples
    of its owned parts (URIs under ``{uri}/``, one or two links away), and the labels
    (``rdfs:label``, ``skos:prefLabel``, ``dct:title``) of everything those triples link to."""
    u = iri(uri)
    prefix = lit(uri + "/")
    result = store.query(
        PREFIXES
        + f"""CONSTRUCT {{ ?s ?p ?o . ?o ?lp ?l }} WHERE {{
  {{ BIND({u} AS ?s) ?s ?p ?o }}
  UNION
  {{ {u} ?l1 ?s FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix})) ?s ?p ?o }}
  UNION
  {{ {u} ?l1 ?m . ?m ?l2 ?s FILTER(isIRI(?m) && STRSTARTS(STR(?m), {prefix}) && isIRI(?s) && STRSTARTS(STR(?s), {prefix})) ?s ?p ?o }}
  OPTIONAL {{ FILTER(isIRI(?o) && !STRSTARTS(STR(?o), {prefix})) VALUES ?lp {{ {_LABELS_SPARQL} }} ?o ?lp ?l }}
}}"""
    )
    if not isinstance(result, ox.QueryTriples):
        raise TypeError("expected CONSTRUCT results")
    return list(result)


# --------------------------------------------------------------------------- statistics


def statistics(store: Store, lang: str = "en") -> dict[str, Any]:
    """Counts: totals, and projects by top-level programme, country, SDG goal and start year."""
    totals_rows = _rows(
        store,
        """SELECT
  (COUNT(DISTINCT ?proj) AS ?projects)
  WHERE { ?proj a kg:Project }""",
    )
    totals: dict[str, int] = {"projects": _int(totals_rows[0].get("projects")) if totals_rows else 0}
    for name, pattern in (
        ("organisations", "?x a kg:Organisation FILTER NOT EXISTS { ?x a kg:Funder }"),
        ("funders", "?x a kg:Funder"),
        ("fundingSchemes", _SCHEME_CONCEPT.replace("?c", "?x")),
        ("cities", "?x a kg:City"),
        ("sourceDocuments", "?x a kg:SourceDocument"),
        ("countries", "?p a kg:Project . " + _PROJECT_COUNTRY.replace("?c", "?x")),
        ("sdgs", "?p a kg:Project ; kg:sdg ?x"),
        ("activities", "?x a kg:Activity"),
        ("expectedResults", "?x a kg:ExpectedResult"),
        ("outputs", "?x a kg:Output"),
    ):
        rows = _rows(store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}")
        totals[name] = _int(rows[0].get("n")) if rows else 0
    rows = _rows(store, "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?g) WHERE { GRAPH ?g { ?s ?p ?o } }")
    totals["triples"] = _int(rows[0].get("n")) if rows else 0
    totals["graphs"] = _int(rows[0].get("g")) if rows else 0

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
    year_rows = _rows(
        store,
        "SELECT ?y (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Project ; kg:startDate ?d "
        "BIND(xsd:integer(SUBSTR(STR(?d), 1, 4)) AS ?y) } GROUP BY ?y ORDER BY ?y",
    )
    by_year = [{"year": _int(r["y"]), "projectCount": _int(r["n"])} for r in year_rows if "y" in r]
    return {
        "totals": totals,
        "byProgramme": by_programme,
        "byCountry": by_country,
        "bySdg": by_sdg,
        "byStartYear": by_year,
    }
