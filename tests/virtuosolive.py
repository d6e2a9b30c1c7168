"""A real Virtuoso Open Source 7 server for the tests (Debian package ``virtuoso-opensource``).

:func:`start_virtuoso` writes a ``virtuoso.ini`` of its own into a temporary directory (database,
transaction log and temp files there; SQL and HTTP ports free loopback ports; ``DirsAllowed``
that directory only), starts ``virtuoso-t`` in the foreground, waits for ``/sparql`` to answer,
then gives the ``dba`` account a random password and makes a ``kg`` user holding only the
``SPARQL_UPDATE`` role, which the tests write as (HTTP digest on ``/sparql-auth`` and
``/sparql-graph-crud-auth``). Nothing of the system's own Virtuoso (``/var/lib/virtuoso-opensource-7``)
is read or written.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}/vsp
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 0
"""

USER = "kg"


@dataclass
class Virtuoso:
    directory: Path
    http_port: int
    sql_port: int
    password: str  # the kg user's
    process: subprocess.Popen[bytes]
    dba_password: str = "dba"

    @property
    def sparql(self) -> str:
        """The anonymous, read-only /sparql endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def store_url(self) -> str:
        """What KG_STORE says: /sparql with the kg user's credentials."""
        return f"http://{USER}:{self.password}@127.0.0.1:{self.http_port}/sparql"

    def isql(self, sql: str, *, password: str) -> str:
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", password, f"exec={sql}"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise AssertionError(f"isql failed: {done.stdout}{done.stderr}")
        return done.stdout


def available() -> bool:
    return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_virtuoso(directory: Path, *, buffers: int = 10000) -> Virtuoso:
    """Start a fresh Virtuoso in ``directory`` (made if missing); ready when this returns."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vsp").mkdir(exist_ok=True)
    http_port, sql_port = _free_port(), _free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(d=directory, sql_port=sql_port, http_port=http_port, buffers=buffers, dirty=buffers * 3 // 4))
    log = (directory / "stdout.log").open("wb")
    process = subprocess.Popen(["virtuoso-t", "-f", "-c", str(ini)], cwd=directory, stdout=log, stderr=subprocess.STDOUT)
    server = Virtuoso(directory, http_port, sql_port, secrets.token_hex(12), process)
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise AssertionError(f"virtuoso-t exited ({process.returncode}): {(directory / 'stdout.log').read_text()}")
        try:
            if httpx.get(server.sparql, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_virtuoso(server)
            raise AssertionError(f"virtuoso did not answer within 120 s: {(directory / 'stdout.log').read_text()}")
        time.sleep(0.2)
    dba = secrets.token_hex(12)
    server.isql(
        f"DB.DBA.USER_CREATE('{USER}', '{server.password}'); GRANT SPARQL_UPDATE TO \"{USER}\"; "
        f"user_set_password('dba', '{dba}');",
        password="dba",
    )
    server.dba_password = dba
    return server


def stop_virtuoso(server: Virtuoso) -> None:
    server.process.terminate()
    try:
        server.process.wait(30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
