"""A remote store: :class:`RemoteSparqlStore`, the :class:`~kg.store.base.Store` interface over
HTTP — SPARQL 1.1 Protocol for query and update, Graph Store HTTP Protocol for whole graphs.

Query results come back as pyoxigraph's native objects, as from the embedded store: SPARQL
JSON/XML/TSV results are parsed with ``parse_query_results``; a CONSTRUCT/DESCRIBE graph is
parsed and handed out as a ``QueryTriples`` (via a small in-memory store).

Endpoints: ``query_endpoint`` is required. ``update_endpoint`` defaults to the query endpoint
with a final ``/query`` replaced by ``/update`` (Oxigraph's and Fuseki's layout), else to the
query endpoint itself. Without ``graph_store_endpoint`` whole-graph operations fall back to
SPARQL Update / query.

The union default graph: the SPARQL Protocol has no standard switch, so when a query should
see the union, the non-standard ``union-default-graph`` parameter (Oxigraph's) is sent
(``union_default_graph_param=None`` sends nothing; other servers ignore unknown parameters or
are configured with a union default graph of their own).

``replace_graph`` sends one SPARQL update (``DROP SILENT GRAPH`` + ``INSERT DATA``), which a
SPARQL 1.1 store applies as one request and Oxigraph as one transaction; a payload larger than
``max_update_bytes`` (Oxigraph's server caps update bodies at 1 MiB) goes as a Graph Store
``PUT`` instead, whose atomicity is the server's business.

``httpx`` is imported when a remote store is made, so the embedded store works without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pyoxigraph as ox

from kg.formats import check_format_name, rdf_format, require_rdf_format, results_format
from kg.store.base import (
    QueryResult,
    QuerySyntaxError,
    StoreBase,
    StoreError,
    as_triples,
    check_iri,
    has_dataset_clause,
    query_form,
    serialize_result,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["VIRTUOSO_DEFAULT_GRAPH", "RemoteSparqlStore", "VirtuosoStore", "is_system_graph"]

_QUERY_ACCEPT = (
    "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8, "
    "application/sparql-results+xml;q=0.7, application/rdf+xml;q=0.6"
)


def _media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("content-type", "")  # httpx types Headers.get as Any
    return content_type.split(";")[0].strip().lower()


def _default_update_endpoint(query_endpoint: str) -> str:
    parts = urlsplit(query_endpoint)
    if parts.path.endswith("/query"):
        return urlunsplit(parts._replace(path=parts.path[: -len("query")] + "update"))
    return query_endpoint


class RemoteSparqlStore(StoreBase):
    """A SPARQL 1.1 endpoint (plus optional Graph Store endpoint) seen as a :class:`Store`."""

    def __init__(
        self,
        query_endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph_store_endpoint: str | None = None,
        token: str | None = None,
        timeout: float = 60,
        read_only: bool = False,
        union_default_graph_param: str | None = "union-default-graph",
        max_update_bytes: int = 1_000_000,
        headers: dict[str, str] | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise StoreError("a remote store needs the httpx package (pip install httpx)") from exc
        self._httpx = httpx
        self.query_endpoint = query_endpoint
        self.update_endpoint = update_endpoint or _default_update_endpoint(query_endpoint)
        self.graph_store_endpoint = graph_store_endpoint
        self.union_default_graph_param = union_default_graph_param
        self.max_update_bytes = max_update_bytes
        self._read_only = read_only
        all_headers = {"User-Agent": "kg-store"}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        # HTTP digest (Virtuoso's /sparql-auth and /sparql-graph-crud-auth); httpx answers the
        # server's challenge and then sends the header with every request
        auth = httpx.DigestAuth(user, password or "") if user else None
        self._client: httpx.Client | None = httpx.Client(
            headers=all_headers, timeout=timeout, follow_redirects=True, auth=auth
        )

    def __repr__(self) -> str:
        return f"RemoteSparqlStore({self.query_endpoint!r}, read_only={self._read_only})"

    # ------------------------------------------------------------------ HTTP

    def _request(self, method: str, url: str, *, what: str, syntax_on_400: bool = False, **kwargs: Any) -> httpx.Response:
        if self._client is None:
            raise StoreError("the store is closed")
        try:
            response = self._client.request(method, url, **kwargs)
        except self._httpx.HTTPError as exc:
            raise StoreError(f"{what}: {method} {url} failed: {exc}") from exc
        if response.status_code == 400 and syntax_on_400:
            raise QuerySyntaxError(response.text.strip() or "the server rejected the request (400)")
        return response

    @staticmethod
    def _fail(response: httpx.Response, what: str) -> StoreError:
        text = response.text.strip()
        return StoreError(f"{what}: HTTP {response.status_code} from {response.request.url}: {text[:2000]}")

    def _query_request(
        self,
        sparql: str,
        accept: str,
        default_graph: list[str] | None,
        named_graphs: list[str] | None,
        union_default_graph: bool,
    ) -> httpx.Response:
        form: list[tuple[str, str]] = [("query", sparql)]
        for g in default_graph or []:
            form.append(("default-graph-uri", g))
        for g in named_graphs or []:
            form.append(("named-graph-uri", g))
        if self.union_default_graph_param and self._use_union(
            sparql, default_graph, named_graphs, union_default_graph
        ):
            form.append((self.union_default_graph_param, "true"))
        return self._request(
            "POST",
            self.query_endpoint,
            what="query",
            syntax_on_400=True,
            content=urlencode(form).encode("ascii"),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )

    @staticmethod
    def _native(response: httpx.Response) -> QueryResult:
        """A SPARQL response body as pyoxigraph's native result object."""
        media = _media_type(response)
        rfmt = ox.QueryResultsFormat.from_media_type(media) if media else None
        if rfmt is not None and rfmt != ox.QueryResultsFormat.CSV:
            try:
                return ox.parse_query_results(response.content, format=rfmt)
            except SyntaxError as exc:
                raise StoreError(f"unreadable {media} results: {exc}") from exc
        gfmt = ox.RdfFormat.from_media_type(media) if media else None
        if gfmt is None:
            raise StoreError(f"the server answered with an unreadable content type {media!r}")
        holder = ox.Store()
        try:
            holder.load(response.content, format=gfmt)
        except SyntaxError as exc:
            raise StoreError(f"unreadable {media} graph: {exc}") from exc
        # CONSTRUCT over the parsed graph yields a genuine QueryTriples (it keeps `holder` alive).
        return holder.query("CONSTRUCT WHERE { ?s ?p ?o }")

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
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        response = self._query_request(sparql, _QUERY_ACCEPT, default_graph, named_graphs, union_default_graph)
        if response.status_code != 200:
            raise self._fail(response, "query")
        return self._native(response)

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
        rfmt = results_format(format)
        gfmt = rdf_format(format)
        wanted = {f.media_type.split(";")[0].strip() for f in (rfmt, gfmt) if f is not None}
        response = self._query_request(
            sparql, ", ".join(sorted(wanted)), default_graph, named_graphs, union_default_graph
        )
        if response.status_code == 200:
            if _media_type(response) in wanted:
                return response.content
            return serialize_result(self._native(response), format)
        if response.status_code != 406:
            raise self._fail(response, "query")
        # The server has no such format for this kind of query: ask natively and convert, which
        # also reports a SELECT-vs-RDF format mismatch the same way the embedded store does.
        result = self.query(
            sparql, default_graph=default_graph, named_graphs=named_graphs, union_default_graph=union_default_graph
        )
        return serialize_result(result, format)

    # ------------------------------------------------------------------ writes

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        self._check_writable("update")
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        response = self._request(
            "POST",
            self.update_endpoint,
            what="update",
            syntax_on_400=True,
            content=sparql.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )
        if response.status_code >= 300:
            raise self._fail(response, "update")

    def _graph_params(self, graph: str | None) -> dict[str, str]:
        return {"default": ""} if graph is None else {"graph": graph}

    def replace_graph(self, graph: str, quads_or_triples: Iterable[ox.Triple | ox.Quad]) -> None:
        self._check_writable("replace_graph")
        iri = check_iri(graph)
        body = ox.serialize(as_triples(quads_or_triples), format=ox.RdfFormat.N_TRIPLES) or b""
        if self.graph_store_endpoint is None or len(body) <= self.max_update_bytes:
            sparql = f"DROP SILENT GRAPH <{iri}>"
            if body:
                sparql += f" ;\nINSERT DATA {{ GRAPH <{iri}> {{\n{body.decode('utf-8')}}} }}"
            try:
                self.update(sparql)
            except QuerySyntaxError as exc:  # a 400 here is the server refusing the payload
                raise StoreError(f"replace_graph <{iri}> failed: {exc.message}") from exc
            return
        response = self._request(
            "PUT",
            self.graph_store_endpoint,
            what="replace_graph",
            params={"graph": iri},
            content=body,
            headers={"Content-Type": ox.RdfFormat.N_TRIPLES.media_type},
        )
        if response.status_code >= 300:
            raise self._fail(response, f"replace_graph <{iri}>")

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
        if graph is not None:
            check_iri(graph)
            if fmt.supports_datasets:
                raise ValueError(f"{fmt.name} carries its own graphs; load it without graph=")
        if base_iri is not None or self.graph_store_endpoint is None:
            # Resolve relative IRIs here (the Graph Store protocol has no base parameter) or
            # prepare SPARQL updates: parse locally into quads.
            try:
                if path is not None:
                    quads = list(ox.parse(path=str(path), format=fmt, base_iri=base_iri))
                else:
                    quads = list(ox.parse(data, format=fmt, base_iri=base_iri))
            except SyntaxError as exc:
                raise StoreError(f"invalid {fmt.name} data{f' in {path}' if path else ''}: {exc}") from exc
            if graph is not None:
                quads = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph)) for q in quads]
            if self.graph_store_endpoint is None:
                self._insert_quads(quads)
                return
            self._post_graph_store(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"", ox.RdfFormat.N_QUADS, None, path)
            return
        if path is not None:
            with open(path, "rb") as handle:
                self._post_graph_store(handle, fmt, graph, path)
        else:
            self._post_graph_store(data.encode("utf-8") if isinstance(data, str) else data, fmt, graph, path)

    def _post_graph_store(self, content: Any, fmt: ox.RdfFormat, graph: str | None, path: object) -> None:
        assert self.graph_store_endpoint is not None
        response = self._request(
            "POST",
            self.graph_store_endpoint,
            what="bulk_load",
            params={} if fmt.supports_datasets else self._graph_params(graph),
            content=content,
            headers={"Content-Type": fmt.media_type},
        )
        if response.status_code == 400:
            raise StoreError(f"invalid {fmt.name} data{f' in {path}' if path else ''}: {response.text.strip()}")
        if response.status_code >= 300:
            raise self._fail(response, f"bulk_load{f' {path}' if path else ''}")

    def _insert_quads(self, quads: list[ox.Quad]) -> None:
        """INSERT DATA in chunks under ``max_update_bytes`` (each chunk its own request)."""
        chunk: list[str] = []
        size = 0
        for q in quads:
            triple = f"{q.subject} {q.predicate} {q.object} ."
            if isinstance(q.graph_name, ox.DefaultGraph):
                line = triple + "\n"
            elif isinstance(q.graph_name, ox.NamedNode):
                line = f"GRAPH {q.graph_name} {{ {triple} }}\n"
            else:
                raise StoreError("SPARQL Update cannot name a blank-node graph")
            if chunk and size + len(line) > self.max_update_bytes:
                self.update("INSERT DATA {\n" + "".join(chunk) + "}")
                chunk, size = [], 0
            chunk.append(line)
            size += len(line)
        if chunk:
            self.update("INSERT DATA {\n" + "".join(chunk) + "}")

    # ------------------------------------------------------------------ inspection

    def _select(self, sparql: str) -> list[ox.QuerySolution]:
        result = self.query(sparql, union_default_graph=False)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("expected SELECT results")
        return list(result)

    def graphs(self) -> list[str]:
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        names = []
        for row in rows:
            g = row["g"]
            if isinstance(g, ox.NamedNode):
                names.append(g.value)
            elif isinstance(g, ox.BlankNode):
                names.append(f"_:{g.value}")
        return sorted(names)

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            # Assumes the server's default graph is its own graph, not a union of the others.
            sparql = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
        else:
            sparql = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{check_iri(graph)}> {{ ?s ?p ?o }} }}"
        rows = self._select(sparql)
        value = rows[0]["n"] if rows else None
        return int(value.value) if isinstance(value, ox.Literal) else 0

    def dump(self, *, format: str, graph: str | None = None) -> bytes:
        fmt = require_rdf_format(format)
        if graph is None and not fmt.supports_datasets:
            raise ValueError(f"{fmt.name} holds one graph; name it with graph= or use nquads/trig/jsonld")
        if graph is not None:
            check_iri(graph)
        if self.graph_store_endpoint is not None:
            response = self._request(
                "GET",
                self.graph_store_endpoint,
                what="dump",
                params=self._graph_params(graph) if graph is not None else {},
                headers={"Accept": fmt.media_type},
            )
            if response.status_code == 404 and graph is not None:
                return ox.serialize([], format=fmt) or b""
            if response.status_code != 200:
                raise self._fail(response, "dump")
            if _media_type(response) == fmt.media_type.split(";")[0].strip():
                return response.content
            got = ox.RdfFormat.from_media_type(_media_type(response))
            if got is None:
                raise StoreError(f"dump: unreadable content type {_media_type(response)!r}")
            items = list(ox.parse(response.content, format=got))
            if graph is not None:
                return ox.serialize([q.triple for q in items], format=fmt) or b""
            return ox.serialize(items, format=fmt) or b""
        if graph is not None:
            result = self.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", union_default_graph=False
            )
            return serialize_result(result, fmt)
        rows = self._select("SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        quads = [
            ox.Quad(r["s"], r["p"], r["o"], r["g"] if r["g"] is not None else ox.DefaultGraph())
            for r in rows
        ]
        return ox.serialize(quads, format=fmt) or b""

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


# =========================================================================== Virtuoso

#: Graphs a Virtuoso server holds for itself (its RDF views, LDP, the URIQA host): never the
#: project's, so :class:`VirtuosoStore` leaves them out of ``graphs``, ``count`` and ``dump``.
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/",
)
#: Virtuoso has no default graph of its own (a query without a dataset sees every graph): the
#: store's default graph is kept in this named graph and handed out as the default graph.
VIRTUOSO_DEFAULT_GRAPH = "urn:x-kg:default-graph"
#: Named in ``named-graph-uri`` when a query's dataset names only default graphs, so that its
#: named side is empty as the SPARQL Protocol says (Virtuoso would otherwise keep every graph).
_NO_GRAPH = "urn:x-kg:no-graph"
#: Ground triples (no blank node) go to the Graph Store in POSTs of about this size.
LOAD_CHUNK_BYTES = 16 << 20


def is_system_graph(graph: str) -> bool:
    """A Virtuoso system graph, or one of kg's own bookkeeping graphs (``urn:x-kg:…``: the
    emulated default graph, the release id)."""
    return graph.startswith(("urn:x-kg:", *VIRTUOSO_SYSTEM_GRAPHS))


_XSD_BOOLEAN = b"http://www.w3.org/2001/XMLSchema#boolean"


_XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"
_JSON_DURATION = re.compile(rb'("datatype": "' + _XSD_DURATION.encode() + rb'", "value": ")(-?[0-9][0-9.eE+-]*)(")')
_NT_DURATION = re.compile(rb'(")(-?[0-9][0-9.eE+-]*)("\^\^<' + _XSD_DURATION.encode() + rb">)")


def duration_lexical(stored: str) -> str:
    """The xsd:duration Virtuoso 7.2 hands out as a number, in its canonical lexical form again.

    Virtuoso keeps a duration as months (a whole number: ``P7M`` → ``7``) or as seconds (a
    decimal: ``P5D`` → ``432000.0``); a duration with both months and days keeps its months only
    (docs/scaling.md).
    """
    negative = stored.startswith("-")
    text = stored.lstrip("-")
    sign = "-" if negative and float(text) != 0 else ""
    if "." not in text and "e" not in text.lower():  # months
        years, months = divmod(int(text), 12)
        body = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return f"{sign}P{body}"
    seconds = Decimal(text)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    secs = format(rest.normalize(), "f") if rest else ""
    clock = (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "") + (f"{secs}S" if secs else "")
    if not days and not clock:
        return "PT0S"
    return f"{sign}P" + (f"{int(days)}D" if days else "") + (f"T{clock}" if clock else "")


def _fix_durations(data: bytes, pattern: re.Pattern[bytes]) -> bytes:
    if _XSD_DURATION.encode() not in data:
        return data
    return pattern.sub(lambda m: m.group(1) + duration_lexical(m.group(2).decode()).encode() + m.group(3), data)


def _fix_bnodes(data: bytes) -> bytes:
    """Virtuoso's SPARQL JSON as the embedded store writes it: blank nodes ``nodeID://b10000``
    become labels, booleans stored as ``1`` / ``0`` the canonical ``true`` / ``false``."""
    data = _fix_durations(data.replace(b'"type": "bnode", "value": "nodeID://', b'"type": "bnode", "value": "'), _JSON_DURATION)
    for number, word in ((b"1", b"true"), (b"0", b"false")):
        data = data.replace(b'"datatype": "' + _XSD_BOOLEAN + b'", "value": "' + number + b'"', b'"datatype": "' + _XSD_BOOLEAN + b'", "value": "' + word + b'"')
    return data


def _fix_ntriples(data: bytes) -> bytes:
    """Virtuoso's N-Triples with canonical booleans (it stores ``true`` as ``1``) and durations."""
    data = _fix_durations(data, _NT_DURATION)
    for number, word in ((b"1", b"true"), (b"0", b"false")):
        data = data.replace(b'"' + number + b'"^^<' + _XSD_BOOLEAN + b">", b'"' + word + b'"^^<' + _XSD_BOOLEAN + b">")
    return data


class VirtuosoStore(RemoteSparqlStore):
    """A Virtuoso Open Source 7 server as a :class:`~kg.store.base.Store`.

    ``endpoint`` is its ``/sparql`` URL. Queries go to ``/sparql`` (anonymous, read-only) or,
    with credentials, ``/sparql-auth``; updates to ``/sparql-auth`` and whole graphs to the Graph
    Store at ``/sparql-graph-crud-auth``, both with HTTP digest authentication (a user with the
    ``SPARQL_UPDATE`` role, e.g. ``dba``).

    What differs from the embedded store (docs/scaling.md): Virtuoso's default graph is the union
    of all its graphs (its own system graphs included), so the store's own default graph lives in
    :data:`VIRTUOSO_DEFAULT_GRAPH`; ``INSERT DATA`` takes no blank nodes, so every load goes
    through the Graph Store; a blank node comes back as a new label.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 300,
        read_only: bool = False,
    ) -> None:
        parts = urlsplit(endpoint)
        root = parts.path.rsplit("/", 1)[0] if parts.path.rstrip("/").endswith(("/sparql", "/sparql-auth")) else ""

        def at(name: str) -> str:
            return urlunsplit(parts._replace(path=f"{root}/{name}", query="", fragment=""))

        super().__init__(
            at("sparql-auth") if user else at("sparql"),
            update_endpoint=at("sparql-auth"),
            graph_store_endpoint=at("sparql-graph-crud-auth") if user else at("sparql-graph-crud"),
            timeout=timeout,
            read_only=read_only,
            union_default_graph_param=None,
            user=user,
            password=password,
        )

    def __repr__(self) -> str:
        return f"VirtuosoStore({self.query_endpoint!r}, read_only={self._read_only})"

    # ------------------------------------------------------------------ queries

    def _query_request(
        self,
        sparql: str,
        accept: str,
        default_graph: list[str] | None,
        named_graphs: list[str] | None,
        union_default_graph: bool,
    ) -> httpx.Response:
        if default_graph is not None or named_graphs is not None:
            if named_graphs is None:
                named_graphs = [_NO_GRAPH]
        elif not has_dataset_clause(sparql) and not union_default_graph:
            # the store's own default graph, every graph named (a default-graph-uri alone
            # leaves Virtuoso's named side in a state of its own)
            default_graph = [VIRTUOSO_DEFAULT_GRAPH]
            named_graphs = self.graphs() or [_NO_GRAPH]
        return super()._query_request(sparql, accept, default_graph, named_graphs, False)

    def _select(self, sparql: str) -> list[ox.QuerySolution]:
        # the inspection queries name their graphs (GRAPH ?g / GRAPH <g>): Virtuoso's own dataset
        result = self.query(sparql)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("expected SELECT results")
        return list(result)

    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
        base_iri: str | None = None,
    ) -> QueryResult:
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        # Virtuoso answers a CONSTRUCT in SPARQL JSON when asked for it first: ask by the query's form
        form = query_form(sparql)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        if form == "DESCRIBE":  # Virtuoso's own DESCRIBE finds nothing without a FROM; CBD does
            sparql = f'DEFINE sql:describe-mode "CBD"\n{sparql}'
        accept = "application/n-triples" if graph else "application/sparql-results+json"
        response = self._query_request(sparql, accept, default_graph, named_graphs, union_default_graph)
        if response.status_code != 200:
            raise self._fail(response, "query")
        if _media_type(response) == "application/sparql-results+json":
            try:
                return ox.parse_query_results(_fix_bnodes(response.content), format=ox.QueryResultsFormat.JSON)
            except SyntaxError as exc:
                raise StoreError(f"unreadable SPARQL JSON results: {exc}") from exc
        if _media_type(response) == "application/n-triples":
            holder = ox.Store()
            try:
                holder.load(_fix_ntriples(response.content), format=ox.RdfFormat.N_TRIPLES)
            except SyntaxError as exc:
                raise StoreError(f"unreadable N-Triples graph: {exc}") from exc
            return holder.query("CONSTRUCT WHERE { ?s ?p ?o }")
        return self._native(response)

    def query_to(
        self,
        sparql: str,
        *,
        format: str,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union_default_graph: bool = True,
    ) -> bytes:
        # through the native result: Virtuoso's own serialisations differ (blank node names,
        # CSV quoting), and serialising here gives the embedded store's bytes
        check_format_name(format)
        result = self.query(
            sparql, default_graph=default_graph, named_graphs=named_graphs, union_default_graph=union_default_graph
        )
        return serialize_result(result, format)

    # ------------------------------------------------------------------ writes

    def _graph_iri(self, graph: str | None) -> str:
        return VIRTUOSO_DEFAULT_GRAPH if graph is None else check_iri(graph)

    def _send(self, method: str, graph: str, body: bytes, what: str) -> None:
        assert self.graph_store_endpoint is not None
        response = self._request(
            method,
            self.graph_store_endpoint,
            what=what,
            params={"graph": graph},
            content=body,
            headers={"Content-Type": ox.RdfFormat.N_TRIPLES.media_type},
        )
        if response.status_code == 400:
            raise StoreError(f"{what}: the server refused the data: {response.text.strip()[:2000]}")
        if response.status_code >= 300:
            raise self._fail(response, what)

    def replace_graph(self, graph: str, quads_or_triples: Iterable[ox.Triple | ox.Quad]) -> None:
        self._check_writable("replace_graph")
        iri = check_iri(graph)
        body = ox.serialize(as_triples(quads_or_triples), format=ox.RdfFormat.N_TRIPLES) or b""
        if body:  # a Graph Store PUT replaces the graph in one request
            self._send("PUT", iri, body, f"replace_graph <{iri}>")
        else:
            self.update(f"DROP SILENT GRAPH <{iri}>")

    def bulk_load(
        self,
        *,
        path: str | Path | None = None,
        data: bytes | str | None = None,
        format: str,
        graph: str | None = None,
        base_iri: str | None = None,
    ) -> None:
        """Parse here (streaming) and POST each graph's triples to the Graph Store as N-Triples.

        Triples holding a blank node go in one POST per graph (a blank node label holds only within
        one request); the others in POSTs of about :data:`LOAD_CHUNK_BYTES`.
        """
        self._check_writable("bulk_load")
        if (path is None) == (data is None):
            raise ValueError("give exactly one of path= or data=")
        fmt = require_rdf_format(format)
        if graph is not None:
            check_iri(graph)
            if fmt.supports_datasets:
                raise ValueError(f"{fmt.name} carries its own graphs; load it without graph=")
        ground: dict[str, list[bytes]] = {}
        ground_size: dict[str, int] = {}
        with_blanks: dict[str, list[bytes]] = {}
        where = f" in {path}" if path else ""
        previous: str | None = None

        def send_ground(target: str) -> None:
            lines = ground.pop(target, None)
            ground_size.pop(target, None)
            if lines:
                self._send("POST", target, b"".join(lines), f"bulk_load{where}")

        try:
            parsed = (
                ox.parse(path=str(path), format=fmt, base_iri=base_iri)
                if path is not None
                else ox.parse(data.encode("utf-8") if isinstance(data, str) else data, format=fmt, base_iri=base_iri)
            )
            for quad in parsed:
                name = quad.graph_name
                if isinstance(name, ox.NamedNode):
                    target = name.value
                elif isinstance(name, ox.DefaultGraph):
                    target = self._graph_iri(graph)
                else:
                    raise StoreError(f"a blank-node graph name{where} cannot be stored in Virtuoso")
                if previous is not None and target != previous and previous not in with_blanks:
                    # a dump or an import artefact lists a graph's quads together: send the one
                    # that ended (a graph holding blank nodes waits for the end, whole)
                    send_ground(previous)
                previous = target
                line = f"{quad.subject} {quad.predicate} {quad.object} .\n".encode()
                if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                    with_blanks.setdefault(target, []).append(line)
                    continue
                ground.setdefault(target, []).append(line)
                ground_size[target] = ground_size.get(target, 0) + len(line)
                if ground_size[target] >= LOAD_CHUNK_BYTES:
                    send_ground(target)
        except SyntaxError as exc:
            raise StoreError(f"invalid {fmt.name} data{where}: {exc}") from exc
        for target in list(ground):
            send_ground(target)
        for target, lines in with_blanks.items():
            self._send("POST", target, b"".join(lines), f"bulk_load{where}")

    # ------------------------------------------------------------------ inspection

    def _graph_counts(self) -> dict[str, int]:
        rows = self._select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        counts: dict[str, int] = {}
        for row in rows:
            g, n = row["g"], row["n"]
            if isinstance(g, ox.NamedNode) and isinstance(n, ox.Literal):
                counts[g.value] = int(n.value)
        return counts

    def graphs(self) -> list[str]:
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        names = {row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode)}
        return sorted(g for g in names if not is_system_graph(g))

    def count(self, graph: str | None = None) -> int:
        if graph is not None:
            return super().count(graph)
        return sum(n for g, n in self._graph_counts().items() if g == VIRTUOSO_DEFAULT_GRAPH or not is_system_graph(g))

    def _get_graph(self, graph: str) -> list[ox.Triple]:
        assert self.graph_store_endpoint is not None
        response = self._request(
            "GET",
            self.graph_store_endpoint,
            what="dump",
            params={"graph": graph},
            headers={"Accept": ox.RdfFormat.N_TRIPLES.media_type},
        )
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise self._fail(response, "dump")
        got = ox.RdfFormat.from_media_type(_media_type(response)) or ox.RdfFormat.N_TRIPLES
        try:
            return list(ox.parse(_fix_ntriples(response.content), format=got))
        except SyntaxError as exc:
            raise StoreError(f"dump <{graph}>: unreadable answer: {exc}") from exc

    def dump(self, *, format: str, graph: str | None = None) -> bytes:
        fmt = require_rdf_format(format)
        if graph is not None:
            return ox.serialize(self._get_graph(check_iri(graph)), format=fmt) or b""
        if not fmt.supports_datasets:
            raise ValueError(f"{fmt.name} holds one graph; name it with graph= or use nquads/trig/jsonld")
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in self._get_graph(VIRTUOSO_DEFAULT_GRAPH)]
        for name in self.graphs():
            node = ox.NamedNode(name)
            quads.extend(ox.Quad(t.subject, t.predicate, t.object, node) for t in self._get_graph(name))
        return ox.serialize(quads, format=fmt) or b""

    def clear(self) -> None:
        """Drop every graph of the store (Virtuoso's system graphs stay)."""
        self._check_writable("clear")
        for name in [*self.graphs(), VIRTUOSO_DEFAULT_GRAPH]:
            self.update(f"DROP SILENT GRAPH <{name}>")
