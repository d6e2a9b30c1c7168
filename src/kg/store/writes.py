"""What ``/update`` and the Graph Store Protocol change, kept as an artefact of its own: the writes
journal, so writes made with the token survive ``kg build``.

A build makes a new store from the curated data and the imports; the store a server wrote into is
then retired. So every write is also appended, in order, to ``<var>/writes/journal.jsonl`` (one JSON
object a line: a SPARQL update with its base IRI, or a Graph Store PUT / POST / DELETE with its
graph, format and body), and ``kg build`` replays the whole journal onto its new store after the
imports (:func:`replay`), recording in the build's ``kg-writes.json`` how many entries it holds.
A journal entry that no longer applies fails the build (the served store is left unchanged);
``kg build --drop-writes`` builds without the journal, which it moves aside (``dropped-<time>.jsonl``)
rather than deleting. ``kg import`` copies the current store, writes included (only writes into the
import's own graph are replaced by the import, as the import replaces that whole graph).

Writing: a worker takes ``<var>/.kg.lock`` (the lock builds and imports hold), appends the entry,
applies it to the *current* release (the ``store`` symlink re-resolved under the lock, so a build
promoted meanwhile gets it), and takes the entry back out if applying it fails.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.formats import rdf_format
from kg.store.base import StoreError, check_iri
from kg.store.oxigraph import OxigraphStore

__all__ = ["JOURNAL", "MARKER", "apply", "drop", "entries", "journal_path", "lock", "record", "replay"]

JOURNAL = "journal.jsonl"
MARKER = "kg-writes.json"  # in a build directory: how many journal entries it holds
LOCK = ".kg.lock"  # the same lock as builds and imports (kg.imports.artefacts.LOCK)


def journal_path(writes_dir: Path) -> Path:
    return Path(writes_dir) / JOURNAL


@contextlib.contextmanager
def lock(var_dir: Path) -> Iterator[None]:
    """The release lock of ``var_dir`` (builds and imports take it too)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def update_entry(update: str, base_iri: str | None) -> dict[str, Any]:
    return {"op": "update", "update": update, "base_iri": base_iri}


def gsp_entry(method: str, graph: str | None, fmt: str | None, data: bytes | None, base_iri: str | None) -> dict[str, Any]:
    return {
        "op": "gsp", "method": method, "graph": graph, "format": fmt, "base_iri": base_iri,
        "data": base64.b64encode(data).decode("ascii") if data is not None else None,
    }


@contextlib.contextmanager
def record(writes_dir: Path, entry: dict[str, Any]) -> Iterator[None]:
    """Append ``entry`` to the journal (fsynced); if the block raises, take it back out."""
    writes_dir.mkdir(parents=True, exist_ok=True)
    path = journal_path(writes_dir)
    line = json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}, ensure_ascii=False) + "\n"
    with open(path, "ab") as handle:
        size = handle.tell()
        handle.write(line.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
        try:
            yield
        except BaseException:
            handle.truncate(size)
            raise


def entries(writes_dir: Path) -> list[dict[str, Any]]:
    path = journal_path(writes_dir)
    if not path.is_file():
        return []
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise StoreError(f"{path}:{number}: not a journal entry ({exc})") from None
    return out


def apply(store: OxigraphStore, entry: dict[str, Any]) -> None:
    """Make the change ``entry`` describes (an update, or a Graph Store PUT / POST / DELETE)."""
    if entry["op"] == "update":
        store.update(entry["update"], base_iri=entry.get("base_iri"))
        return
    method, graph = entry["method"], entry.get("graph")
    if method == "DELETE":
        store.update(f"DROP SILENT GRAPH <{check_iri(graph)}>" if graph else "CLEAR DEFAULT")
        return
    data = base64.b64decode(entry["data"]) if entry.get("data") is not None else b""
    if method == "PUT":
        fmt = rdf_format(entry["format"])
        quads = list(ox.parse(data, format=fmt, base_iri=entry.get("base_iri")))
        if graph is not None:
            store.replace_graph(graph, quads)
        else:  # the store's own default graph, in one transaction
            body = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES) or b""
            insert = f" ;\nINSERT DATA {{\n{body.decode()}}}" if quads else ""
            store.update(f"DROP SILENT DEFAULT{insert}")
    elif method == "POST":
        store.bulk_load(data=data, format=entry["format"], graph=graph, base_iri=entry.get("base_iri"))
    else:
        raise ValueError(f"unsupported method {method}")


def replay(writes_dir: Path, build_dir: Path) -> int:
    """Apply the whole journal, in order, to the store in ``build_dir``; write its ``kg-writes.json``.
    Returns the number of entries; raises :class:`StoreError` naming the entry that fails."""
    todo = entries(writes_dir)
    if todo:
        store = OxigraphStore(build_dir)
        try:
            for number, entry in enumerate(todo, 1):
                try:
                    apply(store, entry)
                except Exception as exc:
                    what = entry.get("update", "")[:200] if entry["op"] == "update" else f"{entry['method']} {entry.get('graph') or 'default'}"
                    raise StoreError(
                        f"write {number} of {journal_path(writes_dir)} (made {entry.get('at', '?')}: {what!r}) no longer applies: {exc}"
                    ) from exc
            store.flush()
        finally:
            store.close()
    (build_dir / MARKER).write_text(
        json.dumps({"journal": str(journal_path(writes_dir)), "entries": len(todo)}, indent=2) + "\n", encoding="utf-8"
    )
    return len(todo)


def drop(writes_dir: Path) -> Path | None:
    """Move the journal aside (``dropped-<time>.jsonl``); None when there is none."""
    path = journal_path(writes_dir)
    if not path.is_file() or path.stat().st_size == 0:
        return None
    target = path.with_name(f"dropped-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.jsonl")
    os.replace(path, target)
    return target
