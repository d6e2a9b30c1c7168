"""Comparing an extracted record with a curated one, field by field: what ``kg extract --diff``
prints and what the seed evaluation (:mod:`kg.extract.evaluate`) counts.

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

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kg.extract.text import fold
from kg.linking.countries import CountryTable, UnknownCountry
from kg.linking.sdgs import SdgKos, UnknownSdg
from kg.model.records import ProjectRecord

OVERLAP = 0.8


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
    field: str  # shadows dataclasses.field in this class body: the defaults below use it qualified
    match: str  # how values are matched (for the table)
    matched: list[tuple[Any, Any]] = dataclasses.field(default_factory=list)
    different: list[tuple[Any, Any]] = dataclasses.field(default_factory=list)
    missing: list[Any] = dataclasses.field(default_factory=list)  # curated only
    extra: list[Any] = dataclasses.field(default_factory=list)  # extracted only

    @property
    def n_extracted(self) -> int:
        return len(self.matched) + len(self.different) + len(self.extra)

    @property
    def n_curated(self) -> int:
        return len(self.matched) + len(self.different) + len(self.missing)

    def add(self, other: FieldResult) -> None:
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
        for e, _c in r.matched:
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
