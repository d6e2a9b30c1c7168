"""Funding programmes and funders named by a page, mapped to data/vocab/programmes.yaml.

Every label, alternative label (all languages) and notation of every scheme concept, and every
funder's name and short name, is searched in the page's *programme evidence*: its funding line,
its category path and its grant number. Matches are whole words, case-, accent- and
dash-insensitive. Grant numbers of Erasmus+ (``2020-1-DE02-KA202-007701``) carry the action code
(``KA202``), looked up as a notation (falling back to its key action, ``KA2``).

The record's ``programme`` is the most specific concept matched whose broader chain contains every
other match; two matches on different branches are AMBIGUOUS and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.model.records import ProgrammeScheme

GRANT_ACTION_RE = re.compile(r"\b(?:19|20)\d{2}-\d-[A-Z]{2}\d{2}-(?P<code>KA(?P<ka>\d)\d{2})-\d{6}\b")


@dataclass
class SchemeMatch:
    id: str
    start: int
    end: int
    how: str  # "label", "alt label", "notation", "grant action code", "funder name", …


def _label_regex(label: str) -> re.Pattern[str]:
    parts = re.split(r"\s+", label.strip())
    body = r"\s+".join(re.escape(p) for p in parts)
    body = body.replace("–", "[–-]").replace(r"\-", r"[–-]")
    return re.compile(rf"(?<![\w]){body}(?![\w])", re.IGNORECASE)


class ProgrammeMatcher:
    def __init__(self, scheme: ProgrammeScheme) -> None:
        self.scheme = scheme
        self.broader = {c.id: c.broader for c in scheme.concepts}
        self._concept_rx: list[tuple[re.Pattern[str], str, str]] = []
        self._by_notation: dict[str, str] = {}
        for c in scheme.concepts:
            for text in scheme.text(c.label).values():
                self._concept_rx.append((_label_regex(text), c.id, "label"))
            for alt in c.alt_labels:
                for text in scheme.text(alt).values():
                    self._concept_rx.append((_label_regex(text), c.id, "alt label"))
            if c.notation:
                self._by_notation[c.notation.upper()] = c.id
                rx = re.compile(rf"(?<![\w]){re.escape(c.notation)}(?![\w])")
                self._concept_rx.append((rx, c.id, "notation"))
        self._funder_rx: list[tuple[re.Pattern[str], str, str]] = []
        for f in scheme.funders:
            for text in scheme.text(f.name).values():
                self._funder_rx.append((_label_regex(text), f.id, "funder name"))
            if f.short_name:
                self._funder_rx.append((_label_regex(f.short_name), f.id, "funder short name"))

    def ancestors(self, cid: str) -> list[str]:
        out: list[str] = []
        cur = self.broader.get(cid)
        while cur is not None and cur not in out:
            out.append(cur)
            cur = self.broader.get(cur)
        return out

    def concepts_in(self, text: str, offset: int = 0) -> list[SchemeMatch]:
        found: list[SchemeMatch] = []
        for rx, cid, how in self._concept_rx:
            for m in rx.finditer(text):
                found.append(SchemeMatch(cid, offset + m.start(), offset + m.end(), how))
        return found

    def funders_in(self, text: str, offset: int = 0) -> list[SchemeMatch]:
        found: list[SchemeMatch] = []
        for rx, fid, how in self._funder_rx:
            for m in rx.finditer(text):
                found.append(SchemeMatch(fid, offset + m.start(), offset + m.end(), how))
        return found

    def grant_action(self, grant: str, offset: int = 0) -> SchemeMatch | None:
        m = GRANT_ACTION_RE.search(grant)
        if not m:
            return None
        code = m.group("code")
        cid = self._by_notation.get(code)
        how = f"grant action code {code}"
        if cid is None:
            cid = self._by_notation.get(f"KA{m.group('ka')}")
            how = f"grant action code {code} → its key action KA{m.group('ka')}"
        if cid is None:
            return None
        return SchemeMatch(cid, offset + m.start("code"), offset + m.end("code"), how)

    def most_specific(self, matches: list[SchemeMatch]) -> tuple[SchemeMatch | None, list[str]]:
        """The deepest match whose chain holds all the others; else ``(None, conflicting ids)``."""
        ids = {m.id for m in matches}
        leaves = [i for i in ids if not any(i in self.ancestors(j) for j in ids if j != i)]
        if len(leaves) == 1:
            leaf = leaves[0]
            # prefer the most explicit evidence for the leaf: label over notation over code
            rank = {"label": 0, "alt label": 1, "notation": 2}
            best = sorted((m for m in matches if m.id == leaf), key=lambda m: (rank.get(m.how, 3), m.start))[0]
            return best, []
        return None, sorted(leaves)
