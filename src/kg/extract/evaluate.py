"""Comparing an extracted record with a curated one: field-by-field differences (``kg extract
--diff``) and per-field precision and recall over the seed pages (``python -m kg.extract.pages
--evaluate``, written into docs/extraction.md).

Matching, per field:

- dates: the lexical form with its precision (``2017-09`` ≠ ``2017-09-01``);
- countries: the EU authority URI; cities: folded name + country URI; SDGs: the UN KOS URI;
- programme, funders, acronym, record and page languages, grant number, counts, contacts
  (e-mail + personal flag): exact;
- numbers of expected results: the tuple (quantity, min, max, approximate); numbers of activities:
  the pairs (order, n), (quantity, n), (duration, PnD) — each as a multiset;
- text (title, full name, summary, funding line, objectives, activity descriptions, target-group
  labels, expected-result descriptions, units, scopes, output titles, categories): equal after
  folding (case, accents, punctuation, spacing), or *token overlap* ≥ 0.8, where token overlap is
  |A ∩ B| / max(|A|, |B|) over the sets of folded words. A multilingual value matches when any of
  its texts does.

A list field is matched greedily one-to-one. A single value present on both sides but unequal is
*different* (it counts against precision and recall); present on one side only it is *missing*
(curated only) or *extra* (extracted only). precision = matched / extracted, recall = matched /
curated. The title is scored only when the curator did not write a descriptive one.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kg.settings import Settings
from kg.extract.text import fold
from kg.linking.countries import CountryTable, UnknownCountry, default_table
from kg.linking.sdgs import SdgKos, UnknownSdg, default_kos
from kg.model.records import ProjectRecord

OVERLAP = 0.8
START_MARK = "<!-- evaluation:start (written by python -m kg.extract.pages --evaluate; do not edit by hand) -->"
END_MARK = "<!-- evaluation:end -->"


def texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    return [str(value)]


def token_overlap(a: str, b: str) -> float:
    ta, tb = set(fold(a).split()), set(fold(b).split())
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / max(len(ta), len(tb))


def text_match(a: Any, b: Any) -> bool:
    for x in texts(a):
        for y in texts(b):
            if fold(x) == fold(y) or token_overlap(x, y) >= OVERLAP:
                return True
    return False


def exact(a: Any, b: Any) -> bool:
    return a == b


def activity_match(a: Any, b: Any) -> bool:
    if text_match(a.description, b.description):
        return True
    return a.title is not None and b.title is not None and text_match(a.title, b.title)


@dataclass
class FieldResult:
    field: str
    match: str  # how values are matched (for the table)
    matched: list[tuple[Any, Any]] = field(default_factory=list)
    different: list[tuple[Any, Any]] = field(default_factory=list)
    missing: list[Any] = field(default_factory=list)  # curated only
    extra: list[Any] = field(default_factory=list)  # extracted only

    @property
    def n_extracted(self) -> int:
        return len(self.matched) + len(self.different) + len(self.extra)

    @property
    def n_curated(self) -> int:
        return len(self.matched) + len(self.different) + len(self.missing)

    def add(self, other: "FieldResult") -> None:
        self.matched += other.matched
        self.different += other.different
        self.missing += other.missing
        self.extra += other.extra


class Comparer:
    """Field-by-field comparison of an extracted and a curated record."""

    def __init__(self, table: CountryTable, kos: SdgKos) -> None:
        self.table, self.kos = table, kos

    def _country(self, text: str) -> str:
        try:
            return self.table.resolve(text)
        except UnknownCountry:
            return f"?{text}"

    def _sdg(self, text: str) -> str:
        try:
            return self.kos.resolve(text)
        except UnknownSdg:
            return f"?{text}"

    def fields(self) -> list[tuple[str, str, str, Callable[[ProjectRecord], Any], Callable[[Any, Any], bool]]]:
        """(name, single|list, how matched, getter, equality)."""
        def opt(v: Any) -> list[Any]:
            return [] if v is None else [v]

        def title(r: ProjectRecord) -> list[Any]:
            return [] if r.title_is_descriptive else [r.title]

        def act_numbers(r: ProjectRecord) -> list[Any]:
            out = []
            for a in r.activities:
                for k in ("order", "quantity", "duration"):
                    v = getattr(a, k)
                    if v is not None:
                        out.append((k, v))
            return out

        def res_numbers(r: ProjectRecord) -> list[Any]:
            return [
                (x.quantity, x.min, x.max, x.approximate)
                for x in r.expected_results
                if x.quantity is not None or x.min is not None or x.max is not None
            ]

        T, E = text_match, exact
        return [
            ("title", "single", "text (stated titles only)", title, T),
            ("acronym", "single", "exact", lambda r: opt(r.acronym), E),
            ("full_name", "single", "text", lambda r: opt(r.full_name), T),
            ("language", "single", "exact", lambda r: [r.language], E),
            ("source.language", "single", "exact (ordered list)", lambda r: [tuple(r.source.language)] if r.source.language else [], E),
            ("summary", "single", "text", lambda r: opt(r.summary), T),
            ("start", "single", "exact, with precision", lambda r: opt(r.start and r.start.lexical()), E),
            ("end", "single", "exact, with precision", lambda r: opt(r.end and r.end.lexical()), E),
            ("programme", "single", "concept id", lambda r: opt(r.programme), E),
            ("funders", "list", "funder id", lambda r: list(r.funders), E),
            ("funding_statement", "single", "text", lambda r: opt(r.funding_statement), T),
            ("grant.number", "single", "exact", lambda r: opt(r.grant and r.grant.number), E),
            ("countries", "list", "country URI", lambda r: [self._country(c) for c in r.countries], E),
            ("cities", "list", "name + country URI", lambda r: [(fold(c.name), self._country(c.country)) for c in r.cities], E),
            ("sdgs", "list", "UN KOS URI", lambda r: [self._sdg(s) for s in r.sdgs], E),
            ("partner_count", "single", "exact", lambda r: opt(r.partner_count), E),
            ("country_count", "single", "exact", lambda r: opt(r.country_count), E),
            ("objectives", "list", "text", lambda r: list(r.objectives), T),
            ("activities", "list", "text (description, or title when both have one)", lambda r: list(r.activities), activity_match),
            ("activities.numbers", "list", "exact (order/quantity/duration)", act_numbers, E),
            ("target_groups", "list", "text (label)", lambda r: [t.label for t in r.target_groups], T),
            ("expected_results", "list", "text (description)", lambda r: [x.description for x in r.expected_results], T),
            ("expected_results.numbers", "list", "exact (quantity, min, max, approximate)", res_numbers, E),
            ("expected_results.unit", "list", "text", lambda r: [x.unit for x in r.expected_results if x.unit], T),
            ("expected_results.scope", "list", "text", lambda r: [x.scope for x in r.expected_results if x.scope], T),
            ("outputs", "list", "text (title)", lambda r: [o.title for o in r.outputs], T),
            ("categories", "list", "text", lambda r: list(r.categories), T),
            ("contacts", "list", "exact (e-mail, personal)", lambda r: [(c.email, c.personal) for c in r.contacts], E),
        ]

    def compare(self, extracted: ProjectRecord, curated: ProjectRecord) -> list[FieldResult]:
        out: list[FieldResult] = []
        for name, shape, how, get, eq in self.fields():
            res = FieldResult(name, how)
            ext, cur = get(extracted), get(curated)
            if shape == "single":
                if ext and cur:
                    (res.matched if eq(ext[0], cur[0]) else res.different).append((ext[0], cur[0]))
                elif cur:
                    res.missing.append(cur[0])
                elif ext:
                    res.extra.append(ext[0])
            else:
                left = list(ext)
                for c in cur:
                    hit = next((i for i, e in enumerate(left) if eq(e, c)), None)
                    if hit is None:
                        res.missing.append(c)
                    else:
                        res.matched.append((left.pop(hit), c))
                res.extra += left
            out.append(res)
        return out


def _show(v: Any) -> str:
    if hasattr(v, "description") and hasattr(v, "kind"):  # an Activity
        v = v.description
    if isinstance(v, dict):
        return " / ".join(f"{k}: {t}" for k, t in v.items())
    if isinstance(v, tuple):
        return "(" + ", ".join(_show(x) for x in v) + ")"
    s = str(v)
    return s if len(s) <= 110 else s[:107] + "…"


def diff_lines(results: list[FieldResult], *, show_same: bool = False) -> list[str]:
    lines: list[str] = []
    for r in results:
        for e, c in r.matched:
            if show_same:
                lines.append(f"same       {r.field}: {_show(e)}")
        for e, c in r.different:
            lines.append(f"different  {r.field}: extracted {_show(e)!s} | curated {_show(c)!s}")
        for c in r.missing:
            lines.append(f"missing    {r.field}: {_show(c)}")
        for e in r.extra:
            lines.append(f"extra      {r.field}: {_show(e)}")
    same = sum(len(r.matched) for r in results)
    diff = sum(len(r.different) for r in results)
    miss = sum(len(r.missing) for r in results)
    extra = sum(len(r.extra) for r in results)
    lines.append(f"summary: {same} same, {diff} different, {miss} missing, {extra} extra")
    return lines


# ---------------------------------------------------------------------------- evaluation over the seeds
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
    from kg.curated import load_model
    from kg.extract.pages import curated_for, extract_page

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
            from kg.extract.pages import _suggest_sdgs

            record = {k: v for k, v in ex.record.items() if k != "sdgs"}
            suggested = [x["target"] for x in _suggest_sdgs(record, comparer.kos)]
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
