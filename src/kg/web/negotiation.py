"""Content negotiation: which serialisation answers a request, from ``Accept`` (with q-values)
or an explicit ``format=`` / ``output=`` parameter.

Three families of offers, each in the server's order of preference (the first one answers
``*/*`` or a missing ``Accept``):

* ``RESULTS`` for SELECT / ASK: SPARQL JSON, SPARQL XML, CSV, TSV;
* ``GRAPH`` for CONSTRUCT / DESCRIBE, a Graph Store graph and the service description:
  Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD, N3;
* ``DATASET`` for a whole-dataset Graph Store GET: TriG, N-Quads, JSON-LD.

An offer's ``name`` is the :mod:`kg.store` format name handed to the worker. The choice goes
to the highest q, then the most specific matching range (``text/csv`` over ``text/*`` over
``*/*``), then the client's order, then the server's. ``format=`` takes a short name
(``json``, ``csv``, ``turtle``, ``nt``, ``xml``...) read per family (``xml`` is SPARQL XML for
SELECT and RDF/XML for CONSTRUCT; ``json`` is SPARQL JSON or JSON-LD), or media types.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DATASET",
    "GRAPH",
    "RESULTS",
    "MediaRange",
    "Offer",
    "choose",
    "describe",
    "family_for_form",
    "parse_accept",
    "rdf_format_name",
]


@dataclass(frozen=True)
class Offer:
    media_type: str  # sent as Content-Type
    name: str  # kg.store format name
    label: str


def _o(media_type: str, name: str, label: str) -> Offer:
    return Offer(media_type, name, label)


RESULTS: tuple[Offer, ...] = (
    _o("application/sparql-results+json", "json", "SPARQL JSON"),
    _o("application/sparql-results+xml", "xml", "SPARQL XML"),
    _o("text/csv", "csv", "CSV"),
    _o("text/tab-separated-values", "tsv", "TSV"),
    _o("application/json", "json", "SPARQL JSON"),
    _o("application/xml", "xml", "SPARQL XML"),
    _o("text/xml", "xml", "SPARQL XML"),
)

GRAPH: tuple[Offer, ...] = (
    _o("text/turtle", "turtle", "Turtle"),
    _o("application/n-triples", "ntriples", "N-Triples"),
    _o("application/n-quads", "nquads", "N-Quads"),
    _o("application/trig", "trig", "TriG"),
    _o("application/rdf+xml", "rdfxml", "RDF/XML"),
    _o("application/ld+json", "jsonld", "JSON-LD"),
    _o("text/n3", "n3", "N3"),
    _o("application/x-turtle", "turtle", "Turtle"),
    _o("application/xml", "rdfxml", "RDF/XML"),
    _o("application/json", "jsonld", "JSON-LD"),
)

DATASET: tuple[Offer, ...] = (
    _o("application/trig", "trig", "TriG"),
    _o("application/n-quads", "nquads", "N-Quads"),
    _o("application/ld+json", "jsonld", "JSON-LD"),
)

_SHORT: dict[int, dict[str, str]] = {
    id(RESULTS): {
        "json": "application/sparql-results+json",
        "srj": "application/sparql-results+json",
        "xml": "application/sparql-results+xml",
        "srx": "application/sparql-results+xml",
        "csv": "text/csv",
        "tsv": "text/tab-separated-values",
    },
    id(GRAPH): {
        "turtle": "text/turtle",
        "ttl": "text/turtle",
        "ntriples": "application/n-triples",
        "n-triples": "application/n-triples",
        "nt": "application/n-triples",
        "nquads": "application/n-quads",
        "n-quads": "application/n-quads",
        "nq": "application/n-quads",
        "trig": "application/trig",
        "rdfxml": "application/rdf+xml",
        "rdf+xml": "application/rdf+xml",
        "rdf": "application/rdf+xml",
        "xml": "application/rdf+xml",
        "jsonld": "application/ld+json",
        "json-ld": "application/ld+json",
        "json": "application/ld+json",
        "n3": "text/n3",
    },
    id(DATASET): {
        "trig": "application/trig",
        "nquads": "application/n-quads",
        "n-quads": "application/n-quads",
        "nq": "application/n-quads",
        "jsonld": "application/ld+json",
        "json-ld": "application/ld+json",
        "json": "application/ld+json",
    },
}


def family_for_form(form: str | None) -> tuple[Offer, ...] | None:
    """The offers for a query form (SELECT/ASK → RESULTS, CONSTRUCT/DESCRIBE → GRAPH)."""
    if form in ("SELECT", "ASK"):
        return RESULTS
    if form in ("CONSTRUCT", "DESCRIBE"):
        return GRAPH
    return None


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def specificity(self, media_type: str) -> int:
        """How specifically this range matches ``media_type`` (-1: no match)."""
        t, _, s = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != t:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == s else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are skipped."""
    ranges: list[MediaRange] = []
    if not header:
        return ranges
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if media == "*":
            media = "*/*"
        t, slash, s = media.partition("/")
        if not slash or not t or not s or (t == "*" and s != "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip().strip('"'))
                except ValueError:
                    q = 0.0
                q = min(max(q, 0.0), 1.0)
        ranges.append(MediaRange(t, s, q, order))
    return ranges


def _choose_by_accept(offers: tuple[Offer, ...], header: str | None) -> Offer | None:
    ranges = parse_accept(header)
    if not ranges:  # none, or nothing parseable: the server's default
        return offers[0]
    best: tuple[float, int, int, int] | None = None
    chosen: Offer | None = None
    for index, offer in enumerate(offers):
        match: MediaRange | None = None
        spec = -1
        for r in ranges:
            s = r.specificity(offer.media_type)
            if s > spec or (s == spec and match is not None and r.order < match.order):
                match, spec = r, s
        if match is None or spec < 0 or match.q <= 0:
            continue
        key = (match.q, spec, -match.order, -index)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen


def choose(offers: tuple[Offer, ...], accept: str | None, format_param: str | None = None) -> Offer | None:
    """The offer answering a request, or None when nothing acceptable can be produced."""
    if format_param is not None and format_param.strip():
        value = format_param.strip()
        short = _SHORT[id(offers)].get(value.lower())
        if short is not None:
            return next(o for o in offers if o.media_type == short)
        if "/" in value:
            return _choose_by_accept(offers, value)
        return None
    return _choose_by_accept(offers, accept)


def describe(offers: tuple[Offer, ...]) -> str:
    """A human-readable list of what a family offers, for 406 bodies."""
    seen: dict[str, list[str]] = {}
    for offer in offers:
        seen.setdefault(offer.label, []).append(offer.media_type)
    shorts = sorted({k for k in _SHORT[id(offers)]})
    lines = [f"  {label}: {', '.join(types)}" for label, types in seen.items()]
    return "\n".join(lines) + f"\n(or the format= parameter: {', '.join(shorts)})"


_RDF_INPUT: dict[str, str] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/n-quads": "nquads",
    "text/x-nquads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
    "application/ld+json": "jsonld",
    "text/n3": "n3",
}


def rdf_format_name(content_type: str | None) -> str | None:
    """The :mod:`kg.store` format name for an uploaded body's ``Content-Type`` (None: unknown)."""
    if not content_type:
        return None
    return _RDF_INPUT.get(content_type.split(";")[0].strip().lower())
