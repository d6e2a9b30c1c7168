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
import contextlib
import json
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

import kg
from kg.formats import rdf_format, results_format
from kg.store import writes
from kg.store.base import QuerySyntaxError, StoreError
from kg.store.oxigraph import OxigraphStore

log = logging.getLogger("kg.web")

CHUNK_BYTES = 64 * 1024
READY, KIND, CHUNK, END, ERROR, DONE = b"R", b"K", b"C", b"E", b"X", b"D"

__all__ = ["JobError", "JobRefused", "JobTimeout", "Pool", "Running", "StreamAborted"]


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
        except _NotFound as exc:
            self.error(404, str(exc))
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

    def _journaled(self, job: dict[str, Any], entry: dict[str, Any]) -> Any:
        """Under the release lock: the *current* release (re-resolved: a build may have been promoted
        while this job waited), the entry appended to the writes journal, then yielded to apply."""
        return _JournaledWrite(self, job, entry)

    def op_update(self, store: Any, job: dict[str, Any]) -> None:
        with self._journaled(job, writes.update_entry(job["update"], job.get("base_iri"))) as current:
            current.update(job["update"], base_iri=job.get("base_iri"))
            current.flush()
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
        entry = writes.gsp_entry(method, graph, job.get("format"), job.get("data"), job.get("base_iri"))
        if method == "PUT":  # bad data is the client's error, found before anything is written
            try:
                for _quad in ox.parse(job["data"], format=rdf_format(job["format"]), base_iri=job.get("base_iri")):
                    pass
            except SyntaxError as exc:
                self.error(400, f"invalid {job['format']} data: {exc}")
                return
        with self._journaled(job, entry) as current:
            existed = graph is None or graph in current.graphs()
            if method == "DELETE" and not existed:
                raise _NotFound(f"no graph <{graph}> in this store")
            writes.apply(current, entry)
            current.flush()
        self.send(CHUNK + json.dumps({"created": not existed}).encode())
        self.send(END)


class _NotFound(Exception):
    pass


class _JournaledWrite:
    def __init__(self, worker: _Worker, job: dict[str, Any], entry: dict[str, Any]) -> None:
        self.worker, self.job, self.entry = worker, job, entry
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Any:
        journal = self.job.get("writes")
        if journal is None:  # no journal configured (a store served outside a var directory layout)
            return self.worker.open(self.job["store"])
        writes_dir = Path(journal)
        self._stack.enter_context(writes.lock(writes_dir.parent))
        link = self.job.get("link")
        path = os.path.realpath(link) if link else self.job["store"]
        store = self.worker.open(path)
        self._stack.enter_context(writes.record(writes_dir, self.entry))
        return store

    def __exit__(self, *exc: Any) -> bool:
        return bool(self._stack.__exit__(*exc))


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


WORKER_STACK_BYTES = 512 << 20


def worker_main(conn: Connection, writable: bool) -> None:
    """A worker process: take jobs from the connection until it closes.

    Jobs run in a thread with a 512 MiB stack (virtual memory: only what a job touches is used):
    Oxigraph's parser recurses once per nesting level, and on the main thread's 8 MiB a query
    nested ~1 000 levels deep overflows it and the process dies with SIGSEGV; on this stack
    10 000 levels parse (the server refuses such texts before they get here anyway,
    :mod:`kg.web.sparql.limits`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it ends us
    threading.stack_size(WORKER_STACK_BYTES)
    thread = threading.Thread(target=_worker_loop, args=(conn, writable), name="kg-job")
    thread.start()
    thread.join()


def _worker_loop(conn: Connection, writable: bool) -> None:
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

    def __init__(self, message: str, *, waiting: bool = False) -> None:
        super().__init__(message)
        self.waiting = waiting  # True: no worker became free in time (try again later)


class JobRefused(Exception):
    """A long query stopped because its client, or the server, has as many long ones running as
    allowed (:class:`Pool`): answer 503 with ``Retry-After``."""


class StreamAborted(Exception):
    """The deadline passed, or the worker failed, after the response had begun."""


@dataclass(eq=False)
class _Proc:
    process: Any
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    dead: bool = False
    client: str | None = None  # the client whose job runs here (None: idle, or an internal job)
    started: float = 0.0
    long: bool = False  # the job has run longer than ``long_after``
    refused: str | None = None  # why the pool stopped this job (a long query over a limit)
    timer: asyncio.TimerHandle | None = None
    watch: asyncio.Task[None] | None = None  # while idle: notices the worker's death at once


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
                    reason = self.proc.refused if self.proc is not None else None
                    raise StreamAborted(reason or "the worker process died while sending the result") from None
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

    async def buffer(self, limit: int) -> list[bytes]:
        """Read chunks until the job ends or ``limit`` bytes are held; the chunks read (and the job
        marks :attr:`finished` when they are the whole answer). A deadline or a failure before that
        raises :class:`StreamAborted` with nothing sent yet — the caller can still answer 503."""
        parts: list[bytes] = []
        size = 0
        if self.first is not None:
            parts.append(self.first)
            size = len(self.first)
            self.first = None
        while not self.finished and size < limit:
            assert self.proc is not None
            try:
                tag, payload = await self.pool._read(self.proc, self.deadline)
            except TimeoutError:
                self.close()
                raise StreamAborted(f"the query did not finish within {self.pool.timeout:g} s") from None
            except (EOFError, OSError):
                reason = self.proc.refused if self.proc is not None else None
                self.close()
                raise StreamAborted(reason or "the query worker died; it has been replaced") from None
            if tag == CHUNK:
                parts.append(payload)
                size += len(payload)
            elif tag == END:
                self.finished = True
                self.pool._release(self.proc)
                self.proc = None
            elif tag == ERROR:
                self.finished = True
                self.pool._release(self.proc)
                self.proc = None
                raise StreamAborted(json.loads(payload).get("message", "query failed"))
        return parts

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
    """``size`` worker processes; ``await run(job, client=...)`` gives a :class:`Running` job.

    Sharing the workers fairly: a job still running after ``long_after`` seconds is *long*. A long
    job past ``max_long_per_client`` long jobs of its client (its address), or past ``max_long``
    long jobs in all, is stopped at once (its worker killed and replaced) and refused
    (:class:`JobRefused`: 503 with ``Retry-After``). A client with a long job running may not take
    the last idle worker: it waits (in order) while clients without one are served, so one worker
    stays free for the short queries of everybody else. A job that gets no worker within ``wait``
    seconds raises :class:`JobTimeout` (``waiting``). An idle worker that died (killed from outside,
    out of memory) is noticed when it would be handed out and replaced; the job goes to another.
    """

    def __init__(
        self,
        size: int,
        *,
        timeout: float,
        writable: bool = False,
        wait: float | None = None,
        long_after: float = 0.5,
        max_long: int | None = None,
        max_long_per_client: int = 1,
    ) -> None:
        self.size = size
        self.timeout = timeout
        self.writable = writable
        self.wait = timeout if wait is None else wait
        self.long_after = long_after
        self.max_long = max(1, size - 1) if max_long is None else max_long
        self.max_long_per_client = max_long_per_client
        self._idle: list[_Proc] = []
        self._waiters: list[tuple[asyncio.Future[_Proc], str | None]] = []
        self._all: set[_Proc] = set()
        self._started = False
        self._executor = ThreadPoolExecutor(max_workers=size + 4, thread_name_prefix="kg-pipe")
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.refused = 0  # long jobs stopped over a limit (for tests and logs)
        self.replaced = 0  # workers replaced after they died or were killed

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._started = True
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        for future, _client in self._waiters:
            if not future.done():
                future.cancel()
        self._waiters.clear()
        loop = asyncio.get_running_loop()
        for proc in list(self._all):
            if proc.timer is not None:
                proc.timer.cancel()
            if proc.watch is not None:
                proc.watch.cancel()
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
            self._release(proc)
            return

    def _respawn_later(self) -> None:
        if self._closing:
            return
        self.replaced += 1
        task = asyncio.get_running_loop().create_task(self._spawn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ sharing the workers

    def _has_long(self, client: str | None) -> bool:
        return client is not None and any(p.long and p.client == client for p in self._all)

    def _alive(self, proc: _Proc) -> bool:
        """An idle worker is still there (no EOF on its socket, the process not exited)."""
        if proc.dead:
            return False
        if proc.reader.at_eof() or proc.reader.exception() is not None or proc.process.poll() is not None:
            log.warning("query worker %d died while idle; replacing it", proc.process.pid)
            self._kill(proc, dispatch=False)
            return False
        return True

    def _take(self, client: str | None) -> _Proc | None:
        """An idle worker for ``client`` now, if there is one it may take."""
        self._idle = [p for p in list(self._idle) if self._alive(p)]  # (a copy: _kill edits the list)
        if not self._idle:
            return None
        if len(self._idle) == 1 and self._has_long(client):
            return None  # the last free worker is kept for clients without a long query
        return self._idle.pop()

    def _dispatch(self) -> None:
        """Hand idle workers to waiting jobs, in order, skipping those that may not take the last one."""
        self._waiters = [(f, c) for f, c in self._waiters if not f.done()]
        index = 0
        while index < len(self._waiters) and self._idle:
            future, client = self._waiters[index]
            proc = self._take(client)
            if proc is None:
                index += 1
                continue
            del self._waiters[index]
            future.set_result(proc)

    async def _acquire(self, client: str | None, deadline: float) -> _Proc:
        if not self._waiters:
            proc = self._take(client)
            if proc is not None:
                return proc
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Proc] = loop.create_future()
        self._waiters.append((future, client))
        self._dispatch()
        try:
            async with asyncio.timeout_at(deadline):
                return await future
        except BaseException:
            if future.done() and not future.cancelled():
                self._release(future.result())  # handed over just as we gave up
            elif not future.done():
                future.cancel()
            raise

    def _begin(self, proc: _Proc, client: str | None) -> None:
        loop = asyncio.get_running_loop()
        proc.client, proc.started, proc.long, proc.refused = client, loop.time(), False, None
        if client is not None:
            proc.timer = loop.call_later(self.long_after, self._became_long, proc)

    def _became_long(self, proc: _Proc) -> None:
        proc.timer = None
        if proc.dead or proc.client is None:
            return
        proc.long = True
        mine = sum(1 for p in self._all if p.long and p.client == proc.client)
        total = sum(1 for p in self._all if p.long)
        if mine > self.max_long_per_client:
            reason = (
                f"this client ({proc.client}) already has {mine - 1} long-running quer{'y' if mine == 2 else 'ies'} "
                f"(over {self.long_after:g} s) on this endpoint; it allows {self.max_long_per_client} per client"
            )
        elif total > self.max_long:
            reason = (
                f"{total - 1} long-running queries (over {self.long_after:g} s) are running on this endpoint, "
                f"which allows {self.max_long} at once"
            )
        else:
            self._dispatch()  # a waiting job of this client may no longer take the last worker
            return
        log.warning("long query stopped after %.1f s: %s", self.long_after, reason)
        self.refused += 1
        proc.refused = reason
        self._kill(proc)

    # ------------------------------------------------------------------ jobs

    async def run(self, job: dict[str, Any], *, timeout: float | None = None, client: str | None = None) -> Running:
        """Send ``job`` to a free worker and wait for its first answer. ``client`` (an address)
        is who asks: its long queries are limited (see the class); None is an internal job.

        Raises :class:`JobTimeout` (no free worker or no answer in time; the worker is killed),
        :class:`JobRefused` (a long query over a limit), :class:`JobError` (the worker reported an
        error before any data, or died).
        """
        assert self._started, "the pool is not started"
        loop = asyncio.get_running_loop()
        now = loop.time()
        deadline = now + (self.timeout if timeout is None else timeout)
        while True:
            try:
                proc = await self._acquire(client, min(deadline, now + self.wait))
            except TimeoutError:
                raise JobTimeout(
                    f"no query worker became free within {min(self.wait, deadline - now):g} s (the endpoint is busy)",
                    waiting=True,
                ) from None
            await self._unwatch(proc)
            if not proc.dead:
                break
        self._begin(proc, client)
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
            if proc.refused:
                raise JobRefused(proc.refused) from None
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
        if proc.timer is not None:
            proc.timer.cancel()
            proc.timer = None
        proc.client, proc.long = None, False
        if proc.dead:
            return
        if proc.watch is None:
            proc.watch = asyncio.get_running_loop().create_task(self._watch(proc))
        self._idle.append(proc)
        self._dispatch()

    async def _watch(self, proc: _Proc) -> None:
        """While ``proc`` is idle: its socket ends (EOF) only if the worker died — replace it now,
        not when a job would be sent to it. Cancelled (:meth:`_unwatch`) when a job takes it."""
        try:
            data = await proc.reader.read(1)
        except asyncio.CancelledError:
            raise
        except Exception:  # a broken socket: the worker is gone too
            data = b""
        proc.watch = None
        if not proc.dead:
            log.warning("query worker %d died while idle%s; replacing it", proc.process.pid,
                        "" if not data else " (it sent data unasked)")
            self._kill(proc)

    async def _unwatch(self, proc: _Proc) -> None:
        task, proc.watch = proc.watch, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task  # the reader is free for the job's answer only once the watcher has stopped

    def _kill(self, proc: _Proc, *, dispatch: bool = True) -> None:
        """SIGKILL a worker mid-job and start a replacement; the socket closes once its reader is done."""
        task, proc.watch = proc.watch, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        if proc.timer is not None:
            proc.timer.cancel()
            proc.timer = None
        if proc.dead:
            return
        proc.dead = True
        proc.long = False
        self._all.discard(proc)
        if proc in self._idle:
            self._idle.remove(proc)
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
        if dispatch:
            self._dispatch()  # a client that waited because of this long job may go now

    # ------------------------------------------------------------------ introspection

    def pids(self) -> list[int]:
        return [p.process.pid for p in self._all]

    def busy(self) -> list[tuple[int, str | None, bool]]:
        """(pid, client, long) of every worker running a job."""
        return [(p.process.pid, p.client, p.long) for p in self._all if p not in self._idle]
