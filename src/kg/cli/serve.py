"""``kg serve``: the SPARQL endpoint, REST API, linked data and pages.
"""

from __future__ import annotations

from pathlib import Path

import typer

from kg.cli.common import BaseUri, VarDir, err, out, settings_from
from kg.web.server import serve as run_server


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
    port: int = typer.Option(8000, "--port", "-p", help="TCP port"),
    workers: int = typer.Option(1, "--workers", help="uvicorn worker processes"),
    query_workers: int | None = typer.Option(None, "--query-workers", help="query worker processes per uvicorn worker (env KG_QUERY_WORKERS; default: CPU count)"),
    query_timeout: float | None = typer.Option(None, "--query-timeout", help="seconds before a query is stopped (env KG_QUERY_TIMEOUT; default 30)"),
    token: str | None = typer.Option(None, "--token", envvar="KG_TOKEN", help="operator token enabling SPARQL Update and Graph Store writes (env KG_TOKEN)"),
    service_allowlist: str | None = typer.Option(None, "--service-allowlist", help="comma-separated hosts SERVICE/LOAD may reach (env KG_SERVICE_ALLOWLIST; default none)"),
    var_dir: Path | None = VarDir,
    base_uri: str | None = BaseUri,
) -> None:
    """Serve the built store: SPARQL endpoint, REST API, linked-data pages, query editor (default http://127.0.0.1:8000)."""
    settings = settings_from(None, var_dir, base_uri).serving(
        token=token,
        query_timeout=query_timeout,
        service_allowlist=[h.strip() for h in service_allowlist.split(",") if h.strip()] if service_allowlist else None,
        query_workers=query_workers,
    )
    if not settings.store_path.exists():
        err.print(f"[yellow]No store at {settings.store_path} yet: run `kg build`; queries answer 503 until then.[/yellow]")
    out.print(f"Serving {settings.store_path} on http://{host}:{port}/ (SPARQL at /sparql, API docs at /api/docs)")
    run_server(settings, host=host, port=port, workers=workers)
