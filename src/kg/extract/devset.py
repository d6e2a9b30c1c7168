"""Scoring ``kg extract`` on the development set in ``bench/extract-dev/``: real project pages from
sites other than the seeds', each with hand-read gold facts (``<page>.gold.yaml``). Per-field
precision and recall over title, acronym, dates, grant, programme, countries, SDGs, organisations
and cities; the table is written into docs/extraction.md between DEV_START and DEV_END
(``kg extract --evaluate-dev``).

Matching: dates by lexical form with precision; grant and acronym exact; programme by concept id;
countries and SDGs by URI; organisations and titles by folded text or token overlap ≥ 0.8;
cities by folded name and country. A title is scored only when the extractor did not mark it
descriptive (a title it made up is not a claim about the page).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kg.extract.compare import text_match
from kg.extract.pages import Extraction, extract_page
from kg.extract.text import fold
from kg.linking.countries import CountryTable, UnknownCountry, default_table
from kg.linking.sdgs import SdgKos, UnknownSdg, default_kos
from kg.model.errors import RecordsInvalid
from kg.settings import Settings

DEV_START = "<!-- dev-evaluation:start (written by kg extract --evaluate-dev; do not edit by hand) -->"
DEV_END = "<!-- dev-evaluation:end -->"
FIELDS = ["title", "acronym", "start", "end", "grant", "programme", "countries", "sdgs", "organisations", "cities"]
MATCH = {
    "title": "text (stated titles only)", "acronym": "exact", "start": "exact, with precision", "end": "exact, with precision",
    "grant": "exact", "programme": "concept id", "countries": "country URI", "sdgs": "UN KOS URI",
    "organisations": "text", "cities": "folded name + country URI",
}


@dataclass
class Score:
    extracted: int = 0
    gold: int = 0
    matched: int = 0

    def add(self, other: Score) -> None:
        self.extracted += other.extracted
        self.gold += other.gold
        self.matched += other.matched


@dataclass
class PageResult:
    page: str
    url: str
    language: str
    scores: dict[str, Score]
    misses: list[str] = field(default_factory=list)
    error: str | None = None


def _country(table: CountryTable, text: str) -> str | None:
    try:
        return table.resolve(text)
    except UnknownCountry:
        return None


def _sdg(kos: SdgKos, code: str) -> str | None:
    try:
        return kos.resolve(str(code))
    except UnknownSdg:
        return None


def _multiset(extracted: list[Any], gold: list[Any], eq: Any) -> tuple[Score, list[Any], list[Any]]:
    left = list(gold)
    matched = 0
    extra = []
    for x in extracted:
        hit = next((g for g in left if eq(x, g)), None)
        if hit is not None:
            left.remove(hit)
            matched += 1
        else:
            extra.append(x)
    return Score(len(extracted), len(gold), matched), extra, left


def _text_eq(a: Any, b: Any) -> bool:
    return bool(a) and bool(b) and (fold(str(a)) == fold(str(b)) or text_match(str(a), str(b)))


def score_page(ex: Extraction, gold: dict[str, Any], table: CountryTable, kos: SdgKos) -> tuple[dict[str, Score], list[str]]:
    r = ex.record
    scores: dict[str, Score] = {}
    misses: list[str] = []

    def single(name: str, got: Any, want: Any, eq: Any = lambda a, b: a == b) -> None:
        s = Score(int(got is not None), int(want is not None), int(got is not None and want is not None and eq(got, want)))
        scores[name] = s
        if s.matched < max(s.extracted, s.gold):
            misses.append(f"{name}: extracted {got!r}, gold {want!r}")

    title = r.get("title")
    if isinstance(title, dict):
        title = next(iter(title.values()))
    if r.get("title_is_descriptive"):
        title = None
    single("title", title, gold.get("title"), lambda a, b: _text_eq(a, b) or _text_eq(r.get("acronym"), b) and a == r.get("acronym"))
    single("acronym", r.get("acronym"), gold.get("acronym"))
    single("start", None if r.get("start") is None else str(r["start"]), gold.get("start"))
    single("end", None if r.get("end") is None else str(r["end"]), gold.get("end"))
    single("grant", (r.get("grant") or {}).get("number"), gold.get("grant"))
    single("programme", r.get("programme"), gold.get("programme"))

    def many(name: str, got: list[Any], want: list[Any], eq: Any) -> None:
        s, extra, left = _multiset(got, want, eq)
        scores[name] = s
        if extra or left:
            misses.append(f"{name}: extra {extra!r}, missed {left!r}")

    many("countries", [_country(table, c) for c in r.get("countries") or []], [_country(table, c) for c in gold.get("countries") or []], lambda a, b: a == b)
    many("sdgs", [_sdg(kos, c) for c in r.get("sdgs") or []], [_sdg(kos, c) for c in gold.get("sdgs") or []], lambda a, b: a == b)
    many("organisations", [o["name"] for o in r.get("organisations") or []], list(gold.get("organisations") or []), _text_eq)
    many(
        "cities",
        [(fold(c["name"]), _country(table, c["country"])) for c in r.get("cities") or []],
        [(fold(c["name"]), _country(table, c["country"])) for c in gold.get("cities") or []],
        lambda a, b: a == b,
    )
    return scores, misses


def evaluate_dev(dev_dir: Path, settings: Settings) -> tuple[list[PageResult], float]:
    t0 = time.perf_counter()
    table, kos = default_table(settings), default_kos(settings)
    out: list[PageResult] = []
    for gold_path in sorted(dev_dir.glob("*.gold.yaml")):
        doc = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
        page = dev_dir / doc["page"]
        gold = doc.get("gold") or {}
        try:
            ex = extract_page(page, settings=settings)
        except RecordsInvalid as exc:
            empty = {f: Score(0, 1 if gold.get(f) else 0, 0) for f in FIELDS}
            out.append(PageResult(doc["page"], doc.get("url", ""), doc.get("language", ""), empty, [], "; ".join(f"{e.field}: {e.message}" for e in exc.errors)))
            continue
        scores, misses = score_page(ex, gold, table, kos)
        out.append(PageResult(doc["page"], doc.get("url", ""), doc.get("language", ""), scores, misses))
    return out, time.perf_counter() - t0


def markdown(results: list[PageResult], seconds: float) -> str:
    totals = {f: Score() for f in FIELDS}
    for pr in results:
        for f in FIELDS:
            totals[f].add(pr.scores[f])
    langs = sorted({pr.language for pr in results})
    rows = [
        f"{len(results)} pages from {len({re.sub(r'^https?://(www[.])?', '', pr.url).split('/')[0] for pr in results})} sites "
        f"in {len(langs)} languages ({', '.join(langs)}); extraction and scoring took {seconds:.1f} s.",
        "",
        "| field | matched by | extracted | gold | matched | precision | recall |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for f in FIELDS:
        s = totals[f]
        p = f"{s.matched / s.extracted:.2f}" if s.extracted else "–"
        rc = f"{s.matched / s.gold:.2f}" if s.gold else "–"
        rows.append(f"| `{f}` | {MATCH[f]} | {s.extracted} | {s.gold} | {s.matched} | {p} | {rc} |")
    e = sum(s.extracted for s in totals.values())
    g = sum(s.gold for s in totals.values())
    m = sum(s.matched for s in totals.values())
    rows.append(f"| **all fields** | | {e} | {g} | {m} | {m / e if e else 0:.2f} | {m / g if g else 0:.2f} |")
    rows += ["", "Differences per page (what a curator would correct):", ""]
    for pr in results:
        if pr.error:
            rows.append(f"- `{pr.page}` ({pr.language}): record invalid: {pr.error}")
        elif pr.misses:
            rows.append(f"- `{pr.page}` ({pr.language}): " + "; ".join(pr.misses))
    return "\n".join(rows)


def run_evaluate_dev(settings: Settings, *, dev_dir: Path | None = None, doc: Path | None = None, out: Any = None) -> int:
    """Score the development set, print the table and rewrite it in docs/extraction.md."""
    import sys

    out = out or sys.stdout
    root = Path(__file__).resolve().parents[3]
    dev_dir = dev_dir or root / "bench" / "extract-dev"
    doc = doc or root / "docs" / "extraction.md"
    results, seconds = evaluate_dev(dev_dir, settings)
    table = markdown(results, seconds)
    print(table, file=out)
    if doc.exists():
        text = doc.read_text(encoding="utf-8")
        if DEV_START in text and DEV_END in text:
            head, rest = text.split(DEV_START, 1)
            _, tail = rest.split(DEV_END, 1)
            # keep the timing out of the stored table, so an unchanged extractor leaves the file unchanged
            stored = re.sub(r"; extraction and scoring took [0-9.]+ s\.", ".", table)
            doc.write_text(f"{head}{DEV_START}\n{stored}\n{DEV_END}{tail}", encoding="utf-8")
    return 0
