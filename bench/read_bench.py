"""Read-side benchmark (issue 12): the REST API, the home page and a project page at programme
scale, served from the release's read model, against the same routes before it (SPARQL per request).

    .venv/bin/python bench/read_bench.py --projects 100000 --seed 42 --work /tmp/read-bench

End to end, in one run:

1. ``bench/gen_exports.py --projects N --seed S --only cordis`` writes a CORDIS export;
2. ``kg build`` (the curated data) then the real ``kg import cordis … --no-validate`` into a fresh
   var dir (wall time; the import derives the read model before it promotes the store); the read
   model is then derived once more on its own, from the promoted store, to time it alone;
3. **before**: for each route, ``kg serve`` with the code of ``--before-src`` (the main branch's
   ``src``: SPARQL per request) is started afresh and asked once, with a ``--before-timeout`` limit
   (those routes had no deadline: a request given up on keeps the server busy, hence one server
   per route);
4. **after**: ``kg serve`` with this tree; the first request of every route right after the start
   (the first request after a build), then ``bench/load.py`` with ``--concurrency`` clients per
   route for ``--duration`` s (``--warmup`` discarded): the project listing at random pages, a
   country-filtered listing with facets, full-text search (``q`` from title words), ``/api/stats``,
   the home page, a project page; p50/p99 to the last byte, and the server's RSS before and after.

Everything is seeded (``--seed``): the export, the pages, the search words, the project keys.
Loopback only; every server is started in its own session and stopped by its pid.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_bench import ROOT, VENV_BIN, Server, free_port, log, run_load

PY = str(VENV_BIN / "python")


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss(server: Server) -> float:
    return round(sum(rss_mib(p) for p in server.tree()), 1)


def kg(args: list[str], src: Path, timeout: float = 7200) -> float:
    started = time.monotonic()
    subprocess.run([PY, "-m", "kg.cli", *args], check=True, cwd=ROOT, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}, timeout=timeout,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def server(var: Path, src: Path, logdir: Path, name: str) -> Server:
    port = free_port()
    return Server(
        env={"PYTHONPATH": str(src.resolve()), "PATH": "/usr/bin:/bin"},
        name=name,
        argv=[PY, "-m", "kg.cli", "serve", "--var-dir", str(var), "--host", "127.0.0.1", "--port", str(port), "--query-timeout", "30"],
        port=port,
        query_path="/sparql",
        ready_path="/sparql?query=ASK%7B%7D",
        logfile=logdir / f"{name}.log",
    )


def get(base: str, path: str, timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (TimeoutError, urllib.error.URLError, OSError):
        status = 0
    return status, time.monotonic() - started


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=Path("/tmp/read-bench"))
    ap.add_argument(
        "--before-src", type=Path, default=None,
        help="a src/ of the code before the read model (e.g. `git archive 6b74b9f src | tar -x -C /tmp/before`); without it no 'before' is run",
    )
    ap.add_argument("--before-timeout", type=float, default=60.0)
    ap.add_argument("--skip-before", action="store_true")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args(argv)
    src = ROOT / "src"
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    out: dict[str, Any] = {"projects": args.projects, "seed": args.seed}

    exports = work / f"exports-{args.projects}"
    if not (exports / "cordis" / "project.csv").is_file():
        log(f"generating {args.projects} CORDIS projects")
        subprocess.run([PY, str(ROOT / "bench" / "gen_exports.py"), "--projects", str(args.projects), "--seed", str(args.seed), "--out", str(exports), "--only", "cordis"],
                       check=True, timeout=3600)
    var = work / "var"
    shutil.rmtree(var, ignore_errors=True)
    out["build_s"] = round(kg(["build", "--var-dir", str(var)], src), 1)
    log("importing")
    out["import_s"] = round(kg(["import", "cordis", str(exports / "cordis"), "--var-dir", str(var), "--name", "bench", "--no-validate"], src), 1)
    release = (var / "store").resolve()
    code = (
        "import sys, time; from pathlib import Path; from kg.readmodel import derive; from kg.store import OxigraphStore\n"
        "b = Path(sys.argv[1]); t = time.perf_counter()\n"
        "with OxigraphStore(b, read_only=True) as s: r = derive(s, Path(sys.argv[2]), build_id=b.name)\n"
        "print(time.perf_counter() - t, r.projects, r.organisations)"
    )
    tmp_model = work / "derive-again.sqlite"
    done = subprocess.run([PY, "-c", code, str(release), str(tmp_model)], check=True, capture_output=True, text=True, env={"PYTHONPATH": str(src)})
    seconds, projects, orgs = done.stdout.split()
    out.update(derive_s=round(float(seconds), 1), derived_projects=int(projects), derived_organisations=int(orgs),
               read_model_mib=round((release / "kg-read.sqlite").stat().st_size / 2**20, 1))
    tmp_model.unlink(missing_ok=True)
    log(f"import {out['import_s']} s (with the read model), read model alone {out['derive_s']} s, {out['read_model_mib']} MiB")

    # the routes, seeded
    con = sqlite3.connect(f"file:{release / 'kg-read.sqlite'}?mode=ro&immutable=1", uri=True)
    total = con.execute("SELECT COUNT(*) FROM project").fetchone()[0]
    keys = [k for (k,) in con.execute("SELECT key FROM project WHERE key IS NOT NULL ORDER BY pid LIMIT 5000")]
    titles = [t for (t,) in con.execute("SELECT value FROM project_text WHERE field = 'title' ORDER BY pid LIMIT 2000")]
    iso = [c for (c,) in con.execute("SELECT iso2 FROM country WHERE iso2 IS NOT NULL ORDER BY project_count DESC LIMIT 10")]
    con.close()
    words = sorted({w.lower() for t in titles for w in t.split() if len(w) > 4 and w.isalpha()})
    pages = max(1, total // 20)
    routes: dict[str, list[str]] = {
        "listing (random page)": [f"/api/projects?page={rng.randint(1, min(pages, 5000))}&per_page=20" for _ in range(200)],
        "country filter + facets": [f"/api/projects?country={rng.choice(iso)}&year_from={rng.randint(2021, 2024)}&facets=true" for _ in range(50)],
        "full-text search": [f"/api/projects?q={rng.choice(words)}" for _ in range(200)],
        "/api/stats": ["/api/stats"],
        "home page": ["/"],
        "project page": [f"/api/projects/{rng.choice(keys)}" for _ in range(200)],
    }
    logdir = work / "logs"
    logdir.mkdir(exist_ok=True)
    if not args.skip_before and args.before_src is not None:
        before: dict[str, Any] = {}
        for name, paths in routes.items():
            srv = server(var, args.before_src, logdir, "before")
            srv.start(timeout=120)
            try:
                status, seconds_ = get(srv.base, paths[0], args.before_timeout)
                before[name] = {"path": paths[0], "status": status, "s": round(seconds_, 2)}
                log(f"before {name}: {status} in {seconds_:.2f} s")
            finally:
                srv.stop()
        out["before"] = before

    srv = server(var, src, logdir, "after")
    srv.start(timeout=120)
    try:
        first = {}
        for name, paths in routes.items():
            status, seconds_ = get(srv.base, paths[0], 60)
            first[name] = {"status": status, "ms": round(seconds_ * 1000, 1)}
        out["first_request"] = first
        out["rss_before_mib"] = tree_rss(srv)
        load_args = argparse.Namespace(work=work, warmup=args.warmup, duration=args.duration)
        after = {}
        for i, (name, paths) in enumerate(routes.items()):
            spec = {"requests": [{"name": f"r{j}", "method": "GET", "path": p, "headers": {"Accept": "application/json"}} for j, p in enumerate(paths)], "rows": None}
            result = run_load(srv, spec, args.concurrency, load_args, f"read-{i}")
            after[name] = {k: result.get(k) for k in ("rps", "latency_ms", "error_count", "all_ok", "server_cpu_pct", "other_cpu_pct")}
        out["after"] = after
        out["rss_after_mib"] = tree_rss(srv)
    finally:
        srv.stop()
    text = json.dumps(out, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
