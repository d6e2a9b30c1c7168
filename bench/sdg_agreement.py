"""Agreement of the Aurora SDG suggestions with stated SDGs, and their coverage of real programme
texts (docs/extraction.md). No timing: run from anywhere, ``python bench/sdg_agreement.py``."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from kg.curated import load_projects  # noqa: E402
from kg.linking.sdg_queries import Matcher, load_queries  # noqa: E402
from kg.linking.sdg_suggestions import record_texts, suggest  # noqa: E402


def main() -> None:
    m = Matcher(load_queries(ROOT / "data" / "vocab" / "sdg-queries" / "aurora-5.0"))
    stating = agreeing = 0
    for path, rec in load_projects(ROOT / "data" / "projects"):
        found = suggest(m, record_texts(rec))
        goals = {c.split(".")[0] for c in rec.sdgs}
        if goals:
            stating += 1
            agreeing += any(s.goal in goals for s in found)
        print(f"{path.name}: stated {rec.sdgs or 'none'}; suggested {[(s.target, str(s.score), s.matched) for s in found] or 'none'}")
    print(f"curated records stating SDGs: {stating}; with a suggestion in a stated goal: {agreeing}")
    csv.field_size_limit(1 << 24)
    with open(SHARED / "cordis-horizon-europe" / "head-100-rows" / "project_df_100.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_goal: dict[str, int] = {}
    n = 0
    for r in rows:
        found = suggest(m, [r["title"], r["objective"]])
        n += bool(found)
        for s in found:
            by_goal[s.goal] = by_goal.get(s.goal, 0) + 1
    print(f"CORDIS Horizon Europe sample: {n}/{len(rows)} projects get a suggestion; by goal {sorted(by_goal.items(), key=lambda x: -x[1])}")
    ep = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((SHARED / "erasmus-plus-results-platform").glob("*.json"))]
    ep = [r for r in ep if r.get("Project Summary")]
    n = sum(bool(suggest(m, [r.get("Project Title", ""), r["Project Summary"]])) for r in ep)
    print(f"Erasmus+ results platform sample: {n}/{len(ep)} projects get a suggestion")


if __name__ == "__main__":
    main()
