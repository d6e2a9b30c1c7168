"""What an importer works with: :class:`ImportContext` (country resolution, concepts, rejects and
:meth:`ImportContext.add_record`: organisation linking → mapping → artefact), the result and error
types of an import, and the :class:`Source` protocol every importer implements (see
:mod:`kg.imports.registry`).
"""

from __future__ import annotations

import contextlib
import enum
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import ValidationError

from kg.curated import load_programme_scheme, load_projects
from kg.imports.artefacts import Artefact
from kg.imports.tables import CellError, Row, TableFile, find_control, strip_control
from kg.linking.countries import CountryTable, UnknownCountry
from kg.linking.organisations import Occurrence, OrganisationRegistry
from kg.linking.reviews import load_reviews, reviews_path
from kg.linking.sdg_queries import Matcher, default_matcher
from kg.linking.sdg_suggestions import record_texts, suggestion_quads
from kg.linking.sdgs import SdgKos
from kg.mapping import (
    MappingContext,
    map_matches_graph,
    map_organisation_match,
    map_project,
)
from kg.model.errors import RecordsInvalid
from kg.model.records import PIC_KEYS, OrganisationMatch, ProjectRecord, SchemeConcept, SubjectConcept
from kg.model.uris import Minter, matches_graph_of, suggestions_graph_of
from kg.settings import Settings

CODE_LANGUAGE = "zxx"  # ISO 639-2 "no linguistic content": a concept's label that is only its code

_Read = TypeVar("_Read")  # what a source makes of a row (ImportContext.read_rows)


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
    SKIPPED = "skipped"  # valid, not loaded on purpose (a curated record has the project …), with a skip note
    REJECTED = "rejected"  # with reject lines naming the row


@dataclass
class TableStats:
    """What happened to one table of an import: every row read is counted once, as loaded, rejected
    (with reject lines) or skipped (with a skip note, :meth:`ImportContext.skip`), so
    ``loaded + rejected + skipped == rows``."""

    file: str
    table: str
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: int = 0  # valid rows not loaded on purpose (a curated record has the project …), see ImportResult.skipped
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
    rejects_path: Path | None  # the report: every reject, then every repair (one CSV row each)
    seconds: float
    repairs: list[Reject] = field(default_factory=list)  # values changed but kept (``strip_control``)
    sdg_suggestions: int = 0  # suggested SDG targets written into the import's inferred suggestions graph


@dataclass
class RemovedImport:
    """What ``kg import remove`` did (:func:`kg.imports.pipeline.remove_import`)."""

    source: str
    name: str
    graph: str
    projects: int  # the removed import's, from its manifest entry
    graph_triples: int
    store_triples: int  # the new store's
    forgotten: dict[str, int]  # registry entries forgotten, by kind (organisations, places, concepts, projects)
    handed_over: dict[str, int]  # registry entries another graph still describes, now that graph's
    artefact: Path
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


class _Journal(set[str]):
    """A set that remembers what was added since :meth:`mark` (to undo a rejected record's additions)."""

    def __init__(self) -> None:
        super().__init__()
        self.added: list[str] = []

    def add(self, item: str) -> None:
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

    def __getattr__(self, name: str) -> Any:
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
        writer: Artefact,
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
        self.matches_graph = matches_graph_of(graph)  # organisation-linking decisions: an inferred graph of their own
        # SDG suggestions for the imported projects (the Aurora queries, as kg build makes them for the
        # curated ones): an inferred graph of their own, removed with the import; never kg:sdg
        self.suggestions_graph = suggestions_graph_of(graph)
        self.matcher: Matcher | None = default_matcher(str(settings.sdg_queries_dir)) if settings.sdg_suggestions else None
        self.suggestions = 0
        self._queries_described: set[str] = set()
        self.countries = _CachedCountries(CountryTable.from_file(settings.country_table))
        self.scheme = load_programme_scheme(settings.programmes_file)
        self.curated_concept_ids = frozenset(c.id for c in self.scheme.concepts)
        self.described = _Journal()
        self.mapping = MappingContext(
            minter=self.minter,
            countries=self.countries,
            sdgs=SdgKos.from_file(settings.sdg_kos),
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
        self.repairs: list[Reject] = []  # values changed and kept (control characters removed)
        self.skipped: Counter[str] = Counter()
        self.notes: list[str] = []
        self.tables: list[TableStats] = []
        self.projects = 0
        self.org_new = 0
        self.org_merged = 0
        self.matches = 0
        self._match_pairs: set[tuple[str, str | None, str, bool, str]] = set()
        self._merged_ids: set[str] = set()
        self._kinds: dict[str, str] = {}  # table name → kind, as read (skip notes name the kind)
        try:
            curated = load_projects(settings.projects_dir)
        except RecordsInvalid as exc:  # else curated precedence and organisation seeding would silently stop
            raise ImportFailed(f"{settings.projects_dir} is invalid, run `kg validate`: {exc}") from None
        self.curated_keys = {self.minter.project_key(r): f"data/projects/{p.name}" for p, r in curated}
        registry.register_seed((r for _, r in curated), self._resolve_or_none)
        try:  # a person's accept / reject decisions on candidates (kg orgs review): re-applied by every import
            registry.reviews = load_reviews(reviews_path(data))
        except RecordsInvalid as exc:
            raise ImportFailed(f"{reviews_path(data)} is invalid: {exc}") from None

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

    def read_rows(self, table: TableFile, stats: TableStats, read: Callable[[Row], _Read]) -> Iterator[tuple[Row, _Read]]:
        """The rows of ``table`` with what ``read`` makes of each; a row ``read`` refuses (a
        :class:`CellError`, or a record the model refuses) is counted in ``stats``, reported as a
        reject naming file, row and column, and left out. With ``settings.strip_control`` the control
        characters of a value are removed before ``read`` sees it, each value so changed a repair
        (:attr:`repairs`) naming file, row and column; without it they reject the row
        (:func:`~kg.imports.tables.check_values`)."""
        strip = self.settings.strip_control
        for row in table.rows(progress=stats.advance):
            stats.rows += 1
            if strip:
                self._strip_control(table, row)
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

    def _strip_control(self, table: TableFile, row: Row) -> None:
        if find_control("\n".join(row.values.values())) is None:
            return
        for column, value in row.values.items():
            cleaned, removed = strip_control(value)
            if removed:
                row.values[column] = cleaned
                self.repairs.append(Reject(table.name, row.number, column, f"removed control character(s) {', '.join(removed)}; row kept"))

    def skip(self, table: str, n: int, reason: str) -> None:
        """Note ``n`` valid rows of the ``table`` kind not loaded, and why; the caller counts them in
        that table's :attr:`TableStats.skipped` (or returns :attr:`Outcome.SKIPPED` for a row)."""
        self.skipped[f"{table}: {reason}"] += n

    @contextlib.contextmanager
    def reading(self, table: TableFile, kind: str) -> Iterator[TableStats]:
        stats = TableStats(file=table.name, table=kind)
        self._kinds[table.name] = kind
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
        assert self.mapping.source_keys is not None  # an import's mapping context is made with them
        return self.mapping.source_keys[table_name]

    def add_subject_concepts(self, concepts: Iterable[SubjectConcept]) -> None:
        for c in concepts:
            self.subjects.setdefault((c.scheme, c.code), c)

    # ------------------------------------------------------------------ records
    def add_record(self, record: ProjectRecord, file: str, row: int, parts: list[tuple[str, int]] | None = None) -> Outcome:
        """Link, map and write one project; SKIPPED (with a skip note) or REJECTED (with reject lines)
        when it is not loaded."""
        key = self.minter.project_key(record)
        if key in self.curated_keys:
            self.skip(self._kinds.get(file, self.source), 1, f"project is a curated record ({self.curated_keys[key]}), which takes precedence")
            return Outcome.SKIPPED
        other = self.registry.claim_project(key, self.source)
        if other is not None:
            self.reject(file, row, "-", f"project key {key} is already used by another source's import ({other})")
            return Outcome.REJECTED
        organisations = []
        matches: list[tuple[OrganisationMatch, str]] = []
        used: Counter[str] = Counter()
        parts = parts or []
        for i, org in enumerate(record.organisations):
            where = f"{parts[i][0]}:{parts[i][1]}" if i < len(parts) else f"{file}:{row}"
            country = self._resolve_or_none(org.country) if org.country else None
            alpha2 = self.countries.alpha2(country) if country else None
            city = org.city if country else None
            if city:
                assert country is not None  # a city is kept only with its country
                alpha3 = self.countries.alpha3(country) or country.rsplit("/", 1)[-1]
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
                "pic": org.pic,
                "vat": org.identifiers.get("vat"),
                "website": org.website,
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
                identifiers={k: v for k, v in org.identifiers.items() if k not in PIC_KEYS},
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
                ("website", "website"),
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
                for key in PIC_KEYS:
                    identifiers.pop(key, None)
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
        if self.matcher is not None:
            self._suggest(record)
        assert self.mapping.source_keys is not None  # an import's mapping context is made with them
        source_key = self.mapping.source_keys.get(file)
        for m, where in matches:
            pair = (m.organisation, m.other, m.rule, m.merged, m.stated_name)
            if pair in self._match_pairs:
                continue  # the same decision again (an organisation in many projects of one file)
            self._match_pairs.add(pair)
            loc_file = where.rsplit(":", 1)[0]
            if not self.matches:  # the decisions' graph: inferred, apart from the source facts, derived from them
                self.writer.write(map_matches_graph(self.mapping, self.matches_graph, self.graph))
            self.writer.write(map_organisation_match(m, self.mapping, self.matches_graph, self.mapping.source_keys.get(loc_file, source_key)))
            self.matches += 1
        self.projects += 1
        return Outcome.LOADED


    def _suggest(self, record: ProjectRecord) -> None:
        """The project's SDG suggestions into :attr:`suggestions_graph`; each query line that fired is
        described once per import."""
        assert self.matcher is not None
        quads, summary = suggestion_quads(
            [(self.minter.project(record), record_texts(record))], self.matcher,
            base_uri=self.settings.base_uri, graph=self.suggestions_graph, described=self._queries_described,
        )
        if quads:
            self.writer.write(quads)
        self.suggestions += int(summary.get("suggestions", 0))


class Source(Protocol):
    """An importer: reads the tables of one kind of export into records through an :class:`ImportContext`."""

    source: ClassVar[str]  # the name after ``kg import`` and in the import graph's URI
    summary: ClassVar[str]  # one line for ``kg import --help``
    # the kinds of table whose rows are projects, and the kinds an import may consist of without any
    # project (vocabularies); every other kind links to projects and needs a project table beside it
    project_tables: ClassVar[frozenset[str]]
    vocabulary_tables: ClassVar[frozenset[str]]

    @staticmethod
    def detect_table(header: list[str]) -> str | None:
        """The kind of table a header belongs to (``projects``, ``organizations`` …), or None."""

    def __init__(self, ctx: ImportContext) -> None: ...

    def run(self, tables: list[tuple[TableFile, str]]) -> None:
        """Read every recognised ``(table, kind)`` and hand each record to ``ctx.add_record``."""
