"""``kg release``: the releases under var/ — list them, ship one to another var dir (a replica),
promote one there, copy one into the remote store (``KG_STORE``)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from kg.cli.common import VarDir, err, mirror_to_store, out, settings_from, shown_url, store_location
from kg.store import StoreError, open_store, releases

release_app = typer.Typer(help="Releases: list, ship to a replica's var dir, promote, copy into KG_STORE.", no_args_is_help=True)


def _var(var_dir: Path | None) -> Path:
    settings = settings_from(None, var_dir, None)
    assert settings.var_dir is not None
    return settings.var_dir


@release_app.command("list")
def release_list(var_dir: Path | None = VarDir) -> None:
    """The builds under var/builds, oldest first; the current one (var/store) marked."""
    var = _var(var_dir)
    live = releases.current(var)
    t = Table(title=f"Releases in {var}")
    for col in ("release", "current", "bytes"):
        t.add_column(col, justify="right" if col == "bytes" else "left")
    for build in releases.builds(var):
        size = sum(p.stat().st_size for p in build.rglob("*") if p.is_file())
        t.add_row(build.name, "yes" if live == build.resolve() else "", str(size))
    out.print(t)


@release_app.command("ship")
def release_ship(
    dest: Path = typer.Argument(..., help="the replica's var dir (its builds/ receives the release)"),
    build: str | None = typer.Option(None, "--build", help="the release id (default: the current one)"),
    promote: bool = typer.Option(False, "--promote", help="also make it the replica's current release"),
    copy: bool = typer.Option(False, "--copy", help="copy every file, never hard-link"),
    var_dir: Path | None = VarDir,
) -> None:
    """Copy a release (every file: RocksDB and kg-*) to another var dir; SST files hard-linked on one filesystem."""
    try:
        source = releases.find_build(_var(var_dir), build)
        shipped = releases.ship(source, dest, link=not copy)
        if promote:
            releases.promote(dest, shipped.build)
    except StoreError as exc:
        err.print(f"[red]Not shipped: {exc}[/red]")
        raise typer.Exit(1) from None
    if shipped.already:
        out.print(f"{dest} has release {source.name} already")
    else:
        out.print(
            f"[green]Shipped[/green] release {source.name} → {shipped.build}: {shipped.linked} file(s) hard-linked, "
            f"{shipped.copied} copied ({shipped.bytes_copied} bytes)"
        )
    if promote:
        out.print(f"[green]Promoted[/green] {source.name} in {dest}")


@release_app.command("promote")
def release_promote(
    build: str = typer.Argument(..., help="the release id (a directory under var/builds)"),
    var_dir: Path | None = VarDir,
) -> None:
    """Make a release the current one (var/store), in one atomic rename; a running kg serve follows."""
    var = _var(var_dir)
    try:
        releases.promote(var, releases.find_build(var, build))
    except StoreError as exc:
        err.print(f"[red]Not promoted: {exc}[/red]")
        raise typer.Exit(1) from None
    out.print(f"[green]Promoted[/green] {build} in {var}")


@release_app.command("mirror")
def release_mirror(var_dir: Path | None = VarDir) -> None:
    """Copy the current release into the remote store KG_STORE (what kg build and kg import do after promoting)."""
    settings = settings_from(None, var_dir, None)
    if not settings.store_url:
        err.print("[red]KG_STORE is not set: name the remote SPARQL store (e.g. http://host:8890/sparql)[/red]")
        raise typer.Exit(2)
    mirror_to_store(settings)


@release_app.command("which")
def release_which(var_dir: Path | None = VarDir) -> None:
    """Which release the store holds: var/store's, or with KG_STORE the one copied into it."""
    settings = settings_from(None, var_dir, None)
    if settings.store_url:
        location = store_location(None, settings)
        try:
            with open_store(location, read_only=True) as st:
                held = releases.mirrored_release(st)
        except StoreError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        out.print(held or f"no release recorded in {shown_url(location)}")
        if not held:
            raise typer.Exit(1)
        return
    live = releases.current(_var(var_dir))
    if live is None:
        err.print("[red]no current release: run `kg build`[/red]")
        raise typer.Exit(1)
    out.print(live.name)
