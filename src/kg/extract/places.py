"""Countries and cities a page names.

Countries: the page's proper-noun n-grams (1–5 capitalised words, with ``and``/``of``/``the``/
``di``/``e`` … inside) are tried longest first against :meth:`CountryTable.resolve` — the EU
authority table's labels in all its languages — but never as codes (``IT``, ``in`` → India) and
never for concepts that are not ISO countries (``EU``, the European Union). A match is accepted
only in a context that makes it a country *of the project*:

- ``list``: an item of an enumeration (``Germany, Italy and Spain``; a table cell) with at least
  one other country in it;
- ``after countries cue``: introduced by ``countries:`` / ``Countries involved`` / ``Paesi``;
- ``locative``: right after ``in`` / ``from`` / ``nel`` / ``in`` (``6 action projects in Italy``),
  unless the label is also a common word or given name (``Chad``, ``Jordan``, ``Georgia``, …).

Any other match is AMBIGUOUS (reported, not written).

Cities: no gazetteer is available offline, so a city is only a candidate when it is an item of an
enumeration of capitalised names introduced by ``in``/``(`` near the word *cities*/*città*/*towns*
(``in Bologna, Berlin and Dunkerque``). A candidate is written only when the page states its
country right by it (``Bologna (Italy)``, ``Bologna, IT``); otherwise it is reported as AMBIGUOUS
and left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycountry
import pyoxigraph as ox

from kg.linking.countries import CountryTable, UnknownCountry, normalise
from kg.model.namespaces import SKOS

TOKEN_RE = re.compile(r"[^\W\d_][\w’'.-]*[^\W_]|[^\W\d_]")
CONNECTORS = {"and", "of", "the", "da", "di", "e", "del", "de", "la", "und", "et", "y", "og", "en"}
LIST_SEPARATORS = re.compile(r"^\s*(?:,|;|\||and|e|ed|und|et|y|og|en|,\s*and|,\s*e)(?:\s+the)?\s*$", re.IGNORECASE)
LOCATIVES = {"in", "from", "to", "nel", "nella", "dal", "dalla", "da"}
COUNTRY_CUES = re.compile(r"(?i)\b(?:countries|country|paesi|paese|nations|nazioni|länder|pays|países)\b[^.\n]{0,40}[:|]\s*$")
# Country labels that are also common words or given names: accepted in lists only.
COMMON_WORDS = {"chad", "jordan", "georgia", "jersey", "guernsey", "turkey", "man", "niger", "chile", "china", "guinea", "israel", "victoria", "india", "ireland"}
CITY_CUE = re.compile(r"(?i)\b(?:cities|city|città|towns|town|comuni|municipalities|villes|städte|ciudades)\b")


@dataclass
class Mention:
    uri: str
    start: int
    end: int
    text: str
    context: str | None  # how it was accepted, None when not


def _tokens(text: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
    return [(lo + m.start(), lo + m.end(), m.group(0)) for m in TOKEN_RE.finditer(text[lo:hi])]


def _proper(tok: str) -> bool:
    return tok[0].isupper()


_LABEL_KEYS: dict[int, frozenset[str]] = {}


def _label_keys(table: CountryTable) -> frozenset[str]:
    """The normalised labels the table (and pycountry, which ``resolve`` falls back to) knows: a
    cheap filter so that only phrases that can name a country are resolved."""
    keys = _LABEL_KEYS.get(id(table))
    if keys is None:
        found: set[str] = set()
        for q in table.graph_quads("urn:x-kg:labels"):
            if q.predicate.value.startswith(str(SKOS)) and q.predicate.value.rsplit("#", 1)[-1] in {"prefLabel", "altLabel", "hiddenLabel"}:
                assert not isinstance(q.object, ox.Triple)  # SKOS labels are literals, never RDF-star quoted triples
                found.add(normalise(q.object.value))
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                if getattr(c, attr, None):
                    found.add(normalise(getattr(c, attr)))
        keys = _LABEL_KEYS[id(table)] = frozenset(found)
    return keys


def _resolve(table: CountryTable, phrase: str) -> str | None:
    if re.fullmatch(r"[A-Za-z0-9]{2,3}", phrase):  # codes are not names
        return None
    key = normalise(phrase)
    keys = _label_keys(table)
    if key not in keys and key.removeprefix("the ") not in keys:
        return None
    try:
        uri = table.resolve(phrase)
    except UnknownCountry:
        return None
    if not table.is_current(uri) or table.alpha2(uri) is None:
        return None
    return uri


def country_mentions(text: str, spans: list[tuple[int, int]], table: CountryTable) -> list[Mention]:
    """Every proper-noun n-gram of the content ``spans`` that names a country of the table."""
    out: list[Mention] = []
    for lo, hi in spans:
        toks = _tokens(text, lo, hi)
        i = 0
        while i < len(toks):
            if not _proper(toks[i][2]):
                i += 1
                continue
            hit = None
            for n in range(min(5, len(toks) - i), 0, -1):
                window = toks[i : i + n]
                if not _proper(window[-1][2]):
                    continue
                if any(not _proper(t[2]) and t[2].casefold() not in CONNECTORS for t in window):
                    continue
                # the words must be adjacent (only spaces between them)
                if any(text[a[1] : b[0]].strip() for a, b in zip(window, window[1:])):
                    continue
                phrase = text[window[0][0] : window[-1][1]]
                uri = _resolve(table, phrase)
                if uri:
                    hit = Mention(uri, window[0][0], window[-1][1], phrase, None)
                    i += n
                    break
            if hit:
                out.append(hit)
            else:
                i += 1
    return out


def accept_countries(text: str, mentions: list[Mention]) -> None:
    """Set each mention's ``context`` when it stands in a list, after a countries cue, or after ``in``."""
    # enumerations: mentions separated only by list separators
    groups: list[list[Mention]] = []
    for m in mentions:
        if groups and LIST_SEPARATORS.match(text[groups[-1][-1].end : m.start]):
            groups[-1].append(m)
        else:
            groups.append([m])
    for group in groups:
        head = text[max(0, group[0].start - 120) : group[0].start]
        head_line = head.split("\n")[-1]
        cue = COUNTRY_CUES.search(head_line)
        # a table cell under a "Countries" header: the header is on the previous line
        if cue is None and head_line.strip() == "" or (cue is None and "|" in text[group[-1].end : group[-1].end + 5]):
            prev_lines = text[: group[0].start].split("\n")
            if len(prev_lines) >= 2:
                header = prev_lines[-2]
                cells = [c.strip() for c in header.split("|")]
                col = prev_lines[-1].count("|")
                if col < len(cells) and re.search(r"(?i)countr|paesi|paese", cells[col]):
                    for m in group:
                        m.context = f"table column {cells[col]!r}"
                    continue
        if cue is not None:
            for m in group:
                m.context = f"after countries cue {cue.group(0).strip()!r}"
            continue
        if len(group) >= 2:
            for m in group:
                m.context = "list of countries"
            continue
        m = group[0]
        before = text[max(0, m.start - 12) : m.start]
        loc = re.search(r"(?i)\b(\w+)\s+$", before)
        if loc and loc.group(1).casefold() in LOCATIVES and m.text.casefold() not in COMMON_WORDS:
            m.context = f"locative '{loc.group(1)} …'"


@dataclass
class CityCandidate:
    name: str
    start: int
    end: int
    country_text: str | None = None
    country_uri: str | None = None
    country_start: int | None = None
    country_end: int | None = None
    cue: str = ""


ENUM_ITEM = r"[A-Z][\w’'-]+(?:\s[A-Z][\w’'-]+)*"
CITY_ENUM_RE = re.compile(
    rf"(?:\bin\s+|\()(?P<items>{ENUM_ITEM}(?:\s*(?:\([^()]{{1,40}}\))?\s*,\s*{ENUM_ITEM})*\s*(?:\([^()]{{1,40}}\))?\s*,?\s+(?:and|e|und|et|y)\s+{ENUM_ITEM}(?:\s*\([^()]{{1,40}}\))?)"
)
ITEM_RE = re.compile(rf"(?P<name>{ENUM_ITEM})(?:\s*\((?P<country>[^()]{{1,40}})\))?")


def city_candidates(text: str, spans: list[tuple[int, int]], table: CountryTable) -> list[CityCandidate]:
    """Enumerations of capitalised names that a page gives as cities (see the module doc)."""
    out: list[CityCandidate] = []
    for lo, hi in spans:
        chunk = text[lo:hi]
        for m in CITY_ENUM_RE.finditer(chunk):
            window = chunk[max(0, m.start() - 200) : m.end() + 60]
            cue = CITY_CUE.search(window)
            if cue is None:
                continue
            items_lo = m.start("items")
            for it in ITEM_RE.finditer(m.group("items")):
                name = it.group("name")
                if name in {"and", "e"} or _resolve(table, name):
                    continue
                cand = CityCandidate(name, lo + items_lo + it.start("name"), lo + items_lo + it.end("name"), cue=cue.group(0))
                if it.group("country"):
                    uri = _resolve(table, it.group("country").strip()) or _code(table, it.group("country").strip())
                    if uri:
                        cand.country_text = it.group("country").strip()
                        cand.country_uri = uri
                        cand.country_start = lo + items_lo + it.start("country")
                        cand.country_end = lo + items_lo + it.end("country")
                out.append(cand)
    # a whole enumeration of countries is not a list of cities
    return out


def _code(table: CountryTable, text: str) -> str | None:
    if re.fullmatch(r"[A-Z]{2,3}", text):
        try:
            return table.resolve(text)
        except UnknownCountry:
            return None
    return None
