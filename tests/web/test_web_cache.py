"""The result cache per release (issue 13): the same query, dataset and format is answered from
memory, every answer has an ETag and If-None-Match answers 304; a write with the token, or a new
release, starts afresh; the memory is bounded (LRU)."""

from __future__ import annotations

from pathlib import Path

import httpx
from weblive import TOKEN, Server, build_store

from kg.store import releases
from kg.store.cache import Entry, ResultCache

Q = "SELECT ?s WHERE { ?s a <https://w3id.org/euprojects/def#Project> } ORDER BY ?s"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/euprojects/graph/test/cache> { ?s ?p ?o } }"


def test_same_query_is_a_hit_with_one_etag_and_304(server: Server) -> None:
    q = Q + " # cache test " + server.url  # a text no other test sends
    first = httpx.get(server.sparql, params={"query": q})
    second = httpx.get(server.sparql, params={"query": q})
    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "hit"
    assert first.content == second.content
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and second.headers["etag"] == etag
    # the same text POSTed is the same answer
    posted = httpx.post(server.sparql, content=q, headers={"Content-Type": "application/sparql-query"})
    assert posted.headers["x-cache"] == "hit" and posted.headers["etag"] == etag
    # If-None-Match: 304, no body, the ETag again
    not_modified = httpx.get(server.sparql, params={"query": q}, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified.headers["etag"] == etag
    assert httpx.get(server.sparql, params={"query": q}, headers={"If-None-Match": 'W/"other", ' + etag}).status_code == 304
    # another format, another dataset: another answer and ETag
    csv = httpx.get(server.sparql, params={"query": q}, headers={"Accept": "text/csv", "If-None-Match": etag})
    assert csv.status_code == 200 and csv.headers["etag"] != etag and csv.headers["content-type"].startswith("text/csv")
    scoped = httpx.get(server.sparql, params={"query": q, "default-graph-uri": "https://w3id.org/euprojects/graph/none"})
    assert scoped.headers["etag"] not in (etag, csv.headers["etag"]) and scoped.json()["results"]["bindings"] == []


def test_a_new_release_starts_afresh(server: Server, ro_var: Path) -> None:
    marker = "SELECT ?m WHERE { ?x <https://w3id.org/euprojects/def/marker#is> ?m } # cache"
    original = releases.current(ro_var)
    assert original is not None
    before = httpx.get(server.sparql, params={"query": marker})
    assert before.json()["results"]["bindings"] == []
    try:
        build_store(ro_var, bench_rows=0, marker="build-cache")
        after = httpx.get(server.sparql, params={"query": marker}, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["x-cache"] == "miss"
        assert [b["m"]["value"] for b in after.json()["results"]["bindings"]] == ["build-cache"]
    finally:
        releases.promote(ro_var, original)


def test_writes_with_the_token_invalidate(rw_server: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    first = httpx.get(rw_server.sparql, params={"query": COUNT})
    again = httpx.get(rw_server.sparql, params={"query": COUNT})
    assert again.headers["x-cache"] == "hit" and first.json()["results"]["bindings"][0]["n"]["value"] == "0"
    insert = "INSERT DATA { GRAPH <https://w3id.org/euprojects/graph/test/cache> { <urn:a> <urn:b> <urn:c> } }"
    assert httpx.post(rw_server.url + "/update", content=insert, headers={**auth, "Content-Type": "application/sparql-update"}).status_code == 204
    after = httpx.get(rw_server.sparql, params={"query": COUNT}, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["x-cache"] == "miss" and after.headers["etag"] != first.headers["etag"]
    assert after.json()["results"]["bindings"][0]["n"]["value"] == "1"
    # and a Graph Store write too
    r = httpx.delete(rw_server.url + "/store", params={"graph": "https://w3id.org/euprojects/graph/test/cache"}, headers=auth)
    assert r.status_code == 204
    last = httpx.get(rw_server.sparql, params={"query": COUNT})
    assert last.headers["x-cache"] == "miss" and last.json()["results"]["bindings"][0]["n"]["value"] == "0"


def test_the_service_description_says_so(server: Server) -> None:
    text = httpx.get(server.sparql, headers={"Accept": "text/turtle"}).text
    assert "cached per release" in text and "If-None-Match" in text and "304" in text


def test_the_cache_is_bounded_least_recently_used_first_out() -> None:
    cache = ResultCache(40_000)
    cache.for_release("r1")
    for i in range(20):
        cache.put((str(i),), Entry(b"x" * 5_000, "text/csv", str(i)))
        cache.get(("0",))  # kept in use
    assert cache.size <= 40_000 and len(cache) < 20
    assert cache.get(("0",)) is not None and cache.get(("1",)) is None and cache.get(("19",)) is not None
    cache.put(("big",), Entry(b"x" * 20_000, "text/csv", "big"))  # over a quarter of the bound: not kept
    assert cache.get(("big",)) is None
    cache.for_release("r2")
    assert len(cache) == 0 and cache.size == 0
