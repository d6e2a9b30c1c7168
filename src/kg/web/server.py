"""Running the app: ``serve(settings, host=..., port=..., workers=...)`` starts uvicorn.

``workers`` is the number of uvicorn processes; each has its own pool of query worker
processes (``pool_size``, default the CPU count — so with several uvicorn workers lower it).
With a token (updates enabled) the store is opened read-write by one process, so ``workers``
and ``pool_size`` are forced to 1: a RocksDB directory takes a single writer and no readers
from other processes while it is written.

Also runnable on its own: ``python -m kg.web.server --store var/store --port 8000``.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from kg.settings import Settings
from kg.web.app import create_app

__all__ = ["app_from_env", "main", "serve"]

log = logging.getLogger("kg.web")

_SETTINGS_ENV = "KG_SETTINGS_JSON"  # the whole Settings, for uvicorn worker processes


def app_from_env() -> FastAPI:
    """The app built from environment variables only (uvicorn's factory for ``workers > 1``)."""
    text = os.environ.get(_SETTINGS_ENV)
    return create_app(Settings.from_json(text) if text else Settings.from_env())


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Serve ``settings`` (see :meth:`kg.settings.Settings.serving`) until interrupted."""
    web = settings
    if web.writable and workers != 1:
        log.warning("updates are enabled (a token is set): serving with 1 uvicorn worker instead of %d", workers)
        workers = 1
    if web.store_path and web.current_store() is None:
        log.warning("no store at %s yet: queries answer 503 until `kg build` makes one", web.store_path)
    if workers == 1:
        uvicorn.run(create_app(web), host=host, port=port, log_level=log_level,
                    access_log=os.environ.get("KG_ACCESS_LOG", "0") == "1")
        return
    # Several uvicorn processes: each builds its app from the environment.
    os.environ[_SETTINGS_ENV] = web.to_json()
    uvicorn.run(
        "kg.web.server:app_from_env", factory=True, host=host, port=port, workers=workers, log_level=log_level,
        access_log=os.environ.get("KG_ACCESS_LOG", "0") == "1",
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kg.web.server", description="Serve the SPARQL endpoint.")
    parser.add_argument("--store", type=Path, help="store directory or symlink (default: var/store)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes")
    parser.add_argument("--pool-size", type=int, help="query worker processes (default: CPU count)")
    parser.add_argument("--token", help="enable updates with this bearer token (default: KG_TOKEN)")
    parser.add_argument("--query-timeout", type=float, help="seconds (default: KG_QUERY_TIMEOUT or 30)")
    parser.add_argument("--allow-service", action="append", help="a host SERVICE/LOAD may reach (repeatable)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    serve(
        Settings.from_env().serving(
            store=args.store,
            token=args.token,
            query_timeout=args.query_timeout,
            service_allowlist=args.allow_service,
            query_workers=args.pool_size,
        ),
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
