"""A pool of worker processes that run store operations and stream serialised results back.

pyoxigraph cannot cancel a running query, so the server never runs one in its own process:
each query goes to a worker process (a plain ``python -c`` child holding only pyoxigraph and
:mod:`kg.store`, the store open read-only unless updates are enabled), which serialises the
result straight into a socket pair (``QuerySolutions.serialize(output=<writer>)`` writes
~8 KiB pieces; the writer forwards 64 KiB chunks). The socket buffer is the only slack, so a
slow client slows the worker instead of filling memory: memory stays flat whatever the result
size. When a job passes its deadline the worker is SIGKILLed and a fresh one started; the
other workers keep answering meanwhile. Workers die with the server (``PR_SET_PDEATHSIG``).

Protocol on each worker's connection: the server sends a job (a pickled dict), the worker
answers with byte messages whose first byte is a tag::

    R            ready (once, after start)
    K<json>      the result's kind and format, before any data
    C<bytes>     a chunk of the serialised result
    E            end of the job (the worker takes the next one)
    X<json>      an error {"status": ..., "message": ...} — the job is over

A worker opens the store at the (symlink-resolved) path named in each job and keeps it open
until a job names another path, so a build promoted by ``kg build`` is picked up by the next
request. The server reads the connections in a small thread pool: the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

import kg
from kg.formats import rdf_format, results_format
from kg.store.base import QuerySyntaxError, StoreError, check_iri
from kg.store.oxigraph import OxigraphStore

log = logging.getLogger("kg.web")

CHUNK_BYTES = 64 * 1024
READY, KIND, CHUNK, END, ERROR, DONE = b"R", b"K", b"C", b"E", b"X", b"D"

__all__ = ["JobError", "JobTimeout", "Pool", "Running"]


# =========================================================================== worker side


class _PipeWriter:
    """A binary file-like object for pyoxigraph's ``serialize(output=...)``: 64 KiB chunks → the connection."""

    def __init__(self, conn: Connection, head: bytes = b"") -> None:
        self.conn = conn
        self.buf = bytearray()
        self.head = head  # the K message, sent before the first chunk
        self.sent = False

    def write(self, data: bytes) -> int:
        self.buf += data
        if len(self.buf) >= CHUNK_BYTES:
            self.flush_chunk()
        return len(data)

    def flush(self) -> None:  # called by serialisers; chunks are sent by size
        pass

    def flush_chunk(self) -> None:
        if self.buf:
            if not self.sent and self.head:
                self.conn.send_bytes(self.head)
            self.sent = True
            self.conn.send_bytes(CHUNK + bytes(self.buf))
            self.buf.clear()


class _PipeGone(Exception):
    pass


class _Worker:
    def __init__(self, conn: Connection, writable: bool) -> None:
        self.conn = conn
        self.writable = writable
        self.path: str | None = None
        self.store: Any = None

    # ------------------------------------------------------------------ plumbing

    def send(self, data: bytes) -> None:
        try:
            self.conn.send_bytes(data)
        except (BrokenPipeError, OSError) as exc:
            raise _PipeGone from exc

    def error(self, status: int, message: str, **extra: Any) -> None:
        self.send(ERROR + json.dumps({"status": status, "message": message, **extra}).encode())

    def open(self, path: str) -> Any:
        if self.store is None or self.path != path:
            if self.store is not None:
                self.store.close()
                self.store = None
            self.store = OxigraphStore(path, read_only=not self.writable)
            self.path = path
        return self.store

    def stream(self, kind: str, fmt: str, produce: Any) -> None:
        """Send K, then the chunks ``produce(writer)`` writes, then E (or X on failure)."""
        head = json.dumps({"kind": kind, "format": fmt}).encode()
        writer = _PipeWriter(self.conn, KIND + head)
        try:
            produce(writer)
            if not writer.sent:  # the whole answer fits one chunk: one message
                self.send(DONE + len(head).to_bytes(4, "big") + head + bytes(writer.buf))
                return
            writer.flush_chunk()
        except (BrokenPipeError, ConnectionError) as exc:
            raise _PipeGone from exc
        except Exception as exc:  # evaluation errors surface while serialising (e.g. SERVICE)
            self.error(500, f"query evaluation failed: {exc}")
            return
        self.send(END)

    # ------------------------------------------------------------------ jobs

    def run(self, job: dict[str, Any]) -> None:

        op = job["op"]
        try:
            store = self.open(job["store"])
        except StoreError as exc:
            self.error(503, f"the store cannot be opened: {exc.message}")
            return
        try:
            getattr(self, f"op_{op}")(store, job)
        except QuerySyntaxError as exc:
            self.error(400, exc.message)
        except ValueError as exc:
            self.error(400, str(exc))
        except StoreError as exc:  # bad uploaded data is the client's error, the rest is ours
            self.error(400 if isinstance(exc.__cause__, SyntaxError) else 500, exc.message)
        except _PipeGone:
            raise
        except Exception as exc:
            self.error(500, f"{type(exc).__name__}: {exc}")

    def op_query(self, store: Any, job: dict[str, Any]) -> None:


        result = store.query(
            job["query"],
            default_graph=job.get("default_graph"),
            named_graphs=job.get("named_graphs"),
            base_iri=job.get("base_iri"),
        )
        fmt: ox.RdfFormat | ox.QueryResultsFormat | None
        if isinstance(result, ox.QueryTriples):
            kind, name = "graph", job.get("graph_format")
            fmt = rdf_format(name) if name else None
        else:
            kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
            name = job.get("results_format")
            fmt = results_format(name) if name else None
        if fmt is None:
            self.error(406, "no acceptable format", kind=kind)
            return
        assert name is not None  # fmt is None whenever no name was given
        self.stream(kind, name, lambda out: result.serialize(output=out, format=fmt))

    def op_update(self, store: Any, job: dict[str, Any]) -> None:
        store.update(job["update"], base_iri=job.get("base_iri"))
        self.send(END)

    def op_graphs(self, store: Any, job: dict[str, Any]) -> None:
        self.send(CHUNK + json.dumps(store.graphs()).encode())
        self.send(END)

    def op_gsp_get(self, store: Any, job: dict[str, Any]) -> None:

        graph: str | None = job.get("graph")
        fmt = rdf_format(job["format"])
        assert fmt is not None
        if job.get("dataset"):
            native = store.native
            self.stream("dataset", job["format"], lambda out: native.dump(output=out, format=fmt))
            return
        if graph is not None:
            if graph not in store.graphs():
                self.error(404, f"no graph <{graph}> in this store")
                return
            sparql = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        else:
            sparql = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        result = store.query(sparql, union_default_graph=False)
        self.stream("graph", job["format"], lambda out: result.serialize(output=out, format=fmt))

    def op_gsp_write(self, store: Any, job: dict[str, Any]) -> None:
        """PUT (replace), POST (merge) or DELETE one graph; POST without a graph loads a dataset."""


        method, graph = job["method"], job.get("graph")
        existed = graph is None or graph in store.graphs()
        if method == "DELETE":
            if not existed:
                self.error(404, f"no graph <{graph}> in this store")
                return
            store.update(f"DROP GRAPH <{check_iri(graph)}>" if graph else "CLEAR DEFAULT")
        elif method == "PUT":
            fmt = rdf_format(job["format"])
            try:
                quads = list(ox.parse(job["data"], format=fmt, base_iri=job.get("base_iri")))
            except SyntaxError as exc:
                self.error(400, f"invalid {job['format']} data: {exc}")
                return
            if graph is not None:
                store.replace_graph(graph, quads)
            else:  # the store's own default graph, in one transaction
                body = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES) or b""
                insert = f" ;\nINSERT DATA {{\n{body.decode()}}}" if quads else ""
                store.update(f"DROP SILENT DEFAULT{insert}")
        elif method == "POST":
            store.bulk_load(data=job["data"], format=job["format"], graph=graph, base_iri=job.get("base_iri"))
        else:
            raise ValueError(f"unsupported method {method}")
        store.flush()
        self.send(CHUNK + json.dumps({"created": not existed}).encode())
        self.send(END)


def child_main() -> None:
    """Entry point of a worker process: ``python -c ... <socket fd> ro|rw``."""
    _die_with_parent(int(sys.argv[3]))
    worker_main(Connection(int(sys.argv[1])), sys.argv[2] == "rw")


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel SIGKILL this worker if the server dies (a query may never end)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the socket's EOF ends an idle worker anyway
        pass
    if os.getppid() != parent:  # the server died before prctl took effect
        os._exit(0)


def worker_main(conn: Connection, writable: bool) -> None:
    """A worker process: take jobs from the connection until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it ends us
    worker = _Worker(conn, writable)
    try:
        worker.send(READY)
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            worker.run(job)
    except _PipeGone:
        return
    finally:
        if worker.store is not None:
            worker.store.close()


# =========================================================================== server side


class JobError(Exception):
    """The worker answered an error before any data (a status and a message)."""

    def __init__(self, status: int, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}


class JobTimeout(Exception):
    """The deadline passed before the first data (or while waiting for a free worker)."""


class StreamAborted(Exception):
    """The deadline passed, or the worker failed, after the response had begun."""


@dataclass(eq=False)
class _Proc:
    process: Any
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    dead: bool = False


def _start_process(writable: bool) -> tuple[subprocess.Popen[bytes], Connection]:
    """A fresh ``python -c`` worker with one end of a socket pair (not multiprocessing's spawn or
    forkserver: those re-import the server's ``__main__`` — FastAPI, uvicorn, the CLI — in every
    worker; this way a worker starts in ~50 ms and holds only pyoxigraph and :mod:`kg.store`)."""
    parent, child = socket.socketpair()
    env = dict(os.environ)
    package_root = str(Path(kg.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", "from kg.store.pool import child_main; child_main()", str(child.fileno()),
             "rw" if writable else "ro", str(os.getpid())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
        )
    finally:
        child.close()
    return process, Connection(parent.detach())


def _recv(conn: Connection, timeout: float) -> bytes:
    if timeout <= 0 or not conn.poll(timeout):
        raise TimeoutError
    return conn.recv_bytes()


@dataclass(eq=False)
class Running:
    """A job whose first answer has arrived: ``kind``/``format`` and the result's chunks."""

    pool: Pool
    proc: _Proc | None
    deadline: float
    kind: str | None = None
    format: str | None = None
    first: bytes | None = None
    finished: bool = False
    _extra: list[bytes] = field(default_factory=list)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The serialised result, chunk by chunk. Past the deadline the worker is killed and
        :class:`StreamAborted` raised (the server then cuts the connection, so the client sees
        an incomplete response rather than a silently truncated one)."""
        try:
            if self.first is not None:
                first, self.first = self.first, None
                yield first
            while not self.finished:
                assert self.proc is not None
                try:
                    tag, payload = await self.pool._read(self.proc, self.deadline)
                except TimeoutError:
                    log.warning("query stopped after %.1f s while streaming; worker killed", self.pool.timeout)
                    raise StreamAborted("the query timed out while its result was being sent") from None
                except (EOFError, OSError):
                    raise StreamAborted("the worker process died while sending the result") from None
                if tag == CHUNK:
                    yield payload
                elif tag == END:
                    self.finished = True
                    self.pool._release(self.proc)
                    self.proc = None
                elif tag == ERROR:
                    self.finished = True
                    self.pool._release(self.proc)
                    self.proc = None
                    raise StreamAborted(json.loads(payload).get("message", "query failed"))
        finally:
            self.close()

    async def read_all(self) -> bytes:
        """The whole (small) answer, for internal jobs (graph lists, write results)."""
        parts = [chunk async for chunk in self.chunks()]
        return b"".join(parts)

    def close(self) -> None:
        """Give the worker back; kill it when the job is not finished (client gone, HEAD...)."""
        if self.proc is not None:
            proc, self.proc = self.proc, None
            if self.finished:
                self.pool._release(proc)
            else:
                self.pool._kill(proc)


class Pool:
    """``size`` worker processes; ``await run(job)`` gives a :class:`Running` job."""

    def __init__(self, size: int, *, timeout: float, writable: bool = False) -> None:
        self.size = size
        self.timeout = timeout
        self.writable = writable
        self._idle: asyncio.Queue[_Proc] | None = None
        self._all: set[_Proc] = set()
        self._executor = ThreadPoolExecutor(max_workers=size + 4, thread_name_prefix="kg-pipe")
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        loop = asyncio.get_running_loop()
        for proc in list(self._all):
            proc.writer.close()  # the worker sees EOF and exits
        await loop.run_in_executor(self._executor, self._join_all)
        self._all.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _join_all(self) -> None:
        for proc in list(self._all):
            try:
                proc.process.wait(2)
            except subprocess.TimeoutExpired:
                proc.process.kill()
                proc.process.wait(2)

    async def _spawn(self) -> None:
        loop = asyncio.get_running_loop()
        delay = 0.2
        while not self._closing:
            process: subprocess.Popen[bytes] | None = None
            parent: Connection | None = None
            try:
                # (through a name of its own: mypy would type the awaited pair from the Optional targets)
                started = await loop.run_in_executor(self._executor, _start_process, self.writable)
                process, parent = started
                message = await loop.run_in_executor(self._executor, _recv, parent, 60.0)
                if message != READY:
                    raise RuntimeError(f"unexpected first message {message[:20]!r}")
            except Exception as exc:
                log.error("could not start a query worker (%s); retrying in %.1f s", exc, delay)
                if process is not None:
                    process.kill()
                    await loop.run_in_executor(self._executor, process.wait)
                if parent is not None:
                    parent.close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            sock = socket.socket(fileno=os.dup(parent.fileno()))
            parent.close()
            reader, writer = await asyncio.open_unix_connection(sock=sock, limit=4 * CHUNK_BYTES)
            proc = _Proc(process, reader, writer)
            self._all.add(proc)
            assert self._idle is not None
            self._idle.put_nowait(proc)
            return

    def _respawn_later(self) -> None:
        if self._closing:
            return
        task = asyncio.get_running_loop().create_task(self._spawn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ jobs

    async def run(self, job: dict[str, Any], *, timeout: float | None = None) -> Running:
        """Send ``job`` to a free worker and wait for its first answer.

        Raises :class:`JobTimeout` (no free worker or no answer in time; the worker is killed),
        :class:`JobError` (the worker reported an error before any data).
        """
        assert self._idle is not None, "the pool is not started"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.timeout if timeout is None else timeout)
        try:
            async with asyncio.timeout_at(deadline):
                proc = await self._idle.get()
        except TimeoutError:
            raise JobTimeout("no query worker became free in time") from None
        running = Running(self, proc, deadline)
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            proc.writer.write(struct.pack("!i", len(payload)) + payload if len(payload) < 0x7FFFFFFF
                              else struct.pack("!iQ", -1, len(payload)) + payload)
            if len(payload) > CHUNK_BYTES:
                await proc.writer.drain()
            while True:
                tag, payload = await self._read(proc, deadline)
                if tag == KIND:
                    info = json.loads(payload)
                    running.kind, running.format = info["kind"], info["format"]
                elif tag == ERROR:
                    info = json.loads(payload)
                    running.proc = None
                    self._release(proc)
                    raise JobError(info.pop("status"), info.pop("message"), info)
                elif tag == CHUNK:
                    running.first = payload
                    return running
                elif tag == END:
                    running.finished = True
                    running.proc = None
                    self._release(proc)
                    return running
                elif tag == DONE:
                    n = int.from_bytes(payload[:4], "big")
                    info = json.loads(payload[4 : 4 + n])
                    running.kind, running.format = info["kind"], info["format"]
                    running.first = payload[4 + n :]
                    running.finished = True
                    running.proc = None
                    self._release(proc)
                    return running
        except TimeoutError:
            running.close()
            raise JobTimeout(f"the query did not finish within {self.timeout:g} s") from None
        except (EOFError, OSError):
            running.close()
            raise JobError(500, "the query worker died (out of memory?); it has been replaced") from None
        except BaseException:  # cancelled (client gone) or JobError already handled
            running.close()
            raise

    async def _read(self, proc: _Proc, deadline: float) -> tuple[bytes, bytes]:
        try:
            async with asyncio.timeout_at(deadline):
                (n,) = struct.unpack("!i", await proc.reader.readexactly(4))
                if n == -1:
                    (n,) = struct.unpack("!Q", await proc.reader.readexactly(8))
                data = await proc.reader.readexactly(n)
        except asyncio.IncompleteReadError:
            raise EOFError from None
        return data[:1], data[1:]

    def _release(self, proc: _Proc) -> None:
        if proc.dead:
            return
        assert self._idle is not None
        self._idle.put_nowait(proc)

    def _kill(self, proc: _Proc) -> None:
        """SIGKILL a worker mid-job and start a replacement; the socket closes once its reader is done."""
        if proc.dead:
            return
        proc.dead = True
        self._all.discard(proc)
        try:
            proc.process.kill()  # SIGKILL: pyoxigraph cannot be interrupted any other way
        except ProcessLookupError:
            pass

        def reap() -> None:
            try:
                proc.process.wait(5)
            except subprocess.TimeoutExpired:
                log.error("query worker %d did not die after SIGKILL", proc.process.pid)

        proc.writer.close()
        asyncio.get_running_loop().run_in_executor(self._executor, reap)
        self._respawn_later()

    # ------------------------------------------------------------------ introspection

    def pids(self) -> list[int]:
        return [p.process.pid for p in self._all]
