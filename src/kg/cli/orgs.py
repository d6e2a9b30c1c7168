"""``kg orgs``: the organisations across sources — counts, every linking decision (``--matches``),
``kg orgs review`` (candidates, and a person's accept / reject recorded as curated data) and
``kg orgs evaluate`` (precision and recall on the labelled evaluation set)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from kg.cli import imports
from kg.cli.common import DataDir, StoreOption, VarDir, err, out, settings_from, store_location
from kg.linking.evaluation import evaluate, write_report
from kg.linking.reviews import record_review, reviews_path
from kg.read.organisations import organisation_matches
from kg.store import open_store

orgs_app = typer.Typer(help="Organisations across sources: counts, linking decisions, review, evaluation.")


@orgs_app.callback(invoke_without_command=True)
def orgs(
    ctx: typer.Context,
    matches: bool = typer.Option(False, "--matches", help="list every organisation-linking decision (linked, candidate, distinct) with its evidence"),
    format: str = typer.Option("table", "--format", "-f", help="table or csv"),
    store: str | None = StoreOption,
    var_dir: Path | None = VarDir,
) -> None:
    """Organisations across sources: counts per graph (as CSV: every organisation), or (--matches) every linking decision."""
    if ctx.invoked_subcommand is None:
        imports.orgs(matches=matches, format=format, store=store, var_dir=var_dir)


@orgs_app.command()
def review(
    accept: list[str] = typer.Option([], "--accept", help="OCCURRENCE=ORGANISATION: the pair is one organisation"),
    reject: list[str] = typer.Option([], "--reject", help="OCCURRENCE=ORGANISATION: the pair is two organisations"),
    note: str | None = typer.Option(None, "--note", help="why (kept with the decision)"),
    store: str | None = StoreOption,
    var_dir: Path | None = VarDir,
    data_dir: Path | None = DataDir,
) -> None:
    """List the candidate pairs awaiting review; --accept / --reject records a decision in
    data/organisation-reviews.yaml, which every later import re-applies."""
    settings = settings_from(data_dir, var_dir, None)
    assert settings.data_dir is not None
    path = reviews_path(settings.data_dir)
    for verdict, pairs in (("accept", accept), ("reject", reject)):
        for pair in pairs:
            occurrence, sep, organisation = pair.partition("=")
            if not sep or not occurrence.strip() or not organisation.strip():
                raise typer.BadParameter(f"{pair!r} is not OCCURRENCE=ORGANISATION (two organisation ids)", param_hint=f"--{verdict}")
            record_review(path, occurrence.strip(), organisation.strip(), verdict, note)
            out.print(f"[green]{verdict}ed[/green] {occurrence.strip()} = {organisation.strip()} → {path} (re-applied by every later import)")
    if accept or reject:
        return
    with open_store(store_location(store, settings), read_only=True) as st:
        rows = [r for r in organisation_matches(st) if r["outcome"] == "candidate"]
    t = Table(title=f"Organisation candidates awaiting review ({len(rows)})")
    for col in ("occurrence", "organisation", "score", "stated name", "compared with", "evidence", "where"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["org"].rsplit("/", 1)[-1], r["other"].rsplit("/", 1)[-1], r["score"], r["stated"], r["otherName"], r["evidence"], r["where"])
    out.print(t)
    if rows:
        out.print("record a decision with: kg orgs review --accept OCCURRENCE=ORGANISATION (or --reject)")


@orgs_app.command("evaluate")
def evaluate_command(
    size: int = typer.Option(400, "--size", help="how many real names to build the labelled set from"),
    seed: int = typer.Option(15, "--seed", help="random seed of the generated variants"),
    shared: Path = typer.Option(Path("../shared/data"), "--shared", help="the real exports the names come from"),
    report: Path | None = typer.Option(None, "--report", help="write the figures as Markdown to this file"),
) -> None:
    """Precision and recall of organisation linking on a labelled set built from real names."""
    if not shared.is_dir():
        err.print(f"[red]{shared} is not a directory of real exports (../shared/data)[/red]")
        raise typer.Exit(1)
    result = evaluate(shared, size=size, seed=seed)
    t = Table(title=f"Entity resolution on {result.pairs} labelled pairs ({result.names} real names, seed {seed})")
    for col in ("variant", "pairs", "truth", "linked", "candidate", "distinct"):
        t.add_column(col)
    for kind, row in sorted(result.by_kind.items()):
        t.add_row(kind, str(row["pairs"]), str(row["truth"]), str(row["linked"]), str(row["candidate"]), str(row["distinct"]))
    out.print(t)
    out.print(f"precision {result.precision:.4f}  recall {result.recall:.4f}  (candidates counted as not linked; {result.candidates} listed for review)")
    if report is not None:
        write_report(report, result, size=size, seed=seed)
        out.print(f"wrote {report}")
