"""Validation in proportion to the change: an import's incremental SHACL check into an empty store
against the same into a store that already holds a big import, and against the whole-store check.

    python bench/incremental_bench.py --base 100000 --batch 10000 --workdir /tmp/kg-incr-bench

1. ``kg build`` of the curated data (the empty store), and with ``bench/gen_exports.py`` a CORDIS
   export of ``--base`` projects (seed 42) and one of ``--batch`` projects (seed 43, project ids
   from 101000000 + 5,000,000: new projects; organisations drawn from the same kind of pool, so some
   are shared with the base import — cross-graph nodes);
2. the base export imported (``kg import cordis --no-validate``) into a copy: the big store;
3. the batch imported (``--no-validate``) into a copy of the empty store and into a copy of the big
   one; on each result, in a child process of its own: the incremental check of the batch's graph
   (:func:`kg.validation.incremental.validate_change`, what ``kg import`` runs) and the whole-store
   check (:func:`kg.validation.run.validate_store`, ``kg validate --store``): wall time, peak RSS,
   focus candidates, quads read, and whether the incremental results are the whole-store results
   for those nodes (every whole-store violation found; no result the whole store lacks).

Prints a Markdown table; ``--json-out`` keeps everything.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BASE_URI = "https://w3id.org/euprojects/"


def child(args: list[str]) -> dict:
    proc = subprocess.run([PY, __file__, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def kg(*args: str) -> float:
    t = time.perf_counter()
    subprocess.run([PY, "-m", "kg.cli", *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - t


def measure(mode: str, store: Path, graph: str) -> dict:
    from kg.validation.incremental import Change, validate_change
    from kg.validation.run import validate_store

    shapes = ROOT / "shapes"
    t = time.perf_counter()
    if mode == "incremental":
        change = Change()
        report = validate_change(store, shapes, graph, change=change)
        extra = {"candidates": change.candidates, "extract_quads": change.extract_quads, "phases": change.seconds}
    else:
        report = validate_store(store, shapes)
        extra = {}
    seconds = time.perf_counter() - t
    keys = sorted({(r.focus, r.path, r.value, r.shape, r.severity) for r in report.results})
    return {"mode": mode, "seconds": seconds, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "results": len(keys), "violations": len(report.violations), "keys": keys, **extra}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/kg-incr-bench"))
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--_measure", nargs=3, metavar=("MODE", "STORE", "GRAPH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._measure:
        mode, store, graph = args._measure
        print(json.dumps(measure(mode, Path(store), graph)))
        return 0

    w = args.workdir
    w.mkdir(parents=True, exist_ok=True)
    empty = w / "var-empty"
    if not empty.exists():
        kg("build", "--var-dir", str(empty))
    exports = {}
    for label, n, seed, first in (("base", args.base, 42, 0), ("batch", args.batch, 43, 5_000_000)):
        out = w / f"export-{label}-{n}"
        if not (out / "cordis" / "project.csv").exists():
            subprocess.run([PY, str(ROOT / "bench" / "gen_exports.py"), "--projects", str(n), "--seed", str(seed),
                            "--first-id", str(first), "--only", "cordis", "--out", str(out)], check=True, capture_output=True)
        exports[label] = out / "cordis"
    big = w / f"var-big-{args.base}"
    timings: dict[str, float] = {}
    if not big.exists():
        shutil.copytree(empty, big, symlinks=True)
        timings["base import (no validation)"] = kg("import", "cordis", str(exports["base"]), "--name", "base", "--no-validate", "--var-dir", str(big))
    graph = f"{BASE_URI}graph/import/cordis/batch"
    rows = []
    for label, start in (("empty store", empty), (f"store holding {args.base:,} projects", big)):
        var = w / "var-run"
        shutil.rmtree(var, ignore_errors=True)
        shutil.copytree(start, var, symlinks=True)
        seconds = kg("import", "cordis", str(exports["batch"]), "--name", "batch", "--no-validate", "--var-dir", str(var))
        store = (var / "store").resolve()
        inc = child(["--_measure", "incremental", str(store), graph])
        whole = child(["--_measure", "whole", str(store), graph])
        inc_keys = {tuple(k) for k in inc.pop("keys")}
        whole_keys = {tuple(k) for k in whole.pop("keys")}
        whole_violations = {k for k in whole_keys if k[4] == "Violation"}
        rows.append({
            "store": label, "import_seconds": seconds, "incremental": inc, "whole": whole,
            "incremental_within_whole": inc_keys <= whole_keys,
            "whole_violations_found": whole_violations <= inc_keys,
        })
        shutil.rmtree(var, ignore_errors=True)
    print(f"| store the {args.batch:,}-project import goes into | incremental check s | focus candidates | quads read | "
          "peak RSS MiB | whole-store check s | peak RSS MiB | same results |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        i, wh = r["incremental"], r["whole"]
        print(f"| {r['store']} | {i['seconds']:.1f} | {i['candidates']:,} | {i['extract_quads']:,} | {i['peak_rss_mib']:.0f} | "
              f"{wh['seconds']:.1f} | {wh['peak_rss_mib']:.0f} | {'yes' if r['incremental_within_whole'] and r['whole_violations_found'] else 'no'} "
              f"({i['results']} / {wh['results']} results) |")
    if len(rows) == 2:
        print(f"\nincremental, store holding {args.base:,} ÷ empty store: {rows[1]['incremental']['seconds'] / rows[0]['incremental']['seconds']:.2f}×")
    for k, v in timings.items():
        print(f"{k}: {v:.1f} s")
    if args.json_out:
        args.json_out.write_text(json.dumps({"rows": rows, "timings": timings}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
