"""The W3C SPARQL 1.1 query evaluation, syntax and update tests against a live server.

One server for the module; each test empties its store (``DROP ALL``) and loads its own data
through the Graph Store Protocol (see :mod:`w3c_sparql` for how the dataset is given). Known
failures are ``xfail(strict=True)`` with the reason from :data:`w3c_sparql.EXPECTED_FAILURES`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import w3c_sparql as w3c
from w3c_sparql import Failure, Results, compare_results, literal

CASES = w3c.query_cases() if w3c.suite_available() else []
needs_suite = pytest.mark.skipif(not w3c.suite_available(), reason=f"W3C SPARQL 1.1 suite not found at {w3c.SUITE_DIR}")


def _param(case: w3c.QueryCase) -> Any:
    marks = []
    if case.id in w3c.EXPECTED_FAILURES:
        category, reason = w3c.EXPECTED_FAILURES[case.id]
        marks.append(pytest.mark.xfail(strict=True, reason=f"{w3c.CATEGORY_LABELS[category]}: {reason}"))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[w3c.LiveServer]:
    srv = w3c.LiveServer(tmp_path_factory.mktemp("w3c-query")).start()
    yield srv
    srv.stop()


@needs_suite
@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_w3c(server: w3c.LiveServer, case: w3c.QueryCase) -> None:
    try:
        w3c.run_query_case(server, case)
    except Failure as exc:
        pytest.fail(f"{case.name}: {exc}", pytrace=False)


@needs_suite
def test_expected_failures_name_real_tests() -> None:
    known = {c.id for c in CASES} | {c.id for c in w3c.protocol_cases()} | set(w3c.SERVICE_DESCRIPTION_CASES)
    assert set(w3c.EXPECTED_FAILURES) <= known, set(w3c.EXPECTED_FAILURES) - known
    assert {category for category, _ in w3c.EXPECTED_FAILURES.values()} <= set(w3c.CATEGORY_LABELS)


@needs_suite
def test_every_query_manifest_entry_is_collected() -> None:
    kinds: dict[str, int] = {}
    for case in CASES:
        kinds[case.kind] = kinds.get(case.kind, 0) + 1
    assert kinds["eval"] >= 230 and kinds["syntax+"] >= 60 and kinds["syntax-"] >= 35
    assert kinds["update-eval"] >= 90


# ------------------------------------------------------------------ the comparison itself


def _rows(*rows: dict[str, tuple]) -> Results:
    return Results(variables=sorted({k for r in rows for k in r}), rows=list(rows))


def test_blank_nodes_match_up_to_renaming_but_consistently() -> None:
    a, b = ("B", "a"), ("B", "b")
    x, y = ("B", "x"), ("B", "y")
    one = literal("1")
    compare_results(_rows({"s": a, "o": one}, {"s": b, "o": a}), _rows({"s": y, "o": x}, {"s": x, "o": one}), ordered=False)
    with pytest.raises(Failure):  # _:a used twice must map to one node
        compare_results(_rows({"s": a, "o": a}), _rows({"s": x, "o": y}), ordered=False)
    with pytest.raises(Failure):  # two expected nodes cannot map to one
        compare_results(_rows({"s": a}, {"s": b}), _rows({"s": x}, {"s": x}), ordered=False)


def test_terms_compare_by_term_not_value() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    with pytest.raises(Failure):
        compare_results(_rows({"v": literal("1.0", xsd + "decimal")}), _rows({"v": literal("1", xsd + "decimal")}), ordered=False)
    compare_results(_rows({"v": literal("a", xsd + "string")}), _rows({"v": literal("a")}), ordered=False)
    compare_results(_rows({"v": literal("a", None, "en-US")}), _rows({"v": literal("a", None, "en-us")}), ordered=False)


def test_order_counts_only_when_asked() -> None:
    one, two = literal("1"), literal("2")
    compare_results(_rows({"v": one}, {"v": two}), _rows({"v": two}, {"v": one}), ordered=False)
    with pytest.raises(Failure):
        compare_results(_rows({"v": one}, {"v": two}), _rows({"v": two}, {"v": one}), ordered=True)


def test_multiplicity_matters() -> None:
    one = literal("1")
    with pytest.raises(Failure):
        compare_results(_rows({"v": one}, {"v": one}), _rows({"v": one}, {"v": literal("2")}), ordered=False)


def test_top_level_order_by() -> None:
    assert w3c.has_top_level_order_by("SELECT * { ?s ?p ?o } ORDER BY ?s")
    assert not w3c.has_top_level_order_by("SELECT * { { SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }")
    assert not w3c.has_top_level_order_by('SELECT * { ?s ?p "ORDER BY" } # ORDER BY')


def test_tsv_cells() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert w3c.tsv_term('"a\\tb"@EN') == ("L", "a\tb", None, "en")
    assert w3c.tsv_term("-3") == literal("-3", xsd + "integer")
    assert w3c.tsv_term("1.0E6") == w3c.tsv_term("1.0e6")
    assert w3c.tsv_term("<http://ex/>") == ("I", "http://ex/")
    assert w3c.tsv_term("") is None
