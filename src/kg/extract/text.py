"""Shared pieces of page extraction: facts with provenance, language by stop words, text helpers.

Every value the extractor writes into a record is a :class:`Fact`: the record field it fills
(``expected_results[1].min``), the value, the character span ``[start, end)`` in the page text,
the exact page text at that span, and the method that found it (a regex name, a section heading,
a heuristic). A value the page does not settle is an :class:`Ambiguity`: reported, never written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from kg.model.uris import slugify

WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

# Function words only; words both languages share ("a", "in", "i", "e" in English lists) are left out.
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """the of and to for with on at by from is are was were be been will would this that these those
        it its their our we they which who what how as an or not than then also into about through
        across between each per has have had can may should such other more most all any both""".split()
    ),
    "it": frozenset(
        """il lo la gli le un una uno di del della dello dei degli delle da dal dalla dai dagli dalle
        al alla allo ai agli alle nel nella nello nei negli nelle sul sulla sui sulle con su tra fra per
        che è sono sarà saranno essere come anche non più questo questa questi queste quello quella loro
        ed e o ma se ogni tutti tutte sia cui dove""".split()
    ),
}



@dataclass
class Fact:
    """One extracted value and where it comes from."""

    field: str
    value: Any
    start: int
    end: int
    text: str
    method: str
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        if out["note"] is None:
            del out["note"]
        return out


@dataclass
class Ambiguity:
    """A value the page does not settle: reported with its candidates, not written into the record."""

    field: str  # shadows dataclasses.field in this class body: the default below uses it qualified
    reason: str
    start: int
    end: int
    text: str
    method: str
    candidates: list[Any] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        cands = f" (candidates: {', '.join(map(str, self.candidates))})" if self.candidates else ""
        shown = self.text if len(self.text) <= 80 else self.text[:79] + "…"
        return f"{self.field}: {self.reason}{cands} at [{self.start}:{self.end}] {shown!r}"


@dataclass
class Ignored:
    """A stretch of page noise the extractor skipped, and why."""

    what: str
    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def stop_word_counts(text: str) -> dict[str, int]:
    tokens = [w.casefold() for w in words(text)]
    return {lang: sum(1 for t in tokens if t in stops) for lang, stops in STOP_WORDS.items()}


def detect_language(text: str, *, min_count: int = 1) -> tuple[str | None, str]:
    """``(language, method)`` of a text: the language with most stop words; for short texts
    without any (titles like "OEP Implementation Report"), Italian when most words end in a vowel.
    ``(None, …)`` when undecided."""
    counts = stop_word_counts(text)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if ranked[0][1] >= min_count and ranked[0][1] > ranked[1][1]:
        return ranked[0][0], f"stop words {counts}"
    tokens = [w for w in words(text) if len(w) > 2 and not w.isupper()]
    if ranked[0][1] == 0 and len(tokens) >= 1:
        vowel = sum(1 for w in tokens if w[-1].lower() in "aeiouàèéìòù")
        ratio = vowel / len(tokens)
        if ratio >= 0.75 and len(tokens) >= 2:
            return "it", f"word endings ({vowel}/{len(tokens)} end in a vowel)"
        if ratio <= 0.5:
            return "en", f"word endings ({vowel}/{len(tokens)} end in a vowel)"
    if ranked[0][1] == 0 and not tokens and words(text):
        return "en", "only acronyms"
    return None, f"undecided {counts}"


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Accents off, case folded, punctuation to spaces: the form text values are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", bare.casefold()).strip()


def slug(text: str, max_words: int = 8) -> str:
    """A record id from the first words of ``text``: an ASCII slug (:func:`kg.model.uris.slugify`, which the
    record model's id pattern requires), or ``page-<hash>`` when no Latin letter or digit is left."""
    words = " ".join(fold(text).split()[:max_words])
    if not words:
        return "page"
    ascii_slug = slugify(words)
    if ascii_slug == "x" and words != "x":  # e.g. a Greek or Cyrillic title
        return "page-" + hashlib.sha1(words.encode("utf-8")).hexdigest()[:8]
    return ascii_slug


def strip_span(text: str, start: int, end: int, chars: str = " \t\r\n;,.:•-–—*·") -> tuple[int, int]:
    """Shrink ``[start, end)`` of ``text`` past leading/trailing whitespace and list punctuation."""
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Whitespace only."""
    return strip_span(text, start, end, " \t\r\n")
