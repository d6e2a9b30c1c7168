"""Suggested SDG targets for a project whose page states none: TF-IDF cosine similarity between
the project's English text and the UN SDG KOS target labels (each with its goal's label).

These are *suggestions*, never facts: they go into the record's ``sdg_suggestions`` (target,
confidence = the cosine, method), never into ``sdgs`` (``kg:sdg``), and only for records that state
no SDG. A tiny TF-IDF (standard library only): words folded and truncated to their first five letters
(so "migrants" meets "migration"), English and generic stop words dropped, ``tf = 1 + log(count)``, ``idf = log((1 + N) / (1 + df)) + 1`` over the N target documents,
L2-normalised vectors, cosine. Texts in other languages than English are not compared (the KOS
has English, Spanish and French labels only).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kg.extract.text import STOP_WORDS, fold
from kg.linking.sdg_queries import Matcher
from kg.linking.sdg_suggestions import suggest
from kg.linking.sdgs import SdgKos, UnknownSdg

METHOD = "tfidf-cosine:un-sdg-kos-target+goal-labels@en"
EXTRA_STOP = frozenset(
    """2030 2020 2025 all including through within among ensure achieve promote increase substantially enhance
    project projects partner partners will its their them other level levels per support build develop developing
    developed development country countries national international implement implementation programme programmes
    review local effective different main also well based order case""".split()
)
PREFIX = 5  # truncation stemming: "migrants"/"migration" -> "migra", "inclusion"/"inclusive" -> "inclu"


def stem(word: str) -> str:
    return word[:PREFIX]


def terms(text: str) -> list[str]:
    out = []
    for w in fold(text).split():
        if len(w) < 3 or w.isdigit() or w in STOP_WORDS["en"] or w in EXTRA_STOP:
            continue
        out.append(stem(w))
    return out


@dataclass
class Suggestion:
    target: str  # "10.2"
    uri: str
    confidence: float
    shared_terms: list[str]
    label: str


class TargetIndex:
    """The KOS targets as TF-IDF vectors."""

    def __init__(self, kos: SdgKos) -> None:
        self.kos = kos
        self.targets: list[tuple[str, str, str]] = []  # (code, uri, label)
        for goal in range(1, 18):
            for part in [str(n) for n in range(1, 21)] + list("abcdefgh"):
                code = f"{goal}.{part}"
                try:
                    uri = kos.resolve(code)
                except UnknownSdg:
                    continue
                if kos.is_target(uri):
                    self.targets.append((code, uri, kos.label(uri, "en")))
        docs = []
        for _code, uri, label in self.targets:
            goal_label = kos.label(kos.goal_of(uri), "en")
            docs.append(Counter(terms(label + " " + goal_label)))
        n = len(docs)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
        self.vectors = [self._vector(d) for d in docs]

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        v = {t: (1 + math.log(c)) * self.idf[t] for t, c in counts.items() if t in self.idf}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {t: x / norm for t, x in v.items()}

    def suggest(self, text: str, *, top: int = 3, threshold: float = 0.15) -> list[Suggestion]:
        q = self._vector(Counter(terms(text)))
        if not q:
            return []
        scored = []
        for (code, uri, label), vec in zip(self.targets, self.vectors):
            shared = [t for t in q if t in vec]
            score = sum(q[t] * vec[t] for t in shared)
            if score >= threshold:
                shared.sort(key=lambda t: -q[t] * vec[t])
                scored.append(Suggestion(code, uri, round(score, 3), shared[:6], label))
        scored.sort(key=lambda s: -s.confidence)
        return scored[:top]


_INDEX: dict[int, TargetIndex] = {}


def index_for(kos: SdgKos) -> TargetIndex:
    if id(kos) not in _INDEX:
        _INDEX[id(kos)] = TargetIndex(kos)
    return _INDEX[id(kos)]


def english_text(record: dict, record_language: str) -> str:
    """The record's English text: title, full name, summary, objectives, activities, target groups, results."""
    parts: list[str] = []

    def add(value: object) -> None:
        if isinstance(value, str):
            if record_language == "en":
                parts.append(value)
        elif isinstance(value, dict):
            if "en" in value:
                parts.append(str(value["en"]))

    for key in ("full_name", "summary"):
        add(record.get(key))
    if not record.get("full_name"):
        add(record.get("title"))
    for o in record.get("objectives", []):
        add(o)
    for a in record.get("activities", []):
        add(a.get("title"))
        add(a.get("description"))
    for t in record.get("target_groups", []):
        add(t.get("label"))
    for r in record.get("expected_results", []):
        add(r.get("description"))
    return "\n".join(parts)


SUGGEST_MIN_TERMS = 30  # fewer English words than this: no suggestion (too little text to compare)


def suggest_for_record(record: dict[str, Any], kos: SdgKos) -> list[dict[str, Any]]:
    """The suggestions for a record (curated-record dict) from its English text; none when it has fewer
    than SUGGEST_MIN_TERMS English terms. Each: target, uri, confidence, method, shared_terms, label."""
    text = english_text(record, record.get("language", "en"))
    if len(terms(text)) < SUGGEST_MIN_TERMS:
        return []
    return [
        {"target": s.target, "uri": s.uri, "confidence": s.confidence, "method": METHOD, "shared_terms": s.shared_terms, "label": s.label}
        for s in index_for(kos).suggest(text)
    ]


def aurora_for_record(record: dict[str, Any], matcher: Matcher) -> list[dict[str, Any]]:
    """Suggested SDG targets from the Aurora queries (:mod:`kg.linking.sdg_queries`, what ``kg build``
    writes into the suggestions graph) over the record's title, full name, summary and objectives:
    ``target``, ``confidence`` (the score, 1 − 0.5^k for k matching query lines), ``method`` (the
    query lines), ``shared_terms`` (the matched words), best first, at most three."""
    texts: list[str] = []
    for value in [record.get("title"), record.get("full_name"), record.get("summary"), *(record.get("objectives") or [])]:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            texts.extend(str(v) for v in value.values())
    out = []
    for s in suggest(matcher, texts)[:3]:
        out.append({
            "target": s.target,
            "confidence": float(s.score),
            "method": f"aurora-sdg-queries-{matcher.queries.version}:" + ",".join(q.id for q in s.lines),
            "shared_terms": s.matched,
            "label": f"SDG target {s.target}",
        })
    return out
