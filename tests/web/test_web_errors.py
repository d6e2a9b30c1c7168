"""Errors no route answers itself (no such path, a method the path does not take), against a live
read-only server: ``application/problem+json`` on the site (an HTML page for browsers outside
``/api/``), plain text at the SPARQL protocol endpoints; and an OpenAPI document without duplicate
operation ids (in process)."""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from pathlib import Path

import httpx
import pytest
from weblive import Server, build_store

with warnings.catch_warnings():  # Starlette's notice about httpx vs httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from kg.settings import Settings
from kg.web.app import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert media(response) == "application/problem+json"
    assert "Accept" in response.headers["vary"]
    return response.json()


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/problem+json"])
@pytest.mark.parametrize("path", ["/no-such-page", "/api/no-such-endpoint", "/static/no-such-file.css", "/sparql/more"])
def test_unknown_paths_are_problem_json(server: Server, path: str, accept: str | None) -> None:
    r = httpx.get(server.url + path, headers={"Accept": accept} if accept else {})
    assert problem(r, 404) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"Nothing is served at {path}.",
        "instance": server.url + path,
    }


def test_a_browser_gets_an_html_404_page_but_not_under_api(server: Server) -> None:
    r = httpx.get(server.url + "/no-such-page", headers={"Accept": BROWSER})
    assert r.status_code == 404 and media(r) == "text/html"
    assert "Nothing is served at /no-such-page." in r.text and "Accept" in r.headers["vary"]
    problem(httpx.get(server.url + "/api/no-such-endpoint", headers={"Accept": BROWSER}), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/projects", "GET"),
        ("DELETE", "/", "GET"),
        ("PUT", "/api/projects", "GET"),
        ("POST", "/catalog", "GET, HEAD"),
        ("DELETE", "/doc/project/ic4lop", "GET, HEAD"),
    ],
)
def test_a_wrong_method_on_a_site_path_is_problem_json_with_allow(server: Server, method: str, path: str, allow: str) -> None:
    r = httpx.request(method, server.url + path)
    body = problem(r, 405)
    assert r.headers["allow"] == allow
    assert body["title"] == "Method Not Allowed" and body["type"] == "about:blank"
    assert body["detail"] == f"{method} is not allowed on {path} (allowed: {allow})."


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/sparql", "GET, HEAD, POST, OPTIONS"),
        ("PUT", "/update", "POST, OPTIONS"),
        ("GET", "/update", "POST, OPTIONS"),
        ("PATCH", "/store", "GET, HEAD, POST, PUT, DELETE, OPTIONS"),
    ],
)
def test_the_protocol_endpoints_keep_plain_text_errors(server: Server, method: str, path: str, allow: str) -> None:
    r = httpx.request(method, server.url + path, headers={"Accept": "application/json"})
    assert r.status_code == 405 and media(r) == "text/plain"
    assert r.headers["allow"] == allow
    assert r.text == f"{method} is not allowed on {path} (allowed: {allow}).\n"


def test_openapi_operation_ids_are_unique_and_nothing_is_warned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    build_store(settings.var_dir, bench_rows=0)  # type: ignore[arg-type]
    app = create_app(settings.serving(query_workers=1))
    with TestClient(app) as client, warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        r = client.get("/api/openapi.json")
    assert r.status_code == 200
    ids = Counter(op["operationId"] for item in r.json()["paths"].values() for op in item.values() if "operationId" in op)
    assert ids and [i for i, n in ids.items() if n > 1] == []
    assert [str(w.message) for w in caught if "Operation ID" in str(w.message)] == []
    assert [rec.getMessage() for rec in caplog.records if "Operation ID" in rec.getMessage()] == []
    paths = r.json()["paths"]
    for path in ("/sparql", "/store", "/catalog", "/.well-known/void", "/dumps/{name}", "/ontology", "/shapes"):
        assert "get" in paths[path] and "head" not in paths[path], path  # HEAD answers, undocumented
