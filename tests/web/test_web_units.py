"""Unit tests without a server: negotiation, the SERVICE/LOAD guard, settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.settings import Settings
from kg.web import http
from kg.web.http import DATASET, GRAPH, RESULTS
from kg.web.sparql import guard


@pytest.mark.parametrize(
    ("offers", "accept", "fmt", "expected"),
    [
        (RESULTS, None, None, "application/sparql-results+json"),
        (RESULTS, "", None, "application/sparql-results+json"),
        (RESULTS, "*/*", None, "application/sparql-results+json"),
        (RESULTS, "*", None, "application/sparql-results+json"),
        (RESULTS, "text/csv;q=0.5, text/tab-separated-values;q=0.6", None, "text/tab-separated-values"),
        (RESULTS, "text/*, application/sparql-results+json;q=0.9", None, "text/csv"),
        (RESULTS, "text/csv, */*", None, "text/csv"),
        (RESULTS, "TEXT/CSV", None, "text/csv"),
        (RESULTS, "text/turtle", None, None),
        (RESULTS, "application/sparql-results+json;q=0", None, None),
        (RESULTS, "application/sparql-results+json;q=0, */*;q=0.1", None, "application/sparql-results+xml"),
        (RESULTS, "garbage", None, "application/sparql-results+json"),
        (RESULTS, "text/turtle", "csv", "text/csv"),
        (RESULTS, None, "application/sparql-results+json,application/json", "application/sparql-results+json"),
        (RESULTS, None, "turtle", None),
        (GRAPH, None, None, "text/turtle"),
        (GRAPH, "application/ld+json; profile=\"http://www.w3.org/ns/json-ld#compacted\"", None, "application/ld+json"),
        (GRAPH, None, "xml", "application/rdf+xml"),
        (GRAPH, None, "json", "application/ld+json"),
        (GRAPH, None, "csv", None),
        (DATASET, "*/*", None, "application/trig"),
        (DATASET, "text/turtle", None, None),
    ],
)
def test_choose(offers: tuple[http.Offer, ...], accept: str | None, fmt: str | None, expected: str | None) -> None:
    offer = http.choose(offers, accept, fmt)
    assert (offer.media_type if offer else None) == expected


def test_describe_lists_types_and_names() -> None:
    text = http.describe(RESULTS)
    assert "text/csv" in text and "format=" in text and "tsv" in text


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * {}", "SELECT"),
        ("prefix a: <x:> # c\nBASE <http://b/>\nconstruct where {}", "CONSTRUCT"),
        ("ASK{}", "ASK"),
        ("DESCRIBE <x:y>", "DESCRIBE"),
        ("INSERT DATA {}", None),
        ("", None),
    ],
)
def test_query_form(text: str, form: str | None) -> None:
    assert guard.query_form(text) == form


ALLOW = ["allowed.org", "*.example.net", "127.0.0.1:8890"]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { SERVICE <http://allowed.org/sparql> { ?s ?p ?o } }",
        "SELECT * { SERVICE <https://a.b.example.net/sparql> { ?s ?p ?o } }",
        "SELECT * { SERVICE <http://127.0.0.1:8890/sparql> { } }",
        "PREFIX x: <http://allowed.org/> SELECT * { SERVICE x:sparql { } }",
        "SELECT ?service { ?service ?p ?o }",
        "SELECT * { ?s <http://x.org/ns#service> ?o . ?s ?p 'load me' }",
        "PREFIX kg: <https://w3id.org/euprojects/def#> SELECT * { ?s kg:loadFactor ?o ; kg:serviceLevel ?l }",
        "SELECT * { ?s ?p ?o FILTER(?o < 3) } # service <http://evil.org/>",
        "SELECT * { ?s ?p ?o FILTER(?o IN (<http://x/#a>, <http://x/#b>)) } # SERVICE <http://evil.org/> {}",
    ],
)
def test_guard_allows(text: str) -> None:
    guard.check_remote_access(text, ALLOW)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("SELECT * { SERVICE <http://evil.org/sparql> { } }", "evil.org"),
        ("SELECT * { SERVICE <http://allowed.org.evil.org/> { } }", "allowed.org.evil.org"),
        ("SELECT * { SERVICE <http://allowed.org@evil.org/> { } }", "evil.org"),
        ("SELECT * { SERVICE <http://127.0.0.1:8891/> { } }", "127.0.0.1:8891"),
        ("SELECT * { SERVICE <http://example.net/> { } }", "example.net"),
        ("SELECT * { SERVICE <file:///etc/passwd> { } }", "http(s)"),
        ("SELECT * { SERVICE <http://%65vil.org/> { } }", "%65vil.org"),
        ("SELECT * { SERVICE <http://\\u0065vil.org/> { } }", "evil.org"),
        ("SELECT * { SERVICE ?x { } }", "variable"),
        ("SELECT * { SERVICE undeclared:x { } }", "not declared"),
        ("PREFIX a: <http://allowed.org/> PREFIX a: <http://evil.org/> SELECT * { SERVICE a:x { } }", "evil.org"),
        ("PREFIX x: <http://allowed.org> SELECT * { SERVICE x:\\@evil.org\\/ { } }", "evil.org"),
        ("SELECT * { ?s ?p ?o FILTER(?o<?o)SERVICE#>\n<http://evil.org/> { } }", "cannot verify"),
        ("SELECT * { ?s ?p ?o FILTER(?o<?o||'>') SERVICE <http://evil.org/> { } }", "evil.org"),
    ],
)
def test_guard_refuses(text: str, needle: str) -> None:
    with pytest.raises(guard.Refused) as info:
        guard.check_remote_access(text, ALLOW)
    assert needle in info.value.message


def test_guard_load_only_in_updates() -> None:
    guard.check_remote_access("SELECT ?load { ?load <http://evil.org/p> ?o }", [])
    with pytest.raises(guard.Refused, match="LOAD to host evil.org"):
        guard.check_remote_access("LOAD <http://evil.org/data.ttl> INTO GRAPH <http://g>", [], update=True)
    with pytest.raises(guard.Refused, match="LOAD to host evil.org"):
        guard.check_remote_access("LOADSILENT<http://evil.org/data.ttl>", [], update=True)
    guard.check_remote_access("LOAD <http://allowed.org/data.ttl>", ["allowed.org"], update=True)


def test_settings_from_env(tmp_path: Path) -> None:
    env = {"KG_TOKEN": "t", "KG_QUERY_TIMEOUT": "2.5", "KG_SERVICE_ALLOWLIST": "a.org, b.org c.org", "KG_QUERY_WORKERS": "3"}
    web = Settings.from_env(env, var_dir=tmp_path)
    assert web.token == "t" and web.writable
    assert web.query_timeout == 2.5
    assert web.service_allowlist == ("a.org", "b.org", "c.org")
    assert web.pool_size == 1  # forced: a token means one read-write process
    assert web.store_path == tmp_path / "store"
    web = Settings.from_env(env | {"KG_TOKEN": ""}, var_dir=tmp_path).serving(query_timeout=1, service_allowlist=[], query_workers=4)
    assert web.token is None and web.query_timeout == 1 and web.service_allowlist == () and web.pool_size == 4
    assert Settings.from_env({}, var_dir=tmp_path).query_timeout == 30.0
    assert web.current_store() is None
    with pytest.raises(ValueError):
        Settings.from_env({"KG_QUERY_TIMEOUT": "soon"}, var_dir=tmp_path)
