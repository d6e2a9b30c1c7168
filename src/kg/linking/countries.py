"""Countries: what sources write for a country, resolved to the EU authority-table URI.

``CountryTable`` reads the Publications Office *Country* table (SKOS, RDF/XML) once and resolves
ISO 3166-1 alpha-3 codes (the table's authority codes), alpha-2 codes (via pycountry: the table
carries none), the EU-style codes ``EL``/``UK``/``XK``, the table's labels in all its languages
(case-, whitespace-, punctuation- and accent-insensitive) and the authority URI itself.

When a label names several concepts, current ones beat deprecated ones and a ``skos:prefLabel``
beats an ``altLabel``, which beats a ``hiddenLabel``; a tie left after that raises
``AmbiguousCountry``. It also states the ISO codes the table lacks, as
``skos:notation "IT"^^euvoc:ISO_3166_1_ALPHA_2`` (the convention of the EU Vocabularies' own
SKOS-AP-EU distribution), for loading into the vocabulary graph.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pycountry
import pyoxigraph as ox

from kg.model.namespaces import ATOLD, EU_COUNTRY, RDF, SKOS
from kg.settings import Settings

TABLE_PATH = Path("vocab/eu-authority/eu-op-country-skos-20221214-0.rdf")  # under Settings.data_dir

EUVOC = "http://publications.europa.eu/ontology/euvoc#"
ISO_ALPHA_2 = EUVOC + "ISO_3166_1_ALPHA_2"
ISO_ALPHA_3 = EUVOC + "ISO_3166_1_ALPHA_3"

# Codes EU sources write that are not ISO 3166-1 alpha-2 (Interinstitutional Style Guide;
# XK is the code the Commission uses for Kosovo, which ISO does not list).
EU_CODES: dict[str, str] = {"EL": "GRC", "UK": "GBR", "XK": "1A0"}

_NS = str(EU_COUNTRY)
_DC_SOURCE = "http://purl.org/dc/elements/1.1/source"  # dc elements, not dcterms
_TIERS = {str(SKOS.prefLabel): 0, str(SKOS.altLabel): 1, str(SKOS.hiddenLabel): 2}
_CODE = re.compile(r"[A-Z0-9]{2,3}")


class UnknownCountry(ValueError):
    """The text names no country of the table; the message suggests close labels."""

    def __init__(self, text: str, suggestions: list[str] | None = None, *, reason: str = "") -> None:
        self.text = text
        self.suggestions = suggestions or []
        message = f"unknown country {text!r}"
        if reason:
            message += f" ({reason})"
        if self.suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(message)


class AmbiguousCountry(UnknownCountry):
    """The text names several current countries equally well; nothing is guessed."""

    def __init__(self, text: str, candidates: list[tuple[str, str]]) -> None:
        self.text = text
        self.suggestions = [label for _, label in candidates]
        self.candidates = [uri for uri, _ in candidates]
        named = ", ".join(f"{label} <{uri}>" for uri, label in candidates)
        ValueError.__init__(
            self, f"ambiguous country {text!r}: it names {named}; write an ISO code or the URI instead"
        )


def normalise(text: str) -> str:
    """The form labels are compared in: accents off, case folded, punctuation and spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", bare.casefold()).strip()


@dataclass
class _Concept:
    uri: str
    code: str | None = None  # at:authority-code (ISO alpha-3 for ISO countries)
    deprecated: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # lang -> skos:prefLabel
    alpha2: str | None = None
    alpha3: str | None = None


class CountryTable:
    """The EU authority *Country* table, indexed for resolving what sources write."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self._triples = triples
        self._concepts: dict[str, _Concept] = {}
        self._labels: dict[str, dict[str, int]] = defaultdict(dict)  # normalised label -> uri -> tier
        mapped: dict[ox.BlankNode, dict[str, str]] = defaultdict(dict)  # at:MappedCode nodes
        mapped_of: list[tuple[str, ox.BlankNode]] = []
        for t in triples:
            # the table is RDF/XML of RDF 1.1: no triple terms
            s, p, o = t.subject, t.predicate.value, cast("ox.NamedNode | ox.BlankNode | ox.Literal", t.object)
            if isinstance(s, ox.BlankNode):
                if isinstance(o, ox.Literal):
                    mapped[s][p] = o.value
                continue
            assert isinstance(s, ox.NamedNode)  # no subject is a triple term (pyoxigraph's stub still allows one)
            if p == str(RDF.type) and o.value == str(SKOS.Concept):
                self._concept(s.value)
            elif p == str(ATOLD["authority-code"]):
                self._concept(s.value).code = o.value
            elif p == str(ATOLD.deprecated):
                self._concept(s.value).deprecated = o.value == "true"
            elif p == str(ATOLD["op-mapped-code"]) and isinstance(o, ox.BlankNode):
                mapped_of.append((s.value, o))
            elif p in _TIERS and isinstance(o, ox.Literal):
                if p == str(SKOS.prefLabel) and o.language:
                    self._concept(s.value).labels.setdefault(o.language, o.value)
                mine = self._labels[normalise(o.value)]
                mine[s.value] = min(mine.get(s.value, 9), _TIERS[p])
        # concepts without an authority code (OP_DATPRO, "provisional data") are not countries
        for key in list(self._labels):
            kept = {u: tier for u, tier in self._labels[key].items() if self._concepts[u].code}
            if kept:
                self._labels[key] = kept
            else:
                del self._labels[key]

        self._by_code = {c.code: c.uri for c in self._concepts.values() if c.code}  # codes are unique
        # the table's own TED mapping, to find the current concept an ISO code stands for
        ted = {
            mapped[node].get(str(ATOLD["legacy-code"]), ""): uri
            for uri, node in mapped_of
            if mapped[node].get(_DC_SOURCE) == "TED" and not self._concepts[uri].deprecated
        }
        self._by_alpha2: dict[str, str] = {}
        for country in pycountry.countries:
            uri = self._by_code.get(country.alpha_3)
            if uri is None or self._concepts[uri].deprecated:
                uri = ted.get(country.alpha_2, uri)  # ATF: deprecated here, FQ0 is current
            if uri is None:
                continue
            self._concepts[uri].alpha2, self._concepts[uri].alpha3 = country.alpha_2, country.alpha_3
            self._by_alpha2[country.alpha_2] = uri
            self._by_code[country.alpha_3] = uri
        for eu_code, code in EU_CODES.items():
            self._by_alpha2[eu_code] = self._by_code[code]

    def _concept(self, uri: str) -> _Concept:
        found = self._concepts.get(uri)
        if found is None:
            found = self._concepts[uri] = _Concept(uri)
        return found

    @classmethod
    def from_file(cls, path: str | Path) -> CountryTable:
        """The table in ``path`` (RDF/XML), parsed once per file version."""
        resolved = Path(path).resolve()
        return _load_table(str(resolved), resolved.stat().st_mtime_ns)

    def resolve(self, text: str) -> str:
        """The authority URI for a code, a label in any of the table's languages, or the URI."""
        original = text
        text = " ".join(str(text).split())
        if not text:
            raise UnknownCountry(original, reason="empty")
        if text.startswith(_NS):
            if text in self._concepts and self._concepts[text].code:
                return text
            raise UnknownCountry(original, reason="not a concept of the EU country table")
        upper = text.upper()
        if _CODE.fullmatch(upper):
            found = self._by_alpha2.get(upper) if len(upper) == 2 else self._by_code.get(upper)
            if found:
                return found
        key = normalise(text)
        candidates = self._labels.get(key) or self._labels.get(key.removeprefix("the "))
        if candidates:
            return self._decide(original, candidates)
        try:
            iso = pycountry.countries.lookup(text)  # ISO names the table words differently
        except LookupError:
            iso = None
        if iso is not None and iso.alpha_3 in self._by_code:
            return self._by_code[iso.alpha_3]
        raise UnknownCountry(original, self._suggest(key))

    def _decide(self, text: str, candidates: dict[str, int]) -> str:
        current = {u: t for u, t in candidates.items() if not self._concepts[u].deprecated} or candidates
        best = min(current.values())
        chosen = sorted(u for u, tier in current.items() if tier == best)
        if len(chosen) == 1:
            return chosen[0]
        raise AmbiguousCountry(text, [(u, self.label(u)) for u in chosen])

    def _suggest(self, key: str) -> list[str]:
        suggestions: list[str] = []
        for close in difflib.get_close_matches(key, self._labels.keys(), n=6, cutoff=0.6):
            candidates = self._labels[close]
            current = [u for u in candidates if not self._concepts[u].deprecated] or list(candidates)
            label = self.label(min(current, key=lambda u: candidates[u]))
            if label not in suggestions:
                suggestions.append(label)
        return suggestions[:3]

    def _known(self, uri: str) -> _Concept:
        found = self._concepts.get(uri)
        if found is None or found.code is None:
            raise UnknownCountry(uri, reason="not a concept of the EU country table")
        return found

    def alpha2(self, uri: str) -> str | None:
        """The ISO 3166-1 alpha-2 code of a table concept, None when ISO lists none for it."""
        return self._known(uri).alpha2

    def alpha3(self, uri: str) -> str | None:
        """The ISO 3166-1 alpha-3 code of a table concept, None when ISO lists none for it."""
        return self._known(uri).alpha3

    def label(self, uri: str, lang: str = "en") -> str:
        """The concept's ``skos:prefLabel`` in ``lang`` (English, then its code, when it has none)."""
        concept = self._known(uri)
        return concept.labels.get(lang) or concept.labels.get("en") or concept.code or uri

    def is_current(self, uri: str) -> bool:
        """False for concepts the table marks deprecated (e.g. Czechoslovakia, Yugoslavia)."""
        return not self._known(uri).deprecated

    def __contains__(self, uri: object) -> bool:
        return isinstance(uri, str) and uri in self._concepts and self._concepts[uri].code is not None

    def iso_code_triples(self) -> list[ox.Triple]:
        """Each country's ISO 3166-1 codes as ``skos:notation`` typed ``euvoc:ISO_3166_1_ALPHA_2/3``."""
        notation = ox.NamedNode(str(SKOS.notation))
        alpha2_type, alpha3_type = ox.NamedNode(ISO_ALPHA_2), ox.NamedNode(ISO_ALPHA_3)
        triples: list[ox.Triple] = []
        for c in sorted(self._concepts.values(), key=lambda c: c.uri):
            if c.alpha2 and c.alpha3:
                subject = ox.NamedNode(c.uri)
                triples.append(ox.Triple(subject, notation, ox.Literal(c.alpha2, datatype=alpha2_type)))
                triples.append(ox.Triple(subject, notation, ox.Literal(c.alpha3, datatype=alpha3_type)))
        return triples

    def graph_quads(self, graph_iri: str) -> list[ox.Quad]:
        """The table's triples plus the ISO code triples, all in the named graph ``graph_iri``."""
        graph = ox.NamedNode(graph_iri)
        triples = self._triples + self.iso_code_triples()
        return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]


@functools.lru_cache(maxsize=4)
def _load_table(path: str, mtime_ns: int) -> CountryTable:
    del mtime_ns  # part of the cache key only: an edited file is read again
    triples = [q.triple for q in ox.parse(path=path, format=ox.RdfFormat.RDF_XML)]
    return CountryTable(triples)


def default_table(settings: Settings | None = None) -> CountryTable:
    """The table shipped in ``data/vocab/eu-authority/`` of the configured data dir."""
    settings = settings or Settings()
    assert settings.data_dir is not None
    return CountryTable.from_file(settings.data_dir / TABLE_PATH)


def country_graph_quads(graph_iri: str, *, settings: Settings | None = None) -> list[ox.Quad]:
    """The default table's triples and ISO codes in ``graph_iri``, ready for bulk loading."""
    return default_table(settings).graph_quads(graph_iri)
