"""The ``kg`` command line: thin Typer commands over the library (build, validate, query, stats, serve).

Every command takes its settings from options, then ``KG_*`` environment variables, then defaults
(see :mod:`kg.settings`). Errors are printed as file / entity / property / message and end with a
non-zero exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from kg.settings import Settings
from kg.curated import RecordsInvalid
from kg.read.organisations import organisation_counts, organisation_matches

app = typer.Typer(help="Build, check, query and serve the knowledge graph of EU-funded projects.", no_args_is_help=True)
err = Console(stderr=True)
out = Console()

QUERY_FORMATS = ["json", "csv", "tsv", "xml", "turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"]


def _settings(data_dir: Optional[Path], var_dir: Optional[Path], base_uri: Optional[str], personal: bool | None = None) -> Settings:
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


def _print_record_errors(exc: RecordsInvalid) -> None:
    table = Table(title="Invalid input", show_lines=False, title_style="bold red")
    table.add_column("file")
    table.add_column("field")
    table.add_column("problem", overflow="fold")
    for e in exc.errors:
        table.add_row(f"{e.path}:{e.line}" if e.line else str(e.path), e.field or "-", e.message)
    err.print(table)
    for e in exc.errors:  # plain lines too, for logs and grep
        print(f"error: {e}", file=sys.stderr)


def _print_report(report, *, title: str) -> None:  # type: ignore[no-untyped-def]
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


@app.command()
def build(
    data_dir: Optional[Path] = DataDir,
    var_dir: Optional[Path] = VarDir,
    base_uri: Optional[str] = BaseUri,
    include_personal_data: bool = Personal,
) -> None:
    """Records → RDF → SHACL validation → a new Oxigraph store, swapped in only if valid."""
    from kg.release.build import BuildFailed
    from kg.release.build import build as run_build

    settings = _settings(data_dir, var_dir, base_uri, include_personal_data)
    try:
        with err.status("building…") as status:
            result = run_build(settings, progress=lambda m: status.update(m))
    except RecordsInvalid as exc:
        _print_record_errors(exc)
        err.print("[red]Build failed; the served store was left unchanged.[/red]")
        raise typer.Exit(1)
    except BuildFailed as exc:
        if exc.report:
            _print_report(exc.report, title="SHACL validation")
        err.print(f"[red]Build failed: {exc}[/red]")
        raise typer.Exit(1)
    _print_report(result.report, title="SHACL warnings")
    out.print(
        f"[green]Built[/green] {result.project_count} projects, {result.triple_count} quads in "
        f"{len(result.graphs)} named graphs → {result.store_path}"
    )


@app.command()
def validate(
    data_dir: Optional[Path] = DataDir,
    base_uri: Optional[str] = BaseUri,
    format: str = typer.Option("text", "--format", "-f", help="report format: text or turtle"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="write the report to this file"),
    engine: str = typer.Option("fast", "--engine", help="SHACL engine: fast (shapes compiled to SPARQL in Oxigraph) or pyshacl (the reference)"),
) -> None:
    """Validate what `kg build` would load, without touching any store. Exit 1 on violations."""
    from kg.release.build import ENGINES, assemble, check

    if format not in {"text", "turtle"}:
        raise typer.BadParameter("format must be text or turtle", param_hint="--format")
    if engine not in ENGINES:
        raise typer.BadParameter(f"engine must be one of {', '.join(ENGINES)}", param_hint="--engine")
    settings = _settings(data_dir, None, base_uri)
    try:
        assembled = assemble(settings)
    except RecordsInvalid as exc:
        _print_record_errors(exc)
        raise typer.Exit(1)
    report = check(assembled, settings, engine=engine)
    text = report.turtle() if format == "turtle" else report.text()
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"report written to {output}")
    else:
        print(text)
    raise typer.Exit(0 if report.conforms else 1)


@app.command()
def query(
    sparql: str = typer.Argument(..., help="a SPARQL query, or the path of a .rq file"),
    format: str = typer.Option("json", "--format", "-f", help=f"one of {', '.join(QUERY_FORMATS)}"),
    store: Optional[Path] = typer.Option(None, "--store", help="store location or SPARQL endpoint URL (default: var/store)"),
    var_dir: Optional[Path] = VarDir,
) -> None:
    """Run a SPARQL query against the built store and print the results."""
    from kg.store import QuerySyntaxError, StoreError, open_store

    if format not in QUERY_FORMATS:
        raise typer.BadParameter(f"unknown format {format!r}; use one of {', '.join(QUERY_FORMATS)}", param_hint="--format")
    text = sparql
    if sparql.endswith(".rq") or (len(sparql) < 4096 and Path(sparql).is_file()):
        path = Path(sparql)
        if not path.is_file():
            err.print(f"[red]{sparql}: no such query file[/red]")
            raise typer.Exit(2)
        text = path.read_text(encoding="utf-8")
    settings = _settings(None, var_dir, None)
    location = str(store) if store else str(settings.store_path)
    if not store and not settings.store_path.exists():
        err.print(f"[red]No store at {settings.store_path}: run `kg build` first.[/red]")
        raise typer.Exit(2)
    try:
        with open_store(location, read_only=True) as st:
            data = st.query_to(text, format=format)
    except QuerySyntaxError as exc:
        err.print(f"[red]Bad query:[/red] {exc}")
        raise typer.Exit(1)
    except StoreError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1)
    sys.stdout.buffer.write(data)
    if data and not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")


@app.command()
def stats(
    store: Optional[Path] = typer.Option(None, "--store", help="store location (default: var/store)"),
    var_dir: Optional[Path] = VarDir,
) -> None:
    """Counts per named graph and per class of the built store."""
    from kg.read.stats import store_stats
    from kg.store import open_store

    settings = _settings(None, var_dir, None)
    location = store or settings.store_path
    if not Path(location).exists():
        err.print(f"[red]No store at {location}: run `kg build` first.[/red]")
        raise typer.Exit(2)
    with open_store(location, read_only=True) as st:
        s = store_stats(st)
    t = Table(title="Triples per named graph")
    t.add_column("graph")
    t.add_column("triples", justify="right")
    for g, n in s.per_graph.items():
        t.add_row(g, str(n))
    t.add_row("[bold]total[/bold]", f"[bold]{s.total}[/bold]")
    out.print(t)
    c = Table(title="Instances per class")
    c.add_column("class")
    c.add_column("instances", justify="right")
    for k, n in s.per_class.items():
        c.add_row(k, str(n))
    out.print(c)


@app.command()
def publish(
    out_dir: Path = typer.Option(Path("dist"), "--out", "-o", help="directory the release is written to"),
    base_url: str = typer.Option("http://127.0.0.1:8000", "--base-url", help="where the server is reached: download URLs and SPARQL endpoint in the catalogue"),
    store: Optional[str] = typer.Option(None, "--store", help="store location or SPARQL endpoint URL (default: var/store)"),
    data_dir: Optional[Path] = DataDir,
    var_dir: Optional[Path] = VarDir,
    base_uri: Optional[str] = BaseUri,
    include_personal_data: bool = typer.Option(False, "--include-personal-data", help="publish even when the store holds named persons' contact details"),
) -> None:
    """Write a release for open-data portals: dumps, DCAT-AP 3 catalogue, VoID, ontology documentation."""
    from kg.release.publish import PersonalDataError, publish_release
    from kg.store import StoreError, open_store

    settings = _settings(data_dir, var_dir, base_uri)
    if not store and not settings.store_path.exists():
        err.print(f"[red]No store at {settings.store_path}: run `kg build` first.[/red]")
        raise typer.Exit(2)
    try:
        with err.status("publishing…"), open_store(store or settings.store_path, read_only=True) as st:
            release = publish_release(settings, store=st, out_dir=out_dir, base_url=base_url, include_personal_data=include_personal_data)
    except PersonalDataError as exc:
        err.print(f"[red]Not published:[/red] {exc}")
        raise typer.Exit(1)
    except StoreError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1)
    table = Table(title=f"Release {release.id} ({release.issued}) → {out_dir}")
    for col in ("file", "media type", "bytes", "sha256"):
        table.add_column(col, justify="right" if col == "bytes" else "left")
    for f in release.files:
        table.add_row(f.name, f.media_type, str(f.size), f.sha256[:16] + "…")
    out.print(table)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
    port: int = typer.Option(8000, "--port", "-p", help="TCP port"),
    workers: int = typer.Option(1, "--workers", help="uvicorn worker processes"),
    query_workers: Optional[int] = typer.Option(None, "--query-workers", help="query worker processes per uvicorn worker (env KG_QUERY_WORKERS; default: CPU count)"),
    query_timeout: Optional[float] = typer.Option(None, "--query-timeout", help="seconds before a query is stopped (env KG_QUERY_TIMEOUT; default 30)"),
    token: Optional[str] = typer.Option(None, "--token", envvar="KG_TOKEN", help="operator token enabling SPARQL Update and Graph Store writes (env KG_TOKEN)"),
    service_allowlist: Optional[str] = typer.Option(None, "--service-allowlist", help="comma-separated hosts SERVICE/LOAD may reach (env KG_SERVICE_ALLOWLIST; default none)"),
    var_dir: Optional[Path] = VarDir,
    base_uri: Optional[str] = BaseUri,
) -> None:
    """Serve the built store: SPARQL endpoint, REST API, linked-data pages, query editor (default http://127.0.0.1:8000)."""
    from kg.web.server import serve as run_server

    settings = _settings(None, var_dir, base_uri)
    if not settings.store_path.exists():
        err.print(f"[yellow]No store at {settings.store_path} yet: run `kg build`; queries answer 503 until then.[/yellow]")
    out.print(f"Serving {settings.store_path} on http://{host}:{port}/ (SPARQL at /sparql, API docs at /api/docs)")
    run_server(
        settings,
        host=host,
        port=port,
        workers=workers,
        token=token,
        query_timeout=query_timeout,
        service_allowlist=[h.strip() for h in service_allowlist.split(",") if h.strip()] if service_allowlist else None,
        pool_size=query_workers,
    )


# --------------------------------------------------------------------------- imports
import_app = typer.Typer(
    help="Import whole programme databases (CORDIS, Erasmus+ Project Results Platform) as named graphs.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

ImportPaths = typer.Argument(..., exists=True, help="CSV/xlsx files, zip archives of them, or directories")
ImportName = typer.Option(
    None, "--name", help="the import's name: its graph is {base}graph/import/<source>/<name> (default: from the file or directory name)"
)
Strict = typer.Option(False, "--strict", help="reject the whole file if any row is bad (default: load the valid rows, report the rest)")
ValidateImport = typer.Option(
    True,
    "--validate/--no-validate",
    help="check the new store (curated graphs, every import, this one) against the SHACL shapes before it is served; refuse the import on a violation",
)


class _RichImportProgress:
    """Rich progress bars for :mod:`kg.imports.pipeline` (one bar per table: bytes for CSV, rows for xlsx)."""

    def __init__(self, console: Console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.tasks: dict[str, object] = {}

    def __enter__(self) -> "_RichImportProgress":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]

    def task(self, label: str, total: int | None):  # type: ignore[no-untyped-def]
        task_id = self.bar.add_task(label, total=total)
        self.tasks[label] = task_id
        return lambda n: self.bar.advance(task_id, n)  # type: ignore[arg-type]

    def done(self, label: str) -> None:
        task_id = self.tasks.get(label)
        if task_id is not None:
            task = self.bar.tasks[[t.id for t in self.bar.tasks].index(task_id)]  # type: ignore[arg-type]
            self.bar.update(task_id, total=task.completed or 1, completed=task.completed or 1)  # type: ignore[arg-type]

    def note(self, message: str) -> None:
        self.bar.console.print(f"[dim]{message}[/dim]")


def _run_import(source: str, paths: list[Path], name: Optional[str], strict: bool, validate: bool, data_dir, var_dir, base_uri) -> None:  # type: ignore[no-untyped-def]
    from kg.imports.pipeline import ImportFailed, run_import

    settings = _settings(data_dir, var_dir, base_uri)
    try:
        with _RichImportProgress(err) as progress:
            result = run_import(settings, source, list(paths), name=name, strict=strict, validate=validate, progress=progress)
    except ImportFailed as exc:
        for r in exc.rejects[:50]:
            print(f"reject: {r}", file=sys.stderr)
        if len(exc.rejects) > 50:
            print(f"… and {len(exc.rejects) - 50} more", file=sys.stderr)
        if exc.rejects_path:
            err.print(f"rejects report: {exc.rejects_path}")
        err.print(f"[red]Import refused: {exc}[/red]")
        raise typer.Exit(1)
    t = Table(title=f"Import {result.source}/{result.name}")
    for col in ("file", "table", "rows", "loaded", "rejected", "skipped", "seconds", "rows/s"):
        t.add_column(col, justify="left" if col in ("file", "table") else "right")
    for s in result.tables:
        t.add_row(
            s.file, s.table, str(s.rows), str(s.loaded), str(s.rejected), str(s.skipped), f"{s.seconds:.2f}", f"{s.rows_per_second:,.0f}"
        )
    out.print(t)
    for reason, n in result.skipped.items():
        out.print(f"[yellow]skipped {n} row(s): {reason}[/yellow]")
    for r in result.rejects[:20]:
        print(f"reject: {r}", file=sys.stderr)
    if len(result.rejects) > 20:
        print(f"… and {len(result.rejects) - 20} more (see the report)", file=sys.stderr)
    out.print(
        f"[green]Imported[/green] {result.projects} projects into <{result.graph}>: {result.graph_triples} triples "
        f"(store: {result.store_triples}); organisations: {result.organisations_new} new, "
        f"{result.organisations_merged} merged with known ones, {result.matches} linking decisions recorded; "
        f"{result.seconds:.1f}s"
    )
    if result.rejects_path:
        out.print(f"[yellow]{len(result.rejects)} row(s) rejected; report: {result.rejects_path}[/yellow]")


@import_app.command("cordis")
def import_cordis(
    paths: list[Path] = ImportPaths,
    name: Optional[str] = ImportName,
    strict: bool = Strict,
    validate: bool = ValidateImport,
    data_dir: Optional[Path] = DataDir,
    var_dir: Optional[Path] = VarDir,
    base_uri: Optional[str] = BaseUri,
) -> None:
    """CORDIS exports: project + organization tables (CSV ; or , / xlsx / zip), their link tables
    (legalBasis, topics, euroSciVoc, webLink, deliverables), legacy one-row-per-project files, H2020 reference tables."""
    _run_import("cordis", paths, name, strict, validate, data_dir, var_dir, base_uri)


@import_app.command("erasmus")
def import_erasmus(
    paths: list[Path] = ImportPaths,
    name: Optional[str] = ImportName,
    strict: bool = Strict,
    validate: bool = ValidateImport,
    data_dir: Optional[Path] = DataDir,
    var_dir: Optional[Path] = VarDir,
    base_uri: Optional[str] = BaseUri,
) -> None:
    """Erasmus+ Project Results Platform exports (xlsx or CSV, Partner 1..N columns), Erasmus+ and predecessor programmes."""
    _run_import("erasmus", paths, name, strict, validate, data_dir, var_dir, base_uri)


@import_app.command("list")
def import_list(var_dir: Optional[Path] = VarDir) -> None:
    """The imports the served store holds."""
    from kg.imports.pipeline import list_imports

    settings = _settings(None, var_dir, None)
    t = Table(title="Imports")
    for col in ("source", "name", "projects", "triples", "rejects", "imported at", "artefact"):
        t.add_column(col)
    for e in list_imports(settings):
        t.add_row(e["source"], e["name"], str(e["projects"]), str(e["triples"]), str(e.get("rejects", 0)), e["imported_at"], e["artefact"])
    out.print(t)


@app.command()
def orgs(
    matches: bool = typer.Option(False, "--matches", help="list every organisation-linking decision (merged, and look-alikes kept apart)"),
    format: str = typer.Option("table", "--format", "-f", help="table or csv"),
    store: Optional[Path] = typer.Option(None, "--store", help="store location (default: var/store)"),
    var_dir: Optional[Path] = VarDir,
) -> None:
    """Organisations across sources: counts per graph, or (--matches) the merge decisions for review."""
    import csv as csv_module

    from kg.store import open_store

    if format not in {"table", "csv"}:
        raise typer.BadParameter("format must be table or csv", param_hint="--format")
    settings = _settings(None, var_dir, None)
    location = store or settings.store_path
    if not Path(location).exists():
        err.print(f"[red]No store at {location}: run `kg build` first.[/red]")
        raise typer.Exit(2)
    with open_store(location, read_only=True) as st:
        if not matches:
            counts = organisation_counts(st)
            if format == "csv":
                w = csv_module.writer(sys.stdout)
                w.writerow(["graph", "organisations"])
                w.writerows(counts.items())
                return
            t = Table(title="Organisations per graph")
            t.add_column("graph")
            t.add_column("organisations", justify="right")
            for g, n in counts.items():
                t.add_row(g, str(n))
            out.print(t)
            return
        rows = organisation_matches(st)
    columns = ["decision", "rule", "stated", "org", "organisation", "other", "otherName", "evidence", "where", "g"]
    if format == "csv":
        w = csv_module.writer(sys.stdout)
        w.writerow(["decision", "rule", "stated_name", "organisation", "organisation_label", "matched_organisation", "matched_label", "evidence", "location", "graph"])
        for r in rows:
            w.writerow([r[c] for c in columns])
        return
    t = Table(title=f"Organisation linking decisions ({len(rows)})")
    for col in ("decision", "rule", "stated name", "organisation", "compared with", "evidence", "where"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["decision"], r["rule"], r["stated"], r["org"].rsplit("/", 1)[-1], r["other"].rsplit("/", 1)[-1], r["evidence"], r["where"])
    out.print(t)


@app.command()
def extract(
    pages: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="project page text files (UTF-8)"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="write <id>.yaml and <id>.provenance.json per page into this directory"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="write the record to this file (one page); the provenance beside it"),
    diff: bool = typer.Option(False, "--diff", help="print field-by-field differences from the curated record of the same source"),
    suggest_sdgs: bool = typer.Option(False, "--suggest-sdgs", help="add sdg_suggestions (TF-IDF over UN SDG target texts) when the page states no SDG"),
    data_dir: Optional[Path] = DataDir,
) -> None:
    """Read project web pages (English, Italian) into curated-record YAML, with per-fact provenance."""
    from kg.extract.pages import run_extract

    settings = _settings(data_dir, None, None)
    raise typer.Exit(run_extract(pages, settings=settings, out_dir=out_dir, output=output, diff=diff, suggest_sdgs=suggest_sdgs))


if __name__ == "__main__":  # pragma: no cover
    app()
