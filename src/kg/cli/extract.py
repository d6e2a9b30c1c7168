"""``kg extract``: project web pages → curated-record YAML with per-fact provenance; ``--evaluate`` scores the extractor.
"""

from __future__ import annotations

from pathlib import Path

import typer

from kg.cli.common import DataDir, settings_from
from kg.extract.devset import run_evaluate_dev
from kg.extract.evaluate import run_evaluate
from kg.extract.pages import run_extract


def extract(
    pages: list[Path] | None = typer.Argument(
        None, exists=True, help="project pages: text or saved HTML files (UTF-8), or folders of them; none with --evaluate"
    ),
    out_dir: Path | None = typer.Option(None, "--out", help="write <id>.yaml and <id>.provenance.json per page into this directory"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the record to this file (one page); the provenance beside it"),
    diff: bool = typer.Option(False, "--diff", help="print field-by-field differences from the curated record of the same source"),
    suggest_sdgs: bool = typer.Option(False, "--suggest-sdgs", help="add sdg_suggestions (TF-IDF over UN SDG target texts) when the page states no SDG"),
    evaluate: bool = typer.Option(False, "--evaluate", help="score the extractor on the seed pages and rewrite the table in docs/extraction.md"),
    evaluate_dev: bool = typer.Option(False, "--evaluate-dev", help="score the extractor on the development set (bench/extract-dev) and rewrite its table"),
    dev_dir: Path | None = typer.Option(None, "--dev-dir", file_okay=False, exists=True, help="with --evaluate-dev: a folder of pages and <page>.gold.yaml"),
    doc: Path | None = typer.Option(None, "--doc", help="with --evaluate/--evaluate-dev: the document to update (default: docs/extraction.md)"),
    data_dir: Path | None = DataDir,
) -> None:
    """Read project web pages (text or HTML, any EU language) into curated-record YAML, with per-fact provenance."""
    settings = settings_from(data_dir, None, None)
    if evaluate_dev:
        if pages:
            raise typer.BadParameter("--evaluate-dev scores the development set; give no PAGE", param_hint="'PAGES...'")
        raise typer.Exit(run_evaluate_dev(settings, dev_dir=dev_dir, doc=doc))
    if evaluate:
        if pages:
            raise typer.BadParameter("--evaluate scores the seed pages; give no PAGE", param_hint="'PAGES...'")
        raise typer.Exit(run_evaluate(settings, doc=doc))
    if not pages:
        raise typer.BadParameter("missing: give one or more PAGE files (or --evaluate)", param_hint="'PAGES...'")
    raise typer.Exit(run_extract(pages, settings=settings, out_dir=out_dir, output=output, diff=diff, suggest_sdgs=suggest_sdgs))
