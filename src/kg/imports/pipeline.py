"""The import pipeline: whole programme databases (CORDIS, Erasmus+) → one named graph per import.

``kg import cordis|erasmus PATH…`` runs :func:`run_import`:

1. find the tables in the paths (CSV, xlsx, zip; directories) and recognise each by its header;
2. read them row by row (:mod:`kg.imports.cordis`, :mod:`kg.imports.erasmus`), rejecting rows that
   cannot be read (``file:row:column: reason``), link organisations across sources
   (:mod:`kg.linking.organisations`) and map every record to RDF (:mod:`kg.mapping`) straight into a
   gzip N-Quads *artefact* — the import's whole graph ``{base}graph/import/<source>/<name>``;
3. with ``--strict`` any rejected row fails the import; by default the valid rows load and the
   rejects are written to ``var/rejects/<source>-<name>-<time>.csv``;
4. make the new release aside: a checkpoint of the current store (hard links, cheap at any size)
   made *before* reading starts, the import's graph dropped from it — or, when that old graph is
   large next to the other imports, a fresh store with the curated graphs copied and the other
   imports loaded from their artefacts (dropping a graph costs ~30 µs a quad, loading a few) —
   and the N-Quads bulk-loaded into
   it chunk by chunk *while* the rest is still being read and mapped (a second thread: Oxigraph's bulk
   loader releases the GIL; a bounded queue keeps memory flat); the organisation registry and the
   import manifest beside it — then promote it with the same atomic switch as ``kg build``
   (:mod:`kg.store.releases`). Re-importing the same name replaces that graph and nothing else; any
   failure (bad rows with ``--strict``, ``--validate``, errors, Ctrl-C) discards the new build, and
   the served store is never touched.

An input that yields no project is refused (:class:`ImportFailed`, nothing stored): tables that link
to projects without a project table among them from their headers, before a build is made; a project
table none of whose rows makes a project after reading, before promoting (the new build discarded).
Only vocabularies (:attr:`~kg.imports.context.Source.vocabulary_tables`, such as the H2020 reference
tables) make an import without projects.

``kg import remove <source>/<name>`` runs :func:`remove_import`: the same new release without the
import's graph (step 4), its manifest entry dropped and the organisation registry made to forget it,
validated and promoted the same way.

How imports live in the store (artefacts, manifest, lock): :mod:`kg.imports.artefacts`. What an
importer sees: :mod:`kg.imports.context`. Which importers exist: :mod:`kg.imports.registry`.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg.imports.artefacts import (
    IMPORTS_DIR,
    REGISTRY,
    REJECTS_DIR,
    Artefact,
    gc_artefacts,
    load_import,
    read_manifest,
    store_lock,
    write_manifest,
)
from kg.imports.context import (
    ImportContext,
    ImportFailed,
    ImportResult,
    Progress,
    Reject,
    RemovedImport,
)
from kg.imports.registry import importer
from kg.imports.tables import CellError, TableFile, open_tables
from kg.linking.organisations import OrganisationRegistry
from kg.mapping import (
    map_scheme_concepts,
    map_source_document,
    map_subject_concepts,
)
from kg.model.uris import Minter, matches_graph_of, slugify, suggestions_graph_of
from kg.readmodel import derive_release
from kg.settings import Settings
from kg.store import releases
from kg.store.base import StoreError
from kg.validation.incremental import Change, ShapesTooDeep, validate_change
from kg.validation.run import validate_store

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# Dropping a graph is a transactional delete (≈ 30 µs a quad: 26 s for a 10k-project CORDIS graph);
# bulk-loading costs a few µs a quad. So a re-import whose old graph is large next to the other imports
# starts from an empty store instead of a checkpoint (see _prepare_build).
REBUILD_RATIO = 0.25


def _prepare_build(var: Path, current: Path, build_dir: Path, graph: str) -> ox.Store:
    """The new build's store, holding everything the current one holds except ``graph``.

    Either a checkpoint of the current store (hard links, instant) with ``graph`` dropped — when it is
    absent or small — or, when the old ``graph`` is at least :data:`REBUILD_RATIO` of the other imports'
    quads, a fresh store with the current store's other graphs copied over (the curated graphs quad by
    quad, blank nodes kept; the other imports bulk-loaded from their checked artefacts)."""
    entries = read_manifest(current).get("imports", [])
    old = next((e for e in entries if e["graph"] == graph), None)
    others = [e for e in entries if e["graph"] != graph]
    if old is None or old.get("quads", 0) < REBUILD_RATIO * sum(e.get("quads", 0) for e in others):
        build_dir.rmdir()  # a checkpoint needs a directory that does not exist yet
        source_store = ox.Store.read_only(str(current))
        try:
            source_store.backup(str(build_dir))
        finally:
            del source_store
        store = ox.Store(str(build_dir))
        for name in (graph, matches_graph_of(graph), suggestions_graph_of(graph)):  # the import's graph, its inferred graphs
            node = ox.NamedNode(name)
            if store.contains_named_graph(node):
                store.remove_graph(node)
        return store
    imported = {g for e in entries for g in (e["graph"], matches_graph_of(e["graph"]), suggestions_graph_of(e["graph"]))}
    store = ox.Store(str(build_dir))
    failure: str | None = None
    try:
        source_store = ox.Store.read_only(str(current))
        try:
            graphs: list = [ox.DefaultGraph()]
            graphs += [g for g in source_store.named_graphs() if not (isinstance(g, ox.NamedNode) and g.value in imported)]
            for g in graphs:
                store.bulk_extend(source_store.quads_for_pattern(None, None, None, g))
        finally:
            del source_store
        for entry in others:
            load_import(store, var, entry)
    except StoreError as exc:
        failure = str(exc)  # raised below, once this exception (whose traceback holds the store) is gone
    except BaseException:
        del store  # closed before the build directory is discarded
        raise
    if failure is not None:
        del store  # the last reference: the store is closed before the build directory is discarded
        raise ImportFailed(f"another import's artefact is missing or altered: {failure}")
    return store


#: the incremental check is used when the changed graph is under 1/INCREMENTAL_BELOW of the store
#: (measured: re-checking a 2,000-project graph alone in its store took 36.8 s incrementally and 6.0 s
#: whole; the incremental cost follows the change, the whole-store cost the store)
INCREMENTAL_BELOW = 10


def _refuse_violations(
    settings: Settings,
    build_dir: Path,
    store_triples: int,
    progress: Progress | None,
    which: str,
    override: str,
    rejects: list[Reject] | None = None,
    rejects_path: Path | None = None,
    *,
    changed: str | None = None,
    previous: Path | None = None,
    changed_triples: int = 0,
) -> None:
    """Validate a new build (fast SHACL on disk); :class:`ImportFailed` naming the first violations
    when it does not conform (the build is then discarded by the caller).

    With ``changed`` (the graph the import or removal changed; ``previous``: the store before it)
    only what that change can affect is validated (:func:`kg.validation.incremental.validate_change`:
    the graph's focus nodes, the nodes pointing at them, what the rest of the store says about
    them) — the same results the whole store gives for those nodes, at the cost of the change; the
    rest was validated when it was promoted. Shapes that look further than that extract holds fall
    back to the whole store (``kg validate --store`` always checks the whole store).

    The incremental check reads its extract node by node (≈ 0.7 ms a node, docs/benchmarks.md), the
    whole-store one streams every quad: when the change (``changed_triples``, the larger of the
    graph before and after) is more than 1/INCREMENTAL_BELOW of the store, the whole store is checked,
    which is then the cheaper way to the same results."""
    report = None
    if changed is not None and changed_triples * INCREMENTAL_BELOW > store_triples:
        if progress:
            progress.note(f"the change ({changed_triples} triples) is a large part of the store: validating the whole store")
        changed = None
    if changed is not None:
        try:
            change = Change()
            report = validate_change(build_dir, settings.shapes_dir, changed, previous=previous, change=change)
            if progress:
                progress.note(
                    f"validated what the change touches with SHACL: {change.candidates} focus nodes, "
                    f"{change.extract_quads} quads read of {store_triples}"
                )
        except ShapesTooDeep as exc:
            if progress:
                progress.note(f"the shapes reach too far for an incremental check ({exc}); validating the whole store")
    if report is None:
        if progress:
            progress.note(f"validating the new store with SHACL ({store_triples} triples)")
        report = validate_store(build_dir, settings.shapes_dir)
    if not report.conforms:
        lines = "\n".join(str(r) for r in report.violations[:20])
        raise ImportFailed(
            f"SHACL: {len(report.violations)} violation(s) in the store {which}; "
            f"the store was left unchanged (use --no-validate to {override})\n{lines}",
            rejects,
            rejects_path,
        )


def _promote(var: Path, build_dir: Path, manifest: dict) -> None:
    """Finish a validated build as a release and make it the served one: its manifest, then its read
    model (derived from the finished store), then the atomic switch (an import and a removal alike)."""
    write_manifest(build_dir, manifest)
    derive_release(build_dir)
    releases.promote(var, build_dir)


def _drop_work(work: Path) -> None:
    """Remove a run's work directory, and ``imports/.work/`` and ``imports/`` when that leaves them empty."""
    shutil.rmtree(work, ignore_errors=True)
    for folder in (work.parent, work.parent.parent):
        with contextlib.suppress(OSError):  # not empty
            folder.rmdir()


def _entry_triples(build: Path | None, graph: str) -> int:
    """The triples the manifest of ``build`` records for the import graph ``graph`` (0: none)."""
    entries = read_manifest(build).get("imports", []) if build is not None else []
    return max((e.get("triples", 0) for e in entries if e["graph"] == graph), default=0)


def _graph_count(store: ox.Store, graph: str) -> int:
    result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert isinstance(result, ox.QuerySolutions)  # a SELECT query
    return int(next(iter(result))["n"].value)


def _no_project(ctx: ImportContext, project_tables: frozenset[str]) -> str:
    """Why an import that is not only vocabularies yielded no project: its project tables' counts."""
    tables = [t for t in ctx.tables if t.table in project_tables]
    counts = "; ".join(f"{t.file}: {t.rows} row(s), {t.rejected} rejected, {t.skipped} skipped" for t in tables)
    kinds = {t.table for t in tables}
    reasons = [f"{reason} ({n})" for reason, n in ctx.skipped.items() if reason.split(":", 1)[0] in kinds][:3]
    return (
        f"no project among the rows read ({counts})"
        + (f"; skipped: {'; '.join(reasons)}" if reasons else "")
        + "; nothing was imported"
    )


# --------------------------------------------------------------------------- the pipeline
def default_name(paths: list[Path]) -> str:
    """An import's name when none is given: the file's (or the directory's) name, slugged."""
    if len(paths) == 1:
        p = Path(paths[0])
        return slugify(p.name if p.is_dir() else p.stem)
    parents = {Path(p).resolve().parent for p in paths}
    if len(parents) == 1:
        return slugify(parents.pop().name)
    return slugify("-".join(Path(p).stem for p in paths))[:60]


def write_rejects(path: Path, rejects: Sequence[Reject], repairs: Sequence[Reject] = ()) -> None:
    """The import's report: one CSV row for every reject (a row not loaded), then one for every
    repair (a value changed and kept: ``--strip-control``). Nothing is capped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "row", "column", "reason"])
        for r in [*rejects, *repairs]:
            w.writerow([r.file, r.row, r.column, r.reason])


def run_import(
    settings: Settings,
    source: str,
    paths: list[Path],
    *,
    name: str | None = None,
    strict: bool = False,
    validate: bool = True,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the tables in ``paths`` as ``{base}graph/import/<source>/<name>`` (see the module docstring).

    Raises :class:`ImportFailed` (store untouched) when nothing can be imported — an input that yields
    no project, unless it is only vocabularies —, on ``strict`` with any rejected row, or when building
    the new release fails."""
    importer(source)  # an unknown source is refused before anything is read
    assert settings.var_dir is not None
    var = settings.var_dir
    name = name or default_name(paths)
    if not NAME_RE.match(name):
        raise ImportFailed(f"import name {name!r}: use lower-case letters, digits and hyphens")
    with store_lock(var):
        return _run_locked(settings, source, [Path(p) for p in paths], name, strict, validate, progress)


def _run_locked(
    settings: Settings, source: str, paths: list[Path], name: str, strict: bool, validate: bool, progress: Progress | None
) -> ImportResult:
    var = settings.var_dir
    assert var is not None
    started = time.perf_counter()
    current = releases.current(var)
    if current is None:
        raise ImportFailed(f"no store at {settings.store_path}: run `kg build` first")
    minter = Minter(settings.base_uri)
    graph = minter.graph(f"import/{source}/{name}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    # the tables, recognised by header
    try:
        tables = list(open_tables(paths))
    except (OSError, CellError) as exc:
        raise ImportFailed(f"cannot read the input: {exc}") from None
    if not tables:
        raise ImportFailed("no CSV or xlsx tables found in the paths given")
    recognised: list[tuple[TableFile, str]] = []
    skipped_tables: list[str] = []
    for table in tables:
        try:
            kind = importer(source).detect_table(table.header)
        except Exception as exc:
            raise ImportFailed(f"{table.name}: cannot read its header: {exc}") from None
        if kind is None:
            what = f"{table.name}: not a {source} table I know (header: {', '.join(table.header[:8])}{' …' if len(table.header) > 8 else ''})"
            if table.explicit:
                raise ImportFailed(what)
            skipped_tables.append(what + "; skipped")
            continue
        recognised.append((table, kind))
    if not recognised:
        raise ImportFailed("no " + source + " table among the files found: " + "; ".join(skipped_tables))
    kinds = {kind for _table, kind in recognised}
    reader = importer(source)
    if not kinds & reader.project_tables and not kinds <= reader.vocabulary_tables:
        # rows that link to projects and no project table: nothing could be loaded; say so before reading
        linked = [k for k in dict.fromkeys(kind for _table, kind in recognised) if k not in reader.vocabulary_tables]
        raise ImportFailed(
            f"no project table among {', '.join(t.name for t in tables)}: link tables ({', '.join(linked)}) "
            "need the project table of the same export; nothing was imported"
        )

    work = var / IMPORTS_DIR / ".work" / f"{stamp}-{secrets.token_hex(3)}"
    work.mkdir(parents=True)
    artefact_tmp = work / "graph.nq.gz"
    build_dir: Path | None = None
    final_artefact: Path | None = None
    promoted = False
    registry: OrganisationRegistry | None = None
    registry_closed = False
    writer: Artefact | None = None
    store: ox.Store | None = None
    ctx: ImportContext | None  # set to None in the finally below, to drop it
    try:
        # the new release, aside, made first, without this import's graph; the graph is bulk-loaded into
        # it while it is being mapped (see Artefact)
        build_dir = releases.new_build_dir(var)
        store = _prepare_build(var, current, build_dir, graph)

        # the registry: a copy of the current one, changed only in the new build
        registry_path = work / REGISTRY
        if (current / REGISTRY).is_file():
            shutil.copy2(current / REGISTRY, registry_path)
        registry = OrganisationRegistry(registry_path, origin=graph, run=f"{stamp}-{secrets.token_hex(4)}")
        writer = Artefact(artefact_tmp, store, lenient=True)
        ctx = ImportContext(
            settings=settings,
            source=source,
            name=name,
            graph=graph,
            work_dir=work,
            writer=writer,
            registry=registry,
            progress=progress,
        )
        for note in skipped_tables:
            ctx.note(note)
        # source documents: one per file, described once
        assert ctx.mapping.source_keys is not None  # an import's mapping context is made with them
        for table, _kind in recognised:
            key = f"{source}-{name}-{slugify(table.stem)}"
            n = 2
            while key in ctx.mapping.source_keys.values():
                key = f"{source}-{name}-{slugify(table.stem)}-{n}"
                n += 1
            ctx.mapping.source_keys[table.name] = key
            writer.write(map_source_document(key, ctx.mapping, graph, title=table.name, sha256=table.sha256()))

        importer(source)(ctx).run(recognised)

        ctx.concepts.settle()
        writer.write(map_scheme_concepts(ctx.concepts, ctx.mapping, graph))
        writer.write(map_subject_concepts(ctx.subjects.values(), ctx.mapping, graph))
        if progress:
            progress.note(f"loading the last of {writer.quads} quads for {graph}")
        writer.close()  # the rest of the graph written and loaded

        rejects_path = None
        if ctx.rejects or ctx.repairs:
            rejects_path = var / REJECTS_DIR / f"{source}-{name}-{stamp}-{secrets.token_hex(2)}.csv"
            write_rejects(rejects_path, ctx.rejects, ctx.repairs)
        if strict and ctx.rejects:
            files = sorted({r.file for r in ctx.rejects})
            raise ImportFailed(
                f"--strict: {len(ctx.rejects)} bad row(s) in {', '.join(files)}; the file is rejected and the store left unchanged",
                ctx.rejects,
                rejects_path,
            )
        if ctx.projects == 0 and not kinds <= reader.vocabulary_tables:
            raise ImportFailed(_no_project(ctx, reader.project_tables), ctx.rejects, rejects_path)
        if ctx.projects == 0 and not len(ctx.concepts) and not ctx.subjects:
            raise ImportFailed("nothing to import: no valid rows", ctx.rejects, rejects_path)
        registry.close(commit=True)
        registry_closed = True

        if progress:
            progress.note(f"finishing the new store ({writer.quads} quads for {graph})")
        store.flush()
        graph_triples = _graph_count(store, graph)
        store_triples = len(store)
        store = None  # closes it
        if validate:
            # what this import can affect — its graph's focus nodes and their neighbours in every graph,
            # on disk, with the fast SHACL engine; cross-import conflicts show here
            replaced = any(e["graph"] == graph for e in read_manifest(current).get("imports", []))
            _refuse_violations(
                settings, build_dir, store_triples, progress, "with this import", "load anyway", ctx.rejects, rejects_path,
                changed=graph, previous=current if replaced else None,
                changed_triples=max(graph_triples, _entry_triples(current, graph)),
            )

        digest = writer.sha256
        assert digest is not None
        final_dir = var / IMPORTS_DIR / source / name
        final_dir.mkdir(parents=True, exist_ok=True)
        final_artefact = final_dir / f"{digest[:16]}.nq.gz"
        if not final_artefact.exists():
            os.replace(artefact_tmp, final_artefact)
        shutil.copy2(registry_path, build_dir / REGISTRY)
        manifest = read_manifest(current)
        entries = [e for e in manifest.get("imports", []) if e["graph"] != graph]
        entries.append(
            {
                "source": source,
                "name": name,
                "graph": graph,
                "artefact": str(final_artefact.relative_to(var)),
                "sha256": digest,
                "quads": writer.quads,
                "triples": graph_triples,
                "projects": ctx.projects,
                "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "files": [
                    {"file": t.file, "table": t.table, "rows": t.rows, "loaded": t.loaded, "rejected": t.rejected, "skipped": t.skipped}
                    for t in ctx.tables
                ],
                "rejects": len(ctx.rejects),
            }
        )
        manifest["imports"] = sorted(entries, key=lambda e: e["graph"])
        _promote(var, build_dir, manifest)
        promoted = True
        releases.prune(var, keep=2)
        gc_artefacts(var)
        return ImportResult(
            source=source,
            name=name,
            graph=graph,
            projects=ctx.projects,
            tables=ctx.tables,
            rejects=ctx.rejects,
            skipped=dict(ctx.skipped),
            notes=ctx.notes,
            graph_triples=graph_triples,
            store_triples=store_triples,
            organisations_new=ctx.org_new,
            organisations_merged=ctx.org_merged,
            matches=ctx.matches,
            artefact=final_artefact,
            rejects_path=rejects_path,
            seconds=time.perf_counter() - started,
            repairs=ctx.repairs,
            sdg_suggestions=ctx.suggestions,
        )
    except ImportFailed:
        raise
    except (OSError, RuntimeError, ValueError, StoreError, sqlite3.Error) as exc:
        raise ImportFailed(f"import failed, the served store was left unchanged: {exc}") from exc
    finally:
        if registry is not None and not registry_closed:
            with contextlib.suppress(sqlite3.Error):
                registry.close(commit=False)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.abort()  # no-op once closed; else waits for a load in progress, loads nothing more
        writer = None
        ctx = None
        store = None  # the new build's store is closed before it may be discarded
        if not promoted:
            if build_dir is not None and build_dir.exists():
                releases.discard(build_dir)
            if final_artefact is not None:
                gc_artefacts(var)
        _drop_work(work)


# --------------------------------------------------------------------------- removing an import
def _forget(
    registry: OrganisationRegistry, graph: str, store: ox.Store, others: set[str], minter: Minter
) -> tuple[dict[str, int], dict[str, int]]:
    """Make the registry forget the import ``graph``, asking the new build's ``store`` (which no longer
    holds it) which remaining graph describes each entry: an import graph among ``others``, else the
    curated data (``seed``)."""
    uri_of: dict[str, Callable[[str], str]] = {
        "organisation": minter.organisation, "place": str, "concept": minter.programme, "project": minter.project_of_key,
    }

    def described_by(kind: str, key: str) -> str | None:
        graphs = {q.graph_name for q in store.quads_for_pattern(ox.NamedNode(uri_of[kind](key)), None, None, None)}
        if not graphs:
            return None
        imports = sorted(g.value for g in graphs if isinstance(g, ox.NamedNode) and g.value in others)
        return imports[0] if len(imports) == len(graphs) else "seed"

    return registry.forget(graph, described_by)


def remove_import(settings: Settings, source: str, name: str, *, validate: bool = True, progress: Progress | None = None) -> RemovedImport:
    """Remove the import ``<source>/<name>`` (``kg import remove``) as a re-import replaces one: a new
    release made aside without its graph (:func:`_prepare_build`: a checkpoint with the graph dropped,
    or a fresh store from the curated graphs and the other imports' artefacts), the manifest without
    its entry and the organisation registry without what it brought, validated, then promoted with the
    same atomic switch, under the same lock; its artefact is deleted once no kept build refers to it
    (:func:`~kg.imports.artefacts.gc_artefacts`). The served store's quads are never deleted in place.

    The registry forgets the import (:meth:`~kg.linking.organisations.OrganisationRegistry.forget`):
    the registry is copied into every build and read by every later import, so an organisation only
    the removed graph described would otherwise keep linking later imports — a merge into it, a
    match recorded against it, its facts winning over theirs — to a node no graph describes any more;
    and the project keys it claimed would stay refused to other sources. What a remaining graph still
    describes (an organisation another import merged into, a concept or city label it states) stays,
    handed over to that graph, so later imports keep reusing one node for one organisation.

    Raises :class:`ImportFailed` (store untouched) when there is no such import — naming the imports
    there are — or when building the new release fails (an artefact missing or altered, ``validate``
    and a SHACL violation, errors, Ctrl-C)."""
    assert settings.var_dir is not None
    with store_lock(settings.var_dir):
        return _remove_locked(settings, source, name, validate, progress)


def _remove_locked(settings: Settings, source: str, name: str, validate: bool, progress: Progress | None) -> RemovedImport:
    var = settings.var_dir
    assert var is not None
    started = time.perf_counter()
    current = releases.current(var)
    if current is None:
        raise ImportFailed(f"no store at {settings.store_path}: run `kg build` first")
    manifest = read_manifest(current)
    entries = manifest.get("imports", [])
    entry = next((e for e in entries if e["source"] == source and e["name"] == name), None)
    if entry is None:
        there = ", ".join(f"{e['source']}/{e['name']}" for e in entries)
        raise ImportFailed(f"no import {source}/{name}; " + (f"the imports are: {there}" if there else "there are no imports"))
    graph = entry["graph"]
    others = {e["graph"] for e in entries if e["graph"] != graph}

    work = var / IMPORTS_DIR / ".work" / f"remove-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"
    work.mkdir(parents=True)
    build_dir: Path | None = None
    promoted = False
    registry: OrganisationRegistry | None = None
    registry_closed = False
    store: ox.Store | None = None
    try:
        build_dir = releases.new_build_dir(var)
        if progress:
            progress.note(f"making the new store without <{graph}>")
        store = _prepare_build(var, current, build_dir, graph)

        registry_path = work / REGISTRY
        if (current / REGISTRY).is_file():
            shutil.copy2(current / REGISTRY, registry_path)
        registry = OrganisationRegistry(registry_path, origin=graph, run=f"remove-{secrets.token_hex(4)}")
        if progress:
            progress.note("forgetting what only this import brought (organisation registry)")
        # the URIs the import minted: under the base its graph has (whatever the base configured now)
        tail = f"graph/import/{source}/{name}"
        base = graph[: -len(tail)] if graph.endswith(tail) else settings.base_uri
        forgotten, handed_over = _forget(registry, graph, store, others, Minter(base))
        registry.close(commit=True)
        registry_closed = True

        store.flush()
        store_triples = len(store)
        store = None  # closes it
        if validate:
            _refuse_violations(
                settings, build_dir, store_triples, progress, "without this import", "remove it anyway", changed=graph, previous=current,
                changed_triples=entry.get("triples", 0),
            )
        shutil.copy2(registry_path, build_dir / REGISTRY)
        manifest["imports"] = [e for e in entries if e["graph"] != graph]
        _promote(var, build_dir, manifest)
        promoted = True
        releases.prune(var, keep=2)
        gc_artefacts(var)
        return RemovedImport(
            source=source,
            name=name,
            graph=graph,
            projects=entry.get("projects", 0),
            graph_triples=entry.get("triples", 0),
            store_triples=store_triples,
            forgotten=forgotten,
            handed_over=handed_over,
            artefact=var / entry["artefact"],
            seconds=time.perf_counter() - started,
        )
    except ImportFailed:
        raise
    except (OSError, RuntimeError, ValueError, StoreError, sqlite3.Error) as exc:
        raise ImportFailed(f"removing the import failed, the served store was left unchanged: {exc}") from exc
    finally:
        if registry is not None and not registry_closed:
            with contextlib.suppress(sqlite3.Error):
                registry.close(commit=False)
        store = None  # the new build's store is closed before it may be discarded
        if not promoted and build_dir is not None and build_dir.exists():
            releases.discard(build_dir)
        _drop_work(work)
