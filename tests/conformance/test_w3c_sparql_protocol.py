"""The W3C SPARQL 1.1 Protocol (34) and Service Description (3) tests against a live server.

Each protocol test's requests and checks are read from ``protocol/manifest.ttl`` (see
:func:`w3c_sparql.protocol_cases`); known failures are ``xfail(strict=True)`` with the reason
from :data:`w3c_sparql.EXPECTED_FAILURES` (also in docs/conformance.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import w3c_sparql as w3c

pytestmark = pytest.mark.skipif(not w3c.suite_available(), reason=f"W3C SPARQL 1.1 suite not found at {w3c.SUITE_DIR}")

PROTOCOL = w3c.protocol_cases() if w3c.suite_available() else []
SERVICE_DESCRIPTION = w3c.service_description_cases() if w3c.suite_available() else []


def _param(case_id: str, value: Any) -> Any:
    marks = []
    if case_id in w3c.EXPECTED_FAILURES:
        category, reason = w3c.EXPECTED_FAILURES[case_id]
        marks.append(pytest.mark.xfail(strict=True, reason=f"{w3c.CATEGORY_LABELS[category]}: {reason}"))
    return pytest.param(value, id=case_id, marks=marks)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[w3c.LiveServer]:
    srv = w3c.LiveServer(tmp_path_factory.mktemp("w3c-protocol")).start()
    yield srv
    srv.stop()


def test_manifest_has_every_protocol_test() -> None:
    assert len(PROTOCOL) == 34
    assert all(case.requests for case in PROTOCOL)


@pytest.mark.parametrize("case", [_param(c.id, c) for c in PROTOCOL])
def test_protocol(server: w3c.LiveServer, case: w3c.ProtocolCase) -> None:
    try:
        w3c.run_protocol_case(server, case)
    except w3c.Failure as exc:
        pytest.fail(f"{case.name}: {exc}", pytrace=False)


@pytest.mark.parametrize("case_id", [_param(c, c) for c in SERVICE_DESCRIPTION])
def test_service_description(server: w3c.LiveServer, case_id: str) -> None:
    try:
        w3c.run_service_description_case(server, case_id)
    except w3c.Failure as exc:
        pytest.fail(f"{w3c.SERVICE_DESCRIPTION_CASES[case_id]}: {exc}", pytrace=False)


# ------------------------------------------------------------------ beyond the manifest

UPDATE = {"Content-Type": "application/sparql-update"}


def _post_update(server: w3c.LiveServer, text: str, params: list[tuple[str, str]]) -> httpx.Response:
    return server.http.post("/update", params=params, content=text.encode(), headers={**UPDATE, **server.auth})


def test_using_graph_uri_sets_the_dataset_of_every_where(server: w3c.LiveServer) -> None:
    server.reset()
    assert server.update(
        "INSERT DATA { GRAPH <http://ex/a> { <http://ex/s> <http://ex/p> 1 } GRAPH <http://ex/b> { <http://ex/s> <http://ex/p> 2 } }"
    ).status_code == 204
    text = (
        "INSERT { GRAPH <http://ex/out1> { ?s <http://ex/v> ?o } } WHERE { ?s ?p ?o } ;\n"
        "# a comment with WHERE { and USING in it\n"
        "DELETE { GRAPH <http://ex/none> { ?s ?p ?o } } INSERT { GRAPH <http://ex/out2> { ?s <http://ex/g> ?g } }\n"
        "where { GRAPH ?g { ?s ?p ?o } FILTER(STR(?g) != \"WHERE {\") }"
    )
    response = _post_update(server, text, [("using-graph-uri", "http://ex/a"), ("using-named-graph-uri", "http://ex/b")])
    assert response.status_code == 204, response.text
    dump = server.http.get("/store", headers={"Accept": "application/n-quads"})
    graphs: dict[str, set[tuple[str, str, str]]] = {}
    for quad in w3c.parse_graph(dump.content, ".nq"):
        graphs.setdefault(str(quad.graph_name), set()).add((str(quad.subject), str(quad.predicate), str(quad.object)))
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    # default graph = <http://ex/a> only; named graphs = <http://ex/b> only
    assert graphs["<http://ex/out1>"] == {("<http://ex/s>", "<http://ex/v>", f'"1"^^<{integer}>')}
    assert graphs["<http://ex/out2>"] == {("<http://ex/s>", "<http://ex/g>", "<http://ex/b>")}


@pytest.mark.parametrize(
    "text",
    [
        "WITH <http://ex/a> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } USING <http://ex/a> WHERE { ?s ?p ?o }",
        "DELETE WHERE { ?s ?p ?o }",
    ],
)
def test_using_graph_uri_refusals(server: w3c.LiveServer, text: str) -> None:
    response = _post_update(server, text, [("using-graph-uri", "http://ex/a")])
    assert response.status_code == 400, response.text


def test_using_graph_uri_must_be_an_iri(server: w3c.LiveServer) -> None:
    response = _post_update(server, "INSERT { <http://ex/s> <http://ex/p> 1 } WHERE {}", [("using-graph-uri", "no iri> {")])
    assert response.status_code == 400
