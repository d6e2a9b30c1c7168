"""``kg import <source>`` (one command per entry of :data:`kg.imports.registry.IMPORTERS`), ``kg import list``,
``kg import remove`` and ``kg orgs``: whole programme databases and the organisations they bring.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from kg.cli.common import BaseUri, DataDir, StoreOption, VarDir, err, mirror_to_store, out, settings_from, store_location
from kg.imports.artefacts import list_imports
from kg.imports.context import ImportFailed
from kg.imports.pipeline import remove_import, run_import
from kg.imports.registry import IMPORTERS
from kg.read.organisations import organisation_counts, organisation_list, organisation_matches
from kg.store import open_store

# --------------------------------------------------------------------------- imports
import_app = typer.Typer(
    help="Import whole programme databases (CORDIS, Erasmus+ Project Results Platform) as named graphs.",
    no_args_is_help=True,
)


ImportPaths = typer.Argument(..., exists=True, help="CSV/xlsx files, zip archives of them, or directories")


ImportName = typer.Option(
    None, "--name", help="the import's name: its graph is {base}graph/import/<source>/<name> (default: from the file or directory name)"
)


StripControl = typer.Option(
    False, "--strip-control",
    help="remove control characters (NUL, ESC …; not tab or line breaks) from values, each reported, instead of rejecting their rows (env KG_STRIP_CONTROL)",
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
        self.console = console
        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _RichImportProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.bar.__exit__(kind, exc, tb)

    def task(self, label: str, total: int | None) -> Callable[[int], None]:
        task_id = self.bar.add_task(label, total=total)
        self.tasks[label] = task_id
        return lambda n: self.bar.advance(task_id, n)

    def done(self, label: str) -> None:
        task_id = self.tasks.get(label)
        if task_id is not None:
            task = self.bar.tasks[[t.id for t in self.bar.tasks].index(task_id)]
            self.bar.update(task_id, total=task.completed or 1, completed=task.completed or 1)

    def note(self, message: str) -> None:
        self.bar.console.print(f"[dim]{message}[/dim]")


def _run_import(
    source: str, paths: list[Path], name: str | None, strict: bool, validate: bool,
    data_dir: Path | None, var_dir: Path | None, base_uri: str | None, strip: bool = False,
) -> None:
    settings = settings_from(data_dir, var_dir, base_uri)
    if strip:
        settings = settings.with_(strip_control=True)
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
        err.print(f"[red]Import refused: {exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
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
    for r in result.repairs[:20]:
        print(f"repaired: {r}", file=sys.stderr)
    if len(result.repairs) > 20:
        print(f"… and {len(result.repairs) - 20} more repaired (see the report)", file=sys.stderr)
    out.print(
        f"[green]Imported[/green] {result.projects} projects into <{result.graph}>: {result.graph_triples} triples "
        f"(store: {result.store_triples}); organisations: {result.organisations_new} new, "
        f"{result.organisations_merged} merged with known ones, {result.matches} linking decisions recorded; "
        f"{result.sdg_suggestions} SDG targets suggested (inferred, apart from stated SDGs); {result.seconds:.1f}s"
    )
    if result.rejects_path:
        repaired = f", {len(result.repairs)} value(s) repaired" if result.repairs else ""
        out.print(f"[yellow]{len(result.rejects)} row(s) rejected{repaired}; report: {result.rejects_path}[/yellow]")
    mirror_to_store(settings)


def _import_command(source: str) -> Callable[..., None]:
    """``kg import <source>``: one command per entry of :data:`kg.imports.registry.IMPORTERS`."""

    def command(
        paths: list[Path] = ImportPaths,
        name: str | None = ImportName,
        strict: bool = Strict,
        validate: bool = ValidateImport,
        strip_control: bool = StripControl,
        data_dir: Path | None = DataDir,
        var_dir: Path | None = VarDir,
        base_uri: str | None = BaseUri,
    ) -> None:
        _run_import(source, paths, name, strict, validate, data_dir, var_dir, base_uri, strip_control)

    return command


@import_app.command("list")
def import_list(var_dir: Path | None = VarDir) -> None:
    """The imports the served store holds."""
    settings = settings_from(None, var_dir, None)
    t = Table(title="Imports")
    for col in ("source", "name", "projects", "triples", "rejects", "imported at", "artefact"):
        t.add_column(col)
    for e in list_imports(settings):
        t.add_row(e["source"], e["name"], str(e["projects"]), str(e["triples"]), str(e.get("rejects", 0)), e["imported_at"], e["artefact"])
    out.print(t)


@import_app.command("remove")
def import_remove(
    spec: str = typer.Argument(..., metavar="SOURCE/NAME", help="the import, as `kg import list` shows it: e.g. cordis/horizon-europe"),
    validate: bool = typer.Option(
        True, "--validate/--no-validate", help="check the new store (curated graphs and the other imports) against the SHACL shapes before it is served"
    ),
    var_dir: Path | None = VarDir,
) -> None:
    """Remove an import: a new store without its graph is swapped in atomically, like a re-import."""
    settings = settings_from(None, var_dir, None)
    source, _, name = spec.partition("/")
    try:
        if not (source and name) or "/" in name:
            there = ", ".join(f"{e['source']}/{e['name']}" for e in list_imports(settings))
            raise ImportFailed(
                f"name the import as SOURCE/NAME (e.g. cordis/horizon-europe), not {spec!r}; "
                + (f"the imports are: {there}" if there else "there are no imports")
            )
        with _RichImportProgress(err) as progress:
            removed = remove_import(settings, source, name, validate=validate, progress=progress)
    except ImportFailed as exc:
        err.print(f"[red]Remove refused: {exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    forgotten = ", ".join(f"{n} {kind}(s)" for kind, n in removed.forgotten.items()) or "nothing"
    kept = ", ".join(f"{n} {kind}(s)" for kind, n in removed.handed_over.items())
    out.print(
        f"[green]Removed[/green] {removed.source}/{removed.name}: <{removed.graph}> with its {removed.graph_triples} triples "
        f"and {removed.projects} projects (store: {removed.store_triples}); the organisation registry forgot {forgotten} "
        f"only it described{f' and kept {kept} that other graphs describe' if kept else ''}; {removed.seconds:.1f}s"
    )
    mirror_to_store(settings)
    if removed.artefact.exists():
        out.print(f"[dim]its artefact {removed.artefact} is deleted once no kept build refers to it (after the next import or build)[/dim]")


def orgs(
    matches: bool = typer.Option(False, "--matches", help="list every organisation-linking decision (merged, and look-alikes kept apart)"),
    format: str = typer.Option("table", "--format", "-f", help="table or csv"),
    store: str | None = StoreOption,
    var_dir: Path | None = VarDir,
) -> None:
    """Organisations across sources: counts per graph (as CSV: every organisation), or (--matches) the merge decisions for review."""
    import csv as csv_module

    if format not in {"table", "csv"}:
        raise typer.BadParameter("format must be table or csv", param_hint="--format")
    location = store_location(store, settings_from(None, var_dir, None))
    with open_store(location, read_only=True) as st:
        if not matches:
            if format == "csv":  # every organisation, one row each
                w = csv_module.writer(sys.stdout)
                w.writerow(["organisation", "name", "country", "graphs", "projects"])
                for org in organisation_list(st):
                    w.writerow([org["o"], org["name"], org["country"], org["graphs"], org["projects"]])
                return
            counts = organisation_counts(st)
            t = Table(title="Organisations per graph")
            t.add_column("graph")
            t.add_column("organisations", justify="right")
            for g, n in counts.items():
                t.add_row(g, str(n))
            out.print(t)
            return
        rows = organisation_matches(st)
    columns = ["decision", "outcome", "score", "rule", "stated", "org", "organisation", "other", "otherName", "evidence", "where", "g"]
    if format == "csv":
        w = csv_module.writer(sys.stdout)
        w.writerow(["decision", "outcome", "score", "rule", "stated_name", "organisation", "organisation_label",
                    "matched_organisation", "matched_label", "evidence", "location", "graph"])
        for r in rows:
            w.writerow([r[c] for c in columns])
        return
    t = Table(title=f"Organisation linking decisions ({len(rows)})")
    for col in ("outcome", "rule", "score", "stated name", "organisation", "compared with", "evidence", "where"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["outcome"], r["rule"], r["score"], r["stated"], r["org"].rsplit("/", 1)[-1], r["other"].rsplit("/", 1)[-1], r["evidence"], r["where"])
    out.print(t)


for _source, _importer in IMPORTERS.items():
    import_app.command(_source, help=_importer.summary)(_import_command(_source))
