"""A published release: its files (name, media type, size, SHA-256), its manifest, how files are
written, and the URIs of the catalogue's resources.

A release lives flat in one directory (``dist/`` by default)::

    euprojects.nt.gz  euprojects.nq.gz  euprojects.ttl  euprojects.jsonld   the dumps
    catalog.ttl  catalog.jsonld  catalog.rdf                                 DCAT-AP 3 catalogue
    void.ttl                                                                 VoID description
    ontology.html                                                            pyLODE documentation
    release.json                                                             this manifest
    SHA256SUMS                                                               `sha256sum -c` input

A release is written into a staging directory inside ``dist/`` first; only when every file is
made are they renamed over the old ones, one atomic rename each, the manifest and
``SHA256SUMS`` last (a failure leaves the previous release as it was; a reader never sees half
a file). A file whose bytes did not change is left alone (its mtime, hence its
``Last-Modified``, stays). ``.published-from`` records the store build a release came from; it
is bookkeeping for the web layer, not part of the release.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path

__all__ = [
    "BOOKKEEPING",
    "MANIFEST",
    "PUBLISHED_FROM",
    "SUMS",
    "PersonalDataError",
    "Release",
    "ReleaseFile",
    "ReleaseUris",
    "promote",
    "read_release",
    "sha256",
    "sums_file",
    "write_file",
]

MANIFEST = "release.json"
SUMS = "SHA256SUMS"
PUBLISHED_FROM = ".published-from"
DUMP_STEM = "euprojects"
# the files that describe the others: (name, media type, role, title), written last
BOOKKEEPING = (
    (MANIFEST, "application/json", "manifest", "Release manifest"),
    (SUMS, "text/plain", "checksums", "SHA-256 checksums"),
)


class PersonalDataError(Exception):
    """The store holds personal data (named persons' contact details) and publishing it was not
    explicitly allowed."""


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release. ``media_type`` is what the bytes are once decompressed
    (``application/n-triples``); ``compress_format`` is ``application/gzip`` for ``.gz`` files."""

    name: str
    media_type: str
    size: int
    sha256: str
    role: str  # dump, catalog, void, ontology, manifest, checksums
    title: str = ""
    format_code: str | None = None  # EU file-type authority code (RDF_N_TRIPLES …)
    compress_format: str | None = None
    graphs: bool = False  # a dataset format carrying the named graphs

    @property
    def content_type(self) -> str:
        """The HTTP Content-Type the file is served with."""
        if self.compress_format:
            return self.compress_format
        if self.media_type.startswith("text/") or self.media_type.endswith(("json", "+xml")):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type


@dataclass(frozen=True)
class Release:
    """What ``publish_release`` wrote: the files and the figures the catalogue states."""

    id: str  # short content id: the first 16 hex digits of ``content_sha256``
    content_sha256: str  # SHA-256 of the canonical N-Quads (uncompressed): the data's fingerprint
    issued: str  # ISO date the catalogue gives as dct:issued / dct:modified
    base_uri: str
    base_url: str
    quads: int
    triples: int
    personal_data: bool = False  # published with named persons' contact details (explicitly allowed)
    files: list[ReleaseFile] = field(default_factory=list)
    out_dir: Path | None = None

    def file(self, name: str) -> ReleaseFile | None:
        return next((f for f in self.files if f.name == name), None)

    def by_role(self, role: str) -> list[ReleaseFile]:
        return [f for f in self.files if f.role == role]

    def with_files(self, files: list[ReleaseFile]) -> Release:
        return replace(self, files=list(files))

    def download_url(self, name: str) -> str:
        return f"{self.base_url}/dumps/{name}"

    def manifest(self) -> bytes:
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("files", "out_dir")}
        data["files"] = [asdict(f) for f in self.files if f.role not in ("manifest", "checksums")]
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_release(out_dir: Path) -> Release | None:
    """The release described by ``out_dir/release.json`` (its manifest and SHA256SUMS added to
    the files), or None when there is none."""
    path = Path(out_dir) / MANIFEST
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    files = [ReleaseFile(**f) for f in data.pop("files", [])]
    for extra, media, role, title in BOOKKEEPING:
        p = Path(out_dir) / extra
        if p.is_file():
            body = p.read_bytes()
            files.append(ReleaseFile(extra, media, len(body), sha256(body), role, title))
    return Release(**data, files=files, out_dir=Path(out_dir))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_file(out_dir: Path, name: str, data: bytes) -> None:
    """Write ``out_dir/name`` atomically; leave it untouched when it already holds these bytes."""
    target = Path(out_dir) / name
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return
    except OSError:
        pass
    tmp = target.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def promote(staging: Path, out_dir: Path, names: list[str]) -> None:
    """Move the files ``names`` from ``staging`` into ``out_dir``, in that order, each by one
    atomic rename; a file whose bytes did not change is left in place (its mtime stays)."""
    for name in names:
        src, dst = Path(staging) / name, Path(out_dir) / name
        try:
            if dst.stat().st_size == src.stat().st_size and dst.read_bytes() == src.read_bytes():
                continue
        except OSError:
            pass
        os.replace(src, dst)


def sums_file(files: list[ReleaseFile]) -> bytes:
    """``SHA256SUMS`` in the format ``sha256sum -c`` reads, sorted by file name."""
    return "".join(f"{f.sha256}  {f.name}\n" for f in sorted(files, key=lambda f: f.name)).encode("ascii")


def issued_date(explicit: date | None, data_dates: list[str]) -> str:
    """The release date: ``explicit``, else ``SOURCE_DATE_EPOCH`` (the reproducible-builds
    convention), else the newest date the data states (``dct:modified`` / ``dct:created``)."""
    if explicit is not None:
        return explicit.isoformat()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date().isoformat()
    dates = sorted(d[:10] for d in data_dates if len(d) >= 10)
    if dates:
        return dates[-1]
    return "1970-01-01"


class ReleaseUris:
    """The URIs of the catalogue's and VoID's own resources, under the base URI.

    ``{base}catalog`` (the catalogue), ``{base}dataset`` (the graph as a dataset, the same
    resource for DCAT and VoID), ``{base}dataset/distribution/{key}``, ``{base}dataset/linkset/{key}``,
    ``{base}service/sparql``, ``{base}publisher``, ``{base}contact``.
    """

    def __init__(self, base_uri: str) -> None:
        self.base = base_uri if base_uri.endswith(("/", "#")) else base_uri + "/"

    @property
    def catalog(self) -> str:
        return f"{self.base}catalog"

    @property
    def dataset(self) -> str:
        return f"{self.base}dataset"

    def distribution(self, key: str) -> str:
        return f"{self.base}dataset/distribution/{key}"

    def checksum(self, key: str) -> str:
        return f"{self.distribution(key)}/checksum"

    @property
    def period(self) -> str:
        return f"{self.base}dataset/period"

    def linkset(self, key: str) -> str:
        return f"{self.base}dataset/linkset/{key}"

    def class_partition(self, class_iri: str) -> str:
        return f"{self.base}dataset/class/{sha256(class_iri.encode('utf-8'))[:16]}"

    def property_partition(self, property_iri: str) -> str:
        return f"{self.base}dataset/property/{sha256(property_iri.encode('utf-8'))[:16]}"

    @property
    def sparql_service(self) -> str:
        return f"{self.base}service/sparql"

    @property
    def publisher(self) -> str:
        return f"{self.base}publisher"

    @property
    def contact(self) -> str:
        return f"{self.base}contact"

    @property
    def uri_space(self) -> str:
        return f"{self.base}id/"
