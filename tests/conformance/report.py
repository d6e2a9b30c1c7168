"""Run every W3C SPARQL 1.1 suite against a live server and write ``docs/conformance.md``.

    .venv/bin/python tests/conformance/report.py            # writes docs/conformance.md
    .venv/bin/python tests/conformance/report.py --out -    # prints it instead

Exit status 1 when a test fails that :data:`w3c_sparql.EXPECTED_FAILURES` does not list, or
a listed one passes (the list is then stale), as the pytest runs would.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import pyoxigraph
import w3c_sparql as w3c

COMMAND = ".venv/bin/python tests/conformance/report.py"
DOC = w3c.REPO / "docs" / "conformance.md"

INTRO = """\
# SPARQL 1.1 conformance

The W3C SPARQL 1.1 test suites (`shared/conformance/w3c-sparql11/`), played over HTTP
against a live `kg` server. Regenerate with `{command}` (under a minute on 2 cores); do not
edit by hand. The same cases run under pytest in `tests/conformance/test_w3c_sparql_protocol.py`
and `tests/conformance/test_w3c_sparql_query.py`, where the known failures listed below are
`xfail(strict=True)` (the list is `EXPECTED_FAILURES` in `tests/conformance/w3c_sparql.py`).

Engine: pyoxigraph {oxigraph}. {total} tests run, {skipped} skipped.

## How the tests are run

* **One live server** (`python -m kg.web.server` on a free loopback port) over an empty store
  of its own, with a write token so that SPARQL Update and Graph Store Protocol (GSP) writes are
  on. Every request is a real HTTP request (httpx). Between tests the store is emptied with
  `DROP ALL` (a SPARQL update) and the test's data is loaded with GSP `PUT`.
* **Protocol** (34): each test's requests and checks are read from `protocol/manifest.ttl`
  (`ht:absolutePath`, `ht:methodName`, `ht:headers`, `cnt:chars` in its `cnt:characterEncoding`,
  `mf:expectedStatus`, `mf:expectedFormat`, `mf:expectedBoolean`), not retyped. `/sparql/` (the
  manifest's placeholder) becomes `/sparql`, which takes queries and updates. Every request
  carries the bearer token, so an expected 4xx must also not be 401/403: the request must be
  refused *for the protocol error*. `ut:graphData` files are PUT as the graphs their
  `rdfs:label` names. `expectedFormat` "boolean" / "tabular" / "RDF" is checked on the
  Content-Type and by parsing the body.
* **Service description** (3, prose only): `GET /sparql` must return RDF (no `Accept`, Turtle,
  RDF/XML, a mixed `Accept`); it must hold `?service sd:endpoint <the URL requested>`; and it
  must fit the Service Description vocabulary (one `sd:Service` for the endpoint; known
  `sd:supportedLanguage` values; IRIs for formats and the entailment regime; `sd:Feature`s;
  `sd:defaultDataset` an `sd:Dataset` with at most one `sd:defaultGraph` and named graphs with
  exactly one `sd:name`; no term outside the vocabulary in the `sd:` namespace).
* **Query evaluation** (`mf:QueryEvaluationTest`, `mf:CSVResultFormatTest`): every `qt:data` and
  `qt:graphData` file is PUT as a named graph named by the file's absolute IRI (under the
  manifests' base, `http://www.w3.org/2009/sparql/docs/tests/data-sparql11/`), and the query is
  sent with the dataset given by the SPARQL Protocol: `default-graph-uri` = the `qt:data` files,
  `named-graph-uri` = the `qt:graphData` files. The endpoint's default graph is the union of
  the named graphs only when a request names no dataset; a protocol dataset replaces it, a side
  not given being empty — so the dataset is exactly the test's (default graph = the merge of
  `qt:data` only). A query with its own `FROM` / `FROM NAMED` is sent without these parameters
  (they would override its clauses) and reads the graphs it names from the store. The query text
  is sent with `BASE <query file IRI>` in front (a later `BASE` in the text still wins): the
  base a harness reading the file uses. The answer is asked for in the expected result's format
  (SPARQL XML / JSON / CSV / TSV; N-Triples for CONSTRUCT).
* **Comparison**: solutions as multisets with blank nodes matched up to a consistent renaming;
  order only when the query has a top-level `ORDER BY` (or the expected RDF result set has
  `rs:index`); terms by term equality (lexical form, datatype, language tag case-insensitively;
  a simple literal is an `xsd:string` one); same variables. CONSTRUCT graphs are compared with
  `rdflib.compare.isomorphic` on literals kept as written. CSV by its text (every value a string,
  `_:` cells blank nodes); TSV read back into terms (a bare number is Turtle's: `-3` is
  `xsd:integer`; the exponent's case does not matter).
* **Syntax**: positive tests must be answered 2xx, negative ones 400. Query syntax tests go to
  `/sparql`, update syntax tests to `/update` (on an emptied store: the only way to check an
  update's syntax over HTTP is to run it).
* **Update evaluation** (bonus): `ut:data` is PUT into the store's default graph (`?default`),
  each `ut:graphData` into the graph its `rdfs:label` names (a Turtle file with
  `@base <file IRI>` in front, so that its relative IRIs resolve as in the test), the update
  is POSTed to `/update`, and the whole store is read back (`GET /store`, N-Quads) and compared
  graph by graph (isomorphism) with the expected `ut:data` / `ut:graphData`; empty graphs do
  not count.
* **Diagnosis** of each failure: the same test is also run on pyoxigraph in process (an
  in-memory store, the same dataset, no HTTP; never for a text with LOAD / SERVICE): when it
  fails the same way, the engine's behaviour is shown, not the server's. A failing result set is
  also compared with numbers by value, to tell lexical-form differences from wrong answers.
"""

FIXES = """\
## Server fixes

Made (in `src/kg/web/sparql.py`):

* **`using-graph-uri` / `using-named-graph-uri`** were refused with 400, failing
  `update_dataset_default_graph`, `update_dataset_default_graphs`, `update_dataset_named_graphs`
  and `update_dataset_full`. pyoxigraph's `Store.update()` takes no dataset, so `_update` now
  writes them into the update as `USING <g>` / `USING NAMED <g>` clauses before the `WHERE` of
  every DELETE/INSERT operation (`_with_protocol_dataset`, using the guard's SPARQL lexer, so
  strings, IRIs and comments are skipped and only top-level `WHERE`s count); as the Protocol
  requires, an update with its own `USING` / `WITH` is refused with 400
  (`bad_update_dataset_conflict`), and so is `DELETE WHERE`, which cannot take a dataset.

Needed, not made (outside the modules this work may change):

* **Service-defined base IRI** (`query_content_type_construct`, `update_base_uri`): a
  relative IRI in a query or update (`CONSTRUCT { <s> <p> 1 } WHERE {}`, `INSERT DATA { ... <test> }`)
  is refused 400 "IRI parsing failed" because Oxigraph gets no base IRI. The fix: in
  `src/kg/store/base.py` / `src/kg/store/oxigraph.py` (and `remote.py`) give `query()` and
  `update()` a `base_iri: str | None = None` argument passed to pyoxigraph's
  `Store.query(..., base_iri=...)` / `Store.update(..., base_iri=...)`; in
  `src/kg/web/workers.py` pass `base_iri=job.get("base_iri")` in `op_query` and `op_update`;
  in `src/kg/web/sparql.py` put `"base_iri": str(request.url.replace(query="", fragment=""))`
  (the endpoint, as the Protocol suggests) in the `query` and `update` jobs. Both tests then
  pass; remove their two entries from `EXPECTED_FAILURES` (the strict xfail says so).
"""

SKIP_NOTE = """\
Skipped suites (not run; counted as skipped above):
"""


def run(out: Path | None) -> int:
    started = time.monotonic()
    outcomes: list[w3c.Outcome] = []
    notes: dict[str, list[str]] = {}
    protocol = w3c.protocol_cases()
    cases = {c.id: c for c in w3c.query_cases()}
    server, workdir = w3c.temporary_server()
    try:
        for outcome in w3c.run_all(server):
            if outcome.status == "fail" and outcome.id in cases:
                notes[outcome.id] = w3c.diagnose(server, cases[outcome.id])
            outcomes.append(outcome)
    finally:
        w3c.cleanup(server, workdir)
    seconds = time.monotonic() - started
    skipped = w3c.skipped_suite_counts()

    def status(o: w3c.Outcome) -> str:
        expected = o.id in w3c.EXPECTED_FAILURES
        if o.status == "pass":
            return "xpass" if expected else "pass"
        return "xfail" if expected else "fail"

    by_suite: dict[str, Counter[str]] = {}
    for o in outcomes:
        by_suite.setdefault(o.suite, Counter())[status(o)] += 1
    order = ["protocol", "service-description", *w3c.QUERY_SUITES, *w3c.UPDATE_SUITES]
    intro = INTRO.format(command=COMMAND, oxigraph=pyoxigraph.__version__, total=len(outcomes), skipped=sum(skipped.values()))
    lines = [intro]
    lines.append("## Results per suite\n")
    lines.append("| suite | tests | passed | expected failures | failed | skipped |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    totals: Counter[str] = Counter()
    for suite in order:
        c = by_suite.get(suite, Counter())
        n = sum(c.values())
        failed = c["fail"] + c["xpass"]
        lines.append(f"| {suite} | {n} | {c['pass']} | {c['xfail']} | {failed} | 0 |")
        totals.update(c)
    for suite, n in skipped.items():
        lines.append(f"| {suite} | {n} | 0 | 0 | 0 | {n} |")
        totals["skip"] += n
    all_n = sum(totals.values())
    lines.append(
        f"| **total** | **{all_n}** | **{totals['pass']}** | **{totals['xfail']}** | "
        f"**{totals['fail'] + totals['xpass']}** | **{totals['skip']}** |"
    )
    lines.append("")
    lines.append(SKIP_NOTE)
    for suite, n in skipped.items():
        lines.append(f"* `{suite}` ({n}): {w3c.SKIPPED_SUITES[suite]}.")
    lines.append("")

    groups = [
        ("Protocol", "protocol"),
        ("Service description", "service-description"),
    ]
    for title, suite in groups:
        lines.append(f"## {title} tests\n")
        lines.append("| test | result | requests (→ expected) |")
        lines.append("|---|---|---|")
        for o in outcomes:
            if o.suite != suite:
                continue
            if suite == "protocol":
                case = next(c for c in protocol if c.id == o.id)
                what = "<br>".join(_cell(r.describe(), 160) for r in case.requests)
                if case.graph_data:
                    what = "data: " + ", ".join(f"`{p.name}` as <{g}>" for g, p in case.graph_data) + "<br>" + what
            else:
                what = _cell(w3c.SERVICE_DESCRIPTION_CASES[o.id])
            lines.append(f"| `{o.id.split('/', 1)[1]}` | {status(o)} | {what} |")
        lines.append("")

    failing = [o for o in outcomes if o.status != "pass" or o.id in w3c.EXPECTED_FAILURES]
    lines.append("## Every failure and why\n")
    lines.append(
        "Categories: *Oxigraph behaviour* — the query engine answers so (the in-process run fails the same "
        "way); *refused by the server's policy* — on purpose; *server bug, not fixed yet* — the fix is "
        "given under \"Server fixes\"; *problem in the test itself* — the server does what the specification "
        "says. Approval is the manifest's `dawgt:approval` (— : none recorded; such tests were added after the "
        "Recommendation).\n"
    )
    causes: dict[tuple[str, str], list[str]] = {}
    for o in failing:
        causes.setdefault(w3c.EXPECTED_FAILURES.get(o.id, ("", "NOT LISTED: investigate")), []).append(o.id)
    lines.append("By cause:\n")
    for (category, reason), ids in causes.items():
        label = w3c.CATEGORY_LABELS.get(category, "**unexpected**")
        lines.append(f"* **{label}** ({len(ids)}): {reason}. — " + ", ".join(f"`{i}`" for i in ids))
    lines.append("")
    lines.append("| test | approval | result | category | reason | diagnosis | what was seen |")
    lines.append("|---|---|---|---|---|---|---|")
    for o in failing:
        category, reason = w3c.EXPECTED_FAILURES.get(o.id, ("", "NOT LISTED: investigate"))
        label = w3c.CATEGORY_LABELS.get(category, "**unexpected**")
        approval = (cases[o.id].approval or "—") if o.id in cases else "Approved"
        diagnosis = "; ".join(notes.get(o.id, []))
        lines.append(
            f"| `{o.id}` | {approval} | {status(o)} | {label} | {_cell(reason, 160)} | {_cell(diagnosis)} | "
            f"{_cell(o.detail, 240)} |"
        )
    lines.append("")
    lines.append(FIXES)
    text = "\n".join(lines).rstrip() + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    bad = [o for o in outcomes if status(o) in ("fail", "xpass")]
    summary = (
        f"{totals['pass']} passed, {totals['fail'] + totals['xpass']} failed, {totals['xfail']} xfailed, "
        f"{totals['skip']} skipped in {seconds:.0f} s"
    )
    print(summary, file=sys.stderr)
    for o in bad:
        print(f"{status(o).upper()} {o.id}: {o.detail}", file=sys.stderr)
    return 1 if bad else 0


def _cell(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(DOC), help="where to write the markdown ('-' for stdout)")
    args = parser.parse_args()
    if not w3c.suite_available():
        print(f"W3C SPARQL 1.1 suite not found at {w3c.SUITE_DIR}", file=sys.stderr)
        return 2
    return run(None if args.out == "-" else Path(args.out))


if __name__ == "__main__":
    sys.exit(main())
