"""The importers ``kg import`` knows, one line each: source name → the class that reads its exports.

An importer is one module of this package implementing :class:`kg.imports.context.Source` (a
``source`` name, a one-line ``summary``, ``detect_table(header)`` that recognises its tables, and
``run(tables)`` that reads them through the :class:`~kg.imports.context.ImportContext`). Add it to
:data:`IMPORTERS` and the pipeline (:func:`kg.imports.pipeline.run_import`) and the CLI (``kg import
<source>``) pick it up.
"""

from __future__ import annotations

from kg.imports.context import ImportFailed, Source
from kg.imports.cordis import CordisImport
from kg.imports.erasmus import ErasmusImport

IMPORTERS: dict[str, type[Source]] = {
    CordisImport.source: CordisImport,
    ErasmusImport.source: ErasmusImport,
}


def importer(source: str) -> type[Source]:
    """The importer of ``source``; :class:`ImportFailed` naming the known ones otherwise."""
    try:
        return IMPORTERS[source]
    except KeyError:
        raise ImportFailed(f"unknown source {source!r}; use one of {', '.join(IMPORTERS)}") from None
