"""Imports a user can manage (issue 17, "a newcomer's first hour"), on the real files of ../shared/data:

1. an input that yields no project — the Horizon Europe folder of link tables without its project
   table, a project table whose every row is refused or skipped — is refused, and nothing is stored
   (the served store, its manifest and ``var/imports`` are exactly as before);
2. the per-table summary accounts for every row: ``loaded + rejected + skipped == rows`` in the
   ImportResult, the manifest's ``files[]`` and the table ``kg import`` prints, and the skipped column
   adds up to the "skipped N row(s): reason" lines below it;
3. ``kg import remove SOURCE/NAME`` drops one import atomically, keeps the others, survives ``kg build``,
   makes the organisation registry forget what only that import brought, refuses an unknown name, and
   leaves the served store untouched when it fails.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

from conftest import run_kg
from kg.imports.artefacts import MANIFEST, REGISTRY, read_manifest
from kg.imports.context import ImportFailed, ImportResult
from kg.imports.pipeline import REBUILD_RATIO, remove_import, run_import
from kg.settings import Settings
from kg.store import releases
from test_import_helpers import BASE, HE, HEAD, count, erasmus_rows, fresh_var, read_csv, values, write_erasmus_csv, write_erasmus_xlsx, write_official_csv

HE_GRAPH = BASE + "graph/import/cordis/he"
PLATFORM = BASE + "graph/import/erasmus/platform"
CURATED = "2020-1-DE02-KA202-007701"  # data/projects: a curated record keyed by this grant number
KA1_2014 = "ErasmusPlus_KA1_2014_LearningMobilityOfIndividuals_Projects_Overview"
KA2 = "ErasmusPlus_KA2_CooperationForInnovationAndTheExchangeOfGoodPractices_Projects_Overview"


def settings(var: Path) -> Settings:
    return Settings(var_dir=var)


def snapshot(var: Path) -> dict[str, object]:
    """What must not change when an import or a removal is refused."""
    current = releases.current(var)
    assert current is not None
    manifest, registry = current / MANIFEST, current / REGISTRY
    imports = var / "imports"
    return {
        "current": current,
        "builds": [b.name for b in releases.builds(var)],
        "triples": count(var),
        "manifest": manifest.read_text(encoding="utf-8") if manifest.is_file() else None,
        "registry": hashlib.sha256(registry.read_bytes()).hexdigest() if registry.is_file() else None,
        "imports": sorted(str(p.relative_to(var)) for p in imports.rglob("*")) if imports.exists() else None,  # files and folders
    }


def refusal(proc) -> str:
    """The one line a refused command prints (stderr)."""
    lines = [line for line in proc.stderr.splitlines() if "refused:" in line]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def platform_xlsx(out: Path) -> list[Path]:
    """The 13 Project Results Platform rows as the platform exports them: one xlsx per programme."""
    out.mkdir(parents=True, exist_ok=True)
    return [write_erasmus_xlsx(out / f"{stem}.xlsx", row) for stem, row in erasmus_rows()]


def registry_origins(var: Path) -> set[str]:
    current = releases.current(var)
    assert current is not None
    db = sqlite3.connect(current / REGISTRY)
    try:
        return {o for table in ("org", "org_key", "city", "project", "concept") for (o,) in db.execute(f"SELECT DISTINCT origin FROM {table}")}
    finally:
        db.close()


# --------------------------------------------------------------------------- 1. no project: refused, nothing stored
def test_link_tables_without_their_project_table_are_refused_and_nothing_is_stored(seed_build: Path, tmp_path: Path):
    """The newcomer's command: ../shared/data/cordis-horizon-europe/ holds the big link tables (and the
    summaries) of the Horizon Europe export but not its project table. It used to "import" 0 projects
    and leave a 6,912-triple import behind; it is refused from the headers, before anything is read."""
    var = fresh_var(seed_build, tmp_path)
    before = snapshot(var)
    proc = run_kg("import", "cordis", str(HE), "--var-dir", str(var))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = refusal(proc)
    assert "no project table among" in line and "need the project table of the same export" in line and "nothing was imported" in line
    for table in ("legalBasis.xlsx", "topics.xlsx", "euroSciVoc.xlsx", "webLink.xlsx", "deliverables.xlsx", "summaries.xlsx"):
        assert table in line  # the files read
    assert "Imported" not in proc.stdout
    assert snapshot(var) == before


def test_a_project_table_whose_rows_are_all_refused_is_refused(seed_build: Path, tmp_path: Path):
    """A project table is there, but none of its rows makes a project (every id broken): refused after
    reading, the new build discarded; the rejects are reported, nothing is stored."""
    var = fresh_var(seed_build, tmp_path / "var")
    header, rows = read_csv(HEAD / "project_df_100.csv")
    broken = [[f"x{v}" if h == "id" else v for h, v in zip(header, r)] for r in rows[:3]]
    path = write_official_csv(tmp_path / "project.csv", header, broken)
    before = snapshot(var)
    with pytest.raises(ImportFailed) as caught:
        run_import(settings(var), "cordis", [path, HEAD / "organization_df_100.csv"], name="broken")
    message = str(caught.value)
    assert message.startswith("no project among the rows read (project.csv: 3 row(s), 3 rejected, 0 skipped")
    assert message.endswith("nothing was imported") and len(caught.value.rejects) == 3
    assert snapshot(var) == before


def test_an_export_of_curated_projects_only_is_refused(seed_build: Path, tmp_path: Path):
    """Every row of the Erasmus+ export is a project a curated record describes: valid, skipped, and so
    the input yields no project: refused, with the skip reason in the one line."""
    var = fresh_var(seed_build, tmp_path / "var")
    [(_, ka2)] = erasmus_rows(KA2)
    path = write_erasmus_csv(tmp_path / "export.csv", [dict(ka2, **{"Project Identifier": CURATED})])
    before = snapshot(var)
    proc = run_kg("import", "erasmus", str(path), "--var-dir", str(var))
    assert proc.returncode == 1
    line = refusal(proc)
    assert "no project among the rows read (export.csv: 1 row(s), 0 rejected, 1 skipped)" in line
    assert "projects: project is a curated record (data/projects/" in line and "nothing was imported" in line
    assert snapshot(var) == before


# --------------------------------------------------------------------------- 2. the summary's counts agree with its detail
def printed_tables(stdout: str) -> dict[str, dict[str, int]]:
    """The per-table summary `kg import` prints: file → rows, loaded, rejected, skipped."""
    tables = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if len(cells) == 8 and cells[2].isdigit():
            tables[cells[0]] = dict(zip(("rows", "loaded", "rejected", "skipped"), map(int, cells[2:6])))
    return tables


def printed_skips(stdout: str) -> dict[str, int]:
    """The "skipped N row(s): <kind>: <reason>" lines below it, summed by table kind."""
    kinds: dict[str, int] = {}
    for n, kind in re.findall(r"^skipped (\d+) row\(s\): ([^:]+):", stdout, re.M):
        kinds[kind] = kinds.get(kind, 0) + int(n)
    return kinds


def assert_counts_add_up(tables: list[dict], skips: dict[str, int]) -> None:
    for t in tables:
        assert t["loaded"] + t["rejected"] + t["skipped"] == t["rows"], t
    by_kind: dict[str, int] = {}
    for t in tables:
        by_kind[t["table"]] = by_kind.get(t["table"], 0) + t["skipped"]
    assert {k: n for k, n in by_kind.items() if n} == skips


def test_horizon_europe_sample_counts_add_up(seed_build: Path, tmp_path: Path):
    """The Horizon Europe sample — project and organization tables (100 projects) with every big xlsx
    link table (15k–38k rows of projects mostly not in the sample) and the topics table once more as
    the head-100 CSV (its rows repeat rows of topics.xlsx) — as `kg import` prints it: every row is
    loaded, rejected or skipped, and the skipped column is what the skip lines say."""
    var = fresh_var(seed_build, tmp_path)
    paths = [HEAD / "project_df_100.csv", HEAD / "organization_df_100.csv", HEAD / "topics_df_100.csv", *sorted(HE.glob("*.xlsx"))]
    proc = run_kg("import", "cordis", *map(str, paths), "--name", "he", "--var-dir", str(var), check=True)
    printed = printed_tables(proc.stdout)
    [entry] = read_manifest(releases.current(var))["imports"]
    files = {f["file"]: f for f in entry["files"]}
    assert set(printed) == set(files) == {p.name for p in paths} - {"summaries.xlsx"}  # summaries: recognised, not imported
    for name, f in files.items():
        assert printed[name] == {k: f[k] for k in ("rows", "loaded", "rejected", "skipped")}, name
    assert_counts_add_up(entry["files"], printed_skips(proc.stdout))
    assert entry["projects"] == 100
    assert printed["project_df_100.csv"] == {"rows": 100, "loaded": 100, "rejected": 0, "skipped": 0}
    # the 138 legal-basis rows of the sample's projects are loaded, the rest are other projects'
    assert printed["legalBasis.xlsx"] == {"rows": 20512, "loaded": 138, "rejected": 0, "skipped": 20512 - 138}
    # a topic row given twice (CSV and xlsx) is loaded once
    topics = printed["topics_df_100.csv"]["loaded"] + printed["topics.xlsx"]["loaded"]
    assert topics == 100 and printed["topics_df_100.csv"]["skipped"] + printed["topics.xlsx"]["skipped"] == 100 + 15341 - 100
    assert "topics: repeats a row already read for its project" in proc.stdout


def skips_by_kind(result: ImportResult) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for reason, n in result.skipped.items():
        kind = reason.split(":", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + n
    return kinds


def test_erasmus_sample_counts_add_up(seed_build: Path, tmp_path: Path):
    """The 13 platform xlsx exports and a CSV export with a curated project (skipped), a row without
    identifier (rejected) and two valid rows (loaded; the xlsx rows that state them again are
    rejected as duplicates): the ImportResult and the manifest agree, every row counted once."""
    var = fresh_var(seed_build, tmp_path / "var")
    [(_, ka1), (_, ka2)] = erasmus_rows(KA1_2014, KA2)
    export = write_erasmus_csv(
        tmp_path / "export.csv",
        [dict(ka2, **{"Project Identifier": CURATED}), ka1, dict(ka1, **{"Project Identifier": ""}), ka2],
    )
    result = run_import(settings(var), "erasmus", [export, *platform_xlsx(tmp_path / "xlsx")], name="platform")
    tables = [t.__dict__ for t in result.tables]
    assert_counts_add_up(tables, skips_by_kind(result))
    [entry] = read_manifest(releases.current(var))["imports"]
    assert entry["files"] == [{k: t[k] for k in ("file", "table", "rows", "loaded", "rejected", "skipped")} for t in tables]
    stats = {t.file: (t.rows, t.loaded, t.rejected, t.skipped) for t in result.tables}
    assert stats["export.csv"] == (4, 2, 1, 1)
    assert stats[f"{KA1_2014}.xlsx"] == stats[f"{KA2}.xlsx"] == (1, 0, 1, 0)  # already given in export.csv
    assert result.projects == 13 == sum(t.loaded for t in result.tables)
    assert sum(t.skipped for t in result.tables) == sum(result.skipped.values()) == 1


# --------------------------------------------------------------------------- 3. kg import remove
@pytest.fixture(scope="module")
def two(seed_build: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A var dir with two imports: the 13 platform rows (erasmus/platform), then the Horizon Europe
    head-100 project and organization tables (cordis/he); the counts along the way."""
    out = tmp_path_factory.mktemp("two")
    var = fresh_var(seed_build, out)
    seed = count(var)
    platform = run_import(settings(var), "erasmus", platform_xlsx(out / "xlsx"), name="platform")
    after_platform = count(var)
    he = run_import(settings(var), "cordis", [HEAD / "project_df_100.csv", HEAD / "organization_df_100.csv"], name="he")
    return {"var": var, "seed": seed, "after_platform": after_platform, "after_he": count(var), "platform": platform, "he": he}


def copy_of(two: dict, tmp_path: Path) -> Path:
    return fresh_var(two["var"], tmp_path)


def test_remove_drops_the_graph_keeps_the_others_and_survives_kg_build(two: dict, tmp_path: Path):
    var = copy_of(two, tmp_path)
    served = releases.current(var)
    platform_entry = next(e for e in read_manifest(served)["imports"] if e["graph"] == PLATFORM)
    proc = run_kg("import", "remove", "cordis/he", "--var-dir", str(var), check=True)
    assert "Removed cordis/he" in proc.stdout
    assert releases.current(var) != served  # a new release, promoted
    assert count(var) == two["after_platform"]  # as before that import
    assert count(var, HE_GRAPH) == 0 and count(var, PLATFORM) == two["platform"].graph_triples
    assert read_manifest(releases.current(var))["imports"] == [platform_entry]
    assert HE_GRAPH not in registry_origins(var)  # the registry forgot it
    listing = run_kg("import", "list", "--var-dir", str(var), check=True).stdout
    assert "erasmus" in listing and "cordis" not in listing
    run_kg("build", "--var-dir", str(var), check=True)
    assert count(var) == two["after_platform"] and count(var, HE_GRAPH) == 0
    assert count(var, PLATFORM) == two["platform"].graph_triples
    # its artefact goes once no kept build refers to it
    assert not (var / "imports" / "cordis" / "he").exists()


def test_remove_an_import_small_next_to_the_others(two: dict, tmp_path: Path):
    """The small import's graph is dropped from a checkpoint of the store (the other path of
    _prepare_build): the other import and the curated graphs stay as they were."""
    var = copy_of(two, tmp_path)
    decisions_graph = PLATFORM.replace("/graph/import/", "/graph/inferred/organisation-matches/")
    decisions = count(var, decisions_graph)  # its organisation-linking decisions: an inferred graph of their own
    assert decisions > 0
    removed = remove_import(settings(var), "erasmus", "platform")
    assert (removed.graph, removed.projects, removed.graph_triples) == (PLATFORM, 13, two["platform"].graph_triples)
    assert count(var) == removed.store_triples == two["after_he"] - two["platform"].graph_triples - decisions
    assert count(var, PLATFORM) == 0 and count(var, decisions_graph) == 0 and count(var, HE_GRAPH) == two["he"].graph_triples
    assert [e["graph"] for e in read_manifest(releases.current(var))["imports"]] == [HE_GRAPH]
    assert PLATFORM not in registry_origins(var)
    assert removed.forgotten["organisation"] + removed.handed_over.get("organisation", 0) == two["platform"].organisations_new
    assert removed.forgotten["project"] == 13


def test_remove_refuses_an_unknown_name_and_a_name_without_its_source(two: dict, tmp_path: Path):
    var = copy_of(two, tmp_path)
    before = snapshot(var)
    proc = run_kg("import", "remove", "cordis/nope", "--var-dir", str(var))
    assert proc.returncode == 1
    assert "no import cordis/nope; the imports are: cordis/he, erasmus/platform" in refusal(proc)
    proc = run_kg("import", "remove", "he", "--var-dir", str(var))
    assert proc.returncode == 1 and "name the import as SOURCE/NAME" in refusal(proc) and "cordis/he" in refusal(proc)
    assert snapshot(var) == before


def test_a_failed_remove_leaves_the_served_store_untouched(two: dict, tmp_path: Path):
    """Removing the large import builds the new store afresh from the other imports' artefacts; with
    the platform's artefact moved away that fails — and the served store, manifest, registry and
    artefacts are as they were, no build left behind. Put back, the removal goes through."""
    var = copy_of(two, tmp_path)
    entries = {e["graph"]: e for e in read_manifest(releases.current(var))["imports"]}
    assert entries[HE_GRAPH]["quads"] >= REBUILD_RATIO * entries[PLATFORM]["quads"]  # the fresh-store path
    artefact = var / entries[PLATFORM]["artefact"]
    moved = tmp_path / "moved.nq.gz"
    artefact.rename(moved)
    before = snapshot(var)
    proc = run_kg("import", "remove", "cordis/he", "--var-dir", str(var))
    assert proc.returncode == 1
    assert "another import's artefact is missing or altered" in refusal(proc)
    assert snapshot(var) == before
    moved.rename(artefact)
    run_kg("import", "remove", "cordis/he", "--var-dir", str(var), check=True)
    assert count(var) == two["after_platform"]


def test_a_removed_imports_organisations_do_not_link_later_imports(seed_build: Path, tmp_path: Path):
    """Import the platform rows, remove them, import them again under another name: the new import
    reaches the decisions of a first import (its organisations are its own, none merged into the removed
    import's, no merge recorded with a node no graph describes) — whereas importing them a third time,
    beside the second, merges into the second's organisations."""
    var = fresh_var(seed_build, tmp_path / "var")
    files = platform_xlsx(tmp_path / "xlsx")
    seed = count(var)
    first = run_import(settings(var), "erasmus", files, name="first")
    remove_import(settings(var), "erasmus", "first")
    assert count(var) == seed
    again = run_import(settings(var), "erasmus", files, name="again")
    assert (again.organisations_new, again.organisations_merged, again.matches) == (first.organisations_new, first.organisations_merged, first.matches)
    assert again.graph_triples == first.graph_triples
    matched = values(var, "SELECT ?o WHERE { ?m kg:matchedOrganisation ?o }", "o")
    described = values(var, "SELECT ?o WHERE { ?o a kg:Organisation }", "o")
    assert matched <= described
    beside = run_import(settings(var), "erasmus", files, name="beside")
    assert beside.organisations_new < again.organisations_new  # the registry does link imports that stay


def test_remove_needs_a_store(tmp_path: Path):
    with pytest.raises(ImportFailed, match="run `kg build` first"):
        remove_import(settings(tmp_path / "var"), "cordis", "he")

