"""SDG suggestions: speed at 100 000 projects, and how often they agree with stated SDGs.

    flock /tmp/bench.lock python bench/sdg_bench.py --projects 100000 --seed 42

Texts: the real objectives and titles of the CORDIS Horizon Europe projects in
``../shared/data/cordis-horizon-europe/head-100-rows/project_df_100.csv`` and the summaries of the
Erasmus+ Project Results Platform rows in ``../shared/data/erasmus-plus-results-platform``; each
synthetic project is one real title + one real objective/summary, drawn with a fixed seed (real
wording, the length distribution of real programme databases).

Measured in the same run: the compiled matcher (``kg.linking.sdg_queries.Matcher``: word tables,
trigger sets) over all projects, against the reference a straightforward compiler gives — every
query line evaluated on every text, no word index or trigger pruning (``--naive`` projects, default
200; its per-project time is scaled up for the comparison).

Agreement: for every project that states SDGs (the curated records in data/projects; the seed
pages), whether a suggestion falls in a stated goal.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kg.curated import load_projects  # noqa: E402
from kg.linking.sdg_queries import Matcher, load_queries, words  # noqa: E402
from kg.linking.sdg_suggestions import record_texts, suggest  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def real_texts() -> tuple[list[str], list[str]]:
    titles, bodies = [], []
    csv.field_size_limit(1 << 24)
    with open(SHARED / "cordis-horizon-europe" / "head-100-rows" / "project_df_100.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            titles.append(row.get("title") or "")
            bodies.append(row.get("objective") or "")
    for p in sorted((SHARED / "erasmus-plus-results-platform").glob("*.json")):
        row = json.loads(p.read_text(encoding="utf-8"))
        if row.get("Project Title"):
            titles.append(row["Project Title"])
        if row.get("Project Summary"):
            bodies.append(row["Project Summary"])
    return [t for t in titles if t], [b for b in bodies if b]


class NaiveMatcher(Matcher):
    """The reference: the same compiled queries, every line evaluated on every text."""

    def match(self, text: str):  # type: ignore[no-untyped-def]
        toks = words(text)
        seq = [w for w, _, _ in toks]
        positions: dict[int, list[int]] = {}
        for (kind, pat), pid in self.patterns.items():
            for pos, w in enumerate(seq):
                if (kind == "exact" and w == pat) or (kind == "prefix" and w.startswith(pat)):
                    positions.setdefault(pid, []).append(pos)
        for rx, pid in self.regex:
            for pos, w in enumerate(seq):
                if rx.fullmatch(w):
                    positions.setdefault(pid, []).append(pos)
        memo: dict = {}
        return [ql for ql in self.queries.lines if self._eval(ql.node, positions, memo)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--naive", type=int, default=200)
    args = ap.parse_args()
    qs = load_queries(ROOT / "data" / "vocab" / "sdg-queries" / "aurora-5.0")
    t0 = time.perf_counter()
    matcher = Matcher(qs)
    compile_s = time.perf_counter() - t0
    titles, bodies = real_texts()
    rng = random.Random(args.seed)
    projects = [(rng.choice(titles), rng.choice(bodies)) for _ in range(args.projects)]
    words_total = sum(len(words(t)) + len(words(b)) for t, b in projects[:2000]) / min(2000, len(projects))
    t0 = time.perf_counter()
    with_sugg = n_sugg = 0
    for t, b in projects:
        found = suggest(matcher, [t, b])
        n_sugg += len(found)
        with_sugg += bool(found)
    fast_s = time.perf_counter() - t0
    naive = NaiveMatcher(qs)
    sample = projects[: args.naive]
    t0 = time.perf_counter()
    for t, b in sample:
        naive.match(t)
        naive.match(b)
    naive_s = time.perf_counter() - t0
    # agreement with stated SDGs
    agree = []
    for path, rec in load_projects(ROOT / "data" / "projects"):
        stated = {c.split(".")[0] for c in rec.sdgs}
        if not stated:
            continue
        found = suggest(matcher, record_texts(rec))
        agree.append((path.name, sorted(stated, key=int), [s.target for s in found], any(s.goal in stated for s in found)))
    print(f"queries: {len(qs.lines)} lines, {len(matcher.patterns)} word patterns, compiled in {compile_s * 1000:.0f} ms")
    print(f"texts: {len(titles)} real titles, {len(bodies)} real objectives/summaries; {words_total:.0f} words per project on average")
    print(f"compiled matcher: {args.projects} projects in {fast_s:.1f} s ({args.projects / fast_s:.0f} projects/s); "
          f"{with_sugg} projects ({100 * with_sugg / args.projects:.0f} %) get at least one suggestion, {n_sugg} suggestions")
    per = naive_s / len(sample)
    print(f"reference (every query line on every text): {len(sample)} projects in {naive_s:.1f} s ({1 / per:.0f} projects/s) "
          f"→ {per * args.projects:.0f} s for {args.projects}; the compiled matcher is {per * args.projects / fast_s:.1f}× faster")
    for name, stated, targets, ok in agree:
        print(f"stated SDGs: {name}: goals {', '.join(stated)}; suggested {', '.join(targets) or 'none'}; {'agrees' if ok else 'no suggestion in a stated goal'}")
    print(f"agreement: {sum(a[3] for a in agree)}/{len(agree)} projects that state SDGs get a suggestion in a stated goal")


if __name__ == "__main__":
    main()
