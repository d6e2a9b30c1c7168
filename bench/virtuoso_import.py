"""Import of N synthetic projects: the embedded store against Virtuoso 7, in one run.

    flock /tmp/bench.lock .venv/bin/python bench/virtuoso_import.py --projects 100000 --seed 42

The projects are bench/gen_projects.py's (fixed by ``--seed``; ``--input FILE.nq`` reuses a file it
wrote). Each load goes into a fresh, empty store and is timed to the moment the data is durable and
counted:

- ``embedded``: pyoxigraph's bulk loader into a new on-disk Oxigraph store (what ``kg import`` uses),
  then ``flush``;
- ``virtuoso-gsp``: :class:`kg.store.VirtuosoStore` ``bulk_load`` — N-Triples POSTs of ~16 MiB per
  graph to the Graph Store (``/sparql-graph-crud-auth``), what ``KG_STORE`` mirroring does;
- ``virtuoso-bulk-loader``: Virtuoso's own loader (``ld_dir`` + ``rdf_loader_run()`` + ``checkpoint``
  over ``isql``), for a server that can read the file itself (same machine, ``DirsAllowed``).

Each Virtuoso is started by tests/virtuosolive.py (own ini and database in a temp dir, free loopback
ports) with ``--buffers`` 8 KiB pages of cache. Results (seconds, quads/s, the store's quad count,
the server's disk use) go to stdout as JSON and to ``--json-out``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from kg.store import VirtuosoStore, open_store  # noqa: E402
from virtuosolive import start_virtuoso, stop_virtuoso  # noqa: E402  (the tests' Virtuoso starter)


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def embedded(data: Path, work: Path) -> dict[str, object]:
    location = work / "embedded"
    t = time.perf_counter()
    store = ox.Store(str(location))
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
    store.flush()
    seconds = time.perf_counter() - t
    quads = len(store)
    del store
    return {"seconds": seconds, "quads": quads, "disk_bytes": _du(location)}


def virtuoso_gsp(data: Path, work: Path, buffers: int) -> dict[str, object]:
    server = start_virtuoso(work / "virtuoso-gsp", buffers=buffers)
    try:
        store = open_store(server.store_url)
        assert isinstance(store, VirtuosoStore)
        with store:
            t = time.perf_counter()
            store.bulk_load(path=data, format="nquads")
            server.isql("checkpoint;", password=server.dba_password)
            seconds = time.perf_counter() - t
            quads = store.count()
        return {"seconds": seconds, "quads": quads, "disk_bytes": _du(server.directory)}
    finally:
        stop_virtuoso(server)


def virtuoso_loader(data: Path, work: Path, buffers: int) -> dict[str, object]:
    server = start_virtuoso(work / "virtuoso-loader", buffers=buffers)
    try:
        inbox = server.directory / "load"
        inbox.mkdir()
        os.link(data, inbox / "projects.nq") if data.stat().st_dev == inbox.stat().st_dev else shutil.copy(data, inbox / "projects.nq")
        t = time.perf_counter()
        server.isql(f"ld_dir('{inbox}', 'projects.nq', 'urn:x-kg:default-graph'); rdf_loader_run(); checkpoint;", password=server.dba_password)
        seconds = time.perf_counter() - t
        errors = server.isql("SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;", password=server.dba_password)
        with open_store(server.sparql, read_only=True) as store:
            quads = store.count()
        return {"seconds": seconds, "quads": quads, "disk_bytes": _du(server.directory), "loader_errors": errors.strip()[-500:]}
    finally:
        stop_virtuoso(server)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--input", type=Path, help="an N-Quads file bench/gen_projects.py wrote (else generated)")
    ap.add_argument("--buffers", type=int, default=200_000, help="Virtuoso NumberOfBuffers (8 KiB pages)")
    ap.add_argument("--only", action="append", choices=["embedded", "virtuoso-gsp", "virtuoso-bulk-loader"])
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kg-virtuoso-bench-"))
    try:
        data = args.input
        if data is None:
            data = work / "projects.nq"
            subprocess.run([sys.executable, str(HERE / "gen_projects.py"), "--projects", str(args.projects), "--seed", str(args.seed),
                            "--defect-rate", "0", "--out", str(data)], check=True)
        runs = args.only or ["embedded", "virtuoso-gsp", "virtuoso-bulk-loader"]
        result: dict[str, object] = {"projects": args.projects, "seed": args.seed, "input_bytes": data.stat().st_size,
                                     "buffers": args.buffers, "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        for name in runs:
            run = {"embedded": lambda: embedded(data, work),
                   "virtuoso-gsp": lambda: virtuoso_gsp(data, work, args.buffers),
                   "virtuoso-bulk-loader": lambda: virtuoso_loader(data, work, args.buffers)}[name]
            load_before = os.getloadavg()[0]
            row = run()
            row["quads_per_s"] = round(int(row["quads"]) / float(row["seconds"]))  # type: ignore[call-overload]
            row["load_average_before"] = load_before
            row["load_average_after"] = os.getloadavg()[0]
            result[name] = row
            print(name, json.dumps(row), flush=True)
        text = json.dumps(result, indent=2)
        print(text)
        if args.json_out:
            args.json_out.write_text(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
