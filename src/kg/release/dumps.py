"""Data dumps of a release: the whole store as N-Triples, N-Quads, Turtle and JSON-LD.

* ``euprojects.nt.gz`` — N-Triples, gzip: the union of all named graphs (distinct triples);
* ``euprojects.nq.gz`` — N-Quads, gzip: every quad with its named graph;
* ``euprojects.ttl`` — Turtle: the union, with the project's prefixes;
* ``euprojects.jsonld`` — JSON-LD (expanded form): every named graph as a ``@graph`` object.

Reproducible: the same store content gives the same bytes. Blank nodes get labels computed
from their content (:mod:`kg.release.canonical`); lines and statements are sorted in the byte
order of their canonical N-Triples / N-Quads form (``LC_ALL=C sort``); gzip members carry
mtime 0 and no file name; Turtle is written by pyoxigraph from the sorted triples with a fixed
prefix table.

Personal data: the build keeps named persons' contact details out unless
``--include-personal-data``; this step checks it once more against the records (every contact
marked ``personal: true``) and refuses to publish when one shows up, unless the caller passes
``include_personal_data=True``.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from pyoxigraph import RdfFormat

from kg.curated import load_projects
from kg.model.namespaces import DCT, PREFIXES, VCARD
from kg.release.canonical import (
    canonical_quads,
    nquad_line,
    sort_quads,
    sort_triples,
    triple_line,
)
from kg.release.manifest import (
    DUMP_STEM,
    PersonalDataError,
    Release,
    ReleaseFile,
    issued_date,
    sha256,
    write_file,
)
from kg.settings import Settings
from kg.store import Store

__all__ = ["DUMPS", "DumpFormat", "publish", "store_quads"]

GZIP = "application/gzip"


@dataclass(frozen=True)
class DumpFormat:
    name: str
    rdf_format: RdfFormat
    format_code: str  # EU file-type authority code
    gzip: bool
    graphs: bool  # keeps the named graphs (else: the union)
    title: str

    @property
    def media_type(self) -> str:
        return self.rdf_format.media_type


DUMPS: tuple[DumpFormat, ...] = (
    DumpFormat(f"{DUMP_STEM}.nt.gz", RdfFormat.N_TRIPLES, "RDF_N_TRIPLES", True, False,
               "N-Triples dump (gzip), all named graphs merged"),
    DumpFormat(f"{DUMP_STEM}.nq.gz", RdfFormat.N_QUADS, "RDF_N_QUADS", True, True,
               "N-Quads dump (gzip), with the named graphs"),
    DumpFormat(f"{DUMP_STEM}.ttl", RdfFormat.TURTLE, "RDF_TURTLE", False, False,
               "Turtle dump, all named graphs merged"),
    DumpFormat(f"{DUMP_STEM}.jsonld", RdfFormat.JSON_LD, "JSON_LD", False, True,
               "JSON-LD dump, with the named graphs"),
)

TURTLE_PREFIXES: dict[str, str] = {name: str(ns) for name, ns in sorted(PREFIXES.items())}


def gzip_bytes(data: bytes) -> bytes:
    """gzip with no file name and mtime 0, so equal input gives equal output."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def store_quads(store: Store) -> list[ox.Quad]:
    """Every quad of the store, blank nodes relabelled canonically (any :class:`Store`)."""
    raw = store.dump(format="nquads")
    return canonical_quads(ox.parse(raw, format=RdfFormat.N_QUADS))


def _lines(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def personal_contacts(settings: Settings) -> dict[str, list[str]]:
    """Contact details marked ``personal: true`` in the records: ``{"email": [...], "name": [...],
    "file": [...]}`` (lower-cased e-mail addresses, names as written, record files)."""
    assert settings.data_dir is not None
    found: dict[str, list[str]] = {"email": [], "name": [], "file": []}
    projects = settings.projects_dir
    if not projects.is_dir():
        return found
    for path, record in load_projects(projects):
        for c in record.contacts:
            if not c.personal:
                continue
            if c.email:
                found["email"].append(c.email.strip().lower())
            if c.name:
                found["name"].append(c.name.strip())
            found["file"].append(Path(path).name)
    return found


def check_personal_data(settings: Settings, quads: list[ox.Quad], nquads: bytes, *, allowed: bool) -> bool:
    """Whether the data holds a personal contact detail; :class:`PersonalDataError` when it
    does and ``allowed`` is false. E-mail addresses are looked for anywhere in the serialised
    data, names as ``vcard:fn`` values."""
    personal = personal_contacts(settings)
    text = nquads.decode("utf-8").lower()
    leaks = {e for e in personal["email"] if e in text}
    names = set(personal["name"])
    fn = str(VCARD.fn)
    leaks |= {q.object.value for q in quads if q.predicate.value == fn and q.object.value in names}  # type: ignore[union-attr]  # raises on a triple term
    if leaks and not allowed:
        files = ", ".join(sorted(set(personal["file"])))
        raise PersonalDataError(
            f"the store holds {len(leaks)} personal contact detail(s) marked `personal: true` in the "
            f"records ({files}): it was built with --include-personal-data. Rebuild without it "
            "(`kg build`), or publish with include_personal_data=True (`kg publish "
            "--include-personal-data`) if these details may be made public."
        )
    return bool(leaks)


def data_dates(quads: list[ox.Quad]) -> list[str]:
    """The ``dct:modified`` / ``dct:created`` dates the data states (ISO strings)."""
    wanted = {str(DCT.modified), str(DCT.created)}
    return [
        q.object.value
        for q in quads
        if q.predicate.value in wanted and isinstance(q.object, ox.Literal) and q.object.value[:4].isdigit()
    ]


def publish(
    settings: Settings,
    *,
    store: Store,
    out_dir: Path,
    base_url: str,
    include_personal_data: bool = False,
    issued: date | None = None,
) -> Release:
    """Write the four dumps of ``store`` into ``out_dir``; the :class:`Release` lists them."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    quads = store_quads(store)
    ordered = sort_quads(quads)
    nquads = _lines([nquad_line(q) for q in ordered])
    personal = check_personal_data(settings, quads, nquads, allowed=include_personal_data)
    triples = sort_triples(ordered)

    files: list[ReleaseFile] = []
    for dump in DUMPS:
        if dump.rdf_format == RdfFormat.N_QUADS:
            body = nquads
        elif dump.rdf_format == RdfFormat.N_TRIPLES:
            body = _lines([triple_line(t) for t in triples])
        elif dump.rdf_format == RdfFormat.TURTLE:
            body = ox.serialize(triples, format=RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES) or b""
        else:
            body = ox.serialize(sort_quads(quads, graph_first=True), format=dump.rdf_format) or b""
        data = gzip_bytes(body) if dump.gzip else body
        write_file(out_dir, dump.name, data)
        files.append(
            ReleaseFile(
                name=dump.name,
                media_type=dump.media_type,
                size=len(data),
                sha256=sha256(data),
                role="dump",
                title=dump.title,
                format_code=dump.format_code,
                compress_format=GZIP if dump.gzip else None,
                graphs=dump.graphs,
            )
        )
    content = sha256(nquads)
    return Release(
        id=content[:16],
        content_sha256=content,
        issued=issued_date(issued, data_dates(quads)),
        base_uri=settings.base_uri,
        base_url=base_url.rstrip("/"),
        quads=len(ordered),
        triples=len(triples),
        personal_data=personal,
        files=files,
        out_dir=out_dir,
    )
