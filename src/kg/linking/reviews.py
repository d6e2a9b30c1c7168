"""A person's decisions on organisation candidates: curated data every later import re-applies.

``kg orgs review`` lists the candidate pairs the score left undecided and records an accept or a
reject in ``data/organisation-reviews.yaml``::

    decisions:
      - occurrence: it-cesie-palermo     # the id the occurrence has (or would get) when kept apart
        organisation: cesie              # the known organisation it was compared with
        decision: accept                 # accept: one organisation; reject: two
        note: same association, its site is cesie.org

Every import reads the file (:func:`load_reviews`) before it links: an accepted pair is linked
(rule ``review``), a rejected pair is never linked whatever the score says. The file is data, under
version control with the curated records, so decisions survive every rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pyoxigraph import NamedNode, Quad

from kg.model.errors import RecordError, RecordsInvalid

REVIEWS_NAME = "organisation-reviews.yaml"
REVIEWS_GRAPH = "curated/organisation-reviews"  # under {base}graph/: what kg build states from the file
OWL_SAME_AS = NamedNode("http://www.w3.org/2002/07/owl#sameAs")
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PROV_ENTITY = NamedNode("http://www.w3.org/ns/prov#Entity")
VERDICTS = ("accept", "reject")


@dataclass(frozen=True)
class Review:
    occurrence: str
    organisation: str
    decision: str
    note: str | None = None


def reviews_path(data_dir: Path) -> Path:
    return data_dir / REVIEWS_NAME


def read_reviews(path: Path) -> list[Review]:
    """The decisions of ``path`` (none when it does not exist); a malformed entry is a
    :class:`RecordsInvalid` naming the file, the entry and the field."""
    if not path.is_file():
        return []
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RecordsInvalid([RecordError(path, "", f"not valid YAML: {exc}")]) from None
    entries = doc.get("decisions") if isinstance(doc, dict) else None
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise RecordsInvalid([RecordError(path, "decisions", "must be a list of decisions")])
    errors: list[RecordError] = []
    out: list[Review] = []
    for i, entry in enumerate(entries):
        where = f"decisions[{i}]"
        if not isinstance(entry, dict):
            errors.append(RecordError(path, where, "must be a mapping with occurrence, organisation, decision"))
            continue
        values = {}
        for key in ("occurrence", "organisation", "decision"):
            v = entry.get(key)
            if not isinstance(v, str) or not v.strip():
                errors.append(RecordError(path, f"{where}.{key}", "is missing or empty"))
            values[key] = str(v or "").strip()
        if values["decision"] and values["decision"] not in VERDICTS:
            errors.append(RecordError(path, f"{where}.decision", f"{values['decision']!r} is not accept or reject"))
        unknown = set(entry) - {"occurrence", "organisation", "decision", "note"}
        if unknown:
            errors.append(RecordError(path, f"{where}.{sorted(unknown)[0]}", "is not a field of a decision (occurrence, organisation, decision, note)"))
        out.append(Review(values["occurrence"], values["organisation"], values["decision"], entry.get("note")))
    if errors:
        raise RecordsInvalid(errors)
    return out


def load_reviews(path: Path) -> dict[tuple[str, str], str]:
    """(occurrence, organisation) → accept | reject; a later line for the same pair wins."""
    return {(r.occurrence, r.organisation): r.decision for r in read_reviews(path)}


def record_review(path: Path, occurrence: str, organisation: str, decision: str, note: str | None = None) -> Review:
    """Add (or replace) the decision for one pair in ``path``, keeping the others and their order."""
    if decision not in VERDICTS:
        raise ValueError(f"{decision!r} is not accept or reject")
    kept = [r for r in read_reviews(path) if (r.occurrence, r.organisation) != (occurrence, organisation)]
    review = Review(occurrence, organisation, decision, note)
    kept.append(review)
    lines = [
        "# Decisions on organisation candidates (kg orgs review): accept = one organisation, reject = two.",
        "# Every import re-applies them; see docs/entity-resolution.md.",
        "decisions:",
    ]
    for r in kept:
        lines.append(f"  - occurrence: {r.occurrence}")
        lines.append(f"    organisation: {r.organisation}")
        lines.append(f"    decision: {r.decision}")
        if r.note:
            lines.append(f"    note: {yaml.safe_dump(r.note, default_style=chr(34)).strip()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return review


def review_quads(reviews: list[Review], organisation_uri: Callable[[str], str], graph: str) -> list[Quad]:
    """What ``kg build`` states from the decisions: ``<occurrence> owl:sameAs <organisation>`` for each
    accepted pair, in the graph of the reviews (so two nodes already in the store are one organisation
    without a URI changing; the next import of the source attaches the occurrence to the known node)."""
    g = NamedNode(graph)
    quads = [Quad(g, RDF_TYPE, PROV_ENTITY, g)]
    for r in reviews:
        if r.decision == "accept":
            quads.append(Quad(NamedNode(organisation_uri(r.occurrence)), OWL_SAME_AS, NamedNode(organisation_uri(r.organisation)), g))
    return quads
