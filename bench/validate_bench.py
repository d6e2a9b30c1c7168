"""Whole-graph SHACL validation: pySHACL (the reference) against the fast validator (kg.validation.fast).

    python bench/validate_bench.py                       # 10k, 100k and 1M projects, seed 42
    python bench/validate_bench.py --sizes 10000,100000 --pyshacl-sizes 10000,100000 --pyshacl-budget 2400

For each size the data is generated once (bench/gen_projects.py, fixed seed) and bulk-loaded once
into an on-disk Oxigraph (RocksDB) store, both cached in --workdir (the load time is measured then,
kept beside the store and reported apart: it is not part of validation). Each validator runs in its
own process (so each has its own peak RSS):

* fast: the engine of ``kg.validation.run.validate_store`` on the on-disk store, opened read-only by --workers
  processes; the store is validated as the union of its named graphs, as ``kg validate`` does;
* pySHACL (for --pyshacl-sizes only): the same quads turned into an rdflib graph as ``kg.release.build.check()``
  does, then validated. It is skipped when its estimated time (from the previous size, linear in
  triples) exceeds --pyshacl-budget, and stopped at the budget.

Where both ran, the two reports are compared: the sets of (focus node, result path, value, constraint
component, severity) must be equal; the differences (if any) go to the JSON output. The table is
printed as Markdown; --json-out stores everything.
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
    from kg.validation.fast.report import report_keys

    return sorted(map(list, set(report_keys(report.graph, blank_ids=False))), key=repr)


def run_fast(db: Path, workers: int, keys_out: Path) -> dict:
    from kg.settings import Settings
    from kg.validation.fast import FastValidator
    from kg.validation.inputs import load_shapes

    validator = FastValidator(load_shapes(Settings(root=ROOT).shapes_dir))
    timings: list = []
    t1 = time.perf_counter()
    report = validator.validate(str(db), workers=workers, union=True, item_timings=timings)
    seconds = time.perf_counter() - t1
    keys_out.write_text(json.dumps(_keys(report)))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    slowest = sorted(timings, key=lambda x: -x[1])[:10]
    return {
        "validate_s": round(seconds, 1), "phases": {k: round(v, 2) for k, v in validator.timings.items()},
        "results": len(report.results), "violations": len(report.violations), "queries": len(validator.plan.items),
        "query_s_sum": round(sum(t for _, t in timings), 1),
        "slowest_queries": [[i, type(validator.plan.items[i]).__name__, round(t, 2)] for i, t in slowest],
        "peak_rss_mb": round(max(own, children) / 1024, 1), "peak_rss_main_mb": round(own / 1024, 1),
        "peak_rss_worker_mb": round(children / 1024, 1), "store": "RocksDB on disk", "workers": workers,
    }


def run_pyshacl(data: Path, keys_out: Path) -> dict:
    import logging

    import pyoxigraph as ox

    from kg.settings import Settings
    from kg.validation.inputs import load_shapes, quads_to_graph
    from kg.validation.reference import validate

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
    if not meta.exists() or (not data.exists() and not store_ready(data)):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "gen_projects.py"), "--projects", str(projects), "--seed", str(seed),
             "--out", str(data), "--defects-out", str(data.with_suffix(".defects.jsonl"))],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )
        meta.write_text(proc.stderr.strip().splitlines()[-1])
    return data, json.loads(meta.read_text())["quads"]


def store_ready(data: Path) -> bool:
    return data.with_suffix(".oxigraph").is_dir() and data.with_suffix(".load.json").exists()


def load_store(data: Path) -> dict:
    """Bulk-load the N-Quads into an on-disk store once (cached beside them); the load time."""
    db, info = data.with_suffix(".oxigraph"), data.with_suffix(".load.json")
    if store_ready(data):
        return json.loads(info.read_text())
    import pyoxigraph as ox

    if db.exists():
        shutil.rmtree(db)
    t0 = time.perf_counter()
    store = ox.Store(str(db))
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
    store.flush()
    t1 = time.perf_counter()
    store.optimize()
    quads = len(store)
    del store
    out = {"bulk_load_s": round(t1 - t0, 1), "optimize_s": round(time.perf_counter() - t1, 1), "quads": quads,
           "disk_mb": round(sum(f.stat().st_size for f in db.rglob("*") if f.is_file()) / 2**20)}
    info.write_text(json.dumps(out))
    return out


def compare(fast_keys: Path, py_keys: Path) -> dict:
    """The two sets of (focus node, result path, value, constraint component, severity)."""
    def load(p: Path) -> set:
        return {tuple(tuple(x) if isinstance(x, list) else x for x in k) for k in json.loads(p.read_text())}

    a, b = load(fast_keys), load(py_keys)
    return {"same": a == b, "results_fast": len(a), "results_pyshacl": len(b),
            "only_fast": len(a - b), "only_pyshacl": len(b - a),
            "only_fast_examples": sorted(map(repr, a - b))[:20], "only_pyshacl_examples": sorted(map(repr, b - a))[:20]}


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
    ap.add_argument("--pyshacl-sizes", default="10000,100000", help="sizes pySHACL is tried at (within its budget)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/kg-shacl-bench"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--pyshacl-budget", type=float, default=2400.0,
                    help="seconds pySHACL may take at one size (skipped if its estimate is above, stopped at it)")
    ap.add_argument("--drop-nquads", action="store_true",
                    help="delete a size's N-Quads once its store is loaded, unless pySHACL needs them")
    ap.add_argument("--json-out", type=Path, default=None)
    # internal: one measurement in a child process
    ap.add_argument("--_run", choices=["fast", "pyshacl"], help=argparse.SUPPRESS)
    ap.add_argument("--_data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_keys", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._run == "fast":
        print(json.dumps(run_fast(args._data, args.workers, args._keys)))
        return 0
    if args._run == "pyshacl":
        print(json.dumps(run_pyshacl(args._data, args._keys)))
        return 0

    args.workdir.mkdir(parents=True, exist_ok=True)
    facts = machine()
    py_sizes = {int(s) for s in args.pyshacl_sizes.split(",") if s}
    rows = []
    py_rate = None  # pySHACL seconds per triple at the last size it finished
    for projects in (int(s) for s in args.sizes.split(",")):
        data, triples = generate(args.workdir, projects, args.seed)
        print(f"[{time.strftime('%H:%M:%S')}] {projects} projects, {triples} triples: loading the store", file=sys.stderr)
        load = load_store(data)
        if args.drop_nquads and projects not in py_sizes and data.exists():
            data.unlink()
        fast_keys = args.workdir / f"fast-{projects}.json"
        print(f"[{time.strftime('%H:%M:%S')}] fast ({args.workers} workers)", file=sys.stderr)
        fast = _child(["--_run", "fast", "--_data", str(data.with_suffix(".oxigraph")), "--_keys", str(fast_keys),
                       "--workers", str(args.workers)], None)
        row = {"projects": projects, "triples": triples, "store_load": load, "fast": fast, "pyshacl": None}
        row["defects"], row["defects_found"] = defects_found(data, fast_keys)
        if projects in py_sizes:
            estimate = py_rate * triples if py_rate else None
            if estimate is None or estimate <= args.pyshacl_budget:
                print(f"[{time.strftime('%H:%M:%S')}] pyshacl (estimate {estimate and round(estimate)} s, "
                      f"budget {args.pyshacl_budget:.0f} s)", file=sys.stderr)
                py_keys = args.workdir / f"pyshacl-{projects}.json"
                py = _child(["--_run", "pyshacl", "--_data", str(data), "--_keys", str(py_keys)], args.pyshacl_budget)
                row["pyshacl"] = py
                if py is not None:
                    py_rate = py["validate_s"] / triples
                    row["comparison"] = compare(fast_keys, py_keys)
                    row["speedup"] = round(py["validate_s"] / max(fast["validate_s"], 0.05), 1)
                else:
                    row["pyshacl_stopped_at_s"] = args.pyshacl_budget
            else:
                row["pyshacl_extrapolated_s"] = round(estimate)
        elif py_rate:
            row["pyshacl_extrapolated_s"] = round(py_rate * triples)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
        if args.json_out:  # after every size: a long run leaves what it measured
            args.json_out.write_text(json.dumps({"machine": facts, "args": _args(args), "rows": rows}, indent=2))
    facts["loadavg_end"] = os.getloadavg()
    print(markdown(rows, facts, args))
    if args.json_out:
        args.json_out.write_text(json.dumps({"machine": facts, "args": _args(args), "rows": rows}, indent=2))
    return 0


def _args(args) -> dict:
    return {k: str(v) for k, v in vars(args).items() if not k.startswith("_")}


def markdown(rows: list[dict], facts: dict, args) -> str:
    out = [
        "| projects | triples | store load s (not counted) | pySHACL s | fast s | speed-up | same results? "
        "| peak RSS (pySHACL / fast) | defects found (fast) |",
        "|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        f, p, ld = r["fast"], r["pyshacl"], r["store_load"]
        fast_s = f"{f['validate_s']:.1f} ({f['workers']} proc.)"
        if p is not None:
            c = r["comparison"]
            py_s, speed = f"{p['validate_s']:.1f}", f"{r['speedup']:.0f}×"
            same = (f"yes ({c['results_fast']} results)" if c["same"]
                    else f"**no** ({c['only_fast']} only fast, {c['only_pyshacl']} only pySHACL)")
            rss = f"{p['peak_rss_mb']:.0f} MB / {f['peak_rss_mb']:.0f} MB"
        elif "pyshacl_extrapolated_s" in r:
            e = r["pyshacl_extrapolated_s"]
            py_s, speed = f"~{e} (extrapolated, not run)", f"~{e / f['validate_s']:.0f}× (extrapolated)"
            same, rss = "n/a (pySHACL not run)", f"– / {f['peak_rss_mb']:.0f} MB"
        elif "pyshacl_stopped_at_s" in r:
            py_s, speed = f"stopped at {r['pyshacl_stopped_at_s']:.0f}", "–"
            same, rss = "n/a", f"– / {f['peak_rss_mb']:.0f} MB"
        else:
            py_s, speed, same, rss = "not run", "–", "n/a", f"– / {f['peak_rss_mb']:.0f} MB"
        out.append(
            f"| {r['projects']:,} | {r['triples']:,} | {ld['bulk_load_s'] + ld['optimize_s']:.0f} | {py_s} | {fast_s} "
            f"| {speed} | {same} | {rss} | {r['defects_found']} / {r['defects']} |"
        )
    out.append("")
    out.append(f"Machine: {facts['nproc']} cores (`nproc`), {facts['cpu']}, {facts['memory']} RAM; "
               f"Python {facts['python']}, pyoxigraph {facts['pyoxigraph']}, pySHACL {facts['pyshacl']}, "
               f"rdflib {facts['rdflib']}; load average at start / end {tuple(round(x, 1) for x in facts['loadavg_start'])}"
               f" / {tuple(round(x, 1) for x in facts['loadavg_end'])}.")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
