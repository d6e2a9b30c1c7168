"""Validation in proportion to the change (issue 14): the incremental check an import runs finds every
violation the change brings — inside its graph, across graphs, and in other graphs' nodes that point
at what it changed — and nothing the whole-store check (``kg validate --store``) does not report.

A real import (the Horizon Europe head-100 project and organization tables) into the real seed
build; then defects planted in a graph of their own, as an import's graph would hold them, and the
reports compared: ``whole(after) − whole(before) ⊆ incremental ⊆ whole(after)``, result for result.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.imports.pipeline import run_import
from kg.settings import Settings
from kg.store import releases
from kg.validation.incremental import Change, validate_change
from kg.validation.report import ValidationResult
from kg.validation.run import validate_store
from kgtesting import ROOT, run_kg
from test_import_helpers import BASE, HEAD, fresh_var

KG = "https://w3id.org/euprojects/def#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"
PLANTED = ox.NamedNode(BASE + "graph/import/cordis/planted")
SHAPES = ROOT / "shapes"


def kg(name: str) -> ox.NamedNode:
    return ox.NamedNode(KG + name)


def keys(results: list[ValidationResult]) -> Counter:
    return Counter((r.focus, r.path, r.value, r.shape, r.severity) for r in results)


def one(store: ox.Store, query: str) -> dict:
    solutions = store.query(f"PREFIX kg: <{KG}> " + query)
    assert isinstance(solutions, ox.QuerySolutions)
    row = next(iter(solutions))
    return {v.value: row[v] for v in solutions.variables}


@pytest.fixture(scope="module")
def stores(seed_build: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("incremental")
    var = fresh_var(seed_build, tmp)
    run_import(Settings(root=ROOT, var_dir=var), "cordis", [HEAD / "project_df_100.csv", HEAD / "organization_df_100.csv"], name="he")
    served = releases.current(var)
    he = ox.NamedNode(BASE + "graph/import/cordis/he")
    before_dir, after_dir = tmp / "before", tmp / "after"
    ox.Store.read_only(str(served)).backup(str(before_dir))

    before = ox.Store(str(before_dir))
    # an organisation a participation of the he graph points at: its type moves to the planted graph
    found = one(before, f"SELECT ?org ?part WHERE {{ GRAPH <{he.value}> {{ ?part kg:organisation ?org . ?org a kg:Organisation }} }} LIMIT 1")
    org, part = found["org"], found["part"]
    before.remove(ox.Quad(org, RDF_TYPE, kg("Organisation"), he))
    before.add(ox.Quad(org, RDF_TYPE, kg("Organisation"), PLANTED))
    before.flush()
    before.backup(str(after_dir))
    del before

    after = ox.Store(str(after_dir))
    after.remove_graph(PLANTED)  # the re-import no longer types the organisation
    p = one(after, f"SELECT ?p ?grant WHERE {{ GRAPH <{he.value}> {{ ?p a kg:Project ; kg:hasGrant ?grant }} }} LIMIT 1")
    project, grant = p["p"], p["grant"]
    q = ox.NamedNode(BASE + "id/project/planted-1")
    planted = [
        # across graphs: a second start date for a project the he graph states
        ox.Quad(project, kg("startDate"), ox.Literal("1999-01-01", datatype=ox.NamedNode(XSD + "date")), PLANTED),
        # in the graph: a project without a title, its acronym with a language tag, and the grant of another project
        ox.Quad(q, RDF_TYPE, kg("Project"), PLANTED),
        ox.Quad(q, ox.NamedNode("http://purl.org/dc/terms/identifier"), ox.Literal("planted-1"), PLANTED),
        ox.Quad(q, kg("acronym"), ox.Literal("PLANTED", language="en"), PLANTED),
        ox.Quad(q, kg("hasGrant"), grant, PLANTED),
    ]
    after.extend(planted)
    after.flush()
    del after
    return {"before": before_dir, "after": after_dir, "project": project.value, "q": q.value, "grant": grant.value,
            "org": org.value, "part": part.value, "var": var}


def test_incremental_finds_what_the_whole_store_check_finds(stores: dict):
    whole_before = keys(validate_store(stores["before"], SHAPES).results)
    whole_after = keys(validate_store(stores["after"], SHAPES).results)
    change = Change()
    incremental = validate_change(stores["after"], SHAPES, PLANTED.value, previous=stores["before"], change=change)
    inc = keys(incremental.results)
    new = whole_after - whole_before
    assert not incremental.conforms
    # every planted defect is a new result of the whole-store check …
    focus = {k[0] for k in new}
    assert {stores["project"], stores["q"], stores["grant"], stores["part"]} <= focus, sorted(new)
    # … and the incremental check finds every new result, and only results the whole store has
    assert not (new - inc), f"missed: {sorted(new - inc)}"
    assert not (inc - whole_after), f"not in the whole-store report: {sorted(inc - whole_after)}"
    assert 0 < change.extract_quads < 0.5 * sum(1 for _ in ox.Store.read_only(str(stores["after"])))


def test_a_fresh_graph_without_previous(stores: dict):
    """The planted graph checked as a first import (no previous store): its own defects and the
    cross-graph one still found (the organisation's defect needs the previous graph, see above)."""
    whole = keys(validate_store(stores["after"], SHAPES).results)
    inc = keys(validate_change(stores["after"], SHAPES, PLANTED.value).results)
    assert not (inc - whole)
    assert {stores["project"], stores["q"], stores["grant"]} <= {k[0] for k in inc}


def test_kg_validate_store_checks_the_whole_store(stores: dict):
    proc = run_kg("validate", "--store", "--var-dir", str(stores["var"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "\n0 violation(s), " in proc.stdout
