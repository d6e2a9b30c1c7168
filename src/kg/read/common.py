"""What every read of the graph needs: the errors, SPARQL plumbing, pyoxigraph terms as Python
values, language choice and display labels, dates, resolving user input to URIs, and an entity's
own properties.

Labels come in the requested language (``lang``, a BCP 47 tag; its primary subtag is compared),
else English, else a label without language, else any.

User input never reaches SPARQL as raw text: values are turned into terms with pyoxigraph's
``Literal`` / ``NamedNode`` (whose ``str()`` is the escaped SPARQL form) or are resolved to URIs
first (countries through the EU country table, SDGs through the UN SDG KOS, funding programmes
and organisations through the graph).

Errors: :class:`NotFound` (no such entity) and :class:`InvalidParameter` (a filter value that is
not valid; ``param`` names the parameter).

The other :mod:`kg.read` modules call these by the module's name (``common.rows(...)``,
``common.ref(...)``): their names are short and the same words are local variables there.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from kg.linking.countries import UnknownCountry, default_table
from kg.linking.sdgs import UnknownSdg, default_kos
from kg.model.namespaces import (
    DCT,
    FOAF,
    KG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SDG,
    SDGO,
    SKOS,
    VCARD,
    XSD,
)
from kg.settings import Settings
from kg.store.base import Store

__all__ = [
    "InvalidParameter",
    "NotFound",
    "date_precision",
    "labels",
    "resolve_country",
    "resolve_programme",
    "resolve_sdg",
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

XSD_NS = str(XSD)
SDG_NS = str(SDG)
_COUNTRY_NS = "http://publications.europa.eu/resource/authority/country/"
# Display-label predicates, best first: our display label, SKOS, then titles and names.
LABEL_PREDICATES = [str(RDFS.label), str(SKOS.prefLabel), str(DCT.title), str(FOAF.name), str(SCHEMA.name), str(VCARD.fn)]
_CHUNK = 400


def iri(value: str) -> str:
    """``<value>`` as a SPARQL term; ``ValueError`` when it is not an IRI."""
    return str(ox.NamedNode(value))


def lit(value: str) -> str:
    """A plain string literal as a SPARQL term (escaped)."""
    return str(ox.Literal(value))


def values(var: str, uris: Iterable[str]) -> str:
    return f"VALUES ?{var} {{ {' '.join(iri(u) for u in uris)} }}"


def one_of(var: str, uris: Iterable[str]) -> str:
    """FILTER(?var IN (...)): for a small set of predicates next to a VALUES of subjects (two
    VALUES blocks make Oxigraph 0.5 join their cross product with a scan of the whole store)."""
    return f"FILTER(?{var} IN ({', '.join(iri(u) for u in uris)}))"


def rows(store: Store, sparql: str) -> list[dict[str, Any]]:
    result = store.query(PREFIXES + sparql)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("expected SELECT results")
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names if row[n] is not None} for row in result]


def ask(store: Store, sparql: str) -> bool:
    result = store.query(PREFIXES + sparql)
    return bool(result)


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
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
        if dt in (XSD_NS + "integer", XSD_NS + "int", XSD_NS + "long", XSD_NS + "nonNegativeInteger", XSD_NS + "positiveInteger"):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if dt == XSD_NS + "boolean":
            return term.value in ("true", "1")
        return term.value
    return None if term is None else str(term)


def to_int(term: Any, default: int = 0) -> int:
    try:
        return int(term.value)
    except (AttributeError, ValueError):
        return default


# --------------------------------------------------------------------------- languages and labels


def primary(lang: str | None) -> str:
    """The primary subtag of a language tag, lower-cased (``"it-IT"`` → ``"it"``)."""
    return (lang or "").split("-")[0].strip().lower()


def lang_rank(tag: str, lang: str) -> int:
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
        key = (lang_rank(term.language or "", lang), term.value)
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
    best = min(groups, key=lambda tag: (lang_rank(tag, lang), tag))
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
            with ORDER_LOCK:
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
# One lock for the read side's caches: the label cache here and the project orders of
# kg.read.projects.
ORDER_LOCK = threading.Lock()


def _labels(store: Store, wanted: list[str], lang: str) -> dict[str, str]:
    ranks = {p: i for i, p in enumerate(LABEL_PREDICATES)}
    best: dict[str, tuple[int, int, str]] = {}
    for chunk in chunks(wanted):
        matches = rows(
            store,
            f"SELECT ?s ?p ?l WHERE {{ {values('s', chunk)} "
            f"?s ?p ?l {one_of('p', LABEL_PREDICATES)} FILTER(isLiteral(?l)) }}",
        )
        for r in matches:
            s, term = r["s"].value, r["l"]
            key = (lang_rank(term.language or "", lang), ranks[r["p"].value], term.value)
            if s not in best or key < best[s]:
                best[s] = key
    return {s: k[2] for s, k in best.items()}


def fallback_label(uri: str) -> str:
    """A readable label from the URI itself (its last segment)."""
    tail = re.split(r"[/#]", uri.rstrip("/#"))[-1]
    return tail or uri


def label_of(store: Store, uri: str, lang: str = "en") -> str:
    return labels(store, [uri], lang).get(uri) or fallback_label(uri)


def ref(uri: str, names: dict[str, str], type_: str | None = None, **extra: Any) -> dict[str, Any]:
    """A linked entity as ``{"@id", "@type"?, "label", ...}``."""
    out: dict[str, Any] = {"@id": uri}
    if type_:
        out["@type"] = type_
    out["label"] = names.get(uri) or fallback_label(uri)
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


# --------------------------------------------------------------------------- dates

_PRECISION = {XSD_NS + "date": "day", XSD_NS + "dateTime": "day", XSD_NS + "gYearMonth": "month", XSD_NS + "gYear": "year"}


def date_precision(term: Any) -> str | None:
    """``"day"``, ``"month"`` or ``"year"`` for an xsd:date / gYearMonth / gYear literal."""
    if isinstance(term, ox.Literal):
        return _PRECISION.get(term.datatype.value)
    return None


def date_fields(prefix: str, term: Any) -> dict[str, Any]:
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
    try:
        return default_table(_settings(settings)).resolve(str(text))
    except UnknownCountry as exc:
        raise InvalidParameter(param, str(exc)) from None


def resolve_sdg(text: str | int, *, settings: Settings | None = None, param: str = "sdg") -> str:
    """The UN KOS URI of a goal (``10``, ``"SDG 10"``) or target (``"10.2"``), or the URI."""
    value: str | int = text
    if isinstance(text, str) and text.strip().isdigit():
        value = text.strip()
    try:
        return default_kos(_settings(settings)).resolve(value)
    except UnknownSdg as exc:
        raise InvalidParameter(param, str(exc)) from None


def is_iri_text(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", text)) and "://" in text or text.startswith("urn:")


def _checked_iri(text: str, param: str) -> str:
    try:
        ox.NamedNode(text)
    except ValueError as exc:
        raise InvalidParameter(param, f"{text!r} is not a valid IRI ({exc})") from None
    return text


SCHEME_CONCEPT = "VALUES ?level { kg:FundingProgramme kg:KeyAction kg:ActionType kg:Call } ?c a ?level ."


def resolve_programme(store: Store, text: str, *, param: str = "programme") -> list[str]:
    """The funding-scheme concepts ``text`` names: the URI, the key in ``…/id/programme/{key}``,
    a notation (``KA3``, ``LLP``) or a label/alternative label (``Erasmus+``), case-insensitively."""
    text = " ".join(str(text).split())
    if not text:
        raise InvalidParameter(param, "empty")
    if is_iri_text(text):
        uri = _checked_iri(text, param)
        if ask(store, f"ASK {{ {SCHEME_CONCEPT.replace('?c', iri(uri))} }}"):
            return [uri]
        raise InvalidParameter(param, f"<{uri}> is not a funding programme, action or call of the graph")
    folded = text.casefold()
    matches = rows(
        store,
        f"""SELECT DISTINCT ?c WHERE {{
  {SCHEME_CONCEPT}
  OPTIONAL {{ ?c skos:notation ?n }}
  OPTIONAL {{ ?c skos:prefLabel|skos:altLabel|rdfs:label ?l }}
  FILTER(STRENDS(STR(?c), {lit('/programme/' + text)})
         || LCASE(STR(?n)) = {lit(folded)} || LCASE(STR(?l)) = {lit(folded)})
}}""",
    )
    found = sorted(r["c"].value for r in matches)
    if not found:
        raise InvalidParameter(param, f"no funding programme, action or call is called {text!r}")
    return found


def resolve_organisation(store: Store, text: str, *, param: str = "organisation") -> list[str]:
    """Organisations (funders included) ``text`` names: URI, key (``dct:identifier``), name or short name."""
    text = " ".join(str(text).split())
    if not text:
        raise InvalidParameter(param, "empty")
    if is_iri_text(text):
        uri = _checked_iri(text, param)
        if ask(store, f"ASK {{ {iri(uri)} a kg:Organisation }}"):
            return [uri]
        raise InvalidParameter(param, f"<{uri}> is not an organisation of the graph")
    matches = rows(
        store,
        f"""SELECT DISTINCT ?o WHERE {{
  ?o a kg:Organisation .
  {{ ?o dct:identifier ?v }} UNION {{ ?o kg:legalName|kg:shortName|rdfs:label|skos:prefLabel ?v }}
  FILTER(LCASE(STR(?v)) = {lit(text.casefold())})
}}""",
    )
    found = sorted(r["o"].value for r in matches)
    if not found:
        raise InvalidParameter(param, f"no organisation is called {text!r}")
    return found


# --------------------------------------------------------------------------- one entity's properties


def subject_props(store: Store, uri: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for r in rows(store, f"SELECT ?p ?o WHERE {{ {iri(uri)} ?p ?o }}"):
        out[r["p"].value].append(r["o"])
    return out


def first(props: dict[str, list[Any]], pred: Any) -> Any:
    values = props.get(str(pred))
    return values[0] if values else None
