"""The store interface every graph store implements and its errors.

The graph lives in an RDF quad store. Everything above this layer (build, CLI, web) talks to
a :class:`Store` so an embedded Oxigraph (:mod:`kg.store.oxigraph`) and a remote SPARQL 1.1
endpoint (:mod:`kg.store.remote`) can take each other's place.

Results are pyoxigraph's native objects whichever store answers: ``QuerySolutions`` for
SELECT, ``QueryBoolean`` for ASK, ``QueryTriples`` for CONSTRUCT/DESCRIBE.

Graph names are plain IRI strings (no angle brackets). By default a query's default graph is
the union of all graphs (``union_default_graph=True``); explicit ``default_graph`` /
``named_graphs`` (the SPARQL Protocol's ``default-graph-uri`` / ``named-graph-uri``) or a
``FROM`` / ``FROM NAMED`` clause in the query switch the union off. As in the SPARQL Protocol, explicit
``default_graph`` / ``named_graphs`` are the whole dataset: a side not given is empty.

Format names (``query_to``, ``bulk_load``, ``dump``) are those of :mod:`kg.formats`: results ``json``,
``xml``, ``csv``, ``tsv``; RDF ``turtle``, ``ntriples``, ``nquads``, ``trig``, ``rdfxml``, ``jsonld``,
``n3``; a few aliases (``ttl``, ``nt``, ``nq``, ``json-ld``...) and media types are accepted too.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, TypeAlias, runtime_checkable

from pyoxigraph import (
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
)

from kg.formats import (
    RDF_FORMAT_NAMES,
    RESULTS_FORMAT_NAMES,
    check_format_name,
    rdf_format,
    results_format,
)

QueryResult: TypeAlias = QuerySolutions | QueryBoolean | QueryTriples

__all__ = [
    "QueryResult",
    "QuerySyntaxError",
    "ReadOnlyError",
    "Store",
    "StoreBase",
    "StoreError",
    "has_dataset_clause",
    "query_form",
    "rdf_format",
    "results_format",
]


# --------------------------------------------------------------------------- errors


class StoreError(Exception):
    """A store operation failed (I/O, server error, bad data, unsupported format for the result)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QuerySyntaxError(StoreError):
    """A SPARQL query or update did not parse; ``message`` is the parser's message."""


class ReadOnlyError(StoreError):
    """A write was attempted on a store opened read-only."""


def serialize_result(result: QueryResult, format: str | RdfFormat | QueryResultsFormat) -> bytes:
    """Serialise a native query result; ``StoreError`` when the format does not fit the result."""
    check_format_name(format)
    if isinstance(result, QueryTriples):
        fmt = rdf_format(format)
        if fmt is None:
            raise StoreError(
                f"format {format!r} is for SELECT/ASK results; a CONSTRUCT/DESCRIBE result takes "
                f"one of {', '.join(RDF_FORMAT_NAMES)}"
            )
        out = result.serialize(format=fmt)
    else:
        rfmt = results_format(format)
        if rfmt is None:
            raise StoreError(
                f"format {format!r} is for CONSTRUCT/DESCRIBE results; a SELECT/ASK result takes "
                f"one of {', '.join(RESULTS_FORMAT_NAMES)}"
            )
        out = result.serialize(format=rfmt)
    assert out is not None
    return out


# --------------------------------------------------------------------------- query text

# Strings, IRIs and comments, so a FROM inside them is not taken for a dataset clause.
_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
    re.DOTALL,
)
_FROM = re.compile(r"(?<![\w?$:.\-])FROM\s+(?:NAMED\s+)?(?:<|[A-Za-z_\-.0-9]*:)", re.IGNORECASE)


def has_dataset_clause(sparql: str) -> bool:
    """Whether a query states its own dataset (``FROM`` / ``FROM NAMED``).

    Such a query must not get the union default graph: pyoxigraph's union option would
    silently override its ``FROM``.
    """

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        return "<>" if text.startswith("<") else " "

    return _FROM.search(_SKIP.sub(blank, sparql)) is not None


_FORM = re.compile(r"(?<![\w?$:])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:])", re.IGNORECASE)


def query_form(sparql: str) -> str:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the query's form (its first such keyword
    outside strings, IRIs and comments); ``SELECT`` when none is found (the server will say why)."""
    match = _FORM.search(_SKIP.sub(" ", sparql))
    return match.group(1).upper() if match else "SELECT"


def as_triples(quads_or_triples: Iterable[Triple | Quad]) -> list[Triple]:
    """Triples from triples or quads (a quad's graph name is dropped)."""
    out: list[Triple] = []
    for item in quads_or_triples:
        if isinstance(item, Quad):
            out.append(item.triple)
        elif isinstance(item, Triple):
            out.append(item)
        else:
            raise TypeError(f"expected pyoxigraph Triple or Quad, got {type(item).__name__}")
    return out


def check_iri(graph: str) -> str:
    """A graph name usable inside ``<...>`` in SPARQL; ``ValueError`` otherwise."""
    if not graph or re.search(r'[<>"{}|^`\\\s]', graph):
        raise ValueError(f"not an IRI usable as a graph name: {graph!r}")
    return graph


# --------------------------------------------------------------------------- interface


@runtime_checkable
class Store(Protocol):
    """What every graph store offers. Options are keyword-only; graph names are IRI strings."""

    @property
    def read_only(self) -> bool: ...

    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; pyoxigraph's native result. ``QuerySyntaxError`` if it does not parse.
        ``base_iri`` resolves relative IRIs in the query text."""
        ...

    def query_to(
        self,
        sparql: str,
        *,
        format: str,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
    ) -> bytes:
        """Run a query and serialise its result in ``format`` (results format for SELECT/ASK,
        RDF format for CONSTRUCT/DESCRIBE; ``StoreError`` when it does not fit)."""
        ...

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 update (one transaction); ``base_iri`` resolves relative IRIs."""
        ...

    def replace_graph(self, graph: str, quads_or_triples: Iterable[Triple | Quad]) -> None:
        """Make ``graph`` hold exactly these triples (a quad's own graph is ignored), atomically."""
        ...

    def bulk_load(
        self,
        *,
        path: str | Path | None = None,
        data: bytes | str | None = None,
        format: str,
        graph: str | None = None,
        base_iri: str | None = None,
    ) -> None:
        """Add a file or bytes. ``graph`` receives a triple format's triples (None: the default
        graph); dataset formats (nquads, trig) keep their own graphs and take no ``graph``."""
        ...

    def graphs(self) -> list[str]:
        """The named graphs, sorted."""
        ...

    def count(self, graph: str | None = None) -> int:
        """Triples in ``graph``; with None, all quads of the store (every graph)."""
        ...

    def dump(self, *, format: str, graph: str | None = None) -> bytes:
        """Serialise one graph (any RDF format) or, with None, the whole dataset (nquads, trig, jsonld)."""
        ...

    def flush(self) -> None: ...

    def optimize(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class StoreBase(ABC):
    """Shared plumbing for implementations: the context manager, ``query_to``, argument checks."""

    _read_only: bool = False

    @property
    def read_only(self) -> bool:
        return self._read_only

    def _check_writable(self, what: str) -> None:
        if self._read_only:
            raise ReadOnlyError(f"{what}: the store is open read-only")

    @staticmethod
    def _use_union(
        sparql: str,
        default_graph: list[str] | None,
        named_graphs: list[str] | None,
        union_default_graph: bool,
    ) -> bool:
        """The union default graph applies only when nothing else names the dataset."""
        if not union_default_graph:
            return False
        if default_graph is not None or named_graphs is not None:
            return False
        return not has_dataset_clause(sparql)

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
    ) -> QueryResult: ...

    def query_to(
        self,
        sparql: str,
        *,
        format: str,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
    ) -> bytes:
        check_format_name(format)
        result = self.query(
            sparql,
            default_graph=default_graph,
            named_graphs=named_graphs,
            union_default_graph=union_default_graph,
        )
        return serialize_result(result, format)

    def flush(self) -> None:  # noqa: B027 - optional for implementations
        """Make writes durable (no-op where the store does it by itself)."""

    def optimize(self) -> None:  # noqa: B027 - optional for implementations
        """Compact storage after a large load (no-op where meaningless)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
