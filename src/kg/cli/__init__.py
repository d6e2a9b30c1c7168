"""The ``kg`` command line: thin Typer commands over the library, one module per command group
(:mod:`~kg.cli.build`, :mod:`~kg.cli.query`, :mod:`~kg.cli.publish`, :mod:`~kg.cli.serve`,
:mod:`~kg.cli.imports`, :mod:`~kg.cli.extract`, :mod:`~kg.cli.release`); this module assembles them into ``app``.

Every command takes its settings from options, then ``KG_*`` environment variables, then defaults
(see :mod:`kg.settings`). Errors are printed as file / entity / property / message and end with a
non-zero exit code.
"""

from __future__ import annotations

import typer

from kg.cli import build, extract, imports, orgs, publish, query, release, serve

app = typer.Typer(help="Build, check, query and serve the knowledge graph of EU-funded projects.", no_args_is_help=True)

app.command()(build.build)
app.command()(build.validate)
app.command()(query.query)
app.command()(query.stats)
app.command()(publish.publish)
app.command()(serve.serve)
app.add_typer(imports.import_app, name="import")
app.add_typer(orgs.orgs_app, name="orgs")
app.command()(extract.extract)
app.add_typer(release.release_app, name="release")

if __name__ == "__main__":  # pragma: no cover
    app()
