"""What a bullet list (or an inline enumeration) is: objectives, activities, expected results,
outputs — from its section heading, or, for an unlabelled list, from its content.

Content rules (the method recorded says which fired):

- objectives: items that start with an infinitive (``To promote …``; Italian ``Promuovere …``);
- activities: items that start with a gerund (``Setting up …``) or name an activity
  (training, info day, workshop, seminar, study visit, conference, action project, campaign …);
- expected results: items that state people taking part or reached (``participate``, ``involved``,
  ``reached``, ``expected to``), especially with a number.

The majority class of the items wins; a tie is AMBIGUOUS.
"""

from __future__ import annotations

import re

INFINITIVE_EN = re.compile(r"^(?:to|To)\s+[a-z]+")
INFINITIVE_IT = re.compile(r"^[A-Z][a-zàèéìòù]+(?:are|ere|ire)\b")
GERUND = re.compile(r"^[A-Z][a-z]+ing\b")
RESULT_VERBS = re.compile(
    r"(?i)\b(?:participate[sd]?|participating|involved|reached|reach|expected to|will benefit|benefit from|trained|attend(?:ed)?|"
    r"raggiunt[ieo]|coinvolt[ieo]|parteciperanno|partecipano|beneficeranno)\b"
)
ACTIVITY_WORDS = re.compile(
    r"(?i)\b(?:training|trainings|info[- ]?days?|workshops?|seminars?|study visits?|visits?|conferences?|action projects?|"
    r"campaigns?|meetings?|webinars?|round tables?|focus groups?|exchanges?|mapping|formazione|laboratori|incontri|campagne|"
    r"conferenza|visite)\b"
)
NUMBER_START = re.compile(r"^(?:circa|about|around|approximately|oltre|over|more than|at least|almeno)?\s*\d")

ACTIVITY_KINDS: list[tuple[str, str]] = [
    (r"training of trainers", "training of trainers"),
    (r"info[- ]?days?", "info day"),
    (r"info[- ]sessions?", "info session"),
    (r"study visits?", "study visit"),
    (r"training seminars?", "training seminar"),
    (r"workshops?", "workshop"),
    (r"round tables?", "round table"),
    (r"focus groups?", "focus group"),
    (r"conferen(?:ce|ces|za|ze)", "conference"),
    (r"campagn[ae] di sensibilizzazione|awareness campaigns?|campaigns?", "awareness campaign"),
    (r"comitat[oi]|committees?", "committee"),
    (r"needs (?:review|assessment)", "needs assessment"),
    (r"co-design", "co-design"),
    (r"action projects?", "action project"),
    (r"support desk", "support desk"),
    (r"website", "website"),
    (r"local panel", "local panel of stakeholders"),
    (r"exchange good practices|exchange of good practices|scambio di buone pratiche", "exchange of good practices"),
    (r"transfer of \d+ best practices|transfer of best practices", "transfer of best practices"),
    (r"studio partecipativo|participatory study", "participatory study"),
    (r"integration strateg\w*|local strateg\w*|strateg(?:y|ies) development", "strategy development"),
    (r"progettazione di un modello|model design|modell?o", "model design"),
    (r"empowerment programme|capacity building", "capacity building"),
    (r"mappatura|mapping", "mapping"),
    (r"training|formazione", "training"),
]
OUTPUT_KINDS: list[tuple[str, str]] = [
    (r"report|relazione|rapporto", "report"),
    (r"toolkit", "toolkit"),
    (r"manual|manuale|handbook", "manual"),
    (r"vlog|video", "video"),
    (r"modell?o|model", "model"),
    (r"protocoll?o|protocol|memorandum|agreement", "agreement"),
    (r"mappatura|mapping", "mapping"),
    (r"studio|study", "study"),
    (r"strateg\w*", "strategy"),
    (r"manifesto|guide|guida|guidelines|linee guida", "guide"),
]


def kind_of(text: str, table: list[tuple[str, str]]) -> tuple[str, int, int] | None:
    """The kind whose keyword occurs first in ``text`` (longest at the same position)."""
    best: tuple[int, int, str] | None = None
    for rx, kind in table:
        m = re.search(rf"(?i)(?<!\w)(?:{rx})(?!\w)", text)
        if m and (best is None or (m.start(), -(m.end() - m.start())) < (best[0], -(best[1] - best[0]))):
            best = (m.start(), m.end(), kind)
    if best is None:
        return None
    return best[2], best[0], best[1]


def item_class(text: str) -> str | None:
    if INFINITIVE_EN.match(text) or INFINITIVE_IT.match(text):
        return "objectives"
    result = bool(RESULT_VERBS.search(text))
    activity = bool(ACTIVITY_WORDS.search(text)) or bool(GERUND.match(text))
    if result and (NUMBER_START.match(text) or not activity or re.search(r"(?i)\b(?:participate|involved in)\b", text)):
        return "expected_results"
    if activity:
        return "activities"
    return None


def classify_list(items: list[str]) -> tuple[str | None, str]:
    """``(kind, method)`` of an unlabelled list, by the majority of its items' classes."""
    votes: dict[str, int] = {}
    for text in items:
        k = item_class(text)
        if k:
            votes[k] = votes.get(k, 0) + 1
    if not votes:
        return None, "content: no item matched a rule"
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None, f"content: tie {dict(ranked)}"
    kind, n = ranked[0]
    why = {
        "objectives": "items start with an infinitive ('To …')",
        "activities": "items start with a gerund or name an activity",
        "expected_results": "items state participants or reach (numbers + 'participate'/'involved')",
    }[kind]
    return kind, f"heuristic:content ({n}/{len(items)} {why})"
