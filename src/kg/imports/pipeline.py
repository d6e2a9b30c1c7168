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

How imports live in the store: every build directory carries ``kg-imports.json`` (the manifest: which
artefact makes which import graph) and ``kg-registry.sqlite`` (organisations and the keys they are
known by). Artefacts are immutable, content-addressed files under ``var/imports/<source>/<name>/``.
``kg build`` (:func:`carry_over`) rebuilds the curated graphs and bulk-loads every artefact of the
current manifest into the new store, so imports survive rebuilds and a full rebuild costs one bulk
load per import. Imports and builds take the same lock (``var/.kg.lock``), so they never race.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import fcntl
import gzip
import hashlib
import json
import os
import queue
import re
import secrets
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from pydantic import ValidationError

from kg.settings import Settings
from kg.linking.countries import CountryTable, UnknownCountry
from kg.linking.organisations import Occurrence, OrganisationRegistry
from kg.linking.sdgs import SdgKos
from kg.mapping import (
    MappingContext,
    map_organisation_match,
    map_project,
    map_scheme_concepts,
    map_source_document,
    map_subject_concepts,
)
from kg.model.records import ProjectRecord, SchemeConcept, SubjectConcept
from kg.curated import RecordsInvalid, load_programme_scheme, load_projects
from kg.imports.tables import CellError, Row, TableFile, open_tables
from kg.store import releases
from kg.store.base import StoreError
from kg.model.uris import Minter, slugify
from kg.validation.reference import validate_store

COUNTRY_TABLE = Path("vocab/eu-authority/eu-op-country-skos-20221214-0.rdf")
SDG_KOS = Path("vocab/un-sdg/un-sdg-kos-goals-targets-indicators.ttl")
PROGRAMMES = Path("vocab/programmes.yaml")
PROJECTS = Path("projects")

MANIFEST = "kg-imports.json"
REGISTRY = "kg-registry.sqlite"
IMPORTS_DIR = "imports"
REJECTS_DIR = "rejects"
LOCK = ".kg.lock"
SOURCES = ("cordis", "erasmus")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CODE_LANGUAGE = "zxx"  # ISO 639-2 "no linguistic content": a concept's label that is only its code


# --------------------------------------------------------------------------- results and errors
@dataclass(frozen=True)
class Reject:
    """A row that was not loaded: where it is and why."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.reason}"


class Outcome(enum.Enum):
    """What :meth:`ImportContext.add_record` did with a project (a table's stats count it)."""

    LOADED = "loaded"
    SKIPPED = "skipped"  # valid, not loaded on purpose: a curated record has the project
    REJECTED = "rejected"  # with reject lines naming the row


@dataclass
class TableStats:
    """What happened to one table of an import."""

    file: str
    table: str
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: int = 0  # valid rows not loaded on purpose (a curated record has the project), see ImportResult.skipped
    seconds: float = 0.0
    advance: Callable[[int], None] = lambda n: None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


@dataclass
class ImportResult:
    source: str
    name: str
    graph: str
    projects: int
    tables: list[TableStats]
    rejects: list[Reject]
    skipped: dict[str, int]
    notes: list[str]
    graph_triples: int
    store_triples: int
    organisations_new: int
    organisations_merged: int
    matches: int
    artefact: Path
    rejects_path: Path | None
    seconds: float


class ImportFailed(Exception):
    """The import was refused or failed; the served store was not changed."""

    def __init__(self, message: str, rejects: list[Reject] | None = None, rejects_path: Path | None = None):
        super().__init__(message)
        self.rejects = rejects or []
        self.rejects_path = rejects_path


class Progress(Protocol):
    """What the pipeline reports to (the CLI draws Rich progress bars from it)."""

    def task(self, label: str, total: int | None) -> Callable[[int], None]: ...

    def done(self, label: str) -> None: ...

    def note(self, message: str) -> None: ...


# --------------------------------------------------------------------------- locking and manifests
@contextlib.contextmanager
def store_lock(var_dir: Path) -> Iterator[None]:
    """One writer of releases at a time (imports and builds)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(build_dir: Path | None) -> dict:
    if build_dir is None:
        return {"imports": []}
    path = Path(build_dir) / MANIFEST
    if not path.is_file():
        return {"imports": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _write_manifest(build_dir: Path, manifest: dict) -> None:
    tmp = build_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, build_dir / MANIFEST)


def list_imports(settings: Settings) -> list[dict]:
    """The imports the served store holds (from its manifest)."""
    assert settings.var_dir is not None
    return read_manifest(releases.current(settings.var_dir))["imports"]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


LOAD_CHUNK_BYTES = 64 << 20  # the bulk loader's memory grows with its input: feed it in slices


def _load_import(store: ox.Store, var: Path, entry: dict) -> None:
    """Bulk-load the artefact of one manifest entry after checking it is there and unchanged
    (:class:`~kg.store.base.StoreError` otherwise)."""
    path = var / entry["artefact"]
    if not path.is_file():
        raise StoreError(f"import {entry['graph']}: artefact {path} is missing; re-run the import")
    if _sha256_file(path) != entry["sha256"]:
        raise StoreError(f"import {entry['graph']}: artefact {path} was altered (checksum differs)")
    _load_artefact(store, path)


def _load_artefact(store: ox.Store, path: Path) -> None:
    """Bulk-load a gzip N-Quads artefact in slices of whole lines (N-Quads has one statement per line),
    so the loader's memory stays bounded whatever the artefact's size."""
    with gzip.open(path, "rb") as stream:
        while True:
            chunk = stream.read(LOAD_CHUNK_BYTES)
            if not chunk:
                break
            if not chunk.endswith(b"\n"):
                chunk += stream.readline()
            store.bulk_load(input=chunk, format=ox.RdfFormat.N_QUADS)


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
        node = ox.NamedNode(graph)
        if store.contains_named_graph(node):
            store.remove_graph(node)
        return store
    imported = {e["graph"] for e in entries}
    store = ox.Store(str(build_dir))
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
            _load_import(store, var, entry)
    except StoreError as exc:
        del store  # closed before the build directory is discarded
        raise ImportFailed(f"another import's artefact is missing or altered: {exc}") from None
    except BaseException:
        del store  # closed before the build directory is discarded
        raise
    return store


def _graph_count(store: ox.Store, graph: str) -> int:
    result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(result))["n"].value)  # type: ignore[index, call-overload]


def carry_over(settings: Settings, build_dir: Path, *, progress: Callable[[str], None] | None = None) -> int:
    """Put the current release's imports into a new build (``kg build``): bulk-load each artefact of the
    current manifest, copy the registry and the manifest. Returns the number of imports carried over;
    raises :class:`~kg.store.base.StoreError` if an artefact is missing or altered (the build then fails)."""
    assert settings.var_dir is not None
    current = releases.current(settings.var_dir)
    manifest = read_manifest(current)
    entries = manifest.get("imports", [])
    if current is not None and (current / REGISTRY).is_file():
        shutil.copy2(current / REGISTRY, build_dir / REGISTRY)
    if not entries:
        return 0
    store = ox.Store(str(build_dir))
    try:
        for entry in entries:
            if progress:
                progress(f"loading import {entry['source']}/{entry['name']} ({entry['quads']} quads)")
            _load_import(store, settings.var_dir, entry)
        store.flush()
    finally:
        del store
    _write_manifest(build_dir, manifest)
    return len(entries)


def gc_artefacts(var_dir: Path) -> list[Path]:
    """Remove artefacts no remaining build refers to."""
    referenced = set()
    for build in releases.builds(var_dir):
        for entry in read_manifest(build).get("imports", []):
            referenced.add((var_dir / entry["artefact"]).resolve())
    removed = []
    root = var_dir / IMPORTS_DIR
    if root.is_dir():
        for path in root.glob("*/*/*.nq.gz"):
            if path.resolve() not in referenced:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


# --------------------------------------------------------------------------- concepts an import brings
class ConceptBook:
    """Programme-scheme concepts defined by an import (written once, at the end of the import).

    The first definition of an id wins, except that a label which is only the code (no title known
    yet) gives way to a title."""

    def __init__(self, mapping_ids: set[str], registry: OrganisationRegistry | None = None):
        self._concepts: dict[str, SchemeConcept] = {}
        self._code_label: set[str] = set()
        self._ids = mapping_ids  # the mapping context's known concept ids (curated + these)
        self._registry = registry

    def define(self, concept: SchemeConcept, *, label_is_code: bool = False) -> None:
        known = self._concepts.get(concept.id)
        if known is None:
            self._concepts[concept.id] = known = concept
            if label_is_code:
                self._code_label.add(concept.id)
            self._ids.add(concept.id)
        else:
            if concept.id in self._code_label and not label_is_code:
                known.label = concept.label
                self._code_label.discard(concept.id)
            if known.broader is None and concept.broader is not None:
                known.broader = concept.broader

    def settle(self) -> None:
        """Give every concept the title and broader concept other imports already state for it (so the
        union of the graphs has one of each), registering the ones first stated here.

        A concept whose only label is its code states it as ``"CODE"@zxx`` (no linguistic content) — a
        title, in this import or a later one, is stated ``@en`` — so the union of the graphs never has
        two English preferred labels for one concept."""
        for c in self._concepts.values():
            if self._registry is not None:
                title = None if c.id in self._code_label else (c.label if isinstance(c.label, str) else None)
                label, broader = self._registry.concept(c.id, title, c.broader)
                if label is not None:
                    c.label = label
                    self._code_label.discard(c.id)
                if broader is not None and (broader in self._concepts or broader in self._ids):
                    c.broader = broader
            if c.id in self._code_label and isinstance(c.label, str):
                c.label = {CODE_LANGUAGE: c.label}

    def __iter__(self) -> Iterator[SchemeConcept]:
        return iter(self._concepts.values())

    def __len__(self) -> int:
        return len(self._concepts)


class _Journal(set):
    """A set that remembers what was added since :meth:`mark` (to undo a rejected record's additions)."""

    def __init__(self) -> None:
        super().__init__()
        self.added: list[str] = []

    def add(self, item: str) -> None:  # type: ignore[override]
        if item not in self:
            self.added.append(item)
        super().add(item)

    def mark(self) -> None:
        self.added = []

    def undo(self) -> None:
        for item in self.added:
            self.discard(item)
        self.added = []


class _CachedCountries:
    """A :class:`CountryTable` whose answers are remembered (an export repeats a few hundred country
    texts millions of times); texts that do not resolve raise every time, as the table does."""

    def __init__(self, table: CountryTable):
        self._table = table
        self._resolved: dict[str, str] = {}
        self._alpha2: dict[str, str | None] = {}
        self._alpha3: dict[str, str | None] = {}

    def resolve(self, text: str) -> str:
        uri = self._resolved.get(text)
        if uri is None:
            uri = self._table.resolve(text)
            if len(self._resolved) < 100_000:
                self._resolved[text] = uri
        return uri

    def alpha2(self, uri: str) -> str | None:
        try:
            return self._alpha2[uri]
        except KeyError:
            code = self._alpha2[uri] = self._table.alpha2(uri)
            return code

    def alpha3(self, uri: str) -> str | None:
        try:
            return self._alpha3[uri]
        except KeyError:
            code = self._alpha3[uri] = self._table.alpha3(uri)
            return code

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._table, name)


# --------------------------------------------------------------------------- the context sources see
class ImportContext:
    """What a source module uses while reading: country resolution, concepts, rejects, and
    :meth:`add_record` (organisation linking → mapping → artefact)."""

    def __init__(
        self,
        *,
        settings: Settings,
        source: str,
        name: str,
        graph: str,
        work_dir: Path,
        writer: "_Artefact",
        registry: OrganisationRegistry,
        progress: Progress | None,
    ):
        data = settings.data_dir
        assert data is not None
        self.settings = settings
        self.source = source
        self.name = name
        self.graph = graph
        self.work_dir = work_dir
        self.writer = writer
        self.registry = registry
        self.progress = progress
        self.minter = Minter(settings.base_uri)
        self.countries = _CachedCountries(CountryTable.from_file(data / COUNTRY_TABLE))
        self.scheme = load_programme_scheme(data / PROGRAMMES)
        self.curated_concept_ids = frozenset(c.id for c in self.scheme.concepts)
        self.described = _Journal()
        self.mapping = MappingContext(
            minter=self.minter,
            countries=self.countries,
            sdgs=SdgKos.from_file(data / SDG_KOS),
            scheme=self.scheme,
            data_dir=data,
            include_personal_data=settings.include_personal_data,
            graph=graph,
            source_keys={},
            described=self.described,
            plain_place_labels=True,
            text_output=True,
        )
        self.concepts = ConceptBook(self.mapping.concept_ids, registry)
        self.subjects: dict[tuple[str, str], SubjectConcept] = {}
        self.rejects: list[Reject] = []
        self.skipped: Counter[str] = Counter()
        self.notes: list[str] = []
        self.tables: list[TableStats] = []
        self.projects = 0
        self.org_new = 0
        self.org_merged = 0
        self.matches = 0
        self._match_pairs: set[tuple] = set()
        self._merged_ids: set[str] = set()
        try:
            curated = load_projects(data / PROJECTS)
        except RecordsInvalid as exc:  # else curated precedence and organisation seeding would silently stop
            raise ImportFailed(f"{data / PROJECTS} is invalid, run `kg validate`: {exc}") from None
        self.curated_keys = {self.minter.project_key(r): f"data/projects/{p.name}" for p, r in curated}
        registry.register_seed((r for _, r in curated), self._resolve_or_none)

    # ------------------------------------------------------------------ reporting
    def note(self, message: str) -> None:
        self.notes.append(message)
        if self.progress:
            self.progress.note(message)

    def reject(self, file: str, row: int, column: str, reason: str) -> None:
        self.rejects.append(Reject(file, row, column or "-", reason))

    def reject_invalid(self, file: str, row: int, exc: ValidationError) -> None:
        """A record the model refuses (pydantic), as rejects naming the record field."""
        for err in exc.errors(include_url=False):
            loc = ".".join(str(x) for x in err["loc"]) or "-"
            msg = err["msg"].removeprefix("Value error, ")
            self.reject(file, row, loc, msg)

    def read_rows(self, table: TableFile, stats: TableStats, read: Callable[[Row], object]) -> Iterator[tuple[Row, object]]:
        """The rows of ``table`` with what ``read`` makes of each; a row ``read`` refuses (a
        :class:`CellError`, or a record the model refuses) is counted in ``stats``, reported as a
        reject naming file, row and column, and left out."""
        for row in table.rows(progress=stats.advance):
            stats.rows += 1
            try:
                out = read(row)
            except CellError as exc:
                stats.rejected += 1
                self.reject(table.name, row.number, exc.column, exc.reason)
                continue
            except ValidationError as exc:
                stats.rejected += 1
                self.reject_invalid(table.name, row.number, exc)
                continue
            yield row, out

    def skip(self, table: str, n: int, reason: str) -> None:
        self.skipped[f"{table}: {reason}"] += n

    @contextlib.contextmanager
    def reading(self, table: TableFile, kind: str) -> Iterator[TableStats]:
        stats = TableStats(file=table.name, table=kind)
        label = f"{table.name} ({kind})"
        if self.progress:
            stats.advance = self.progress.task(label, table.total_units())
        start = time.perf_counter()
        try:
            yield stats
        finally:
            stats.seconds = time.perf_counter() - start
            self.tables.append(stats)
            if self.progress:
                self.progress.done(label)

    # ------------------------------------------------------------------ values
    def _resolve_or_none(self, text: str) -> str | None:
        try:
            return self.countries.resolve(text)
        except UnknownCountry:
            return None

    def resolve_country(self, column: str, text: str) -> str:
        """The EU authority URI for what a cell says (EL, UK, ITA, names), or :class:`CellError`."""
        try:
            return self.countries.resolve(text)
        except UnknownCountry as exc:
            raise CellError(column, str(exc)) from None

    def source_key(self, table_name: str) -> str:
        return self.mapping.source_keys[table_name]  # type: ignore[index]

    def add_subject_concepts(self, concepts: Iterable[SubjectConcept]) -> None:
        for c in concepts:
            self.subjects.setdefault((c.scheme, c.code), c)

    # ------------------------------------------------------------------ records
    def add_record(self, record: ProjectRecord, file: str, row: int, parts: list[tuple[str, int]] | None = None) -> Outcome:
        """Link, map and write one project; SKIPPED (with a skip note) or REJECTED (with reject lines)
        when it is not loaded."""
        key = self.minter.project_key(record)
        if key in self.curated_keys:
            self.skip(self.source, 1, f"project is a curated record ({self.curated_keys[key]}), which takes precedence")
            return Outcome.SKIPPED
        other = self.registry.claim_project(key, self.source)
        if other is not None:
            self.reject(file, row, "-", f"project key {key} is already used by another source's import ({other})")
            return Outcome.REJECTED
        organisations = []
        matches = []
        used: Counter[str] = Counter()
        parts = parts or []
        for i, org in enumerate(record.organisations):
            where = f"{parts[i][0]}:{parts[i][1]}" if i < len(parts) else f"{file}:{row}"
            country = self._resolve_or_none(org.country) if org.country else None
            alpha2 = self.countries.alpha2(country) if country else None
            city = org.city if country else None
            if city:
                alpha3 = self.countries.alpha3(country) or country.rsplit("/", 1)[-1]  # type: ignore[union-attr]
                city = self.registry.city_label(self.minter.place(alpha3, city), city)
            facts = {
                "legal_name": org.name,
                "short_name": org.short_name,
                "organisation_type": org.organisation_type,
                "country": country,
                "city": city,
                "street": org.street,
                "post_code": org.post_code,
                "region": org.region,
                "nuts_code": org.nuts_code,
                "latitude": str(org.latitude) if org.latitude is not None else None,
                "longitude": str(org.longitude) if org.longitude is not None else None,
                "sme": None if org.sme is None else str(org.sme).lower(),
                "pic": org.identifiers.get("pic") or org.identifiers.get("cordis"),
                "vat": org.identifiers.get("vat"),
            }
            occ = Occurrence(
                name=org.name,
                country=country,
                country_code=alpha2,
                city=city,
                pic=facts["pic"],
                facts={k: v for k, v in facts.items() if v},
                location=where,
                project_key=key,
            )
            res = self.registry.resolve(occ)
            omit = res.omit
            update: dict[str, object] = {
                "id": res.id,
                "name": res.label,
                "legal_name_stated": "legal_name" not in omit and res.label == org.name,
                "alt_names": res.alt_names,
                "city": None if ("city" in omit or "country" in omit) else city,
                "country": None if "country" in omit else org.country,
            }
            for fact, attr in (
                ("short_name", "short_name"),
                ("organisation_type", "organisation_type"),
                ("street", "street"),
                ("post_code", "post_code"),
                ("region", "region"),
                ("nuts_code", "nuts_code"),
                ("sme", "sme"),
            ):
                if fact in omit:
                    update[attr] = None
            if "latitude" in omit or "longitude" in omit:
                update["latitude"] = update["longitude"] = None
            identifiers = dict(org.identifiers)
            if "pic" in omit:
                identifiers.pop("pic", None)
                identifiers.pop("cordis", None)
            if "vat" in omit:
                identifiers.pop("vat", None)
            update["identifiers"] = identifiers
            used[res.id] += 1
            if used[res.id] > 1:  # the same organisation twice in one project (two roles)
                update["participation_id"] = f"{res.id}-{used[res.id]}"
            organisations.append(org.model_copy(update=update))
            if res.new:
                self.org_new += 1
            elif any(m.merged for m in res.matches) and res.id not in self._merged_ids:
                self._merged_ids.add(res.id)
                self.org_merged += 1
            matches.extend((m, where) for m in res.matches)
        record = record.model_copy(update={"organisations": organisations})

        errors_before = len(self.mapping.errors)
        self.described.mark()
        _, quads = map_project(Path(file), record, self.mapping)
        if len(self.mapping.errors) > errors_before:
            self.described.undo()
            for err in self.mapping.errors[errors_before:]:
                self.reject(file, row, err.field or "-", err.message)
            del self.mapping.errors[errors_before:]
            return Outcome.REJECTED
        self.writer.write(quads)
        source_key = self.mapping.source_keys.get(file)  # type: ignore[union-attr]
        for m, where in matches:
            pair = (m.organisation, m.other, m.rule, m.merged, m.stated_name)
            if pair in self._match_pairs:
                continue  # the same decision again (an organisation in many projects of one file)
            self._match_pairs.add(pair)
            loc_file = where.rsplit(":", 1)[0]
            self.writer.write(map_organisation_match(m, self.mapping, self.graph, self.mapping.source_keys.get(loc_file, source_key)))  # type: ignore[union-attr]
            self.matches += 1
        self.projects += 1
        return Outcome.LOADED


class _HashingFile:
    """A binary file that hashes (SHA-256) what is written to it."""

    def __init__(self, path: Path):
        self.file = open(path, "wb")
        self.digest = hashlib.sha256()

    def write(self, data) -> int:  # type: ignore[no-untyped-def]
        self.digest.update(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()


ARTEFACT_CHUNK_BYTES = 32 << 20  # N-Quads handed to the loader at a time (whole lines)
ARTEFACT_QUEUE = 2  # chunks waiting for the loader: bounds the memory mapping can run ahead with
ARTEFACT_COMPRESSLEVEL = 1


class _Artefact:
    """The import's graph as gzip N-Quads, written as records are mapped.

    Mapping hands it N-Quads lines; they are gathered into chunks of whole lines, and a second thread
    gzips each chunk into the artefact and — when a ``store`` is given — bulk-loads it into the new
    build at once (Oxigraph's bulk loader and zlib release the GIL, so loading runs on the second core
    while mapping goes on). The queue between the two is bounded, so memory stays flat."""

    def __init__(
        self, path: Path, store: ox.Store | None = None, *, chunk_bytes: int = ARTEFACT_CHUNK_BYTES, lenient: bool = False
    ):
        self.path = path
        self.lenient = lenient
        self._file = _HashingFile(path)
        self.stream = gzip.GzipFile(filename=str(path), mode="wb", compresslevel=ARTEFACT_COMPRESSLEVEL, fileobj=self._file)  # type: ignore[arg-type]
        self.store = store
        self.quads = 0
        self.sha256: str | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._chunk_bytes = chunk_bytes
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=ARTEFACT_QUEUE)
        self._error: BaseException | None = None
        self._abort = False
        self._closed = False
        self._thread = threading.Thread(target=self._consume, name="kg-import-loader", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the mapping side
    def write(self, quads: list[str] | list[ox.Quad]) -> None:
        if not quads:
            return
        if isinstance(quads[0], str):
            data = "".join(quads).encode("utf-8")  # type: ignore[arg-type]
        else:
            data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""  # type: ignore[arg-type]
        self.quads += len(quads)
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self._chunk_bytes:
            # fixed-size chunks: measured at 100k CORDIS projects, loading in 32 MiB calls costs the same
            # CPU as one raw `oxigraph load` (91 s vs 89 s); chunks growing to 128 MiB cost more (102 s)
            self._hand_over()

    def _hand_over(self) -> None:
        if self._parts:
            chunk = b"".join(self._parts)
            self._parts, self._size = [], 0
            self._put(chunk)

    def _put(self, item: bytes | None) -> None:
        while True:
            if self._error is not None:
                raise self._error
            if not self._thread.is_alive():
                if item is None:
                    return
                raise RuntimeError("the loader of the new build stopped before the import's graph was written")
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Write (and load) what is left and wait for the loader; re-raises the loader's error."""
        if self._closed:
            return
        self._closed = True
        try:
            self._hand_over()
            self._put(None)
            self._thread.join()
            if self._error is not None:
                raise self._error
        finally:
            self._finish()

    def abort(self) -> None:
        """Stop without loading what is queued (the import failed); waits for a load in progress."""
        if self._closed and not self._thread.is_alive() and self.stream.closed:
            return
        self._abort = True
        self._closed = True
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.2)
                break
            except queue.Full:
                continue
        self._thread.join()
        self._finish()

    def _finish(self) -> None:
        self.store = None
        if not self.stream.closed:
            self.stream.close()
        self._file.close()
        self.sha256 = self._file.digest.hexdigest()

    # ------------------------------------------------------------------ the loader thread
    def _consume(self) -> None:
        try:
            while True:
                chunk = self._queue.get()
                if chunk is None or self._abort:
                    return
                self.stream.write(chunk)
                if self.store is not None:
                    # lenient: the lines were made by kg.mapping.LineSink, which has checked every IRI and
                    # language tag (pyoxigraph's own checks) the first time it met it
                    self.store.bulk_load(input=chunk, format=ox.RdfFormat.N_QUADS, lenient=self.lenient)
        except BaseException as exc:  # noqa: BLE001 - handed to the mapping side
            self._error = exc


# --------------------------------------------------------------------------- the pipeline
def _detect(source: str, table: TableFile) -> str | None:
    if source == "cordis":
        from kg.imports.cordis import detect_table
    else:
        from kg.imports.erasmus import detect_table
    return detect_table(table.header)


def default_name(paths: list[Path]) -> str:
    """An import's name when none is given: the file's (or the directory's) name, slugged."""
    if len(paths) == 1:
        p = Path(paths[0])
        return slugify(p.name if p.is_dir() else p.stem)
    parents = {Path(p).resolve().parent for p in paths}
    if len(parents) == 1:
        return slugify(parents.pop().name)
    return slugify("-".join(Path(p).stem for p in paths))[:60]


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "row", "column", "reason"])
        for r in rejects:
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

    Raises :class:`ImportFailed` (store untouched) when nothing can be imported, on ``strict`` with
    any rejected row, or when building the new release fails."""
    if source not in SOURCES:
        raise ImportFailed(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
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
            kind = _detect(source, table)
        except Exception as exc:  # noqa: BLE001 - a corrupt file of any kind
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

    work = var / IMPORTS_DIR / ".work" / f"{stamp}-{secrets.token_hex(3)}"
    work.mkdir(parents=True)
    artefact_tmp = work / "graph.nq.gz"
    build_dir: Path | None = None
    final_artefact: Path | None = None
    promoted = False
    registry: OrganisationRegistry | None = None
    registry_closed = False
    writer: _Artefact | None = None
    store: ox.Store | None = None
    try:
        # the new release, aside, made first, without this import's graph; the graph is bulk-loaded into
        # it while it is being mapped (see _Artefact)
        build_dir = releases.new_build_dir(var)
        store = _prepare_build(var, current, build_dir, graph)

        # the registry: a copy of the current one, changed only in the new build
        registry_path = work / REGISTRY
        if (current / REGISTRY).is_file():
            shutil.copy2(current / REGISTRY, registry_path)
        registry = OrganisationRegistry(registry_path, origin=graph, run=f"{stamp}-{secrets.token_hex(4)}")
        writer = _Artefact(artefact_tmp, store, lenient=True)
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
        for table, _kind in recognised:
            key = f"{source}-{name}-{slugify(table.stem)}"
            n = 2
            while key in ctx.mapping.source_keys.values():  # type: ignore[union-attr]
                key = f"{source}-{name}-{slugify(table.stem)}-{n}"
                n += 1
            ctx.mapping.source_keys[table.name] = key  # type: ignore[index]
            writer.write(map_source_document(key, ctx.mapping, graph, title=table.name, sha256=table.sha256()))

        if source == "cordis":
            from kg.imports.cordis import CordisImport

            CordisImport(ctx).run(recognised)
        else:
            from kg.imports.erasmus import ErasmusImport

            ErasmusImport(ctx).run(recognised)

        ctx.concepts.settle()
        writer.write(map_scheme_concepts(ctx.concepts, ctx.mapping, graph))
        writer.write(map_subject_concepts(ctx.subjects.values(), ctx.mapping, graph))
        if progress:
            progress.note(f"loading the last of {writer.quads} quads for {graph}")
        writer.close()  # the rest of the graph written and loaded

        rejects_path = None
        if ctx.rejects:
            rejects_path = var / REJECTS_DIR / f"{source}-{name}-{stamp}-{secrets.token_hex(2)}.csv"
            write_rejects(rejects_path, ctx.rejects)
        if strict and ctx.rejects:
            files = sorted({r.file for r in ctx.rejects})
            raise ImportFailed(
                f"--strict: {len(ctx.rejects)} bad row(s) in {', '.join(files)}; the file is rejected and the store left unchanged",
                ctx.rejects,
                rejects_path,
            )
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
            # the whole new store — curated graphs, every import, this one — as the union of its graphs,
            # on disk, with the fast SHACL engine; cross-import conflicts show here
            if progress:
                progress.note(f"validating the new store with SHACL ({store_triples} triples)")
            report = validate_store(build_dir, settings.shapes_dir)
            if not report.conforms:
                lines = "\n".join(str(r) for r in report.violations[:20])
                raise ImportFailed(
                    f"SHACL: {len(report.violations)} violation(s) in the store with this import; "
                    f"the store was left unchanged (use --no-validate to load anyway)\n{lines}",
                    ctx.rejects,
                    rejects_path,
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
        _write_manifest(build_dir, manifest)

        releases.promote(var, build_dir)
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
        ctx = None  # type: ignore[assignment]
        store = None  # the new build's store is closed before it may be discarded
        if not promoted:
            if build_dir is not None and build_dir.exists():
                releases.discard(build_dir)
            if final_artefact is not None:
                gc_artefacts(var)
        shutil.rmtree(work, ignore_errors=True)
