"""What every command shares: the consoles, settings from options, the common options, printing errors.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import typer
from rich.console import Console
from rich.table import Table

from kg.model.errors import RecordError, RecordsInvalid
from kg.settings import Settings
from kg.store import StoreError, open_store, releases
from kg.validation.report import Report

err = Console(stderr=True)


out = Console()


def settings_from(data_dir: Path | None, var_dir: Path | None, base_uri: str | None, personal: bool | None = None) -> Settings:
    return Settings.from_env(
        data_dir=data_dir,
        var_dir=var_dir,
        base_uri=base_uri,
        include_personal_data=personal if personal else None,
    )


DataDir = typer.Option(None, "--data-dir", help="input data directory (default: data/, env KG_DATA_DIR)")


VarDir = typer.Option(None, "--var-dir", help="where stores are built (default: var/, env KG_VAR_DIR)")


BaseUri = typer.Option(None, "--base-uri", help="base of minted URIs (env KG_BASE_URI)")


Personal = typer.Option(
    False, "--include-personal-data", help="include named persons' contact details (off by default; env KG_INCLUDE_PERSONAL_DATA)"
)


def _shown(error: RecordError) -> RecordError:
    """The error with its file relative to the working directory when it lies below it (what a
    curator types, and what editors open at ``file:line:column``)."""
    try:
        return dataclasses.replace(error, path=Path(error.path).resolve().relative_to(Path.cwd().resolve()))
    except (OSError, ValueError):
        return error


def print_record_errors(exc: RecordsInvalid) -> None:
    errors = [_shown(e) for e in exc.errors]
    table = Table(title="Invalid input", show_lines=False, title_style="bold red")
    table.add_column("file", overflow="fold")
    table.add_column("field")
    table.add_column("problem", overflow="fold")
    for e in errors:
        table.add_row(e.where, e.field or "-", e.message)
    err.print(table)
    for e in errors:  # plain lines too (file:line:column: field: message), for logs, grep and editors
        print(f"error: {e}", file=sys.stderr)


def print_report(report: Report, *, title: str) -> None:
    if not report.results:
        return
    table = Table(title=title, title_style="bold red" if report.violations else "bold yellow")
    for col in ("severity", "file", "entity", "property", "message"):
        table.add_column(col, overflow="fold")
    for r in report.results:
        table.add_row(r.severity, r.where or "-", r.focus, r.path or "-", r.message + (f" (value: {r.value})" if r.value else ""))
    err.print(table)
    for r in report.violations:
        print(f"violation: {r.where or '-'}: <{r.focus}> {r.path or '-'}: {r.message}", file=sys.stderr)


StoreOption = typer.Option(None, "--store", help="an Oxigraph store directory or a SPARQL endpoint URL (default: env KG_STORE, else var/store)")


def store_location(store: str | None, settings: Settings) -> str:
    """Where a command reads: ``--store`` (a directory, or an ``http(s)://`` SPARQL endpoint that
    :func:`kg.store.open_store` talks to), else the built store; exit 2 when a local one is missing."""
    location = store or settings.store_url or str(settings.store_path)
    if location == settings.store_url and settings.store_user and urlsplit(location).username is None:
        parts = urlsplit(location)  # KG_STORE_USER / KG_STORE_PASSWORD: as the URL's user:password@
        secret = quote(settings.store_user, safe="") + ":" + quote(settings.store_password or "", safe="")
        location = urlunsplit(parts._replace(netloc=f"{secret}@{parts.netloc}"))
    if not location.startswith(("http://", "https://")) and not Path(location).exists():
        err.print(f"[red]No store at {location}: run `kg build` first.[/red]")
        raise typer.Exit(2)
    return location


def shown_url(url: str) -> str:
    """A URL without its ``user:password@`` part, for printing."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1])) if parts.username is not None else url


def mirror_to_store(settings: Settings) -> None:
    """With ``KG_STORE`` set: copy the release just promoted into that store (exit 1 on failure)."""
    if not settings.store_url:
        return
    assert settings.var_dir is not None
    location = store_location(None, settings)
    try:
        build = releases.find_build(settings.var_dir)
        with err.status(f"copying release {build.name} into {shown_url(location)}…") as status, open_store(location) as target:
            done = releases.mirror(build, target, progress=lambda m: status.update(m))
    except StoreError as exc:
        err.print(f"[red]The release is built in {settings.var_dir} but not copied into {shown_url(location)}: {exc}[/red]")
        raise typer.Exit(1) from None
    dropped = f"; dropped {len(done.dropped)} graph(s) it no longer has" if done.dropped else ""
    out.print(
        f"[green]Copied[/green] release {done.build_id} into {shown_url(location)}: "
        f"{len(done.graphs)} graphs, {sum(done.graphs.values())} triples{dropped}"
    )
