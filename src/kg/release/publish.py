"""Publishing a release for open-data portals: dumps, a DCAT-AP 3 catalogue, VoID, ontology docs.

``publish_release(settings, store=..., out_dir=Path("dist"), base_url="http://127.0.0.1:8000")``
writes, from a built store:

* the dumps (:mod:`kg.release.dumps`): N-Triples and N-Quads (gzip), Turtle, JSON-LD;
* the DCAT-AP 3.0.1 catalogue (:mod:`kg.release.dcat`): ``catalog.ttl`` / ``.jsonld`` / ``.rdf``;
* the VoID description (:mod:`kg.release.void`): ``void.ttl``;
* the ontology documentation (:mod:`kg.release.ontology`): ``ontology.html`` (pyLODE);
* ``release.json`` (the manifest: every file's media type, size and SHA-256) and ``SHA256SUMS``.

Every file is reproducible: the same store content (and the same base URL and release date)
gives the same bytes. ``base_url`` is where the files and the SPARQL endpoint are served
(``{base_url}/dumps/<file>``, ``{base_url}/sparql``); identifiers stay under the base URI.
A store holding personal contact details is refused unless ``include_personal_data=True``.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from kg.release import dcat, dumps, ontology, void
from kg.release.dcat import CatalogInfo
from kg.release.manifest import (
    BOOKKEEPING,
    MANIFEST,
    PUBLISHED_FROM,
    PersonalDataError,
    Release,
    ReleaseFile,
    promote,
    read_release,
    sha256,
    sums_file,
    write_file,
)
from kg.settings import Settings
from kg.store import Store

__all__ = [
    "CatalogInfo",
    "PersonalDataError",
    "Release",
    "ReleaseFile",
    "published_from",
    "publish_release",
    "read_release",
    "store_build_id",
]


def store_build_id(store: Store) -> str | None:
    """The build id of an Oxigraph store opened on ``var/builds/<id>`` (None otherwise)."""
    path = getattr(store, "path", None)
    if isinstance(path, Path) and path.parent.name == "builds":
        return path.name
    return None


def published_from(out_dir: Path) -> str | None:
    """The build id the release in ``out_dir`` was published from ('' when unknown; None: no release)."""
    try:
        return (Path(out_dir) / PUBLISHED_FROM).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def publish_release(
    settings: Settings,
    *,
    store: Store,
    out_dir: Path,
    base_url: str,
    include_personal_data: bool = False,
    issued: date | None = None,
    info: CatalogInfo | None = None,
    build_id: str | None = None,
) -> Release:
    """Write a whole release of ``store`` into ``out_dir``; the :class:`Release` lists its files.

    ``issued`` (the catalogue's dct:issued / dct:modified) defaults to ``SOURCE_DATE_EPOCH``,
    else to the newest ``dct:modified`` / ``dct:created`` date in the data. Raises
    :class:`PersonalDataError` when the store holds contact details marked personal in the
    records and ``include_personal_data`` is false.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        release = dumps.publish(
            settings,
            store=store,
            out_dir=staging,
            base_url=base_url,
            include_personal_data=include_personal_data,
            issued=issued,
        )
        files = list(release.files)
        files += dcat.publish(settings, store=store, release=release, out_dir=staging, info=info)
        files += void.publish(store=store, release=release, out_dir=staging)
        files += ontology.publish(settings, store=store, out_dir=staging)
        for name, media, role, title in BOOKKEEPING:  # the manifest, then SHA256SUMS (which lists it)
            body = release.with_files(files).manifest() if name == MANIFEST else sums_file(files)
            write_file(staging, name, body)
            files.append(ReleaseFile(name, media, len(body), sha256(body), role, title))
        promote(staging, out_dir, [f.name for f in files])  # in order: the manifest and SHA256SUMS last
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    build = build_id if build_id is not None else store_build_id(store)
    write_file(out_dir, PUBLISHED_FROM, f"{build or ''}\n".encode())
    return replace(release.with_files(files), out_dir=out_dir)
