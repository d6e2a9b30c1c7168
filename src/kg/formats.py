"""Every serialisation the graph is read or written in, named once, over pyoxigraph's own enums.

A :class:`Format` is a pyoxigraph ``RdfFormat`` or ``QueryResultsFormat`` (which already know their
media type and file extension) plus the short names this project accepts for it: ``kg query -f``,
the store's ``query_to`` / ``bulk_load`` / ``dump``, the worker jobs, ``?format=`` on the web and the
dump files all resolve names here. Content negotiation (:mod:`kg.web.sparql.negotiation`) builds
its offers from :data:`FORMATS` too.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class Format:
    name: str  # the canonical short name: kg query -f, worker jobs, ?format=
    native: RdfFormat | QueryResultsFormat
    label: str
    aliases: tuple[str, ...] = ()  # other names the store and CLI accept

    @property
    def media_type(self) -> str:
        """The media type without parameters (``text/csv``, not ``text/csv; charset=utf-8``)."""
        return self.native.media_type.split(";")[0].strip()

    @property
    def extension(self) -> str:
        return self.native.file_extension

    @property
    def is_results(self) -> bool:
        return isinstance(self.native, QueryResultsFormat)


FORMATS: tuple[Format, ...] = (
    Format("json", QueryResultsFormat.JSON, "SPARQL JSON", ("srj",)),
    Format("xml", QueryResultsFormat.XML, "SPARQL XML", ("srx",)),
    Format("csv", QueryResultsFormat.CSV, "CSV"),
    Format("tsv", QueryResultsFormat.TSV, "TSV"),
    Format("turtle", RdfFormat.TURTLE, "Turtle", ("ttl",)),
    Format("ntriples", RdfFormat.N_TRIPLES, "N-Triples", ("n-triples", "nt")),
    Format("nquads", RdfFormat.N_QUADS, "N-Quads", ("n-quads", "nq")),
    Format("trig", RdfFormat.TRIG, "TriG"),
    Format("rdfxml", RdfFormat.RDF_XML, "RDF/XML", ("rdf/xml", "rdf", "owl")),
    Format("jsonld", RdfFormat.JSON_LD, "JSON-LD", ("json-ld",)),
    Format("n3", RdfFormat.N3, "N3"),
)

RESULTS_FORMATS = tuple(f for f in FORMATS if f.is_results)
RDF_FORMATS = tuple(f for f in FORMATS if not f.is_results)
RESULTS_FORMAT_NAMES = tuple(f.name for f in RESULTS_FORMATS)
RDF_FORMAT_NAMES = tuple(f.name for f in RDF_FORMATS if f.name != "n3")  # n3 is read, never offered
QUERY_FORMAT_NAMES = RESULTS_FORMAT_NAMES + RDF_FORMAT_NAMES  # what `kg query -f` takes

_BY_NAME: dict[str, Format] = {n: f for f in FORMATS for n in (f.name, *f.aliases)}
_BY_NATIVE: dict[RdfFormat | QueryResultsFormat, Format] = {f.native: f for f in FORMATS}


def by_name(name: str) -> Format | None:
    """The format a short name or alias names (``ttl``, ``nq``, ``json-ld`` …), else None."""
    return _BY_NAME.get(name.strip().lower())


def of(native: RdfFormat | QueryResultsFormat) -> Format:
    """The :class:`Format` of a pyoxigraph format."""
    return _BY_NATIVE[native]


def results_format(name: str | RdfFormat | QueryResultsFormat) -> QueryResultsFormat | None:
    """The SPARQL results format for a name, alias or media type; None when it names none."""
    if isinstance(name, QueryResultsFormat):
        return name
    if isinstance(name, RdfFormat):
        return None
    key = name.strip().lower()
    found = _BY_NAME.get(key)
    if found is not None:
        return found.native if isinstance(found.native, QueryResultsFormat) else None
    if "/" in key:
        return QueryResultsFormat.from_media_type(key)
    return None


def rdf_format(name: str | RdfFormat | QueryResultsFormat) -> RdfFormat | None:
    """The RDF serialisation format for a name, alias or media type; None when it names none."""
    if isinstance(name, RdfFormat):
        return name
    if isinstance(name, QueryResultsFormat):
        return None
    key = name.strip().lower()
    found = _BY_NAME.get(key)
    if found is not None:
        return found.native if isinstance(found.native, RdfFormat) else None
    if "/" in key:
        return RdfFormat.from_media_type(key)
    return None


def require_rdf_format(name: str | RdfFormat) -> RdfFormat:
    """Like :func:`rdf_format` but raises ``ValueError`` for an unknown name."""
    fmt = rdf_format(name)
    if fmt is None:
        raise ValueError(f"unknown RDF format {name!r}; use one of {', '.join(RDF_FORMAT_NAMES)}")
    return fmt


def check_format_name(name: str | RdfFormat | QueryResultsFormat) -> None:
    """Raise ``ValueError`` when ``name`` is neither a results nor an RDF format."""
    if results_format(name) is None and rdf_format(name) is None:
        raise ValueError(
            f"unknown format {name!r}; results: {', '.join(RESULTS_FORMAT_NAMES)}; "
            f"RDF: {', '.join(RDF_FORMAT_NAMES)}"
        )
