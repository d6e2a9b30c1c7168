"""Scoring the extractor on the seed pages: per-field precision and recall of every extracted record
against the curated record of the same source (fields matched as :mod:`kg.extract.compare` says), the
recorded spans checked against the page text, SDG suggestions checked against stated SDGs, and the
table written into docs/extraction.md between START_MARK and END_MARK (``kg extract --evaluate``;
also ``python -m kg.extract.evaluate``).
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.curated import load_model
from kg.extract.compare import Comparer, FieldResult
from kg.extract.pages import curated_for, extract_page
from kg.extract.sdg_suggest import aurora_for_record
from kg.linking.countries import default_table
from kg.linking.sdg_queries import default_matcher
from kg.linking.sdgs import default_kos
from kg.model.records import ProjectRecord
from kg.settings import Settings

START_MARK = "<!-- evaluation:start (written by kg extract --evaluate; do not edit by hand) -->"
END_MARK = "<!-- evaluation:end -->"


@dataclass
class Evaluation:
    totals: dict[str, FieldResult]
    per_page: list[tuple[str, str, list[FieldResult]]]  # (source, curated file, results)
    spans_checked: int
    spans_ok: int
    ambiguities: list[tuple[str, str]]
    seconds: float
    suggestion_checks: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # (source, suggested, stated goals)

    def markdown(self) -> str:
        rows = [
            "| field | matched by | extracted | curated | matched | precision | recall |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for name, r in self.totals.items():
            p = f"{len(r.matched) / r.n_extracted:.2f}" if r.n_extracted else "–"
            rc = f"{len(r.matched) / r.n_curated:.2f}" if r.n_curated else "–"
            rows.append(f"| `{name}` | {r.match} | {r.n_extracted} | {r.n_curated} | {len(r.matched)} | {p} | {rc} |")
        all_m = sum(len(r.matched) for r in self.totals.values())
        all_e = sum(r.n_extracted for r in self.totals.values())
        all_c = sum(r.n_curated for r in self.totals.values())
        rows.append(f"| **all fields** | | {all_e} | {all_c} | {all_m} | {all_m / all_e:.2f} | {all_m / all_c:.2f} |")
        out = [
            f"{len(self.per_page)} seed pages. Every extracted fact's recorded span was checked against its page: "
            f"{self.spans_ok}/{self.spans_checked} spans hold exactly the recorded text.",
            "",
            *rows,
            "",
            "Per page (the fields the issue requires exact: dates, countries, programme, numbers, SDGs, grant):",
            "",
            "| page | curated record | exact fields matched | differences (missing / extra / different) |",
            "|---|---|---|---|",
        ]
        strict = {"start", "end", "countries", "programme", "sdgs", "grant.number", "partner_count", "country_count",
                  "expected_results.numbers", "activities.numbers", "funders"}
        for source, curated, results in self.per_page:
            sel = [r for r in results if r.field in strict]
            m = sum(len(r.matched) for r in sel)
            n = sum(max(r.n_curated, r.n_extracted) for r in sel)
            bad = [f"{r.field} {len(r.missing)}/{len(r.extra)}/{len(r.different)}" for r in sel if r.missing or r.extra or r.different]
            out.append(f"| `{source}` | `{curated}` | {m}/{n} | {', '.join(bad) or 'none'} |")
        out += ["", "SDG suggestions (`--suggest-sdgs`) checked against the pages that do state SDGs (the suggester is run as if "
                "they stated none; a suggested target counts as a hit when its goal is a stated goal):", ""]
        for source, suggested, stated in self.suggestion_checks:
            hits = sum(1 for t in suggested if t.split(".")[0] in stated)
            out.append(f"- `{source}`: suggested {', '.join(suggested) or 'none'}; stated goals {', '.join(stated)}; "
                       f"{hits}/{len(suggested)} suggestions in a stated goal")
        out += ["", "Ambiguities reported (not written into the records):", ""]
        for source, text in self.ambiguities:
            out.append(f"- `{source}` — {text}")
        if not self.ambiguities:
            out.append("- none")
        return "\n".join(out) + "\n"


def evaluate_seeds(settings: Settings) -> Evaluation:
    t0 = time.perf_counter()
    data = settings.data_dir
    assert data is not None
    comparer = Comparer(default_table(settings), default_kos(settings))
    totals: dict[str, FieldResult] = {}
    per_page = []
    checked = ok = 0
    ambiguities: list[tuple[str, str]] = []
    suggestion_checks: list[tuple[str, list[str], list[str]]] = []
    for page in sorted((data / "sources").glob("*.txt")):
        ex = extract_page(page, settings=settings)
        curated_path = curated_for(ex.source_path, data / "projects")
        if curated_path is None or ex.model is None:
            continue
        curated = load_model(curated_path, ProjectRecord)
        results = comparer.compare(ex.model, curated)
        per_page.append((ex.source_path, curated_path.name, results))
        for r in results:
            totals.setdefault(r.field, FieldResult(r.field, r.match)).add(r)
        for f in ex.facts:
            checked += 1
            ok += ex.text[f.start : f.end] == f.text
        ambiguities += [(ex.source_path, str(a)) for a in ex.ambiguities]
        if curated.sdgs:
            record = {k: v for k, v in ex.record.items() if k != "sdgs"}
            suggested = [x["target"] for x in aurora_for_record(record, default_matcher(str(settings.sdg_queries_dir)))]
            stated = sorted({s.split(".")[0] for s in curated.sdgs}, key=int)
            suggestion_checks.append((ex.source_path, suggested, stated))
    return Evaluation(totals, per_page, checked, ok, ambiguities, time.perf_counter() - t0, suggestion_checks)


def update_doc(doc: Path, result: Evaluation) -> None:
    """Replace the evaluation block of ``doc`` (between the markers), or append one."""
    block = f"{START_MARK}\n{result.markdown()}{END_MARK}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Extraction\n\n"
    if START_MARK in text and END_MARK in text:
        text = re.sub(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), lambda _: block, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def run_evaluate(settings: Settings, *, doc: Path | None = None, out: Any = None, err: Any = None) -> int:
    """What ``kg extract --evaluate`` does: score the extractor on the seed pages, rewrite the block in
    ``doc`` (default docs/extraction.md), print the table to ``out`` and what was updated to ``err``."""
    out = out or sys.stdout
    err = err or sys.stderr
    result = evaluate_seeds(settings)
    doc = doc or settings.root / "docs" / "extraction.md"
    update_doc(doc, result)
    print(result.markdown(), file=out)
    print(f"updated {doc} ({result.seconds:.1f} s)", file=err)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run_evaluate(Settings.from_env()))
