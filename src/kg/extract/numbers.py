"""Numbers a page states: partner and country counts, quantities and ranges of expected results,
activity quantities and durations.

``parse_quantity`` reads an item that starts with a number (``30 key stakeholders from across the
4 countries participate …``, ``10-20 stakeholders per country …``, ``Circa 500 membri …``):
quantity or min/max, ``approximate`` (circa, about, around …), the unit (the words after the number
up to a verb, a relative pronoun or a scope preposition) and the scope (``per country``,
``across the 4 countries``, ``in Italy``). Every part keeps its span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

APPROX = r"circa|about|around|approximately|approx\.|ca\.|nearly|almost|some|quasi|intorno a|oltre|over|more than|at least|almeno|up to|fino a"
QTY_RE = re.compile(
    rf"^(?:(?P<approx>{APPROX})\s+)?(?P<a>\d{{1,3}}(?:[.,  ]\d{{3}})+|\d+)(?:\s*[-–]\s*(?P<b>\d{{1,3}}(?:[.,  ]\d{{3}})+|\d+))?\s+(?P<rest>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
UNIT_STOPS = re.compile(
    r"\s+(?=(?:from|across|per|in|by|to|participate|participated|participating|participates|are|is|will|would|who|that|which|"
    r"involved|reached|trained|attend|attending|attended|take|took|were|was|have|has|on|at|with|during|for|within|"
    r"che|raggiunti|raggiunte|raggiunto|coinvolti|coinvolte|provenienti|attraverso|da|nel|nella|nei|sono|saranno|"
    r"parteciperanno|partecipano|partecipanti|formati|formate|con|tra|entro|al|alla|ai)\b)",
    re.IGNORECASE,
)
SCOPE_RE = re.compile(
    r"^(?:(?:from|da)\s+)?(?P<scope>(?:per|across|within|in each|in every|for each|per ogni|in ogni|in ciascun\w*|in)\s+"
    r".+?)(?=\s+(?:are|is|participate|participated|participating|will|by|to|who|that|which|were|share|and will|sono|saranno|che)\b|[,;.]|$)",
    re.IGNORECASE | re.DOTALL,
)
TIME_UNITS = {
    "day": "D", "days": "D", "giorno": "D", "giorni": "D",
    "week": "W", "weeks": "W", "settimana": "W", "settimane": "W",
    "month": "M", "months": "M", "mese": "M", "mesi": "M",
    "year": "Y", "years": "Y", "anno": "Y", "anni": "Y",
}
DURATION_RE = re.compile(
    r"(?i)(?:^|\b(?:in the first|during the first|for|lasting|over|nei primi|per|durata di)\s+)(?P<n>\d+)[ -](?P<u>days?|giorni|giorno|weeks?|settimane?|settimana|months?|mesi|mese|years?|anni|anno)\b"  # noqa: E501 - one regular expression
)
PARTNER_COUNT_RES = [
    ("partners", re.compile(r"(?i)(?<![\d.,])(?P<n>\d{1,3})\s+(?:project\s+|european\s+|international\s+)?partners\b")),
    ("partner organisations", re.compile(r"(?i)(?<![\d.,])(?P<n>\d{1,3})\s+(?:partner|participating)\s+organi[sz]ations\b")),
    ("partner (it)", re.compile(r"(?<![\d.,])(?P<n>\d{1,3})\s+partner(?=\s*(?:$|[,.;:)]|\s(?:provenienti|di|da|europei|internazionali|in)\b))")),
    ("organizzazioni partner", re.compile(r"(?i)(?<![\d.,])(?P<n>\d{1,3})\s+(?:organizzazioni|enti)\s+partner\b")),
]
COUNTRY_COUNT_RE = re.compile(
    r"(?i)(?<![\d.,])(?P<n>\d{1,3})\s+(?:EU\s+|European\s+|european\s+|partner\s+|participating\s+|different\s+|member\s+|europei\s+|partner\s+)?(?:countries|paesi|stati membri|member states)\b"  # noqa: E501 - one regular expression
)


def to_int(text: str) -> int:
    return int(re.sub(r"[.,  ]", "", text))


@dataclass
class Part:
    value: object
    start: int
    end: int


@dataclass
class Quantity:
    quantity: Part | None = None
    min: Part | None = None
    max: Part | None = None
    approximate: Part | None = None
    unit: Part | None = None
    scope: Part | None = None
    extra: dict[str, Part] = field(default_factory=dict)


def parse_quantity(text: str, offset: int) -> Quantity | None:
    """The number, range, unit and scope at the start of ``text`` (an item); spans are page offsets."""
    m = QTY_RE.match(text)
    if not m:
        return None
    q = Quantity()
    a = to_int(m.group("a"))
    approx = (m.group("approx") or "").casefold()
    if m.group("b"):
        b = to_int(m.group("b"))
        if b < a:
            return None
        q.min = Part(a, offset + m.start("a"), offset + m.end("a"))
        q.max = Part(b, offset + m.start("b"), offset + m.end("b"))
    elif approx in {"oltre", "over", "more than", "at least", "almeno"}:
        q.min = Part(a, offset + m.start("approx"), offset + m.end("a"))
    elif approx in {"up to", "fino a"}:
        q.max = Part(a, offset + m.start("approx"), offset + m.end("a"))
    else:
        q.quantity = Part(a, offset + m.start("a"), offset + m.end("a"))
        if approx:
            q.approximate = Part(True, offset + m.start("approx"), offset + m.end("approx"))
    rest_start = m.start("rest")
    rest = m.group("rest")
    stop = UNIT_STOPS.search(rest)
    unit_end = stop.start() if stop else len(rest)
    unit = rest[:unit_end].rstrip(" ,;.")
    if unit and len(unit.split()) <= 8:
        q.unit = Part(unit, offset + rest_start, offset + rest_start + len(unit))
    if stop:
        after_start = stop.end()
        after = rest[after_start:]
        s = SCOPE_RE.match(after)
        if s:
            scope = s.group("scope").rstrip(" ,;.")
            # "in" scopes only for places and distributive phrases, not "in the training"
            if not re.match(r"(?i)in\s+(?!each|every|ogni|ciascun|the \d|[A-Z])", scope):
                ss = offset + rest_start + after_start + s.start("scope")
                q.scope = Part(scope, ss, ss + len(scope))
    return q


def duration(text: str, offset: int) -> Part | None:
    """An activity's stated length: ``5 days …`` at its start, ``in the first 7 months``, ``for 2 weeks``."""
    m = DURATION_RE.search(text)
    if not m:
        return None
    n = int(m.group("n"))
    unit = TIME_UNITS[m.group("u").casefold()]
    if unit == "W":
        n, unit = n * 7, "D"
    return Part(f"P{n}{unit}", offset + m.start("n"), offset + m.end("u"))
