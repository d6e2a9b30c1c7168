"""Project start and end dates as pages write them, kept at the precision they are stated.

Forms (each a named regex, the name is the provenance method):

- ``dmy-range``: ``15/01/2019- 14/01/2021``, ``03/02/2020 – 02/04/2022`` (day/month/year; the
  pages are European, so numeric dates read day first; the reading is *confirmed* when a first
  component is above 12, otherwise noted as the convention);
- ``my-range``: ``09/2017 08/2019``, ``09/2017 - 08/2019`` (month/year);
- ``labelled``: ``Start date: Nov 1, 2009``, ``End date: 31 March 2011``, ``Data di inizio: …``;
- ``started-ended``: ``started on December 2020 and will end on May 2023`` (English),
  ``è iniziato a dicembre 2020 e terminerà a maggio 2023`` (Italian);
- ``from-to``: ``from 1 October 2019 to 30 September 2021``, ``dal 1 ottobre 2019 al …``.

A start (or end) found twice with different values is AMBIGUOUS: reported, not written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kg.model.records import PartialDate

MONTHS: dict[str, int] = {}
for i, names in enumerate(
    [
        ("january", "jan", "gennaio", "gen"),
        ("february", "feb", "febbraio"),
        ("march", "mar", "marzo"),
        ("april", "apr", "aprile"),
        ("may", "maggio", "mag"),
        ("june", "jun", "giugno", "giu"),
        ("july", "jul", "luglio", "lug"),
        ("august", "aug", "agosto", "ago"),
        ("september", "sep", "sept", "settembre", "set"),
        ("october", "oct", "ottobre", "ott"),
        ("november", "nov", "novembre"),
        ("december", "dec", "dicembre", "dic"),
    ],
    start=1,
):
    for n in names:
        MONTHS[n] = i

_MONTH = r"(?i:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# a date written with a month name: "Nov 1, 2009", "1 November 2009", "December 2020", "1° ottobre 2019"
_NAMED = (
    rf"(?:(?P<{{p}}md_m>{_MONTH})\s+(?P<{{p}}md_d>\d{{{{1,2}}}}),?\s+(?P<{{p}}md_y>\d{{{{4}}}})"
    rf"|(?P<{{p}}dm_d>\d{{{{1,2}}}})°?\s+(?P<{{p}}dm_m>{_MONTH})\s+(?P<{{p}}dm_y>\d{{{{4}}}})"
    rf"|(?P<{{p}}my_m>{_MONTH})\s+(?P<{{p}}my_y>\d{{{{4}}}}))"
)
_NUMERIC = r"(?P<{p}n_d>\d{{1,2}})[/.](?P<{p}n_m>\d{{1,2}})[/.](?P<{p}n_y>\d{{4}})"
_ANY = "(?:" + _NUMERIC + "|" + _NAMED + ")"


def _any(prefix: str) -> str:
    return _ANY.format(p=prefix)


PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "dmy-range",
        re.compile(
            r"(?<![\d/.])(?P<a>(?P<ad>\d{1,2})/(?P<am>\d{1,2})/(?P<ay>\d{4}))\s*[-–—]\s*"
            r"(?P<b>(?P<bd>\d{1,2})/(?P<bm>\d{1,2})/(?P<by>\d{4}))(?![\d/])"
        ),
    ),
    (
        "my-range",
        re.compile(
            r"(?<![\d/.])(?P<a>(?P<am>\d{1,2})/(?P<ay>\d{4}))(?:\s*[-–—]\s*|\s+)"
            r"(?P<b>(?P<bm>\d{1,2})/(?P<by>\d{4}))(?![\d/])"
        ),
    ),
    (
        "labelled-start",
        re.compile(rf"(?i:start(?:ing)? date|data di inizio|inizio|start)\s*:\s*(?P<a>{_any('a')})"),
    ),
    (
        "labelled-end",
        re.compile(rf"(?i:end(?:ing)? date|data di fine|data di conclusione|fine|end)\s*:\s*(?P<b>{_any('b')})"),
    ),
    (
        "started-ended",
        re.compile(
            rf"(?i:started|began|starts|begins|started in|è iniziato|è partito|inizia)\s+(?i:on|in|a|il|nel)?\s*(?P<a>{_any('a')})"
            rf"(?:\s*,?\s*(?i:and|e)\s+(?i:will end|ended|ends|ending|terminerà|si concluderà|è terminato|finirà)\s+(?i:on|in|a|il|nel)?\s*(?P<b>{_any('b')}))?"
        ),
    ),
    (
        "from-to",
        re.compile(rf"(?i:from|dal|dall['’]|da)\s*(?P<a>{_any('a')})\s+(?i:to|until|al|all['’]|a)\s*(?P<b>{_any('b')})"),
    ),
]


@dataclass
class FoundDate:
    role: str  # start or end
    value: PartialDate
    start: int
    end: int
    method: str
    note: str | None = None


def _named(m: re.Match[str], p: str) -> PartialDate | None:
    g = m.groupdict()
    if g.get(p + "n_y"):
        return _dmy(int(g[p + "n_d"]), int(g[p + "n_m"]), int(g[p + "n_y"]))[0]
    if g.get(p + "md_y"):
        return PartialDate(int(g[p + "md_y"]), _month(g[p + "md_m"]), int(g[p + "md_d"]))
    if g.get(p + "dm_y"):
        return PartialDate(int(g[p + "dm_y"]), _month(g[p + "dm_m"]), int(g[p + "dm_d"]))
    if g.get(p + "my_y"):
        return PartialDate(int(g[p + "my_y"]), _month(g[p + "my_m"]))
    return None


def _month(name: str) -> int:
    return MONTHS[name.rstrip(".").casefold()]


def _dmy(d: int, m: int, y: int) -> tuple[PartialDate | None, str | None]:
    """Day-first reading of a numeric date, with a note on how sure it is."""
    try:
        date(y, m, d)
    except ValueError:
        try:
            date(y, d, m)
        except ValueError:
            return None, None
        return PartialDate(y, d, m), "month/day/year: the day-first reading is not a date"
    if d > 12:
        return PartialDate(y, m, d), None
    return PartialDate(y, m, d), "day/month/year by the European convention (no component above 12 confirms it)"


def _valid(value: PartialDate) -> bool:
    try:
        PartialDate.parse(value.lexical())
        return True
    except ValueError:
        return False


def find_dates(text: str, spans: list[tuple[int, int]]) -> list[FoundDate]:
    """Every start/end date stated in the ``spans`` of ``text`` (the page's content lines)."""
    found: list[FoundDate] = []
    for lo, hi in spans:
        chunk = text[lo:hi]
        taken: list[tuple[int, int]] = []
        for name, rx in PATTERNS:
            for m in rx.finditer(chunk):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                # month names as whole words only
                if re.search(r"[A-Za-z]", m.group(0)) and not _word_bounded(chunk, m):
                    continue
                got = _from_match(name, m)
                if not got:
                    continue
                taken.append((m.start(), m.end()))
                for role, value, (s, e), note in got:
                    if value is not None and _valid(value):
                        found.append(FoundDate(role, value, lo + s, lo + e, f"regex:{name}", note))
    return found


def _word_bounded(chunk: str, m: re.Match[str]) -> bool:
    for key in ("a", "b"):
        if m.groupdict().get(key):
            s, e = m.span(key)
            if (s > 0 and chunk[s - 1].isalpha()) or (e < len(chunk) and chunk[e].isalpha()):
                return False
    return True


def _from_match(name: str, m: re.Match[str]) -> list[tuple[str, PartialDate | None, tuple[int, int], str | None]]:
    g = m.groupdict()
    out: list[tuple[str, PartialDate | None, tuple[int, int], str | None]] = []
    if name == "dmy-range":
        a, note_a = _dmy(int(g["ad"]), int(g["am"]), int(g["ay"]))
        b, note_b = _dmy(int(g["bd"]), int(g["bm"]), int(g["by"]))
        if a is None or b is None:
            return []
        # one reading for both ends: confirmed if either end confirms it
        confirmed = note_a is None or note_b is None
        note = None if confirmed else note_a
        out = [("start", a, m.span("a"), note), ("end", b, m.span("b"), note)]
    elif name == "my-range":
        a, b = PartialDate(int(g["ay"]), int(g["am"])), PartialDate(int(g["by"]), int(g["bm"]))
        assert a.month is not None and b.month is not None  # both built with a month just above
        if not (1 <= a.month <= 12 and 1 <= b.month <= 12):
            return []
        out = [("start", a, m.span("a"), None), ("end", b, m.span("b"), None)]
    else:
        if g.get("a"):
            out.append(("start", _named(m, "a"), m.span("a"), None))
        if g.get("b"):
            out.append(("end", _named(m, "b"), m.span("b"), None))
    return out
