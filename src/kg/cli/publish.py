"""``kg publish``: dumps, DCAT-AP catalogue, VoID and ontology docs for open-data portals.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from kg.cli.common import BaseUri, DataDir, StoreOption, VarDir, err, out, settings_from, store_location
from kg.release.publish import PersonalDataError, publish_release
from kg.store import StoreError, open_store


def publish(
    out_dir: Path = typer.Option(Path("dist"), "--out", "-o", help="directory the release is written to"),
    base_url: str = typer.Option("http://127.0.0.1:8000", "--base-url", help="where the server is reached: download URLs and SPARQL endpoint in the catalogue"),
    store: str | None = StoreOption,
    data_dir: Path | None = DataDir,
    var_dir: Path | None = VarDir,
    base_uri: str | None = BaseUri,
    include_personal_data: bool = typer.Option(False, "--include-personal-data", help="publish even when the store holds named persons' contact details"),
) -> None:
    """Write a release for open-data portals: dumps, DCAT-AP 3 catalogue, VoID, ontology documentation."""
    settings = settings_from(data_dir, var_dir, base_uri)
    location = store_location(store, settings)
    try:
        with err.status("publishing…"), open_store(location, read_only=True) as st:
            release = publish_release(settings, store=st, out_dir=out_dir, base_url=base_url, include_personal_data=include_personal_data)
    except PersonalDataError as exc:
        err.print(f"[red]Not published:[/red] {exc}")
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    table = Table(title=f"Release {release.id} ({release.issued}) → {out_dir}")
    for col in ("file", "media type", "bytes", "sha256"):
        table.add_column(col, justify="right" if col == "bytes" else "left")
    for f in release.files:
        table.add_row(f.name, f.media_type, str(f.size), f.sha256[:16] + "…")
    out.print(table)
