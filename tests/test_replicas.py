"""Read replicas behind a real nginx (Debian package), with the repository's deploy/nginx.conf.

Two ``kg serve`` replicas, each with its own var dir holding a copy of the same release (shipped
with ``kg release ship``), behind nginx on free loopback ports. Mixed traffic (SPARQL GET, cached
and not, SPARQL POST, entity documents, health checks) runs from a few client threads while

1. one replica is SIGKILLed mid-load: no client request fails (nginx passes it to the other);
2. a new release is rolled to both replicas one at a time (``kg release ship --promote``): no
   client request fails, and every answer is of one release — the ``KG-Release`` header each
   response carries names the release whose marker its body holds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from kg.store import releases
from kgtesting import ROOT, run_kg
from web.weblive import BASE, build_store

MARKER_QUERY = f"SELECT ?m WHERE {{ GRAPH <{BASE}graph/marker> {{ ?s <{BASE}def/marker#is> ?m }} }}"
DOC = "/doc/project/ic4lop"
THREADS = 4
PER_THREAD_MAX = 3000  # requests: the loops are bounded in count as well as in time


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    var: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        for name in ("KG_TOKEN", "KG_STORE", "KG_QUERY_WORKERS"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.web.server", "--store", str(self.var / "store"), "--port", str(self.port),
             "--pool-size", "1", "--log-level", "warning"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )

    def wait(self) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            try:
                answer = httpx.get(self.url + "/healthz", timeout=2)
                if answer.status_code == 200:
                    return answer.text
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"replica on {self.port} did not come up: {self.log.read_text()}")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)  # the server, its uvicorn and its query workers
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def _nginx_config(prefix: Path, listen: int, replicas: list[Replica]) -> Path:
    """deploy/nginx.conf as it is, with the listen port and the upstream servers of this test."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = re.findall(r"^ *server 127\.0\.0\.1:\d+ .*;$", text, flags=re.MULTILINE)
    assert len(servers) == 2, "deploy/nginx.conf names two upstream servers"
    for line, replica in zip(servers, replicas, strict=True):
        text = text.replace(line, re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{replica.port}", line))
    text, n = re.subn(r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{listen};", text)
    assert n == 1
    for sub in ("logs", "run", "tmp", "cache"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


@dataclass
class Load:
    """Client threads sending mixed traffic through nginx until stopped (bounded in count)."""

    url: str
    markers: dict[str, str]  # release id → the marker its store holds
    stop: threading.Event = field(default_factory=threading.Event)
    failures: list[str] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)  # release ids of the answers
    kinds: Counter[str] = field(default_factory=Counter)
    cache: Counter[str] = field(default_factory=Counter)
    threads: list[threading.Thread] = field(default_factory=list)

    def check(self, kind: str, response: httpx.Response) -> None:
        release = response.headers.get("kg-release", "")
        if response.status_code != 200:
            self.failures.append(f"{kind}: HTTP {response.status_code} {response.text[:200]}")
            return
        if release not in self.markers:
            self.failures.append(f"{kind}: KG-Release {release!r} is no release of this test")
            return
        if kind.startswith("sparql"):
            got = {b["m"]["value"] for b in response.json()["results"]["bindings"]}
            if got != {self.markers[release]}:
                self.failures.append(f"{kind}: KG-Release {release} but the body holds {got}")
        elif kind == "healthz" and response.text.strip() != f"ok release {release}":
            self.failures.append(f"healthz: KG-Release {release} but {response.text.strip()!r}")
        self.seen[release] += 1
        self.kinds[kind] += 1
        self.cache[response.headers.get("x-cache-status", "") or "-"] += 1

    def run(self, n: int) -> None:
        json_accept = {"Accept": "application/sparql-results+json"}
        with httpx.Client(base_url=self.url, timeout=30) as client:
            for i in range(PER_THREAD_MAX):
                if self.stop.is_set():
                    return
                kind = ("sparql-get", "sparql-get-cached", "sparql-post", "doc", "healthz")[(i + n) % 5]
                try:
                    if kind == "sparql-get":  # a new URL every time: never from the cache
                        answer = client.get("/sparql", params={"query": f"{MARKER_QUERY} # {uuid.uuid4().hex}"}, headers=json_accept)
                    elif kind == "sparql-get-cached":
                        answer = client.get("/sparql", params={"query": MARKER_QUERY}, headers=json_accept)
                    elif kind == "sparql-post":
                        answer = client.post("/sparql", data={"query": MARKER_QUERY}, headers=json_accept)
                    elif kind == "doc":
                        answer = client.get(DOC, headers={"Accept": "text/turtle"})
                    else:
                        answer = client.get("/healthz")
                except httpx.HTTPError as exc:
                    self.failures.append(f"{kind}: {type(exc).__name__}: {exc}")
                    continue
                self.check(kind, answer)

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(THREADS)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def total(self) -> int:
        return sum(self.seen.values()) + len(self.failures)


def _wait_for(load: Load, more: int) -> None:
    """Until ``more`` further answers came back (or 20 s)."""
    target, deadline = load.total() + more, time.monotonic() + 20
    while load.total() < target and time.monotonic() < deadline:
        time.sleep(0.05)


def test_two_replicas_behind_nginx_survive_a_kill_and_a_rolling_release(tmp_path: Path) -> None:
    if shutil.which("nginx") is None:
        pytest.fail("nginx not found: install the Debian package nginx-light (make test does)")
    origin = tmp_path / "origin"
    first = build_store(origin, bench_rows=0, marker="release one")
    replicas = [Replica(tmp_path / f"replica-{n}", _free_port(), tmp_path / f"replica-{n}.log") for n in (1, 2)]
    for replica in replicas:
        releases.promote(replica.var, releases.ship(first, replica.var).build)
    listen = _free_port()
    prefix = tmp_path / "nginx"
    conf = _nginx_config(prefix, listen, replicas)
    extra = "daemon off; user root;" if os.geteuid() == 0 else "daemon off;"  # root's workers keep tmp access
    nginx = None
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            assert replica.wait() == f"ok release {first.name}\n"
        nginx = subprocess.Popen(["nginx", "-p", str(prefix), "-c", str(conf), "-g", extra],
                                 stdout=subprocess.DEVNULL, stderr=(prefix / "logs" / "stderr.log").open("wb"))
        url = f"http://127.0.0.1:{listen}"
        deadline = time.monotonic() + 20
        while True:
            assert nginx.poll() is None, (prefix / "logs" / "stderr.log").read_text()
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.05)
        markers = {first.name: "release one"}

        # 1. a replica dies mid-load
        with Load(url, markers) as load:
            _wait_for(load, 80)
            replicas[1].kill()
            before = load.total()
            _wait_for(load, 200)
        assert load.failures == [], load.failures[:10]
        assert load.total() - before >= 200, "traffic went on after the kill"
        assert load.cache["HIT"] > 0, f"nginx answered some cacheable GETs from its cache: {load.cache}"
        log = (prefix / "logs" / "access.log").read_text()
        assert f"127.0.0.1:{replicas[1].port}" in log and f"127.0.0.1:{replicas[0].port}" in log  # both served
        # the kill hit requests on their way: nginx passed them on to the other replica
        assert re.search(rf"upstream=127\.0\.0\.1:{replicas[1].port}, 127\.0\.0\.1:{replicas[0].port} ", log), "no request was passed on"

        replicas[1].start()
        replicas[1].wait()

        # 2. a rolling release: ship the new release to each replica and promote it there, one at a time
        second = build_store(origin, bench_rows=0, marker="release two")
        markers[second.name] = "release two"
        with Load(url, markers) as load:
            _wait_for(load, 50)
            for replica in replicas:
                shipped = run_kg("release", "ship", str(replica.var), "--promote", "--var-dir", str(origin), check=True)
                assert f"Promoted {second.name}" in shipped.stdout
                assert httpx.get(replica.url + "/healthz").text == f"ok release {second.name}\n"
                _wait_for(load, 50)
        assert load.failures == [], load.failures[:10]
        assert load.seen[first.name] > 0 and load.seen[second.name] > 0, load.seen
        # after the roll every answer is of the new release (new URLs: none from the 5 s cache)
        for n in range(6):
            answer = httpx.get(url + "/sparql", params={"query": f"{MARKER_QUERY} # after {n}"}, headers={"Accept": "application/sparql-results+json"})
            assert answer.headers["kg-release"] == second.name
            assert [b["m"]["value"] for b in answer.json()["results"]["bindings"]] == ["release two"]
        # kg query reads any SPARQL endpoint: here the replicas, through nginx
        queried = run_kg("query", f"{MARKER_QUERY} # kg query", "--store", f"{url}/sparql", "-f", "csv", check=True)
        assert queried.stdout.splitlines() == ["m", "release two"]
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        for replica in replicas:
            replica.stop()
