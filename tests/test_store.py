"""The store layer on real stores: pyoxigraph in tmp dirs and a real `oxigraph serve` server.

The same behaviours run against the embedded OxigraphStore and the RemoteSparqlStore.
"""

from __future__ import annotations

import csv
import io
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.store import (
    OxigraphStore,
    QuerySyntaxError,
    ReadOnlyError,
    RemoteSparqlStore,
    Store,
    StoreError,
    VirtuosoStore,
    open_store,
    releases,
)

EX = "http://example.org/"
G_A = EX + "graph/a"
G_B = EX + "graph/b"
G_NEW = EX + "graph/new"

SEED = f"""
<{EX}s0> <{EX}p> "default" .
<{EX}s1> <{EX}p> "in a" <{G_A}> .
<{EX}s1> <{EX}q> <{EX}o1> <{G_A}> .
<{EX}s2> <{EX}p> "in b" <{G_B}> .
""".encode()

VALUES = "SELECT ?v WHERE { ?s <http://example.org/p> ?v }"


def values(result: ox.QuerySolutions) -> set[str]:
    return {row["v"].value for row in result}


def triple(s: str, p: str, o: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(EX + s), ox.NamedNode(EX + p), ox.Literal(o))


# --------------------------------------------------------------------------- the server


def _oxigraph_cli() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return str(beside)
    return shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `oxigraph serve` on a free port; yields its base URL."""
    cli = _oxigraph_cli()
    if cli is None:
        pytest.skip("the oxigraph CLI is not installed (pip install '.[test]')")
    location = tmp_path_factory.mktemp("server-store")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(location.parent / f"oxigraph-{port}.log", "wb")
    proc = subprocess.Popen(
        [cli, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.flush()
                pytest.fail(f"oxigraph serve exited ({proc.returncode}): {Path(log.name).read_text()}")
            try:
                if httpx.get(base + "/query", params={"query": "ASK {}"}, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("oxigraph serve did not answer within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _remote(server: str, **kwargs: object) -> RemoteSparqlStore:
    store = RemoteSparqlStore(
        server + "/query",
        update_endpoint=server + "/update",
        graph_store_endpoint=server + "/store",
        **kwargs,  # type: ignore[arg-type]
    )
    store.update("DROP ALL")
    return store


def _virtuoso(virtuoso: object, **kwargs: object) -> VirtuosoStore:
    store = open_store(virtuoso.store_url)  # type: ignore[attr-defined]
    assert isinstance(store, VirtuosoStore)
    store.clear()
    return store


@pytest.fixture(params=["embedded", "remote", "virtuoso"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind: embedded Oxigraph, `oxigraph serve` over HTTP, Virtuoso 7 over HTTP."""
    if request.param == "embedded":
        st: Store = OxigraphStore(tmp_path / "db")
    elif request.param == "remote":
        st = _remote(request.getfixturevalue("server"))
    else:
        st = _virtuoso(request.getfixturevalue("virtuoso"))
    with st:
        yield st


@pytest.fixture()
def seeded(store: Store) -> Store:
    store.bulk_load(data=SEED, format="nquads")
    return store


# --------------------------------------------------------------------------- the interface


def test_both_kinds_satisfy_the_protocol() -> None:
    with OxigraphStore() as mem:
        assert isinstance(mem, Store)
    with RemoteSparqlStore("http://127.0.0.1:1/query") as remote:  # no request is made
        assert isinstance(remote, Store)


def test_load_and_query_union_default_graph(seeded: Store) -> None:
    assert values(seeded.query(VALUES)) == {"default", "in a", "in b"}  # type: ignore[arg-type]
    assert values(seeded.query(VALUES, union_default_graph=False)) == {"default"}  # type: ignore[arg-type]
    assert bool(seeded.query('ASK { ?s ?p "in b" }'))
    assert not bool(seeded.query('ASK { ?s ?p "in b" }', union_default_graph=False))


def test_default_graph_and_named_graph_options(seeded: Store) -> None:
    assert values(seeded.query(VALUES, default_graph=[G_A])) == {"in a"}  # type: ignore[arg-type]
    assert values(seeded.query(VALUES, default_graph=[G_A, G_B])) == {"in a", "in b"}  # type: ignore[arg-type]
    rows = seeded.query("SELECT ?g ?v WHERE { GRAPH ?g { ?s <http://example.org/p> ?v } }", named_graphs=[G_B])
    assert [(r["g"].value, r["v"].value) for r in rows] == [(G_B, "in b")]  # type: ignore[union-attr]
    # as in the SPARQL Protocol, the graphs given are the whole dataset: a side not given is empty
    assert values(seeded.query(VALUES, named_graphs=[G_B])) == set()  # type: ignore[arg-type]
    assert list(seeded.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", default_graph=[G_A])) == []  # type: ignore[call-overload]


def test_from_clause_wins_over_union(seeded: Store) -> None:
    q = f"SELECT ?v FROM <{G_B}> WHERE {{ ?s <http://example.org/p> ?v }}"
    assert values(seeded.query(q)) == {"in b"}  # type: ignore[arg-type]


def test_construct_and_describe_give_native_triples(seeded: Store) -> None:
    result = seeded.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G_A}> {{ ?s ?p ?o }} }}")
    assert isinstance(result, ox.QueryTriples)
    assert {t.object.value for t in result} == {"in a", EX + "o1"}
    described = seeded.query(f"DESCRIBE <{EX}s2>")
    assert isinstance(described, ox.QueryTriples)
    assert [t.object.value for t in described] == ["in b"]


def test_replace_graph_replaces_only_that_graph(seeded: Store) -> None:
    seeded.replace_graph(G_A, [triple("s9", "p", "new a"), ox.Quad(ox.NamedNode(EX + "s9"), ox.NamedNode(EX + "p"), ox.Literal("quad"), ox.NamedNode(G_B))])
    assert values(seeded.query(VALUES, default_graph=[G_A])) == {"new a", "quad"}  # type: ignore[arg-type]
    assert values(seeded.query(VALUES, default_graph=[G_B])) == {"in b"}  # type: ignore[arg-type]
    assert values(seeded.query(VALUES, union_default_graph=False)) == {"default"}  # type: ignore[arg-type]
    assert seeded.count(G_A) == 2
    seeded.replace_graph(G_NEW, [triple("n", "p", "fresh")])
    assert G_NEW in seeded.graphs()
    seeded.replace_graph(G_NEW, [])
    assert seeded.count(G_NEW) == 0


def test_bulk_load_ntriples_and_turtle_into_named_graph(store: Store, tmp_path: Path) -> None:
    nt = tmp_path / "a.nt"
    nt.write_bytes(f'<{EX}x> <{EX}p> "from nt file" .\n'.encode())
    store.bulk_load(path=nt, format="ntriples", graph=G_A)
    store.bulk_load(data=f'@prefix ex: <{EX}> .\nex:y ex:p "from turtle" .\n', format="turtle", graph=G_B)
    ttl = tmp_path / "rel.ttl"
    ttl.write_text('<z> <p> "relative" .\n')
    store.bulk_load(path=ttl, format="ttl", graph=G_B, base_iri=EX)
    assert store.graphs() == [G_A, G_B]
    assert values(store.query(VALUES, default_graph=[G_A])) == {"from nt file"}  # type: ignore[arg-type]
    assert values(store.query(VALUES, default_graph=[G_B])) == {"from turtle", "relative"}  # type: ignore[arg-type]
    assert bool(store.query(f"ASK {{ GRAPH <{G_B}> {{ <{EX}z> ?p ?o }} }}"))
    store.bulk_load(data=f"<{EX}d> <{EX}p> \"into default\" .", format="nt")
    assert values(store.query(VALUES, union_default_graph=False)) == {"into default"}  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.bulk_load(data=SEED, format="nquads", graph=G_A)
    with pytest.raises(StoreError):
        store.bulk_load(data=b'<http://x> <http://y> "unterminated .', format="nt", graph=G_A)


def test_graphs_count_dump(seeded: Store) -> None:
    assert seeded.graphs() == [G_A, G_B]
    assert seeded.count() == 4
    assert seeded.count(G_A) == 2
    assert seeded.count(EX + "graph/none") == 0
    turtle = seeded.dump(format="turtle", graph=G_A)
    assert {t.object.value for t in ox.parse(turtle, format=ox.RdfFormat.TURTLE)} == {"in a", EX + "o1"}
    quads = list(ox.parse(seeded.dump(format="nquads"), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == 4
    assert {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)} == {G_A, G_B}
    assert seeded.dump(format="ntriples", graph=EX + "graph/none").strip() == b""
    with pytest.raises(ValueError):
        seeded.dump(format="turtle")


RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML, "tsv": ox.QueryResultsFormat.TSV}
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@pytest.mark.parametrize("name", sorted(RESULT_FORMATS))
def test_query_to_results_formats(seeded: Store, name: str) -> None:
    data = seeded.query_to(VALUES, format=name)
    parsed = ox.parse_query_results(data, format=RESULT_FORMATS[name])
    assert values(parsed) == {"default", "in a", "in b"}  # type: ignore[arg-type]
    ask = seeded.query_to('ASK { ?s ?p "in a" }', format=name)
    assert bool(ox.parse_query_results(ask, format=RESULT_FORMATS[name])) is True


def test_query_to_csv(seeded: Store) -> None:
    data = seeded.query_to(VALUES + " ORDER BY ?v", format="csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows == [["v"], ["default"], ["in a"], ["in b"]]


@pytest.mark.parametrize("name", sorted(RDF_FORMATS))
def test_query_to_rdf_formats(seeded: Store, name: str) -> None:
    data = seeded.query_to("CONSTRUCT WHERE { ?s <http://example.org/p> ?o }", format=name)
    parsed = list(ox.parse(data, format=RDF_FORMATS[name]))
    assert {q.object.value for q in parsed} == {"default", "in a", "in b"}


def test_query_to_refuses_a_format_that_does_not_fit(seeded: Store) -> None:
    with pytest.raises(StoreError):
        seeded.query_to(VALUES, format="turtle")
    with pytest.raises(StoreError):
        seeded.query_to("CONSTRUCT WHERE { ?s ?p ?o }", format="csv")
    with pytest.raises(ValueError):
        seeded.query_to(VALUES, format="yaml")


def test_syntax_error_carries_the_parsers_message(seeded: Store) -> None:
    where = "line 1:" if isinstance(seeded, VirtuosoStore) else "error at 1:"  # each parser's own words
    with pytest.raises(QuerySyntaxError) as info:
        seeded.query("SELEC ?x WHERE { ?x ?y ?z }")
    assert where in info.value.message
    assert isinstance(info.value, StoreError)
    with pytest.raises(QuerySyntaxError) as info:
        seeded.update("INSER DATA { }")
    assert where in str(info.value)


def test_update_runs(seeded: Store) -> None:
    seeded.update(f'INSERT DATA {{ GRAPH <{G_NEW}> {{ <{EX}u> <{EX}p> "updated" }} }}')
    assert values(seeded.query(VALUES, default_graph=[G_NEW])) == {"updated"}  # type: ignore[arg-type]
    with pytest.raises(StoreError):  # CREATE of an existing graph fails at run time
        seeded.update(f"CREATE GRAPH <{G_NEW}>")


# --------------------------------------------------------------------------- embedded only


def test_read_only_store_answers_but_refuses_writes(tmp_path: Path) -> None:
    with OxigraphStore(tmp_path / "db") as rw:
        rw.bulk_load(data=SEED, format="nquads")
    with OxigraphStore(tmp_path / "db", read_only=True) as ro:
        assert ro.read_only
        assert ro.count() == 4
        assert values(ro.query(VALUES)) == {"default", "in a", "in b"}  # type: ignore[arg-type]
        with pytest.raises(ReadOnlyError):
            ro.update(f"INSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }}")
        with pytest.raises(ReadOnlyError):
            ro.replace_graph(G_A, [])
        with pytest.raises(ReadOnlyError):
            ro.bulk_load(data=SEED, format="nquads")
        ro.flush()  # meaningless on a read-only store: a no-op
        assert ro.count() == 4
    with pytest.raises(StoreError):
        OxigraphStore(tmp_path / "missing", read_only=True)
    assert not (tmp_path / "missing").exists()
    # opened through open_store with a path
    with open_store(tmp_path / "db", read_only=True) as again:
        assert isinstance(again, OxigraphStore)
        assert again.count(G_B) == 1


def test_close_releases_the_directory(tmp_path: Path) -> None:
    first = OxigraphStore(tmp_path / "db")
    first.bulk_load(data=SEED, format="nquads")
    first.close()
    with pytest.raises(StoreError):
        first.count()
    with OxigraphStore(tmp_path / "db") as second:
        assert second.count() == 4


def test_replace_graph_is_atomic_for_readers(tmp_path: Path) -> None:
    """A reader counting the graph while it is replaced over and over never sees a partial graph."""
    store = OxigraphStore(tmp_path / "db")
    size = 300
    store.replace_graph(G_A, [triple(f"s{i}", "p", "v0") for i in range(size)])
    seen: set[int] = set()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            seen.add(int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G_A}> {{ ?s ?p ?o }} }}")))["n"].value))  # type: ignore[index, union-attr]

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for round_ in range(1, 40):
            store.replace_graph(G_A, [triple(f"s{i}", "p", f"v{round_}") for i in range(size)])
    finally:
        done.set()
        thread.join()
    assert seen == {size}
    store.close()


def test_in_memory_store() -> None:
    with OxigraphStore() as mem:
        mem.bulk_load(data=SEED, format="nquads")
        assert mem.path is None
        assert mem.count() == 4
        mem.flush()
        mem.optimize()


# --------------------------------------------------------------------------- remote only


def test_remote_read_only_refuses_writes(server: str) -> None:
    with _remote(server) as rw:
        rw.bulk_load(data=SEED, format="nquads")
    with open_store(server + "/", read_only=True) as ro:
        assert isinstance(ro, RemoteSparqlStore)
        assert ro.graph_store_endpoint == server + "/store"
        assert ro.update_endpoint == server + "/update"
        assert ro.count() == 4
        with pytest.raises(ReadOnlyError):
            ro.update("DROP ALL")
        with pytest.raises(ReadOnlyError):
            ro.replace_graph(G_A, [])
    with open_store(server + "/query") as by_query_url:
        assert by_query_url.graphs() == [G_A, G_B]  # type: ignore[union-attr]


def test_remote_replace_graph_by_graph_store_put(server: str) -> None:
    with _remote(server, max_update_bytes=0) as st:
        st.bulk_load(data=SEED, format="nquads")
        st.replace_graph(G_A, [triple("s9", "p", "put a")])
        assert values(st.query(VALUES)) == {"default", "put a", "in b"}  # type: ignore[arg-type]


def test_remote_without_graph_store_endpoint(server: str, tmp_path: Path) -> None:
    with _remote(server) as setup:
        setup.update("DROP ALL")
    st = RemoteSparqlStore(server + "/query", max_update_bytes=200)  # update endpoint derived
    with st:
        assert st.update_endpoint == server + "/update"
        st.bulk_load(data=SEED, format="nquads")  # parsed here, sent as INSERT DATA chunks
        nt = tmp_path / "more.nt"
        nt.write_text("".join(f'<{EX}m{i}> <{EX}p> "m{i}" .\n' for i in range(20)))
        st.bulk_load(path=nt, format="nt", graph=G_NEW)
        assert st.count() == 24
        assert st.count(G_NEW) == 20
        assert len(list(ox.parse(st.dump(format="nquads"), format=ox.RdfFormat.N_QUADS))) == 24
        assert len(list(ox.parse(st.dump(format="ntriples", graph=G_A), format=ox.RdfFormat.N_TRIPLES))) == 2
        st.replace_graph(G_NEW, [triple("r", "p", "replaced")])
        assert st.count(G_NEW) == 1


def test_remote_errors_are_store_errors() -> None:
    with RemoteSparqlStore(f"http://127.0.0.1:{_free_port()}/query", timeout=2) as st:
        with pytest.raises(StoreError):
            st.query("ASK {}")


# --------------------------------------------------------------------------- releases


def _build(var: Path, label: str) -> Path:
    build = releases.new_build_dir(var)
    with OxigraphStore(build) as st:
        st.replace_graph(G_A, [triple("release", "p", label)])
    return build


def _label(store: Store) -> set[str]:
    return values(store.query(VALUES))  # type: ignore[arg-type]


def test_new_build_dirs_are_unique_and_sortable(tmp_path: Path) -> None:
    made = [releases.new_build_dir(tmp_path) for _ in range(5)]
    assert len(set(made)) == 5
    assert made == sorted(made)
    assert all(p.parent == tmp_path / "builds" and p.is_dir() for p in made)
    assert releases.current(tmp_path) is None


def test_promote_swaps_atomically_and_old_readers_keep_working(tmp_path: Path) -> None:
    var = tmp_path / "var"
    first = _build(var, "one")
    releases.promote(var, first)
    assert releases.current(var) == first.resolve()
    assert (var / "store").is_symlink()
    assert not Path((var / "store").readlink()).is_absolute()

    old_reader = OxigraphStore(var / "store", read_only=True)
    assert _label(old_reader) == {"one"}

    second = _build(var, "two")
    releases.promote(var, second)
    assert releases.current(var) == second.resolve()
    assert [p.name for p in var.iterdir() if p.name.startswith(".")] == []  # no temp link left over
    with open_store(var / "store", read_only=True) as new_reader:
        assert _label(new_reader) == {"two"}
    assert _label(old_reader) == {"one"}  # opened before the swap: still its own build
    old_reader.close()


def test_failed_build_is_discarded_and_current_keeps_answering(tmp_path: Path) -> None:
    var = tmp_path / "var"
    releases.promote(var, _build(var, "good"))
    with pytest.raises(RuntimeError):
        with releases.staged_build(var) as build:
            with OxigraphStore(build) as st:
                st.replace_graph(G_A, [triple("release", "p", "half")])
            raise RuntimeError("validation failed")
    assert not build.exists()
    assert len(releases.builds(var)) == 1
    with OxigraphStore(var / "store", read_only=True) as reader:
        assert _label(reader) == {"good"}
    with pytest.raises(StoreError):
        releases.discard(releases.current(var))  # type: ignore[arg-type]


def test_staged_build_promotes_on_success(tmp_path: Path) -> None:
    var = tmp_path / "var"
    with releases.staged_build(var) as build:
        with OxigraphStore(build) as st:
            st.replace_graph(G_A, [triple("release", "p", "staged")])
    assert releases.current(var) == build.resolve()


def test_prune_keeps_current_and_newest(tmp_path: Path) -> None:
    var = tmp_path / "var"
    made = [_build(var, f"b{i}") for i in range(5)]
    releases.promote(var, made[0])  # the current one is the oldest
    removed = releases.prune(var, keep=2)
    assert sorted(removed) == made[1:3]
    assert releases.builds(var) == [made[0], made[3], made[4]]
    assert releases.prune(var, keep=0) == [made[3], made[4]]
    assert releases.builds(var) == [made[0]]
    with OxigraphStore(var / "store", read_only=True) as reader:
        assert _label(reader) == {"b0"}


def test_promote_refuses_strangers(tmp_path: Path) -> None:
    var = tmp_path / "var"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(StoreError):
        releases.promote(var, elsewhere)
    (var / "store").mkdir(parents=True)
    with pytest.raises(StoreError):
        releases.promote(var, releases.new_build_dir(var))


# --------------------------------------------------------------------------- Virtuoso only


def test_virtuoso_is_found_by_its_sparql_url_and_hides_its_system_graphs(virtuoso: object) -> None:
    with _virtuoso(virtuoso) as st:
        st.bulk_load(data=SEED, format="nquads")
        anonymous = open_store(virtuoso.sparql, read_only=True)  # type: ignore[attr-defined]
        assert isinstance(anonymous, VirtuosoStore) and anonymous.query_endpoint == virtuoso.sparql  # type: ignore[attr-defined]
        with anonymous:
            assert anonymous.graphs() == [G_A, G_B]  # not virtrdf#, ldp#, the URIQA graph
            assert anonymous.count() == 4
            # Virtuoso's own default dataset is every graph, its system graphs too (docs/scaling.md)
            assert int(next(iter(anonymous.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value) > 4  # type: ignore[index, union-attr, call-overload]
        with pytest.raises(ReadOnlyError):
            anonymous.update("DROP ALL")


def test_virtuoso_refuses_wrong_credentials(virtuoso: object) -> None:
    wrong = f"http://kg:not-the-password@127.0.0.1:{virtuoso.http_port}/sparql"  # type: ignore[attr-defined]
    with open_store(wrong) as st:
        with pytest.raises(StoreError, match="401"):
            st.update(f"INSERT DATA {{ GRAPH <{G_A}> {{ <{EX}a> <{EX}b> <{EX}c> }} }}")
    with open_store(virtuoso.store_url) as st:  # type: ignore[attr-defined]
        assert "not-the-password" not in repr(st) and virtuoso.password not in repr(st)  # type: ignore[attr-defined]


def test_virtuoso_blank_nodes_and_literals_round_trip(virtuoso: object, tmp_path: Path) -> None:
    """What comes back from Virtuoso next to the embedded store (docs/scaling.md, engine differences)."""
    data = f"""@prefix ex: <{EX}> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:s ex:seq [ ex:first "a" ; ex:rest [ ex:first "b" ] ] ;
     ex:lang "Wasser"@de ; ex:month "2017-09"^^xsd:gYearMonth ; ex:day "2020-01-31"^^xsd:date ;
     ex:n 3 ; ex:amount 1.50 ; ex:flag true ; ex:plain "text" ;
     ex:days "P5D"^^xsd:duration ; ex:months "P7M"^^xsd:duration ; ex:years "P1Y2M"^^xsd:duration ;
     ex:clock "P1DT2H30M1.5S"^^xsd:duration .
"""
    shape = "SELECT ?first WHERE { <http://example.org/s> <http://example.org/seq>/<http://example.org/rest>*/<http://example.org/first> ?first }"
    typed = "SELECT ?p ?o WHERE { <http://example.org/s> ?p ?o FILTER(isLiteral(?o)) }"
    answers = {}
    with OxigraphStore(tmp_path / "db") as embedded, _virtuoso(virtuoso) as remote:
        for st in (embedded, remote):
            st.bulk_load(data=data, format="turtle", graph=G_A)
            # one request per graph for triples with blank nodes: the list stays one structure
            firsts = sorted(r["first"].value for r in st.query(shape))  # type: ignore[index, union-attr]
            literals = {r["p"].value.rsplit("/", 1)[1]: (r["o"].value, r["o"].datatype.value, r["o"].language) for r in st.query(typed)}  # type: ignore[index, union-attr]
            answers[type(st).__name__] = (firsts, literals, st.count(G_A))
    assert answers["OxigraphStore"] == answers["VirtuosoStore"]
    assert answers["VirtuosoStore"][1]["month"] == ("2017-09", "http://www.w3.org/2001/XMLSchema#gYearMonth", None)


def test_ship_copies_the_whole_release_hard_linking_sst_files(tmp_path: Path) -> None:
    origin, replica = tmp_path / "origin", tmp_path / "replica"
    build = _build(origin, "shipped")
    (build / "kg-read.sqlite").write_bytes(b"read model")  # the project's own files travel too
    (build / "kg-dist").mkdir()
    (build / "kg-dist" / "euprojects.nq.gz").write_bytes(b"dump")
    with OxigraphStore(build) as st:
        st.optimize()  # RocksDB writes its SST files
    shipped = releases.ship(build, replica)
    assert shipped.build == replica / "builds" / build.name and not shipped.already
    sst = sorted(p.name for p in build.glob("*.sst"))
    assert sst and shipped.linked == len(sst)
    for name in sst:
        assert (replica / "builds" / build.name / name).stat().st_ino == (build / name).stat().st_ino
    assert (shipped.build / "kg-dist" / "euprojects.nq.gz").read_bytes() == b"dump"
    assert (shipped.build / "kg-read.sqlite").read_bytes() == b"read model"
    assert [p.name for p in (replica / "builds").iterdir()] == [build.name]  # no half copy left beside it
    assert releases.current(replica) is None  # shipped, not promoted
    releases.promote(replica, shipped.build)
    with OxigraphStore(replica / "store", read_only=True) as reader:
        assert _label(reader) == {"shipped"}
    assert releases.ship(build, replica).already
    copied = releases.ship(build, tmp_path / "other", link=False)  # another filesystem: plain copies
    assert copied.linked == 0 and copied.copied > len(sst)
    with pytest.raises(StoreError):
        releases.ship(tmp_path / "nothing", replica)
    with pytest.raises(StoreError):
        releases.find_build(replica, "../escape")
