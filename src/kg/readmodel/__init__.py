"""The read model of a release: ``kg-read.sqlite`` beside the store in ``var/builds/<build-id>/``,
derived from the store with whole-store SPARQL SELECTs when the release is built (``kg build``,
``kg import``, removing an import), promoted with it, and never written afterwards (CQRS: the store
is the truth; this is what the REST API, the HTML lists and search read).

* :mod:`kg.readmodel.schema` — the tables (summaries, links, labels, counts, FTS5 indexes).
* :mod:`kg.readmodel.derive` — store → SQLite, in bulk; :func:`derive_release` for a build directory.
* :mod:`kg.readmodel.db` — opening a release's read model read-only, reads under a deadline.
"""

from kg.readmodel.db import Deadline, ReadModel, open_release
from kg.readmodel.derive import FILE, DeriveResult, derive, derive_release

__all__ = ["FILE", "Deadline", "DeriveResult", "ReadModel", "derive", "derive_release", "open_release"]
