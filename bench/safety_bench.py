"""What a hostile or careless client does to the endpoint, and the result cache: ``kg serve``
against ``oxigraph serve-read-only`` on the same store, in one run (issue 13).

    flock /tmp/bench.lock .venv/bin/python bench/safety_bench.py --duration 10 --kg-pythonpath src

Reuses bench/serve_bench.py (servers, the real build, bench/load.py as the load tool):

1. **cached mix**: the named queries of serve_bench's small mix (queries/*.rq bound to their
   defaults, and an ASK), repeated: on kg serve, cache hits after the first round;
2. **cache-miss mix**: every request a different text (a lookup of one project's properties, with a
   distinct ``LIMIT`` per request, ``--distinct`` texts cycled), so no answer is reused;
3. **ASK during 4 runaway queries**: four clients (loopback addresses 127.0.0.21–24, one each)
   re-send a cross-join ``COUNT(*)`` as soon as it is answered, while one client measures
   ``ASK {}`` (p50/p99, errors) from 127.0.0.1;
4. **ASK during 20 nested queries/s**: one client (127.0.0.30) sends ``FILTER(`` + 10 000 × ``(`` …
   at 20 per second, while ``ASK {}`` is measured; worker processes that died are counted (kg: the
   server's children that changed; oxigraph: whether the server process exited).

Each server is started fresh for 3 and 4 (a runaway leaves Oxigraph computing). Loopback only;
every loop is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve_bench as sb

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
NESTED = "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"
ASK = "ASK {}"


def miss_queries(store: Path, n: int) -> list[tuple[str, str]]:
    """``n`` different texts: a lookup of one project's properties (the projects in turn), each with a LIMIT of its own."""
    db = ox.Store.read_only(str(store))
    projects = [str(row[0].value) for row in db.query(f"SELECT ?p WHERE {{ GRAPH ?g {{ ?p a <{sb.KG}Project> }} }}")]  # type: ignore[union-attr]
    del db
    return [(f"lookup-{i}", f"SELECT ?p ?o WHERE {{ <{projects[i % len(projects)]}> ?p ?o }} LIMIT {1000 + i}") for i in range(n)]


def hammer(base: str, path: str, text: str, address: str, stop: threading.Event, rate: float | None, tally: dict[str, int]) -> None:
    """Send ``text`` until ``stop``: again as soon as answered, or at ``rate`` per second."""
    client = httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=httpx.Timeout(60, connect=5))
    while not stop.is_set():
        start = time.monotonic()
        try:
            r = client.post(base + path, content=text, headers={"Content-Type": "application/sparql-query"})
            tally[str(r.status_code)] = tally.get(str(r.status_code), 0) + 1
        except httpx.HTTPError as exc:
            tally[type(exc).__name__] = tally.get(type(exc).__name__, 0) + 1
            if stop.wait(0.2):
                break
        if rate:
            stop.wait(max(0.0, 1 / rate - (time.monotonic() - start)))
    client.close()


def under_attack(server: sb.Server, args: argparse.Namespace, tag: str, text: str, addresses: list[str], rate: float | None) -> dict[str, Any]:
    server.start()
    assert server.proc is not None
    before = set(server.tree()) - {server.proc.pid}
    stop = threading.Event()
    tallies: list[dict[str, int]] = [{} for _ in addresses]
    threads = [threading.Thread(target=hammer, args=(server.base, server.query_path, text, a, stop, rate, t), daemon=True)
               for a, t in zip(addresses, tallies, strict=True)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # the attack is under way
    try:
        result = sb.run_load(server, sb.sparql_spec(server.query_path, [("ask", ASK)], sb.JSON_RESULTS), 1, args, tag)
    finally:
        stop.set()
        alive = server.proc.poll() is None
        after = set(server.tree()) - {server.proc.pid} if alive else set()
        for t in threads:
            t.join(70)
        server.stop()
    merged: dict[str, int] = {}
    for tally in tallies:
        for k, v in tally.items():
            merged[k] = merged.get(k, 0) + v
    result["attack"] = merged
    result["server_survived"] = alive
    result["workers_replaced"] = len(before - after) if alive else None
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--distinct", type=int, default=50_000, help="texts of the cache-miss mix (default 50000)")
    p.add_argument("--query-workers", type=int, default=2)
    p.add_argument("--kg-pythonpath", type=Path)
    p.add_argument("--work", type=Path)
    p.add_argument("--json-out", type=Path)
    args = p.parse_args(argv)
    args.work = Path(args.work or tempfile.mkdtemp(prefix="kg-safety-bench-")).resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    logdir = args.work / "logs"
    logdir.mkdir(exist_ok=True)
    facts = sb.machine_facts()
    var = sb.build_real(args.work)
    results: dict[str, Any] = {"facts": facts, "kg": {}, "oxigraph": {}}

    def servers() -> dict[str, sb.Server]:
        return {"kg": sb.kg_server(var, 1, args.query_workers, logdir, args.kg_pythonpath),
                "oxigraph": sb.oxigraph_server(var / "store", logdir)}

    mixes = {"cached": sb.small_queries(), "miss": miss_queries((var / "store").resolve(), args.distinct)}
    for name, server in servers().items():
        server.start()
        try:
            for mix, queries in mixes.items():
                results[name][mix] = sb.run_load(server, sb.sparql_spec(server.query_path, queries, sb.JSON_RESULTS),
                                                 args.concurrency, args, f"{name}-{mix}")
        finally:
            server.stop()
    for name, server in servers().items():
        results[name]["runaway"] = under_attack(server, args, f"{name}-runaway", RUNAWAY,
                                                [f"127.0.0.{21 + i}" for i in range(4)], None)
    for name, server in servers().items():
        results[name]["nested"] = under_attack(server, args, f"{name}-nested", NESTED, ["127.0.0.30"], 20.0)

    lines = [
        "| test | kg serve | oxigraph serve-read-only | kg / oxigraph |",
        "|---|---|---|---|",
    ]
    for mix in mixes:
        k, o = results["kg"][mix]["rps"], results["oxigraph"][mix]["rps"]
        lines.append(f"| {mix} mix, {args.concurrency} clients (req/s) | {k:.0f} | {o:.0f} | {k / o * 100:.0f} % |")
    for test, label in (("runaway", "ASK during 4 runaway queries"), ("nested", "ASK during 20 nested queries/s")):
        cells = []
        for name in ("kg", "oxigraph"):
            r = results[name][test]
            lat = r["latency_ms"]
            died = "server died" if not r["server_survived"] else f"{r['workers_replaced']} workers replaced"
            cells.append(f"p50 {lat['p50']} / p99 {lat['p99']} ms, {r['error_count']} errors, {r['all_ok']} answers; "
                         f"{died}; attack answers {r['attack']}")
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | |")
    table = "\n".join(lines)
    print(table)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
