"""Whole-graph SHACL validation: pySHACL (the reference) against the fast validator (kg.shacl).

    python bench/validate_bench.py                       # 10k, 100k and 1M projects, seed 42
    python bench/validate_bench.py --sizes 1000,10000 --pyshacl-budget 600

For each size it generates the data once (bench/gen_projects.py, fixed seed, cached in --workdir),
then runs each validator in its own process (so each has its own peak RSS):

* fast: the N-Quads loaded into an Oxigraph store (in memory up to --memory-limit projects, else a
  RocksDB store on disk, bulk-loaded), then validated with --workers processes;
* pySHACL: the same quads turned into an rdflib graph as ``kg.build.check()`` does, then validated.
  It runs when its estimated time (from the previous size, linear in triples) fits
  --pyshacl-budget, and is stopped at 2 × the budget; otherwise its time is extrapolated, and the
  table says so.

Where both ran, the two reports are compared: the sets of (focus node, result path, value, constraint
component, severity) must be equal. The table is printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


# ---------------------------------------------------------------------- one measurement (child process)
def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _keys(report) -> list:
    from kg.shacl.report import report_keys

    return sorted(map(list, set(report_keys(report.graph, blank_ids=False))), key=repr)


def run_fast(data: Path, store_kind: str, workers: int, keys_out: Path) -> dict:
    import pyoxigraph as ox

    from kg.config import Settings
    from kg.shacl import FastValidator
    from kg.validation import load_shapes

    t0 = time.perf_counter()
    if store_kind == "memory":
        store = ox.Store()
        store.load(path=str(data), format=ox.RdfFormat.N_QUADS)
        target = store
    else:
        db = data.with_suffix(".oxigraph")
        if db.exists():
            shutil.rmtree(db)
        store = ox.Store(str(db))
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
        store.flush()
        store.optimize()
        del store
        target = str(db)
    load = time.perf_counter() - t0
    validator = FastValidator(load_shapes(Settings(root=ROOT).shapes_dir))
    t1 = time.perf_counter()
    report = validator.validate(target, workers=workers)
    seconds = time.perf_counter() - t1
    keys_out.write_text(json.dumps(_keys(report)))
    if store_kind != "memory":
        shutil.rmtree(data.with_suffix(".oxigraph"), ignore_errors=True)
    return {
        "load_s": round(load, 1), "validate_s": round(seconds, 1), "phases": {k: round(v, 2) for k, v in validator.timings.items()},
        "results": len(report.results), "violations": len(report.violations), "queries": len(validator.plan.items),
        "peak_rss_mb": _peak_rss_mb(), "store": store_kind, "workers": workers,
    }


def run_pyshacl(data: Path, keys_out: Path) -> dict:
    import logging

    import pyoxigraph as ox

    from kg.config import Settings
    from kg.validation import load_shapes, quads_to_graph, validate

    logging.disable(logging.CRITICAL)  # rdflib logs every ill-typed literal (the deliberate bad dates)
    t0 = time.perf_counter()
    graph = quads_to_graph(ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS))
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    report = validate(graph, load_shapes(Settings(root=ROOT).shapes_dir))
    seconds = time.perf_counter() - t1
    keys_out.write_text(json.dumps(_keys(report)))
    return {"load_s": round(load, 1), "validate_s": round(seconds, 1), "results": len(report.results),
            "violations": len(report.violations), "peak_rss_mb": _peak_rss_mb()}


# ---------------------------------------------------------------------- the benchmark (parent process)
def _child(args: list[str], timeout: float | None) -> dict | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def generate(workdir: Path, projects: int, seed: int) -> tuple[Path, int]:
    data = workdir / f"projects-{projects}-seed{seed}.nq"
    meta = data.with_suffix(".json")
    if not (data.exists() and meta.exists()):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "gen_projects.py"), "--projects", str(projects), "--seed", str(seed),
             "--out", str(data), "--defects-out", str(data.with_suffix(".defects.jsonl"))],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )
        meta.write_text(proc.stderr.strip().splitlines()[-1])
    return data, json.loads(meta.read_text())["quads"]


def defects_found(data: Path, fast_keys: Path) -> tuple[int, int]:
    """How many of the generator's deliberate defects the fast validator reports a violation for
    (at the project or one of its parts)."""
    defects = [json.loads(line) for line in data.with_suffix(".defects.jsonl").read_text().splitlines()]
    focus = {k[0][1] for k in json.loads(fast_keys.read_text()) if k[4].endswith("#Violation")}
    found = 0
    for d in defects:
        p = d["project"]
        if p in focus or any(f.startswith(p + "/") for f in focus if f[: len(p)] == p):
            found += 1
    return len(defects), found


def machine() -> dict:
    import pyoxigraph
    import pyshacl
    import rdflib

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": nproc, "cpu": cpu, "memory": mem, "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__, "pyshacl": pyshacl.__version__, "rdflib": rdflib.__version__,
        "os": platform.platform(), "loadavg_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="pySHACL vs the fast validator on generated programme databases")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/kg-shacl-bench"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--memory-limit", type=int, default=200_000, help="largest size validated in an in-memory store")
    ap.add_argument("--pyshacl-budget", type=float, default=3600.0, help="seconds pySHACL may be expected to take")
    ap.add_argument("--json-out", type=Path, default=None)
    # internal: one measurement in a child process
    ap.add_argument("--_run", choices=["fast", "pyshacl"], help=argparse.SUPPRESS)
    ap.add_argument("--_data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_store", default="memory", help=argparse.SUPPRESS)
    ap.add_argument("--_keys", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._run == "fast":
        print(json.dumps(run_fast(args._data, args._store, args.workers, args._keys)))
        return 0
    if args._run == "pyshacl":
        print(json.dumps(run_pyshacl(args._data, args._keys)))
        return 0

    args.workdir.mkdir(parents=True, exist_ok=True)
    facts = machine()
    rows = []
    py_rate = None  # pySHACL seconds per triple at the last size it finished
    for projects in (int(s) for s in args.sizes.split(",")):
        data, triples = generate(args.workdir, projects, args.seed)
        store = "memory" if projects <= args.memory_limit else "disk"
        fast_keys = args.workdir / f"fast-{projects}.json"
        print(f"[{time.strftime('%H:%M:%S')}] {projects} projects, {triples} triples: fast ({store})", file=sys.stderr)
        fast = _child(["--_run", "fast", "--_data", str(data), "--_store", store, "--_keys", str(fast_keys),
                       "--workers", str(args.workers)], None)
        estimate = py_rate * triples if py_rate else None
        py = None
        if estimate is None or estimate <= args.pyshacl_budget:
            print(f"[{time.strftime('%H:%M:%S')}] pyshacl (estimate {estimate and round(estimate)} s)", file=sys.stderr)
            py_keys = args.workdir / f"pyshacl-{projects}.json"
            py = _child(["--_run", "pyshacl", "--_data", str(data), "--_keys", str(py_keys)], 2 * args.pyshacl_budget)
        row = {"projects": projects, "triples": triples, "fast": fast, "pyshacl": py}
        row["defects"], row["defects_found"] = defects_found(data, fast_keys)
        if py is not None:
            py_rate = py["validate_s"] / triples
            a = {tuple(map(lambda x: tuple(x) if isinstance(x, list) else x, k)) for k in json.loads(fast_keys.read_text())}
            b = {tuple(map(lambda x: tuple(x) if isinstance(x, list) else x, k)) for k in json.loads(py_keys.read_text())}
            row["same"] = a == b
            row["only_fast"], row["only_pyshacl"] = len(a - b), len(b - a)
        elif py_rate:
            row["pyshacl_extrapolated_s"] = round(py_rate * triples)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    facts["loadavg_end"] = os.getloadavg()
    print(markdown(rows, facts, args))
    if args.json_out:
        args.json_out.write_text(json.dumps({"machine": facts, "rows": rows}, indent=2))
    return 0


def markdown(rows: list[dict], facts: dict, args) -> str:
    out = [
        "| projects | triples | pySHACL s | fast s | speed-up | same violations? | peak RSS (pySHACL / fast) "
        "| load s (pySHACL / fast) | defects found (fast) |",
        "|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for r in rows:
        f, p = r["fast"], r["pyshacl"]
        store = "in memory" if f["store"] == "memory" else "RocksDB on disk"
        if p is not None:
            py_s, speed = f"{p['validate_s']:.1f}", f"{p['validate_s'] / f['validate_s']:.0f}×"
            same = "yes" if r["same"] else f"**no** ({r['only_fast']} only fast, {r['only_pyshacl']} only pySHACL)"
            rss = f"{p['peak_rss_mb']:.0f} MB / {f['peak_rss_mb']:.0f} MB"
            load = f"{p['load_s']:.1f} / {f['load_s']:.1f}"
        elif "pyshacl_extrapolated_s" in r:
            e = r["pyshacl_extrapolated_s"]
            py_s, speed = f"~{e} (extrapolated, not run)", f"~{e / f['validate_s']:.0f}× (extrapolated)"
            same, rss, load = "n/a (pySHACL not run)", f"– / {f['peak_rss_mb']:.0f} MB", f"– / {f['load_s']:.1f}"
        else:
            py_s, speed, same, rss, load = "stopped", "–", "n/a", f"– / {f['peak_rss_mb']:.0f} MB", f"– / {f['load_s']:.1f}"
        out.append(
            f"| {r['projects']:,} | {r['triples']:,} | {py_s} | {f['validate_s']:.1f} ({store}, {f['workers']} proc.) "
            f"| {speed} | {same} | {rss} | {load} | {r['defects_found']} / {r['defects']} |"
        )
    out.append("")
    out.append(f"Machine: {facts['nproc']} cores (`nproc`), {facts['cpu']}, {facts['memory']} RAM; "
               f"Python {facts['python']}, pyoxigraph {facts['pyoxigraph']}, pySHACL {facts['pyshacl']}, "
               f"rdflib {facts['rdflib']}; load average at start / end {tuple(round(x, 1) for x in facts['loadavg_start'])}"
               f" / {tuple(round(x, 1) for x in facts['loadavg_end'])}.")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
