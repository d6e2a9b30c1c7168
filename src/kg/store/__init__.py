"""The store layer: one small interface (:class:`Store`) with an embedded Oxigraph
implementation (:class:`OxigraphStore`) and a remote SPARQL 1.1 one (:class:`RemoteSparqlStore`).

``open_store(location)`` picks one: an ``http(s)://`` URL gives a remote store, anything else
is an Oxigraph directory. Building a store aside and switching to it atomically lives in
:mod:`kg.store.releases`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kg.store.base import (
    QueryResult,
    QuerySyntaxError,
    ReadOnlyError,
    Store,
    StoreError,
)
from kg.store.oxigraph import OxigraphStore
from kg.store.remote import RemoteSparqlStore

__all__ = [
    "OxigraphStore",
    "QueryResult",
    "QuerySyntaxError",
    "ReadOnlyError",
    "RemoteSparqlStore",
    "Store",
    "StoreError",
    "open_store",
]


def open_store(location: str | Path, *, read_only: bool = False, token: str | None = None) -> Store:
    """Open the store at ``location``: a directory (Oxigraph) or an ``http(s)://`` SPARQL endpoint.

    For a URL: ending in ``/query`` or being a server root (``http://host:7878/``), Oxigraph's
    layout is assumed (``/query``, ``/update``, ``/store``); any other URL is taken as the
    query-and-update endpoint without a Graph Store endpoint. Build a
    :class:`RemoteSparqlStore` directly for other layouts.
    """
    text = str(location)
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        path = parts.path
        if path in ("", "/") or path.endswith("/query"):
            base = path[: -len("query")] if path.endswith("/query") else "/"

            def at(name: str) -> str:
                return urlunsplit(parts._replace(path=base + name, query="", fragment=""))

            return RemoteSparqlStore(
                at("query"),
                update_endpoint=at("update"),
                graph_store_endpoint=at("store"),
                token=token,
                read_only=read_only,
            )
        return RemoteSparqlStore(text, token=token, read_only=read_only)
    return OxigraphStore(Path(location), read_only=read_only)
