"""Helpers for the web tests: a small store built in a tmp dir, and live servers.

The store follows docs/model.md: a few projects in one named graph per source document, a
slice of the country table, and a ``bench`` graph of 100 000 generated triples (for the
streaming and timeout tests). It is laid out as ``kg build`` leaves it —
``var/builds/<id>/`` with ``var/store`` a symlink to it — so the server is exercised exactly
as ``kg serve`` runs it. Each server is a real ``python -m kg.web.server`` subprocess on a
free loopback port (so its RSS can be read from /proc).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

from kg.readmodel import derive_release
from kg.store import OxigraphStore, releases

DATA = Path(__file__).parent / "data"
BASE = "https://w3id.org/euprojects/"
GRAPH_A = BASE + "graph/source/000_7a480ec8357f5d78"
GRAPH_B = BASE + "graph/source/001_96fcf55660aab670"
GRAPH_COUNTRY = BASE + "graph/vocab/eu-country"
GRAPH_BENCH = BASE + "graph/bench/rows"
BENCH_ROWS = 100_000
TOKEN = "s3cret-token"
QUERY_TIMEOUT = 2.0

FILES = {GRAPH_A: "ic4lop.ttl", GRAPH_B: "eccipa.ttl", GRAPH_COUNTRY: "eu-country.ttl"}


def build_store(var: Path, *, bench_rows: int = BENCH_ROWS, marker: str | None = None) -> Path:
    """A new build under ``var/builds`` holding the fixture graphs, promoted to ``var/store``."""
    build = releases.new_build_dir(var)
    store = OxigraphStore(build)
    try:
        for graph, name in FILES.items():
            store.bulk_load(path=DATA / name, format="turtle", graph=graph)
        if bench_rows:
            p = ox.NamedNode(BASE + "def/bench#value")
            g = ox.NamedNode(GRAPH_BENCH)
            store.native.bulk_extend(
                ox.Quad(ox.NamedNode(f"{BASE}id/bench/{i}"), p, ox.Literal(str(i), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), g)
                for i in range(bench_rows)
            )
        if marker:
            store.update(f'INSERT DATA {{ GRAPH <{BASE}graph/marker> {{ <{BASE}id/marker> <{BASE}def/marker#is> "{marker}" }} }}')
        store.flush()
    finally:
        store.close()
    derive_release(build)  # as kg build and kg import do: the release's read model, promoted with it
    releases.promote(var, build)
    return build


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    var: Path
    log: Path

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def rss_kib(self, pid: int | None = None) -> int:
        """VmRSS of the server process (or ``pid``) in KiB."""
        for line in Path(f"/proc/{pid or self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")


def start_server(var: Path, log: Path, *extra: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    src = Path(__file__).resolve().parents[2] / "src"
    full_env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", **(env or {})}
    for name in ("KG_TOKEN", "KG_QUERY_TIMEOUT", "KG_SERVICE_ALLOWLIST", "KG_QUERY_WORKERS"):
        if env is None or name not in env:
            full_env.pop(name, None)
    logfile = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.web.server", "--store", str(var / "store"), "--port", str(port),
         "--log-level", "warning", *extra],
        stdout=logfile,
        stderr=subprocess.STDOUT,
        env=full_env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return Server(url, process, var, log)
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not answer within 30 s:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def descendants(pid: int) -> list[int]:
    """All processes below ``pid`` (the query workers are the server's children)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total
