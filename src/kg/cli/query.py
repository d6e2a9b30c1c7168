"""``kg query`` and ``kg stats``: SPARQL over the built store (or any endpoint), counts per graph and class.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from kg.cli.common import StoreOption, VarDir, err, out, settings_from, store_location
from kg.formats import QUERY_FORMAT_NAMES
from kg.read.stats import store_stats
from kg.store import QuerySyntaxError, StoreError, open_store

QUERY_FORMATS = QUERY_FORMAT_NAMES


def query(
    sparql: str = typer.Argument(..., help="a SPARQL query, or the path of a .rq file"),
    format: str = typer.Option("json", "--format", "-f", help=f"one of {', '.join(QUERY_FORMATS)}"),
    store: str | None = StoreOption,
    var_dir: Path | None = VarDir,
) -> None:
    """Run a SPARQL query against the built store and print the results."""
    if format not in QUERY_FORMATS:
        raise typer.BadParameter(f"unknown format {format!r}; use one of {', '.join(QUERY_FORMATS)}", param_hint="--format")
    text = sparql
    if sparql.endswith(".rq") or (len(sparql) < 4096 and Path(sparql).is_file()):
        path = Path(sparql)
        if not path.is_file():
            err.print(f"[red]{sparql}: no such query file[/red]")
            raise typer.Exit(2)
        text = path.read_text(encoding="utf-8")
    location = store_location(store, settings_from(None, var_dir, None))
    try:
        with open_store(location, read_only=True) as st:
            data = st.query_to(text, format=format)
    except QuerySyntaxError as exc:
        err.print(f"[red]Bad query:[/red] {exc}")
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    sys.stdout.buffer.write(data)
    if data and not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")


def stats(
    store: str | None = StoreOption,
    var_dir: Path | None = VarDir,
) -> None:
    """Counts per named graph and per class of the built store."""
    location = store_location(store, settings_from(None, var_dir, None))
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
