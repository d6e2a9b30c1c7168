"""``KG_STORE`` naming a live Virtuoso 7 (tests/virtuosolive.py): the commands a user runs.

``kg build`` and ``kg import`` copy each release they promote into it (and say so), ``kg query``
and ``kg publish`` read from it, and what they read is what the embedded store of the same
release holds (the same counts, statistics and dump).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.read.stats import store_stats
from kg.store import OxigraphStore, open_store, releases
from kgtesting import run_kg
from test_import_helpers import erasmus_rows, write_erasmus_csv

PROJECTS = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://w3id.org/euprojects/def#Project> }"


def _count(store_or_stdout: object) -> int:
    if isinstance(store_or_stdout, str):
        return int(json.loads(store_or_stdout)["results"]["bindings"][0]["n"]["value"])
    return int(next(iter(store_or_stdout.query(PROJECTS)))["n"].value)  # type: ignore[attr-defined]


def _ground(quads: list[ox.Quad]) -> tuple[set[str], int]:
    """The quads without a blank node (as text), and how many have one (blank labels differ)."""
    blank = [q for q in quads if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)]
    return {str(q) for q in quads if q not in blank}, len(blank)


@pytest.mark.slow  # four kg commands end to end (~1-2 min); the store contract and the named-query facts on Virtuoso run in make test
def test_build_import_query_publish_through_kg_store(virtuoso: object, tmp_path: Path) -> None:
    env = {"KG_STORE": virtuoso.sparql, "KG_STORE_USER": "kg", "KG_STORE_PASSWORD": virtuoso.password}  # type: ignore[attr-defined]
    var = tmp_path / "var"
    built = run_kg("build", "--var-dir", str(var), env=env, check=True)
    release = releases.current(var)
    assert release is not None
    assert f"Copied release {release.name} into {virtuoso.sparql}" in " ".join(built.stdout.split())  # type: ignore[attr-defined]
    assert virtuoso.password not in built.stdout + built.stderr  # type: ignore[attr-defined]

    with open_store(virtuoso.sparql, read_only=True) as remote, OxigraphStore(var / "store", read_only=True) as local:  # type: ignore[attr-defined]
        assert releases.mirrored_release(remote) == release.name
        assert store_stats(remote) == store_stats(local)  # triples per graph, instances per class
        projects = _count(local)
    assert projects > 0
    # kg query reads KG_STORE
    assert _count(run_kg("query", PROJECTS, "--var-dir", str(var), env=env, check=True).stdout) == projects

    # kg import: the new release, with the import's graph, is copied in
    csv_file = write_erasmus_csv(tmp_path / "erasmus.csv", [row for _, row in erasmus_rows()[:2]])
    imported = run_kg("import", "erasmus", str(csv_file), "--name", "two", "--var-dir", str(var), env=env, check=True)
    after = releases.current(var)
    assert after is not None and after != release
    assert f"Copied release {after.name}" in " ".join(imported.stdout.split())
    with open_store(virtuoso.sparql, read_only=True) as remote, OxigraphStore(after, read_only=True) as local:  # type: ignore[attr-defined]
        assert releases.mirrored_release(remote) == after.name
        assert remote.graphs() == local.graphs() and any("/import/" in g for g in remote.graphs())
        assert _count(remote) == _count(local) > projects
        everything = list(ox.parse(local.dump(format="nquads"), format=ox.RdfFormat.N_QUADS))

    # kg publish from Virtuoso: its N-Quads dump holds the release's quads, durations and booleans as stored
    run_kg("publish", "--out", str(tmp_path / "dist"), "--var-dir", str(var), env=env, check=True)
    dump = list(ox.parse(gzip.decompress((tmp_path / "dist" / "euprojects.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS))
    published = {q.graph_name for q in dump}
    assert _ground(dump) == _ground([q for q in everything if q.graph_name in published])
