"""The embedded store: :class:`OxigraphStore`, the :class:`~kg.store.base.Store` interface on
``pyoxigraph.Store`` (in memory, on disk, or on disk read-only).

Behaviour worth knowing (pyoxigraph 0.5):

* A query's default graph is the union of all graphs unless the caller says otherwise
  (``union_default_graph=False``, explicit ``default_graph``/``named_graphs``, or a ``FROM`` /
  ``FROM NAMED`` in the query). pyoxigraph refuses union together with ``default_graph``, and
  its union option silently overrides a query's own ``FROM``, so the union is switched off in
  those cases here.
* Explicit ``default_graph`` / ``named_graphs`` define the dataset as the SPARQL Protocol's
  ``default-graph-uri`` / ``named-graph-uri`` do (and as Oxigraph's server does): a side that
  is not given is empty. pyoxigraph on its own would keep the store's default graph / all
  named graphs for the side not given.
* pyoxigraph has no transaction API; each ``update()`` call (all its operations) and each
  ``load()``/``extend()`` is one transaction. ``replace_graph`` is therefore one SPARQL update
  (``DROP SILENT GRAPH`` + ``INSERT DATA``): readers see the old graph or the new one, never a
  mix, and a failure leaves the old one.
* ``bulk_load(path=...)`` uses pyoxigraph's ``bulk_load`` (fast, not transactional: a failure
  can leave part of the file loaded — build into a fresh store and discard it on failure);
  ``bulk_load(data=...)`` uses the transactional ``load``.
* On-disk stores hold a RocksDB lock: one read-write instance per directory. Read-only
  instances (``Store.read_only``) must not be opened on a directory another process writes;
  open them on a finished build (see :mod:`kg.store.releases`).
* The path is resolved (symlinks followed) when the store opens, so a reader opened through
  ``var/store`` keeps reading its build after ``var/store`` is switched to a newer one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypedDict

import pyoxigraph as ox

from kg.formats import require_rdf_format
from kg.store.base import (
    QueryResult,
    QuerySyntaxError,
    StoreBase,
    StoreError,
    as_triples,
    check_iri,
)

__all__ = ["OxigraphStore"]


def _graph_node(graph: str) -> ox.NamedNode | ox.BlankNode:
    if graph.startswith("_:"):
        return ox.BlankNode(graph[2:])
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise ValueError(f"not an IRI usable as a graph name: {graph!r} ({exc})") from exc


def _graph_name(node: ox.NamedNode | ox.BlankNode) -> str:
    return node.value if isinstance(node, ox.NamedNode) else f"_:{node.value}"


# The keyword arguments passed on to pyoxigraph, only those given (pyoxigraph's own defaults otherwise).
class _QueryOptions(TypedDict, total=False):
    base_iri: str
    use_default_graph_as_union: bool
    default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]
    named_graphs: list[ox.NamedNode | ox.BlankNode]


class _LoadOptions(TypedDict, total=False):
    format: ox.RdfFormat
    base_iri: str | None
    to_graph: ox.NamedNode | ox.BlankNode


class _DumpOptions(TypedDict, total=False):
    format: ox.RdfFormat
    from_graph: ox.NamedNode | ox.BlankNode


class OxigraphStore(StoreBase):
    """An Oxigraph store: in memory when ``path`` is None, else the RocksDB directory at ``path``
    (created if missing, unless ``read_only``)."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self._read_only = read_only
        self._path: Path | None = None
        if path is None:
            if read_only:
                raise ValueError("a read-only store needs a path")
            self._store: ox.Store | None = ox.Store()
            return
        resolved = Path(path).resolve()
        self._path = resolved
        try:
            if read_only:
                if not resolved.is_dir():
                    raise StoreError(f"no store at {path}")
                self._store = ox.Store.read_only(str(resolved))
            else:
                self._store = ox.Store(resolved)
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"cannot open store at {path}: {exc}") from exc

    def __repr__(self) -> str:
        where = str(self._path) if self._path else "memory"
        return f"OxigraphStore({where!r}, read_only={self._read_only})"

    # ------------------------------------------------------------------ plumbing

    @property
    def path(self) -> Path | None:
        """The store directory with symlinks resolved; None in memory."""
        return self._path

    @property
    def native(self) -> ox.Store:
        """The underlying ``pyoxigraph.Store`` (embedded only; prefer the interface)."""
        if self._store is None:
            raise StoreError("the store is closed")
        return self._store

    # ------------------------------------------------------------------ queries

    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
    ) -> QueryResult:
        store = self.native
        kwargs: _QueryOptions = {}
        if base_iri:
            kwargs["base_iri"] = base_iri
        if self._use_union(sparql, default_graph, named_graphs, union_default_graph):
            kwargs["use_default_graph_as_union"] = True
        if default_graph is not None or named_graphs is not None:
            # As the SPARQL Protocol: the given graphs are the whole dataset, a side not given is empty.
            kwargs["default_graph"] = [_graph_node(g) for g in default_graph or []]
            kwargs["named_graphs"] = [_graph_node(g) for g in named_graphs or []]
        try:
            return store.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"query failed: {exc}") from exc

    # ------------------------------------------------------------------ writes

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        self._check_writable("update")
        try:
            self.native.update(sparql, base_iri=base_iri) if base_iri else self.native.update(sparql)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreError(f"update failed: {exc}") from exc

    def replace_graph(self, graph: str, quads_or_triples: Iterable[ox.Triple | ox.Quad]) -> None:
        self._check_writable("replace_graph")
        iri = check_iri(graph)
        triples = as_triples(quads_or_triples)
        # One update = one transaction in Oxigraph: the drop and the insert commit together.
        parts = [f"DROP SILENT GRAPH <{iri}>"]
        if triples:
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
            assert body is not None
            parts.append(f"INSERT DATA {{ GRAPH <{iri}> {{\n{body.decode('utf-8')}}} }}")
        try:
            self.native.update(" ;\n".join(parts))
        except SyntaxError as exc:  # would be a serialisation bug, not the caller's syntax
            raise StoreError(f"replace_graph <{iri}> failed: {exc}") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreError(f"replace_graph <{iri}> failed: {exc}") from exc

    def bulk_load(
        self,
        *,
        path: str | Path | None = None,
        data: bytes | str | None = None,
        format: str,
        graph: str | None = None,
        base_iri: str | None = None,
    ) -> None:
        self._check_writable("bulk_load")
        if (path is None) == (data is None):
            raise ValueError("give exactly one of path= or data=")
        fmt = require_rdf_format(format)
        if graph is not None and fmt.supports_datasets:
            raise ValueError(f"{fmt.name} carries its own graphs; load it without graph=")
        kwargs: _LoadOptions = {"format": fmt, "base_iri": base_iri}
        if graph is not None:
            kwargs["to_graph"] = _graph_node(graph)
        store = self.native
        try:
            if path is not None:
                store.bulk_load(path=str(path), **kwargs)
            else:
                store.load(input=data, **kwargs)
        except SyntaxError as exc:
            raise StoreError(f"invalid {fmt.name} data{f' in {path}' if path else ''}: {exc}") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise StoreError(f"load failed{f' for {path}' if path else ''}: {exc}") from exc

    # ------------------------------------------------------------------ inspection

    def graphs(self) -> list[str]:
        try:
            return sorted(_graph_name(g) for g in self.native.named_graphs())
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"listing graphs failed: {exc}") from exc

    def count(self, graph: str | None = None) -> int:
        store = self.native
        try:
            if graph is None:
                return len(store)
            node = _graph_node(graph)
            return sum(1 for _ in store.quads_for_pattern(None, None, None, node))
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"count failed: {exc}") from exc

    def dump(self, *, format: str, graph: str | None = None) -> bytes:
        fmt = require_rdf_format(format)
        if graph is None and not fmt.supports_datasets:
            raise ValueError(f"{fmt.name} holds one graph; name it with graph= or use nquads/trig/jsonld")
        kwargs: _DumpOptions = {"format": fmt}
        if graph is not None:
            kwargs["from_graph"] = _graph_node(graph)
        try:
            out = self.native.dump(**kwargs)
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"dump failed: {exc}") from exc
        assert out is not None
        return out

    # ------------------------------------------------------------------ lifecycle

    def flush(self) -> None:
        if self._read_only or self._store is None:
            return
        try:
            self._store.flush()
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"flush failed: {exc}") from exc

    def optimize(self) -> None:
        if self._read_only or self._store is None:
            return
        try:
            self._store.optimize()
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"optimize failed: {exc}") from exc

    def close(self) -> None:
        """Flush and let go of the database (RocksDB closes when the last reference goes;
        results still being iterated keep it open until they are dropped)."""
        if self._store is None:
            return
        try:
            self.flush()
        finally:
            self._store = None
