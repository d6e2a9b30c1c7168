"""A small closed-loop HTTP/1.1 load generator: the one load tool for both servers.

    python bench/load.py --base http://127.0.0.1:8000 --spec spec.json \\
        --concurrency 16 --warmup 2 --duration 10 --out result.json

``spec.json`` lists the requests to send::

    {"requests": [{"name": "by-year", "method": "POST", "path": "/sparql",
                   "headers": {"Content-Type": "application/sparql-query", "Accept": "text/csv"},
                   "body": "SELECT ..."}, ...],
     "rows": null | "csv" | "json"}

``--concurrency`` clients each hold one keep-alive connection and send the next request as soon
as the previous answer has been read to its last byte (a closed loop: no request pipelining, no
open-loop arrival rate). Client ``i`` starts at request ``i`` of the list and cycles through it,
so the mix is fixed and the same for every server. The clients run for ``--warmup`` seconds
(discarded), then for ``--duration`` seconds (or until ``--requests`` answers), and the tool
reports throughput (answers/s), latency percentiles (to the last byte; time to first byte too),
errors by kind, bytes, and with ``rows`` the result rows/s: CSV rows are counted in every answer
(newlines), a JSON answer is parsed once per request kind and later answers must have the same
length (a shorter one is an incomplete answer and counts as an error).

A plain asyncio protocol parsed by httptools (uvloop when installed), not httpx: on a 2-core
machine the load tool shares the CPUs with the server under test, and a heavier client would cap
the faster server first. The tool's own CPU time is reported (``client_cpu_s``) so that share can
be judged.

Needs httptools (a dependency of uvicorn[standard], so in the project's venv); uvloop optional. Loopback targets only: the base URL must be on
127.0.0.0/8 or ::1.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import resource
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

REQUEST_TIMEOUT = 120.0


@dataclass
class Spec:
    name: str
    raw: bytes
    rows_mode: str | None
    ref_len: int | None = None  # JSON: length of the answer whose rows were counted
    ref_rows: int | None = None


@dataclass
class Sample:
    name: str
    start: float
    ttfb: float
    end: float
    status: int
    nbytes: int
    rows: int
    error: str | None = None


@dataclass
class Stats:
    samples: list[Sample] = field(default_factory=list)


class HttpError(Exception):
    pass


def _check_loopback(host: str) -> None:
    try:
        addr = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot resolve {host!r}: {exc}") from None
    if not addr.is_loopback:
        raise SystemExit(f"refusing to load {host} ({addr}): only loopback targets are allowed")


def build_request(host: str, port: int, req: dict[str, Any]) -> bytes:
    method = req.get("method", "GET").upper()
    body = req.get("body") or ""
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    lines = [f"{method} {req['path']} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: kg-bench-load/1"]
    for k, v in (req.get("headers") or {}).items():
        lines.append(f"{k}: {v}")
    if data or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


class _Answer(asyncio.Protocol):
    """One keep-alive connection, parsed by httptools (llhttp, the parser uvicorn uses): the body is
    counted chunk by chunk in C-called callbacks, so an answer sent in many small chunks (Oxigraph
    writes ~1 KiB chunks, kg serve 64 KiB) costs the client little either way."""

    def __init__(self) -> None:
        import httptools  # type: ignore[import-not-found]

        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.reset(False)

    def reset(self, keep: bool) -> None:
        self.status = 0
        self.ttfb = 0.0
        self.nbytes = 0
        self.newlines = 0
        self.close = False
        self.parts: list[bytes] | None = [] if keep else None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except Exception as exc:  # httptools.HttpParserError and friends
            self._fail(HttpError(f"unparsable answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HttpError("connection closed mid-answer"))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.ttfb = time.perf_counter()

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"connection" and value.strip().lower() == b"close":
            self.close = True

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.nbytes += len(body)
        self.newlines += body.count(b"\n")
        if self.parts is not None:
            self.parts.append(body)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.proto: _Answer | None = None

    def drop(self) -> None:
        if self.proto is not None and self.proto.transport is not None:
            self.proto.transport.close()
        self.proto = None

    async def request(self, spec: Spec, keep_body: bool) -> tuple[int, float, int, int, bytes | None]:
        """Send one request and read the answer to its end: (status, ttfb, bytes, newlines, body?)."""
        loop = asyncio.get_running_loop()
        if self.proto is None or self.proto.closed:
            _, self.proto = await loop.create_connection(_Answer, self.host, self.port)
        proto = self.proto
        proto.reset(keep_body)
        proto.waiter = loop.create_future()
        assert proto.transport is not None
        proto.transport.write(spec.raw)
        await proto.waiter
        proto.waiter = None
        if proto.close:
            self.drop()
        body = b"".join(proto.parts) if proto.parts is not None else None
        return proto.status, proto.ttfb, proto.nbytes, proto.newlines, body


def count_json_rows(body: bytes) -> int:
    doc = json.loads(body)
    if "boolean" in doc:
        return 1
    return len(doc["results"]["bindings"])


async def one(conn: Connection, spec: Spec) -> Sample:
    start = time.perf_counter()
    keep = spec.rows_mode == "json" and spec.ref_len is None
    try:
        status, ttfb, nbytes, newlines, body = await asyncio.wait_for(conn.request(spec, keep), REQUEST_TIMEOUT)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, HttpError, ValueError) as exc:
        conn.drop()
        end = time.perf_counter()
        return Sample(spec.name, start, end, end, 0, 0, 0, f"{type(exc).__name__}")
    end = time.perf_counter()
    error = None if 200 <= status < 300 else f"HTTP {status}"
    rows = 0
    if error is None and spec.rows_mode == "csv":
        rows = max(0, newlines - 1)  # the header line (rows end with \r\n; values hold no newline here)
    elif error is None and spec.rows_mode == "json":
        if spec.ref_len is None and body is not None:
            try:
                spec.ref_rows = count_json_rows(body)
                spec.ref_len = nbytes
            except (ValueError, KeyError) as exc:
                error = f"bad JSON ({exc})"
        if error is None:
            if nbytes == spec.ref_len:
                rows = spec.ref_rows or 0
            else:
                error = f"JSON length {nbytes} != {spec.ref_len}"
    return Sample(spec.name, start, ttfb, end, status, nbytes, rows, error)


async def client(
    i: int, host: str, port: int, specs: list[Spec], phase: dict[str, Any], stats: Stats, budget: list[int] | None
) -> None:
    conn = Connection(host, port)
    k = i
    try:
        while not phase["stop"]:
            if budget is not None and phase["measure"]:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            spec = specs[k % len(specs)]
            k += 1
            sample = await one(conn, spec)
            if sample.error is None:
                phase["all_ok"] += 1
            if phase["stop"] and sample.start > phase["t_end"]:
                break
            # a duration counts the answers completed after t0 (a slow request begun in the warm-up
            # counts when it ends); a request count counts only requests begun after t0
            if phase["measure"] and (sample.end if budget is None else sample.start) >= phase["t0"]:
                stats.samples.append(sample)
            if sample.error and sample.status == 0:
                await asyncio.sleep(0.05)  # a refused connection must not spin
    finally:
        conn.drop()


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def summarise(samples: list[Sample], elapsed: float, t0: float) -> dict[str, Any]:
    """Throughput counts the answers completed in the window; latencies are those of the requests
    begun in it (a request begun in the warm-up may have queued behind the warm-up's own)."""
    ok = [s for s in samples if s.error is None]
    timed = [s for s in ok if s.start >= t0] or ok
    lat = sorted((s.end - s.start) * 1000 for s in timed)
    ttfb = sorted((s.ttfb - s.start) * 1000 for s in timed)
    errors: dict[str, int] = {}
    for s in samples:
        if s.error:
            errors[s.error] = errors.get(s.error, 0) + 1
    rows = sum(s.rows for s in ok)
    nbytes = sum(s.nbytes for s in ok)
    return {
        "requests": len(samples),
        "ok": len(ok),
        "errors": errors,
        "error_count": sum(errors.values()),
        "elapsed_s": round(elapsed, 3),
        "rps": round(len(ok) / elapsed, 2) if elapsed > 0 else 0.0,
        "latency_ms": {
            "mean": round(sum(lat) / len(lat), 3) if lat else None,
            "p50": round(pct(lat, 50), 3) if lat else None,
            "p95": round(pct(lat, 95), 3) if lat else None,
            "p99": round(pct(lat, 99), 3) if lat else None,
            "max": round(lat[-1], 3) if lat else None,
        },
        "ttfb_ms": {"p50": round(pct(ttfb, 50), 3) if ttfb else None, "p99": round(pct(ttfb, 99), 3) if ttfb else None},
        "rows": rows,
        "rows_per_s": round(rows / elapsed, 1) if elapsed > 0 else 0.0,
        "bytes": nbytes,
        "mb_per_s": round(nbytes / elapsed / 1e6, 2) if elapsed > 0 else 0.0,
    }


async def run(args: argparse.Namespace, spec_doc: dict[str, Any]) -> dict[str, Any]:
    url = urlsplit(args.base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    _check_loopback(host)
    rows_mode = spec_doc.get("rows")
    specs = [Spec(r.get("name", r["path"]), build_request(host, port, r), rows_mode) for r in spec_doc["requests"]]
    if not specs:
        raise SystemExit("the spec has no requests")
    stats = Stats()
    phase: dict[str, Any] = {"stop": False, "measure": False, "t0": 0.0, "t_end": float("inf"), "all_ok": 0}
    budget = [args.requests] if args.requests else None
    tasks = [asyncio.create_task(client(i, host, port, specs, phase, stats, budget)) for i in range(args.concurrency)]
    await asyncio.sleep(args.warmup)
    phase["t0"] = time.perf_counter()
    phase["measure"] = True
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if budget is not None:
        deadline = phase["t0"] + args.duration * 10  # a request count, bounded in time anyway
        while budget[0] > 0 and time.perf_counter() < deadline and not all(t.done() for t in tasks):
            await asyncio.sleep(0.01)
        phase["t_end"] = time.perf_counter()
    else:
        await asyncio.sleep(args.duration)
        phase["t_end"] = time.perf_counter()
    phase["stop"] = True
    await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)
    for t in tasks:
        t.cancel()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    samples = stats.samples
    last = max((s.end for s in samples), default=phase["t_end"])
    elapsed = max(last, phase["t_end"]) - phase["t0"]
    result = summarise(samples, elapsed, phase["t0"])
    result["all_ok"] = phase["all_ok"]  # answers of the whole run, warm-up included (for CPU per request)
    result["client_cpu_s"] = round((cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime), 3)
    result["concurrency"] = args.concurrency
    result["warmup_s"] = args.warmup
    result["duration_s"] = args.duration
    per: dict[str, Any] = {}
    for name in dict.fromkeys(s.name for s in specs):
        mine = [s for s in samples if s.name == name]
        if mine:
            sub = summarise(mine, elapsed, phase["t0"])
            per[name] = {k: sub[k] for k in ("ok", "error_count", "latency_ms", "rows", "bytes")}
    result["per_request"] = per
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="server base URL, e.g. http://127.0.0.1:8000 (loopback only)")
    p.add_argument("--spec", required=True, help="JSON file listing the requests (see the module docstring)")
    p.add_argument("--concurrency", "-c", type=int, default=16, help="concurrent clients (default 16)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up, not measured (default 2)")
    p.add_argument("--duration", "-d", type=float, default=10.0, help="measured seconds (default 10)")
    p.add_argument("--requests", "-n", type=int, default=0, help="measure this many answers instead of a duration")
    p.add_argument("--out", help="write the result as JSON here (else stdout)")
    args = p.parse_args(argv)
    with open(args.spec, encoding="utf-8") as f:
        spec_doc = json.load(f)
    try:
        import uvloop  # type: ignore[import-not-found]

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(run(args, spec_doc))
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
        lat = result["latency_ms"]
        print(
            f"{result['ok']} ok, {result['error_count']} errors in {result['elapsed_s']} s: {result['rps']} req/s, "
            f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms"
            + (f", {result['rows_per_s']:.0f} rows/s" if result["rows"] else ""),
            file=sys.stderr,
        )
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
