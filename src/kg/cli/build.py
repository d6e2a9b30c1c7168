"""``kg build`` and ``kg validate``: curated data → validated store, promoted atomically.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer

from kg.cli.common import BaseUri, DataDir, Personal, VarDir, err, mirror_to_store, out, print_record_errors, print_report, settings_from
from kg.model.errors import RecordsInvalid
from kg.release.build import ENGINES, BuildFailed, assemble, check
from kg.release.build import build as run_build
from kg.validation.run import validate_store


def build(
    data_dir: Path | None = DataDir,
    var_dir: Path | None = VarDir,
    base_uri: str | None = BaseUri,
    include_personal_data: bool = Personal,
    sdg_suggestions: bool = typer.Option(
        True, "--sdg-suggestions/--no-sdg-suggestions",
        help="write SDG suggestions from the Aurora queries into graph/inferred/sdg-suggestions (env KG_SDG_SUGGESTIONS)",
    ),
    drop_writes: bool = typer.Option(
        False, "--drop-writes",
        help="build without the writes made with the token (/update, Graph Store); the journal is moved aside, not deleted",
    ),
) -> None:
    """Records → RDF → SHACL validation → a new Oxigraph store, swapped in only if valid; imports and writes carried over."""
    settings = settings_from(data_dir, var_dir, base_uri, include_personal_data)
    if not sdg_suggestions:
        settings = replace(settings, sdg_suggestions=False)
    try:
        with err.status("building…") as status:
            result = run_build(settings, progress=lambda m: status.update(m), drop_writes=drop_writes)
    except RecordsInvalid as exc:
        print_record_errors(exc)
        err.print("[red]Build failed; the served store was left unchanged.[/red]")
        raise typer.Exit(1) from None
    except BuildFailed as exc:
        if exc.report:
            print_report(exc.report, title="SHACL validation")
        err.print(f"[red]Build failed: {exc}[/red]")
        raise typer.Exit(1) from None
    print_report(result.report, title="SHACL warnings")
    imports = (
        f", plus {result.import_quad_count} quads in {len(result.import_graphs)} import graph(s) carried over"
        if result.import_graphs
        else ""
    )
    replayed = f", {result.writes_replayed} write(s) made with the token replayed" if result.writes_replayed else ""
    out.print(
        f"[green]Built[/green] {result.project_count} projects, {result.triple_count} quads in "
        f"{len(result.graphs)} named graphs{imports}{replayed} → {result.store_path}"
    )
    mirror_to_store(settings)


def validate(
    data_dir: Path | None = DataDir,
    base_uri: str | None = BaseUri,
    format: str = typer.Option("text", "--format", "-f", help="report format: text or turtle"),
    output: Path | None = typer.Option(None, "--output", "-o", help="write the report to this file"),
    engine: str = typer.Option("fast", "--engine", help="SHACL engine: fast (shapes compiled to SPARQL in Oxigraph) or pyshacl (the reference)"),
    store: bool = typer.Option(
        False, "--store", help="validate the built store as a whole instead (every graph, imports included; fast engine, on disk)"
    ),
    var_dir: Path | None = VarDir,
) -> None:
    """Validate what `kg build` would load, without touching any store (or, with --store, the built
    store as a whole). Exit 1 on violations."""
    if format not in {"text", "turtle"}:
        raise typer.BadParameter("format must be text or turtle", param_hint="--format")
    if engine not in ENGINES:
        raise typer.BadParameter(f"engine must be one of {', '.join(ENGINES)}", param_hint="--engine")
    settings = settings_from(data_dir, var_dir, base_uri)
    if store:
        if engine != "fast":
            raise typer.BadParameter("--store validates with the fast engine", param_hint="--engine")
        current = settings.current_store()
        if current is None:
            err.print(f"[red]no store at {settings.store_path}: run `kg build` first[/red]")
            raise typer.Exit(1)
        report = validate_store(current, settings.shapes_dir)
    else:
        try:
            assembled = assemble(settings)
        except RecordsInvalid as exc:
            print_record_errors(exc)
            raise typer.Exit(1) from None
        report = check(assembled, settings, engine=engine)
    text = report.turtle() if format == "turtle" else report.text()
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"report written to {output}")
    else:
        print(text)
    raise typer.Exit(0 if report.conforms else 1)
