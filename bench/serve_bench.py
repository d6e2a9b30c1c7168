"""Serving benchmark: ``kg serve`` against ``oxigraph serve-read-only`` on the same store, the
same queries and the same load tool (``bench/load.py``, run in its own process).

    .venv/bin/python bench/serve_bench.py --seed 42 --duration 10

End to end, in one run:

1. builds the real graph (``kg build --var-dir WORK/real``);
2. copies that build to ``WORK/bench`` and adds one generated named graph
   (``{base}graph/source/bench-synthetic-<seed>``) of ≥ ``--triples`` triples: synthetic projects
   following docs/model.md (fixed ``--seed``), with their participations and organisations;
3. per store, starts every ``kg serve`` configuration (``--kg-configs U:Q``: U uvicorn processes ×
   Q query worker processes each) and ``oxigraph serve-read-only --union-default-graph`` (the same
   union default graph as ``kg serve``) side by side on free loopback ports, and runs each test
   ``--repeat`` times on each server, interleaved (order reversed on odd repeats, so drifts of
   background load hit every server alike; the median run is reported, with the range):

   a. small queries: a fixed mix of named queries from queries/*.rq (parameters bound to their
      defaults) and an ASK, on the real store, JSON results, ``--concurrency`` clients;
   b. a 100k-row SELECT (``?s ?p ?o`` of the generated graph, ``LIMIT 100000``) as CSV and as
      JSON on the bench store, at ``--big-concurrency`` clients (each level in turn), while a
      sampler reads ``VmRSS`` of the server and all its descendants (query workers) every 20 ms;
   c. (kg only) the REST listing ``/api/projects?page=N`` at ``--concurrency`` clients over a
      fixed set of pages, on the real store (one page) and on the bench store (many pages);

   and records for every run the server's CPU (its whole process tree), the load tool's CPU and
   the CPU other processes of the machine used meanwhile;
4. prints a markdown table (and ``--json-out`` the raw figures).

Targets (issue 3 item 8): small queries ≥ 60 % of oxigraph's throughput; 100k rows ≥ 90 % of
oxigraph's rows/s with flat memory; REST listing p99 ≤ 50 ms at 16 clients.

Only loopback addresses are used; every run is bounded in time. Servers are started in their own
process group and stopped by their pid (SIGTERM, then SIGKILL of the remaining descendants).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
LOAD = Path(__file__).resolve().parent / "load.py"

BASE = "https://w3id.org/euprojects/"
KG = "https://w3id.org/euprojects/def#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SDG = "http://metadata.un.org/sdg/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"

SMALL_QUERIES = (
    "projects-by-year",
    "countries-by-project-count",
    "projects-for-sdg",
    "projects-in-country",
    "organisations-in-most-projects",
    "target-groups",
)
ASK = f"PREFIX kg: <{KG}>\nASK {{ <{BASE}id/project/ic4lop> a kg:Project ; kg:country ?c }}"
JSON_RESULTS = "application/sparql-results+json"

WORDS = (
    "inclusion migrants cities learning network skills training youth adults digital green social "
    "innovation citizens democracy culture heritage integration refugees employment education "
    "community participation entrepreneurship literacy mobility teachers schools women health "
    "sustainable rural urban resilience dialogue tolerance rights media energy climate"
).split()
WORDS_IT = (
    "inclusione migranti città apprendimento rete competenze formazione giovani adulti digitale verde "
    "sociale innovazione cittadini democrazia cultura patrimonio integrazione rifugiati lavoro"
).split()
COUNTRIES = "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK SVN ESP SWE".split()
ROLES = ("RoleCoordinator", "RolePartner", "RoleAssociatedPartner", "RoleParticipant")


def log(msg: str) -> None:
    print(f"[serve_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# =========================================================================== the store


def build_real(work: Path) -> Path:
    var = work / "real"
    log(f"kg build --var-dir {var}")
    proc = subprocess.run(
        [str(VENV_BIN / "kg"), "build", "--var-dir", str(var)], cwd=ROOT, capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("kg build failed")
    return var


def _lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    body = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if lang:
        return f"{body}@{lang}"
    if datatype:
        return f"{body}^^<{XSD}{datatype}>"
    return body


def _date(rng: random.Random, year: int, month: int, day: int) -> tuple[str, str]:
    r = rng.random()
    if r < 0.5:
        return f"{year:04d}-{month:02d}-{day:02d}", "date"
    if r < 0.8:
        return f"{year:04d}-{month:02d}", "gYearMonth"
    return f"{year:04d}", "gYear"


def synthetic_graph(seed: int, min_triples: int, programmes: list[str], sdgs: list[str]) -> tuple[str, bytes, int, int]:
    """(graph IRI, N-Quads, triples, projects): projects shaped as docs/model.md, until ≥ min_triples."""
    rng = random.Random(seed)
    graph = f"{BASE}graph/source/bench-synthetic-{seed}"
    src = f"{BASE}id/source/bench-synthetic-{seed}"
    g = f"<{graph}>"
    out: list[str] = []

    def t(s: str, p: str, o: str) -> None:
        out.append(f"<{s}> <{p}> {o} {g} .\n")

    t(src, RDF_TYPE, f"<{KG}SourceDocument>")
    t(src, DCT + "identifier", _lit(f"bench-synthetic-{seed}"))
    t(src, KG + "sha256", _lit(f"{seed:064x}"))
    t(graph, PROV + "wasDerivedFrom", f"<{src}>")
    n_orgs = 1500
    org_done: set[int] = set()
    i = 0
    while len(out) < min_triples:
        key = f"bench-{seed}-{i:06d}"
        p = f"{BASE}id/project/{key}"
        t(p, RDF_TYPE, f"<{KG}Project>")
        t(p, DCT + "identifier", _lit(key))
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))).capitalize()
        t(p, DCT + "title", _lit(title, "en"))
        t(p, RDFS_LABEL, _lit(title, "en"))
        if rng.random() < 0.4:
            t(p, DCT + "title", _lit(" ".join(rng.choice(WORDS_IT) for _ in range(rng.randint(3, 7))).capitalize(), "it"))
        if rng.random() < 0.8:
            t(p, KG + "acronym", _lit("".join(w[0] for w in title.split()).upper() + str(i % 100)))
        if rng.random() < 0.5:
            t(p, DCT + "description", _lit(" ".join(rng.choice(WORDS) for _ in range(20)).capitalize() + ".", "en"))
        year, month, day = rng.randint(2007, 2023), rng.randint(1, 12), rng.randint(1, 28)
        lex, dtype = _date(rng, year, month, day)
        t(p, KG + "startDate", _lit(lex, datatype=dtype))
        if rng.random() < 0.9:
            lex, dtype = _date(rng, year + rng.randint(1, 4), month, 28)
            t(p, KG + "endDate", _lit(lex, datatype=dtype))
        if rng.random() < 0.5:
            t(p, KG + "status", _lit(rng.choice(("closed", "ongoing"))))
        t(p, PROV + "wasDerivedFrom", f"<{src}>")
        if programmes and rng.random() < 0.92:
            t(p, KG + "fundedUnder", f"<{rng.choice(programmes)}>")
        for c in rng.sample(COUNTRIES, rng.randint(1, 5)):
            t(p, KG + "country", f"<{COUNTRY}{c}>")
        if sdgs and rng.random() < 0.8:
            for s in rng.sample(sdgs, rng.randint(1, 3)):
                t(p, KG + "sdg", f"<{s}>")
        for k, oi in enumerate(sorted({rng.randrange(n_orgs) for _ in range(rng.randint(1, 5))})):
            org = f"{BASE}id/organisation/bench-org-{seed}-{oi}"
            if oi not in org_done:
                org_done.add(oi)
                t(org, RDF_TYPE, f"<{KG}Organisation>")
                t(org, DCT + "identifier", _lit(f"bench-org-{seed}-{oi}"))
                t(org, RDFS_LABEL, _lit(f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} organisation {oi}", "en"))
                t(org, KG + "country", f"<{COUNTRY}{rng.choice(COUNTRIES)}>")
            part = f"{p}/participation/bench-org-{seed}-{oi}"
            t(p, KG + "hasParticipation", f"<{part}>")
            t(part, RDF_TYPE, f"<{KG}Participation>")
            t(part, KG + "inProject", f"<{p}>")
            t(part, KG + "organisation", f"<{org}>")
            t(part, KG + "role", f"<{KG}{ROLES[0] if k == 0 else rng.choice(ROLES[1:])}>")
        i += 1
    return graph, "".join(out).encode("utf-8"), len(out), i


def make_bench_store(work: Path, real_var: Path, seed: int, min_triples: int) -> dict[str, Any]:
    """A copy of the real build plus the generated graph, as WORK/bench/{builds/<id>, store}."""
    import pyoxigraph as ox

    real_build = (real_var / "store").resolve()
    var = work / "bench"
    build = var / "builds" / (real_build.name + "-bench")
    build.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(real_build, build)
    store = ox.Store(str(build))
    programmes = sorted(
        str(r["c"].value)
        for r in store.query(
            f"SELECT DISTINCT ?c WHERE {{ GRAPH <{BASE}graph/vocab/programmes> {{ ?c a <{KG}FundingScheme> }} }}"
        )
    )
    sdgs = sorted(
        str(r["s"].value)
        for r in store.query(
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { { ?s a <http://metadata.un.org/sdg/ontology#Goal> } "
            "UNION { ?s a <http://metadata.un.org/sdg/ontology#Target> } } }"
        )
    )
    t0 = time.perf_counter()
    graph, data, n_triples, n_projects = synthetic_graph(seed, min_triples, programmes, sdgs)
    store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    del store
    os.symlink(Path("builds") / build.name, var / "store")
    log(f"bench store: {n_triples} triples, {n_projects} projects in <{graph}> ({time.perf_counter() - t0:.1f} s)")
    return {"var": var, "store": build, "graph": graph, "triples": n_triples, "projects": n_projects}


# =========================================================================== processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def descendants(pid: int) -> list[int]:
    """pid and all its descendants."""
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            fields = stat[stat.rindex(b")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, ValueError, IndexError):
            pass
    return total


class RssSampler:
    """Samples the summed VmRSS of a process tree every ``interval`` seconds (tree re-read each 0.2 s)."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_total = 0
        self.peak_single = 0
        self.peak_main = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self.baseline = sum(rss_kib(p) for p in descendants(self.pid))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.final = sum(rss_kib(p) for p in descendants(self.pid))

    def _run(self) -> None:
        pids = descendants(self.pid)
        refreshed = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - refreshed > 0.2:
                pids = descendants(self.pid)
                refreshed = time.monotonic()
            values = [rss_kib(p) for p in pids]
            self.peak_total = max(self.peak_total, sum(values))
            self.peak_single = max(self.peak_single, max(values, default=0))
            self.peak_main = max(self.peak_main, values[0] if values else 0)
            self.samples += 1
            self._stop.wait(self.interval)

    def report(self) -> dict[str, Any]:
        mib = lambda k: round(k / 1024, 1)  # noqa: E731
        return {
            "baseline_mib": mib(self.baseline),
            "peak_mib": mib(self.peak_total),
            "growth_mib": mib(self.peak_total - self.baseline),
            "peak_main_mib": mib(self.peak_main),
            "peak_single_mib": mib(self.peak_single),
            "final_mib": mib(self.final),
            "samples": self.samples,
        }


@dataclass
class Server:
    name: str
    argv: list[str]
    port: int
    query_path: str
    ready_path: str
    logfile: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None
    seen: set[int] = field(default_factory=set)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        log(f"start {self.name}: {' '.join(self.argv)}")
        self._log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.proc.returncode}; see {self.logfile}")
            try:
                with urllib.request.urlopen(self.base + self.ready_path, timeout=2) as r:
                    if r.status == 200:
                        time.sleep(0.5)  # let every uvicorn process / query worker finish starting
                        self.seen.update(descendants(self.proc.pid))
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{self.name} did not answer within {timeout} s; see {self.logfile}")

    def tree(self) -> list[int]:
        assert self.proc is not None
        pids = descendants(self.proc.pid)
        self.seen.update(pids)
        return pids

    def stop(self) -> None:
        if self.proc is None:
            return
        self.tree()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        time.sleep(0.3)
        for pid in sorted(self.seen - {self.proc.pid}):  # only processes this server started
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc = None
        self._log.close()


def kg_server(var: Path, uvicorn_workers: int, query_workers: int, logdir: Path, pythonpath: Path | None = None) -> Server:
    port = free_port()
    env = None
    if pythonpath is not None:
        env = dict(os.environ, PYTHONPATH=str(pythonpath.resolve()))
    return Server(
        env=env,
        name=f"kg serve {uvicorn_workers}:{query_workers}",
        argv=[
            str(VENV_BIN / "kg"), "serve", "--var-dir", str(var), "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(uvicorn_workers), "--query-workers", str(query_workers),
        ],
        port=port,
        query_path="/sparql",
        ready_path="/sparql?query=ASK%7B%7D",
        logfile=logdir / f"kg-{uvicorn_workers}x{query_workers}.log",
    )


def oxigraph_server(store: Path, logdir: Path) -> Server:
    port = free_port()
    return Server(
        name="oxigraph serve-read-only",
        argv=[
            str(VENV_BIN / "oxigraph"), "serve-read-only", "--location", str(store.resolve()),
            "--bind", f"127.0.0.1:{port}", "--union-default-graph",
        ],
        port=port,
        query_path="/query",
        ready_path="/query?query=ASK%7B%7D",
        logfile=logdir / "oxigraph.log",
    )


# =========================================================================== load runs


def sparql_spec(path: str, queries: list[tuple[str, str]], accept: str, rows: str | None = None) -> dict[str, Any]:
    return {
        "requests": [
            {
                "name": name,
                "method": "POST",
                "path": path,
                "headers": {"Content-Type": "application/sparql-query", "Accept": accept},
                "body": text,
            }
            for name, text in queries
        ],
        "rows": rows,
    }


def _busy_ticks() -> int:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def run_load(
    server: Server, spec: dict[str, Any], concurrency: int, args: argparse.Namespace, tag: str, sample_rss: bool = False
) -> dict[str, Any]:
    spec_file = args.work / f"spec-{tag}.json"
    out_file = args.work / f"result-{tag}.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    argv = [
        sys.executable, str(LOAD), "--base", server.base, "--spec", str(spec_file), "--concurrency", str(concurrency),
        "--warmup", str(args.warmup), "--duration", str(args.duration), "--out", str(out_file),
    ]
    assert server.proc is not None
    pids = server.tree()
    load1 = os.getloadavg()[0]
    cpu0, busy0, t0 = cpu_ticks(pids), _busy_ticks(), time.monotonic()
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = RssSampler(server.proc.pid) if sample_rss else None
    if sampler:
        sampler.__enter__()
    try:
        subprocess.run(argv, check=True, timeout=args.warmup + args.duration * 12 + 180, stderr=subprocess.DEVNULL)
    finally:
        if sampler:
            sampler.__exit__(None, None, None)
    wall = time.monotonic() - t0
    hz = os.sysconf("SC_CLK_TCK")
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out_file.read_text(encoding="utf-8"))
    server_s = (cpu_ticks(server.tree()) - cpu0) / hz
    client_s = (child1.ru_utime + child1.ru_stime) - (child0.ru_utime + child0.ru_stime)
    busy_s = (_busy_ticks() - busy0) / hz
    result["server_cpu_pct"] = round(server_s / wall * 100, 1)
    result["server_cpu_ms_per_req"] = round(server_s * 1000 / result["all_ok"], 3) if result.get("all_ok") else None
    result["client_cpu_pct"] = round(client_s / wall * 100, 1)
    result["other_cpu_pct"] = round(max(0.0, busy_s - server_s - client_s) / wall * 100, 1)
    result["loadavg1_before"] = round(load1, 2)
    if sampler:
        result["rss"] = sampler.report()
    lat = result["latency_ms"]
    log(
        f"  {tag}: {result['rps']} req/s, p50 {lat['p50']} p95 {lat['p95']} p99 {lat['p99']} ms, "
        f"{result['error_count']} errors" + (f", {result['rows_per_s']:.0f} rows/s" if result["rows"] else "")
        + (f", RSS {result['rss']['baseline_mib']}→{result['rss']['peak_mib']} MiB" if sampler else "")
        + f"; CPU % server {result['server_cpu_pct']} client {result['client_cpu_pct']} other {result['other_cpu_pct']}"
        + f"; server CPU {result['server_cpu_ms_per_req']} ms/answer"
    )
    return result


def small_queries() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "src"))
    from kg.read.queries import load_query

    out = [(name, load_query(ROOT / "queries" / f"{name}.rq").bind()) for name in SMALL_QUERIES]
    return out + [("ask-project", ASK)]


def big_query(graph: str, rows: int) -> str:
    return f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT {rows}"


def rest_spec(pages: list[int]) -> dict[str, Any]:
    return {
        "requests": [
            {"name": f"page-{p}", "method": "GET", "path": f"/api/projects?page={p}", "headers": {"Accept": "application/json"}}
            for p in pages
        ],
        "rows": None,
    }


def rest_pages(projects: int, seed: int, n: int = 50) -> list[int]:
    last = max(1, -(-projects // 20))
    rng = random.Random(seed)
    return [1] + [rng.randint(1, last) for _ in range(n - 1)]


def tests_for(kind: str, args: argparse.Namespace, env: dict[str, Any]) -> list[tuple[str, Any, int, bool, bool]]:
    """(key, spec for a server, clients, sample RSS?, kg only?) of the tests on one store."""
    if kind == "real":
        return [
            ("small", lambda s: sparql_spec(s.query_path, env["small"], JSON_RESULTS), args.concurrency, False, False),
            ("rest_real", lambda s: rest_spec([1]), args.concurrency, False, True),
        ]
    q = [("100k", big_query(env["graph"], args.rows))]
    tests: list[tuple[str, Any, int, bool, bool]] = []
    for c in args.big_concurrency:
        tests.append((f"csv_c{c}", lambda s: sparql_spec(s.query_path, q, "text/csv", "csv"), c, True, False))
        tests.append((f"json_c{c}", lambda s: sparql_spec(s.query_path, q, JSON_RESULTS, "json"), c, True, False))
    tests.append(("rest", lambda s: rest_spec(env["pages"]), args.concurrency, True, True))
    return tests


def _metric(key: str) -> tuple[str, bool]:
    """The figure a test is judged by, and whether higher is better."""
    if key.startswith(("csv", "json")):
        return "rows_per_s", True
    if key.startswith("rest"):
        return "p99", False
    return "rps", True


def _value(run: dict[str, Any], metric: str) -> float:
    if metric == "p99":
        return run["latency_ms"]["p99"] if run["latency_ms"]["p99"] is not None else float("inf")
    return float(run[metric])


def median_run(key: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run by the test's metric (the lower median), with every run's figure attached."""
    metric, _ = _metric(key)
    ordered = sorted(runs, key=lambda r: _value(r, metric))
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["runs"] = [_value(r, metric) for r in runs]
    chosen["metric"] = metric
    return chosen


def run_store(kind: str, servers: dict[str, Server], args: argparse.Namespace, env: dict[str, Any]) -> dict[str, Any]:
    """Start every server on one store, run each test ``--repeat`` times on each server, interleaved
    (server order reversed on odd repeats, so slow drifts of background load hit both alike)."""
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {label: {} for label in servers}
    started: list[Server] = []
    try:
        for srv in servers.values():
            srv.start()
            started.append(srv)
        for key, make_spec, clients, rss, kg_only in tests_for(kind, args, env):
            if args.only and not any(key.startswith(o) for o in args.only):
                continue
            for rep in range(args.repeat):
                order = list(servers.items())
                if rep % 2:
                    order.reverse()
                for label, srv in order:
                    if kg_only and label == "oxigraph":
                        continue
                    tag = f"{label.replace(' ', '-').replace(':', 'x')}-{key}-r{rep}"
                    raw[label].setdefault(key, []).append(run_load(srv, make_spec(srv), clients, args, tag, rss))
    finally:
        for srv in started:
            srv.stop()
    return {label: {key: median_run(key, runs) for key, runs in tests.items()} for label, tests in raw.items()}


# =========================================================================== report


def _v(x: Any, nd: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "–"
    return f"{a / b * 100:.0f} %"


def _lat(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    return f"{_v(lat['p50'])} / {_v(lat['p95'])} / {_v(lat['p99'])}"


def _spread(r: dict[str, Any], nd: int = 0) -> str:
    runs = [x for x in r.get("runs", []) if x != float("inf")]
    if len(runs) < 2:
        return ""
    return f" ({_v(min(runs), nd)}–{_v(max(runs), nd)})"


def _other_cpu(results: dict[str, Any]) -> str:
    values = [
        r["other_cpu_pct"]
        for side in [*results["kg"].values(), results["oxigraph"]]
        for tests in side.values()
        for r in tests.values()
    ]
    if not values:
        return "–"
    return f"median {sorted(values)[len(values) // 2]:.0f} %, max {max(values):.0f} % of one core"


def markdown(results: dict[str, Any], args: argparse.Namespace) -> str:
    ox = results["oxigraph"]
    c1 = args.big_concurrency[0]
    projects = results["store"]["projects"] + 5
    lines: list[str] = []
    for cfg, kg in results["kg"].items():
        u, q = cfg.split(":")
        lines += [
            f"`kg serve --workers {u} --query-workers {q}` and `oxigraph serve-read-only --union-default-graph` "
            f"(median of {args.repeat} interleaved runs; range in brackets):",
            "",
            "| test | metric | kg serve | oxigraph | kg / oxigraph | target | met |",
            "|---|---|---:|---:|---:|---|---|",
        ]
        s_kg, s_ox = kg["real"]["small"], ox["real"]["small"]
        ok = s_kg["rps"] >= 0.6 * s_ox["rps"] and not s_kg["error_count"]
        lines.append(
            f"| (a) small queries: {len(SMALL_QUERIES)} from queries/*.rq + 1 ASK, JSON, {args.concurrency} clients | req/s | "
            f"{_v(s_kg['rps'], 0)}{_spread(s_kg)} | {_v(s_ox['rps'], 0)}{_spread(s_ox)} | {_ratio(s_kg['rps'], s_ox['rps'])} | ≥ 60 % | "
            f"{'yes' if ok else 'no'} |"
        )
        lines.append(f"| | latency p50 / p95 / p99 ms | {_lat(s_kg)} | {_lat(s_ox)} | | | |")
        lines.append(f"| | errors | {s_kg['error_count']} | {s_ox['error_count']} | | | |")
        for c in args.big_concurrency:
            for fmt in ("csv", "json"):
                b_kg, b_ox = kg["bench"][f"{fmt}_c{c}"], ox["bench"][f"{fmt}_c{c}"]
                judged = c == c1
                ok = b_kg["rows_per_s"] >= 0.9 * b_ox["rows_per_s"] and not b_kg["error_count"]
                size = b_kg["bytes"] / max(1, b_kg["ok"]) / 1e6
                lines.append(
                    f"| (b) {args.rows:,}-row SELECT as {fmt.upper()} ({size:.1f} MB), {c} client{'s' if c > 1 else ''} | rows/s | "
                    f"{_v(b_kg['rows_per_s'], 0)}{_spread(b_kg)} | {_v(b_ox['rows_per_s'], 0)}{_spread(b_ox)} | "
                    f"{_ratio(b_kg['rows_per_s'], b_ox['rows_per_s'])} | {'≥ 90 %' if judged else '(info)'} | "
                    f"{('yes' if ok else 'no') if judged else ''} |"
                )
                lines.append(
                    f"| | whole answer p50 / p99 ms; errors | {_v(b_kg['latency_ms']['p50'], 0)} / {_v(b_kg['latency_ms']['p99'], 0)}; "
                    f"{b_kg['error_count']} | {_v(b_ox['latency_ms']['p50'], 0)} / {_v(b_ox['latency_ms']['p99'], 0)}; {b_ox['error_count']} | | | |"
                )
                r_kg, r_ox = b_kg["rss"], b_ox["rss"]
                lines.append(
                    f"| | RSS idle → peak MiB, all processes | {_v(r_kg['baseline_mib'])} → {_v(r_kg['peak_mib'])} | "
                    f"{_v(r_ox['baseline_mib'])} → {_v(r_ox['peak_mib'])} | | flat | "
                    f"{'yes' if r_kg['growth_mib'] < 32 else 'no'} (+{_v(r_kg['growth_mib'])}) |"
                )
        r = kg["bench"]["rest"]
        ok = (r["latency_ms"]["p99"] or 1e9) <= 50 and not r["error_count"]
        lines.append(
            f"| (c) REST `/api/projects?page=N`, {args.concurrency} clients, {projects:,} projects | p99 ms | "
            f"{_v(r['latency_ms']['p99'], 0)}{_spread(r)} | – | | ≤ 50 ms | {'yes' if ok else 'no'} |"
        )
        lines.append(
            f"| | req/s; p50 / p95 ms; errors | {_v(r['rps'])}; {_v(r['latency_ms']['p50'], 0)} / {_v(r['latency_ms']['p95'], 0)}; "
            f"{r['error_count']} | | | | |"
        )
        lines.append(f"| | RSS idle → peak MiB | {_v(r['rss']['baseline_mib'])} → {_v(r['rss']['peak_mib'])} | | | | |")
        r = kg["real"]["rest_real"]
        lines.append(
            f"| (c) same, real store only (5 projects, `page=1`) | p99 ms | {_v(r['latency_ms']['p99'], 0)}{_spread(r)} | – | | (info) | |"
        )
        lines.append(
            f"| | req/s; p50 / p95 ms | {_v(r['rps'])}; {_v(r['latency_ms']['p50'], 0)} / {_v(r['latency_ms']['p95'], 0)} | | | | |"
        )
        b_kg, b_ox = kg["bench"][f"csv_c{c1}"], ox["bench"][f"csv_c{c1}"]
        lines.append(
            f"| CPU, % of one core: server / load tool | (a) small queries | {_v(s_kg['server_cpu_pct'], 0)} / {_v(s_kg['client_cpu_pct'], 0)} | "
            f"{_v(s_ox['server_cpu_pct'], 0)} / {_v(s_ox['client_cpu_pct'], 0)} | | | |"
        )
        lines.append(
            f"| | (b) CSV, {c1} client | {_v(b_kg['server_cpu_pct'], 0)} / {_v(b_kg['client_cpu_pct'], 0)} | "
            f"{_v(b_ox['server_cpu_pct'], 0)} / {_v(b_ox['client_cpu_pct'], 0)} | | | |"
        )
        r = kg["bench"]["rest"]
        lines.append(f"| | (c) REST | {_v(r['server_cpu_pct'], 0)} / {_v(r['client_cpu_pct'], 0)} | | | | |")
        lines.append(
            f"| server CPU per answer, ms (all processes) | (a) small queries | {_v(s_kg['server_cpu_ms_per_req'], 2)} | "
            f"{_v(s_ox['server_cpu_ms_per_req'], 2)} | {_ratio(s_kg['server_cpu_ms_per_req'], s_ox['server_cpu_ms_per_req'])} | | |"
        )
        lines.append(
            f"| | (b) CSV / JSON, {c1} client | {_v(kg['bench'][f'csv_c{c1}']['server_cpu_ms_per_req'], 0)} / "
            f"{_v(kg['bench'][f'json_c{c1}']['server_cpu_ms_per_req'], 0)} | {_v(ox['bench'][f'csv_c{c1}']['server_cpu_ms_per_req'], 0)} / "
            f"{_v(ox['bench'][f'json_c{c1}']['server_cpu_ms_per_req'], 0)} | | | |"
        )
        lines.append(f"| | (c) REST | {_v(r['server_cpu_ms_per_req'], 2)} | | | | |")
        lines.append("")
    first = next(iter(results["kg"]))
    per_kg = results["kg"][first]["real"]["small"]["per_request"]
    per_ox = ox["real"]["small"]["per_request"]
    lines += [
        f"(a) per query, inside the mix (kg serve {first} / oxigraph), p50 / p99 ms:",
        "",
        "| query | kg serve | oxigraph |",
        "|---|---:|---:|",
    ]
    for name, r in per_kg.items():
        o = per_ox.get(name)
        lines.append(
            f"| {name} | {_v(r['latency_ms']['p50'])} / {_v(r['latency_ms']['p99'])} | "
            + (f"{_v(o['latency_ms']['p50'])} / {_v(o['latency_ms']['p99'])}" if o else "–")
            + " |"
        )
    return "\n".join(lines) + "\n"


def machine_facts() -> dict[str, Any]:
    import pyoxigraph

    ox_version = subprocess.run([str(VENV_BIN / "oxigraph"), "--version"], capture_output=True, text=True).stdout.strip()
    try:
        import fastapi
        import uvicorn

        web = f"fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}"
    except ImportError:
        web = "?"
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__,
        "oxigraph": ox_version,
        "web": web,
        "kernel": platform.release(),
    }


# =========================================================================== main


def parse_configs(text: str) -> list[tuple[int, int]]:
    out = []
    for item in text.split(","):
        u, _, q = item.strip().partition(":")
        out.append((int(u), int(q or os.cpu_count() or 1)))
    return out


def main(argv: list[str] | None = None) -> int:
    nproc = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=42, help="seed of the generated graph and the REST pages (default 42)")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per load run (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per load run (default 2)")
    p.add_argument("--concurrency", type=int, default=16, help="clients for small queries and REST (default 16)")
    p.add_argument("--big-concurrency", default="1,4", help="client counts for the 100k-row runs (default 1,4; the first one is judged)")
    p.add_argument("--rows", type=int, default=100_000, help="rows of the big SELECT (default 100000)")
    p.add_argument("--triples", type=int, default=120_000, help="triples of the generated graph (default 120000, ≥ rows)")
    p.add_argument("--kg-configs", default=f"1:{nproc}", help=f"kg serve configs U:Q (uvicorn workers : query workers), comma-separated (default 1:{nproc}, kg serve's default)")
    p.add_argument("--work", type=Path, help="work directory (default: a new temporary one, removed unless --keep)")
    p.add_argument("--keep", action="store_true", help="keep the work directory (stores, logs, raw results)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each test per server, interleaved; the median is reported (default 3)")
    p.add_argument("--kg-pythonpath", type=Path, help="run kg serve from this source tree (PYTHONPATH), e.g. a patched copy of src/")
    p.add_argument("--only", help="run only these tests (comma-separated prefixes: small, rest, csv, json); no table is printed")
    p.add_argument("--json-out", type=Path, help="write all figures as JSON here")
    p.add_argument("--md-out", type=Path, help="write the markdown table here too")
    args = p.parse_args(argv)
    args.big_concurrency = [int(x) for x in str(args.big_concurrency).split(",") if x.strip()]
    if args.triples < args.rows:
        p.error("--triples must be ≥ --rows")
    configs = parse_configs(args.kg_configs)
    args.only = [o.strip() for o in args.only.split(",")] if args.only else []
    own_work = args.work is None
    args.work = Path(args.work or tempfile.mkdtemp(prefix="kg-serve-bench-")).resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    logdir = args.work / "logs"
    logdir.mkdir(exist_ok=True)
    t_start = time.monotonic()
    try:
        facts = machine_facts()
        log(f"machine: {facts}")
        real_var = build_real(args.work)
        store = make_bench_store(args.work, real_var, args.seed, args.triples)
        env = {"small": small_queries(), "graph": store["graph"], "pages": rest_pages(store["projects"] + 5, args.seed)}
        results: dict[str, Any] = {
            "facts": facts,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "store": {k: str(v) if isinstance(v, Path) else v for k, v in store.items()},
            "kg": {},
            "oxigraph": {},
        }
        for kind, var in (("real", real_var), ("bench", store["var"])):
            servers = {f"kg {u}:{q}": kg_server(var, u, q, logdir, args.kg_pythonpath) for u, q in configs}
            servers["oxigraph"] = oxigraph_server(var / "store", logdir)
            log(f"--- {kind} store: {', '.join(servers)}")
            for label, tests in run_store(kind, servers, args, env).items():
                if label == "oxigraph":
                    results["oxigraph"][kind] = tests
                else:
                    results["kg"].setdefault(label.removeprefix("kg "), {})[kind] = tests
        results["elapsed_s"] = round(time.monotonic() - t_start, 1)
        if args.json_out:
            args.json_out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        if args.only:
            summary = {
                label: {kind: {k: (r["rps"], r["rows_per_s"], r["latency_ms"]["p99"]) for k, r in tests.items()} for kind, tests in side.items()}
                for label, side in [*(("kg " + c, v) for c, v in results["kg"].items()), ("oxigraph", results["oxigraph"])]
            }
            print(json.dumps(summary, indent=1))
            return 0
        md = markdown(results, args)
        facts_line = (
            f"nproc {facts['nproc']} ({facts['cpu']}), {facts['mem_gib']} GiB, Python {facts['python']}, "
            f"pyoxigraph {facts['pyoxigraph']}, {facts['oxigraph']}, {facts['web']}, {facts['date']}; "
            f"store: real build + {store['triples']:,} generated triples ({store['projects']:,} projects, seed {args.seed}); "
            f"{args.warmup:g} s warm-up + {args.duration:g} s per run, median of {args.repeat} interleaved runs; "
            f"other processes' CPU during the runs: {_other_cpu(results)}; run took {results['elapsed_s']:.0f} s"
        )
        out = md + "\n" + facts_line + "\n"
        print(out)
        if args.md_out:
            args.md_out.write_text(out, encoding="utf-8")
    finally:
        if own_work and not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
        else:
            log(f"work directory kept: {args.work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
