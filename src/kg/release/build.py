"""The pipeline that makes a release: records → RDF → SHACL validation → a new store, swapped in.

``assemble`` turns the inputs of a data directory into named graphs (no store involved);
``check`` validates them; ``build`` writes them into a fresh Oxigraph store beside the served
one and promotes it only when validation passes — a failing build leaves the served store as
it was. Progress is reported through an optional callback so the CLI can draw bars.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from pyoxigraph import Quad, RdfFormat

from kg.curated import SourceMap, load_programme_scheme, load_projects
from kg.imports.artefacts import carry_over, gc_artefacts, read_manifest, store_lock
from kg.linking.countries import CountryTable
from kg.linking.reviews import REVIEWS_GRAPH, read_reviews, review_quads, reviews_path
from kg.linking.sdg_queries import default_matcher
from kg.linking.sdg_suggestions import SUGGESTIONS_GRAPH, record_texts, suggestion_quads
from kg.linking.sdgs import SdgKos
from kg.mapping import MappingContext, map_programme_scheme, map_projects
from kg.model.errors import RecordsInvalid
from kg.model.uris import Minter
from kg.readmodel import derive_release
from kg.settings import Settings
from kg.store import OxigraphStore, releases, writes
from kg.store.base import StoreError
from kg.validation.inputs import load_shapes, quads_to_graph, vocabulary_extract
from kg.validation.reference import validate
from kg.validation.report import Report
from kg.validation.run import ENGINES, validate_fast, validate_store

Progress = Callable[[str], None]


class BuildFailed(Exception):
    """The inputs do not make a valid graph; the served store was not touched."""

    def __init__(self, message: str, *, report: Report | None = None, errors: list | None = None):
        super().__init__(message)
        self.report = report
        self.errors = errors or []


@dataclass
class Assembled:
    """Every named graph of a release, and where each entity came from."""

    graphs: dict[str, list[Quad]]
    origin: dict[str, str] = field(default_factory=dict)  # entity URI → input file (relative to root)
    vocab_graphs: set[str] = field(default_factory=set)
    project_count: int = 0

    def locate(self, uri: str) -> str | None:
        while uri:
            if uri in self.origin:
                return self.origin[uri]
            if "/" not in uri:
                return None
            uri = uri.rsplit("/", 1)[0]  # a project's parts (…/activity/1) come from the project's file
        return None

    def quads(self) -> list[Quad]:
        return [q for qs in self.graphs.values() for q in qs]

    def triple_count(self) -> int:
        return sum(len(qs) for qs in self.graphs.values())


def _note(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)


def _rel(settings: Settings, path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(settings.root))
    except ValueError:
        return str(path)


def _parse_file(path: Path, fmt: RdfFormat, graph: str) -> list[Quad]:
    g = pyoxigraph.NamedNode(graph)
    return [pyoxigraph.Quad(t.subject, t.predicate, t.object, g) for t in pyoxigraph.parse(path=str(path), format=fmt)]


def assemble(settings: Settings, *, progress: Progress | None = None) -> Assembled:
    """Read records and vocabularies of ``settings.data_dir`` and map them to named graphs.

    Raises :class:`RecordsInvalid` with every error (file, line, column, field) when a record is wrong.
    """
    data = settings.data_dir
    assert data is not None
    minter = Minter(settings.base_uri)
    source_map = SourceMap()  # where each value is, so that mapping errors name line and column too
    _note(progress, "reading vocabularies")
    countries = CountryTable.from_file(settings.country_table)
    sdgs = SdgKos.from_file(settings.sdg_kos)
    scheme = load_programme_scheme(settings.programmes_file, source_map=source_map)
    _note(progress, "reading records")
    records = load_projects(settings.projects_dir, source_map=source_map)
    ctx = MappingContext(
        minter=minter,
        countries=countries,
        sdgs=sdgs,
        scheme=scheme,
        data_dir=data,
        include_personal_data=settings.include_personal_data,
        source_map=source_map,
    )
    _note(progress, f"mapping {len(records)} records")
    graphs = map_projects(records, ctx)
    graphs[minter.programmes_graph] = map_programme_scheme(scheme, ctx, source=settings.programmes_file)
    if ctx.errors:
        raise RecordsInvalid(list(ctx.errors))

    origin: dict[str, str] = {}
    for path, record in records:
        origin[minter.project(record)] = _rel(settings, path)
    for graph, quads in graphs.items():
        if graph == minter.programmes_graph:
            for q in quads:
                assert not isinstance(q.subject, pyoxigraph.Triple)  # pyoxigraph's stub allows one; it makes none
                origin.setdefault(q.subject.value, _rel(settings, settings.programmes_file))
    for path, record in records:  # everything else in a record's graph comes from that record
        graph = minter.source_graph(Path(record.source.path).stem)
        for q in graphs.get(graph, []):
            assert not isinstance(q.subject, pyoxigraph.Triple)  # pyoxigraph's stub allows one; it makes none
            origin.setdefault(q.subject.value, _rel(settings, path))

    _note(progress, "reading ontology and vocabularies")
    onto: list[Quad] = []
    for ttl in sorted(settings.ontology_dir.glob("*.ttl")):
        onto.extend(_parse_file(ttl, RdfFormat.TURTLE, minter.ontology_graph))
    graphs[minter.ontology_graph] = onto
    graphs[minter.sdg_graph] = sdgs.graph_quads(minter.sdg_graph)
    graphs[minter.country_graph] = countries.graph_quads(minter.country_graph)
    reviews = read_reviews(reviews_path(data))  # a person's decisions on organisation candidates (kg orgs review)
    if reviews:
        graphs[minter.graph(REVIEWS_GRAPH)] = review_quads(reviews, minter.organisation, minter.graph(REVIEWS_GRAPH))
    if settings.sdg_suggestions:  # inferred, in a graph of their own; never kg:sdg (docs/extraction.md)
        _note(progress, "suggesting SDGs (Aurora queries v5.0)")
        graph = minter.graph(SUGGESTIONS_GRAPH)
        graphs[graph], _ = suggestion_quads(
            [(minter.project(r), record_texts(r)) for _, r in records], default_matcher(str(settings.sdg_queries_dir)),
            base_uri=settings.base_uri, graph=graph,
        )
    return Assembled(
        graphs=graphs,
        origin=origin,
        vocab_graphs={minter.sdg_graph, minter.country_graph},
        project_count=len(records),
    )


def validation_quads(assembled: Assembled) -> list[Quad]:
    """What SHACL validates: every graph but the vocabularies, plus the vocabularies' typing and
    scheme-membership statements (:func:`kg.validation.inputs.vocabulary_extract`)."""
    content = [q for g, qs in assembled.graphs.items() if g not in assembled.vocab_graphs for q in qs]
    vocab = [q for g in assembled.vocab_graphs for q in vocabulary_extract(assembled.graphs[g])]
    return content + vocab


def check(
    assembled: Assembled, settings: Settings, *, progress: Progress | None = None, engine: str = "fast"
) -> Report:
    """SHACL-validate an assembled release against ``shapes/``.

    ``engine="fast"`` (default) compiles the shapes to SPARQL run inside Oxigraph (:mod:`kg.validation.fast`);
    ``engine="pyshacl"`` uses pySHACL, the reference. Both return the same :class:`Report`.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r} (one of {', '.join(ENGINES)})")
    _note(progress, f"validating with SHACL ({engine})")
    quads = validation_quads(assembled)
    shapes = load_shapes(settings.shapes_dir)
    if engine == "pyshacl":
        return validate(quads_to_graph(quads), shapes, locate=assembled.locate)
    return validate_fast(quads, shapes, locate=assembled.locate)


@dataclass
class BuildResult:
    store_path: Path
    report: Report
    graphs: dict[str, int]  # the curated release's named graphs → their quads
    project_count: int
    triple_count: int  # quads of the curated release
    # the imports (kg import) carried over into the new store: one named graph each, and their quads
    import_graphs: dict[str, int] = field(default_factory=dict)
    writes_replayed: int = 0  # entries of the writes journal replayed onto the new store

    @property
    def import_quad_count(self) -> int:
        return sum(self.import_graphs.values())


def write_store(path: Path, assembled: Assembled) -> None:
    """Load every graph into a new Oxigraph store at ``path`` (bulk loader, N-Quads)."""
    store = OxigraphStore(path)
    try:
        data = pyoxigraph.serialize(assembled.quads(), format=RdfFormat.N_QUADS) or b""
        store.bulk_load(data=data, format="nquads")
        store.flush()
    finally:
        store.close()


def build(settings: Settings, *, progress: Progress | None = None, drop_writes: bool = False) -> BuildResult:
    """Assemble, validate, store aside and promote. Raises :class:`BuildFailed` or :class:`RecordsInvalid`.

    Writes made with the token (``/update``, Graph Store) are replayed from the writes journal
    (:mod:`kg.store.writes`) after the imports; ``drop_writes`` moves the journal aside first. A
    journal entry that no longer applies fails the build, naming it."""
    assembled = assemble(settings, progress=progress)
    report = check(assembled, settings, progress=progress)
    if not report.conforms:
        raise BuildFailed(
            f"{len(report.violations)} SHACL violation(s); the served store was left unchanged", report=report
        )
    assert settings.var_dir is not None
    # imports (kg import) live beside the curated graphs: carried over into every build, under one lock

    with store_lock(settings.var_dir):
        build_dir = releases.new_build_dir(settings.var_dir)
        _note(progress, f"loading {assembled.triple_count()} quads into {build_dir.name}")
        try:
            write_store(build_dir, assembled)
            carried = carry_over(settings, build_dir, progress=progress)
            if drop_writes:
                dropped = writes.drop(settings.writes_dir)
                if dropped is not None:
                    _note(progress, f"writes journal moved aside to {dropped} (--drop-writes)")
            _note(progress, "replaying the writes made with the token (writes journal)")
            replayed = writes.replay(settings.writes_dir, build_dir)
            imported = {e["graph"]: int(e.get("quads", 0)) for e in read_manifest(build_dir).get("imports", [])} if carried else {}
            if carried:
                # the imports join the curated graphs: validate the union, on disk, before promoting
                _note(progress, f"validating the new store with its {carried} import(s) (SHACL, fast engine)")
                whole = validate_store(build_dir, settings.shapes_dir, locate=assembled.locate)
                if not whole.conforms:  # the build dir is discarded below
                    raise BuildFailed(
                        f"{len(whole.violations)} SHACL violation(s) in the store with its imports; "
                        "the served store was left unchanged",
                        report=whole,
                    )
                report = whole  # the store's report covers the curated graphs too (each result once)
            _note(progress, "deriving the read model (kg-read.sqlite)")
            derive_release(build_dir)
        except StoreError as exc:
            releases.discard(build_dir)
            hint = "; build without them with `kg build --drop-writes` (the journal is moved aside, not deleted)" if "no longer applies" in str(exc) else ""
            raise BuildFailed(f"{exc}; the served store was left unchanged{hint}") from exc
        except BaseException:
            releases.discard(build_dir)
            raise
        releases.promote(settings.var_dir, build_dir)
        releases.prune(settings.var_dir, keep=2)
        gc_artefacts(settings.var_dir)
    _note(progress, "promoted")
    return BuildResult(
        store_path=settings.store_path,
        report=report,
        graphs={g: len(qs) for g, qs in assembled.graphs.items()},
        project_count=assembled.project_count,
        triple_count=assembled.triple_count(),
        import_graphs=imported,
        writes_replayed=replayed,
    )


__all__ = ["Assembled", "BuildFailed", "BuildResult", "assemble", "build", "check", "validation_quads", "write_store"]
