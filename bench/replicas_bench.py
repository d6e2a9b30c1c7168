"""API throughput with 1, 2 and 3 ``kg serve`` replicas behind nginx (deploy/nginx.conf), in one run.

    flock /tmp/bench.lock .venv/bin/python bench/replicas_bench.py --duration 10 --repeats 2

The release is ``kg build`` of data/ (the real graph), shipped to three replica var dirs with
``kg.store.releases.ship`` (hard links). Each replica is ``kg serve --workers 1 --query-workers Q``
on its own loopback port; nginx runs deploy/nginx.conf with its upstream block rewritten to the
first N replicas (and its listen port to a free one). The load is bench/load.py (closed loop, 16
clients): the small named queries of bench/serve_bench.py POSTed to /sparql (never cached), and
``GET /api/projects`` (REST). For reference the same load goes straight to one replica (no nginx).
Runs are interleaved (N = direct, 1, 2, 3, then reversed on the next repeat) and the median is reported.

Everything shares this machine's cores: replicas, nginx and the load tool. So this measures what
nginx costs and whether more replicas help *on one machine*; more machines are not measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from kg.store import releases  # noqa: E402
from serve_bench import ROOT, Server, build_real, free_port, kg_server, log, run_load, small_queries, sparql_spec  # noqa: E402


def nginx_server(work: Path, replicas: list[Server], name: str) -> Server:
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    block = "\n".join(f"        server 127.0.0.1:{r.port} max_fails=1 fail_timeout=5s;" for r in replicas)
    text = re.sub(r"(upstream kg_replicas \{\n)(?: *server [^\n]*\n)+", lambda m: m.group(1) + block + "\n", text)
    port = free_port()
    text = re.sub(r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{port};", text)
    prefix = work / f"nginx-{name}"
    for sub in ("logs", "run", "tmp", "cache"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    (prefix / "nginx.conf").write_text(text)
    extra = "daemon off; user root;" if os.geteuid() == 0 else "daemon off;"
    return Server(
        name=f"nginx {name}", argv=["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", extra],
        port=port, query_path="/sparql", ready_path="/healthz", logfile=work / f"nginx-{name}.log",
    )


def rest_spec() -> dict[str, Any]:
    return {"requests": [{"name": "projects", "method": "GET", "path": "/api/projects", "headers": {"Accept": "application/json"}}], "rows": None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--query-workers", type=int, default=1, help="query worker processes per replica")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    args.work = Path(tempfile.mkdtemp(prefix="kg-replicas-bench-"))
    servers: list[Server] = []
    try:
        origin = build_real(args.work)
        release = releases.current(origin)
        assert release is not None
        replicas = []
        for n in range(3):
            var = args.work / f"replica-{n}"
            releases.promote(var, releases.ship(release, var).build)
            replicas.append(kg_server(var, 1, args.query_workers, args.work, pythonpath=ROOT / "src"))
        servers += replicas
        for r in replicas:
            r.start()
        fronts = {f"{n} behind nginx": nginx_server(args.work, replicas[:n], str(n)) for n in (1, 2, 3)}
        servers += fronts.values()
        for f in fronts.values():
            f.start()
        targets: dict[str, Server] = {"1 direct": replicas[0], **fronts}
        tests = {"sparql": sparql_spec("/sparql", small_queries(), "application/sparql-results+json"), "rest": rest_spec()}
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {t: {k: [] for k in targets} for t in tests}
        order = list(targets)
        for repeat in range(args.repeats):
            for name in order if repeat % 2 == 0 else list(reversed(order)):
                for test, spec in tests.items():
                    tag = f"{test}-{name.replace(' ', '_')}-{repeat}"
                    runs[test][name].append(run_load(targets[name], spec, args.concurrency, args, tag))
        summary: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nproc": os.cpu_count(),
                                   "duration": args.duration, "repeats": args.repeats, "concurrency": args.concurrency,
                                   "query_workers": args.query_workers, "results": {}}
        for test in tests:
            for name in targets:
                rs = runs[test][name]
                med = sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]
                summary["results"][f"{test} / {name}"] = {
                    "rps_median": med["rps"], "rps_range": [min(r["rps"] for r in rs), max(r["rps"] for r in rs)],
                    "p50_ms": med["latency_ms"]["p50"], "p99_ms": med["latency_ms"]["p99"],
                    "errors": sum(r["error_count"] for r in rs),
                    "other_cpu_pct_median": statistics.median(r["other_cpu_pct"] for r in rs),
                    "loadavg1_before": [r["loadavg1_before"] for r in rs],
                }
        text = json.dumps(summary, indent=2)
        print(text)
        if args.json_out:
            args.json_out.write_text(text)
    finally:
        for s in reversed(servers):
            try:
                s.stop()
            except Exception as exc:  # keep stopping the others
                log(f"stop {s.name}: {exc}")
        shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
