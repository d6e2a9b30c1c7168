"""Fixtures for the web tests: a store built in a tmp dir and live servers (see ``weblive``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from weblive import QUERY_TIMEOUT, TOKEN, Server, build_store, start_server, stop_server


@pytest.fixture(scope="session")
def ro_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path_factory.mktemp("var-ro")
    build_store(var)
    return var


@pytest.fixture(scope="session")
def server(ro_var: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A read-only server (no token), 2 query workers, a 2 s query timeout."""
    log = tmp_path_factory.mktemp("logs") / "ro-server.log"
    srv = start_server(ro_var, log, "--pool-size", "2", "--query-timeout", str(QUERY_TIMEOUT))
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture(scope="module")
def rw_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a token (updates and Graph Store writes on) over its own small store."""
    var = tmp_path_factory.mktemp("var-rw")
    build_store(var, bench_rows=0)
    log = tmp_path_factory.mktemp("logs") / "rw-server.log"
    srv = start_server(var, log, "--query-timeout", "10", env={"KG_TOKEN": TOKEN, "KG_SERVICE_ALLOWLIST": "allowed.example.org"})
    yield srv
    stop_server(srv)
    shutil.rmtree(var, ignore_errors=True)
