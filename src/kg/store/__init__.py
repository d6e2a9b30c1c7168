"""The store layer: one small interface (:class:`Store`) with an embedded Oxigraph
implementation (:class:`OxigraphStore`) and a remote SPARQL 1.1 one (:class:`RemoteSparqlStore`).

``open_store(location)`` picks one: an ``http(s)://`` URL gives a remote store (a Virtuoso
server's ``/sparql`` a :class:`VirtuosoStore`), anything else is an Oxigraph directory. Building a store aside and switching to it atomically lives in
:mod:`kg.store.releases`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from kg.store.base import (
    QueryResult,
    QuerySyntaxError,
    ReadOnlyError,
    Store,
    StoreError,
)
from kg.store.oxigraph import OxigraphStore
from kg.store.remote import RemoteSparqlStore, VirtuosoStore

__all__ = [
    "OxigraphStore",
    "QueryResult",
    "QuerySyntaxError",
    "ReadOnlyError",
    "RemoteSparqlStore",
    "Store",
    "StoreError",
    "VirtuosoStore",
    "is_virtuoso",
    "open_store",
]


def is_virtuoso(url: str, *, timeout: float = 5) -> bool:
    """Whether the SPARQL endpoint at ``url`` is a Virtuoso server (its ``Server`` header says
    so); False when it does not answer."""
    try:
        response = httpx.get(url, params={"query": "ASK {}"}, timeout=timeout)
    except httpx.HTTPError:
        return False
    return "virtuoso" in response.headers.get("server", "").lower()


def open_store(
    location: str | Path,
    *,
    read_only: bool = False,
    token: str | None = None,
    user: str | None = None,
    password: str | None = None,
) -> Store:
    """Open the store at ``location``: a directory (Oxigraph) or an ``http(s)://`` SPARQL endpoint.

    For a URL: credentials come from ``user``/``password`` or the URL's own
    ``http://user:password@host/`` part (HTTP digest). A Virtuoso server's endpoint (a path
    ending in ``/sparql-auth``, or ``/sparql`` answered by a server that says it is Virtuoso)
    gives a :class:`VirtuosoStore`. Ending in ``/query`` or being a server root
    (``http://host:7878/``), Oxigraph's layout is assumed (``/query``, ``/update``, ``/store``);
    any other URL is taken as the query-and-update endpoint without a Graph Store endpoint.
    Build a :class:`RemoteSparqlStore` directly for other layouts.
    """
    text = str(location)
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        if parts.username is not None:
            user = unquote(parts.username)
            password = unquote(parts.password or "")
            parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
            text = urlunsplit(parts)
        path = parts.path
        if path.endswith("/sparql-auth") or (path.endswith("/sparql") and is_virtuoso(text)):
            return VirtuosoStore(text, user=user, password=password, read_only=read_only)
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
                user=user,
                password=password,
            )
        return RemoteSparqlStore(text, token=token, read_only=read_only, user=user, password=password)
    return OxigraphStore(Path(location), read_only=read_only)
