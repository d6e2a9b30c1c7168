"""A page's layout: lines, page noise, headings, sections, bullet lists, paragraphs, pipe tables.

The pages are plain text scraped from project web sites: a title line, a breadcrumb
(``Home » Projects » …``), headed sections (``Obiettivi``, ``Attività``, ``Risorse``, ``Impatto``,
``Partner`` / ``Objectives``, ``Activities``, ``Results`` …), a project box of labelled values
(``Numero di progetto`` / ``Project number``, ``Data di attuazione`` / ``Implementation date`` …),
bullet lists with or without a heading, ``Header | Header |`` tables, and site furniture
(``Up2Europe Ads``, ``Follow the project in action``, repeated blocks).

:func:`segment` turns the text into :class:`Page`: every line classified, noise marked with the
reason it is noise (so no fact is taken from it), and content grouped into :class:`Section`\\ s of
:class:`Block`\\ s. Offsets are always offsets into the original text.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from kg.extract.text import Ignored, detect_language, fold

# heading text (folded) -> (section kind, language)
HEADINGS: dict[str, tuple[str, str]] = {}


def _h(kind: str, lang: str, *labels: str) -> None:
    for label in labels:
        HEADINGS[fold(label)] = (kind, lang)


_h("objectives", "it", "Obiettivi", "Obiettivo", "Obiettivi del progetto", "Finalità")
_h("objectives", "en", "Objectives", "Objective", "Aims", "Project objectives", "Goals", "Aims and objectives")
_h("activities", "it", "Attività", "Azioni", "Attività del progetto")
_h("activities", "en", "Activities", "Project activities", "Actions", "Work packages")
_h("results", "it", "Impatto", "Risultati", "Risultati attesi", "Impatti")
_h("results", "en", "Impact", "Results", "Expected results", "Expected impact", "Outcomes", "Impacts")
_h("outputs", "it", "Risorse", "Prodotti", "Materiali", "Output")
_h("outputs", "en", "Resources", "Outputs", "Deliverables", "Products", "Materials", "Intellectual outputs")
_h("partners", "it", "Partner", "Partenariato", "Partner del progetto")
_h("partners", "en", "Partners", "Partnership", "Consortium")
_h("target_groups", "it", "Destinatari", "Gruppi target", "Beneficiari")
_h("target_groups", "en", "Target groups", "Target group", "Target audience", "Beneficiaries")
_h("box", "it", "Il progetto")
_h("box", "en", "The project", "Project details")
_h("grant", "it", "Numero di progetto", "Numero del progetto", "Codice progetto", "Numero di convenzione")
_h("grant", "en", "Project number", "Grant agreement", "Grant number", "Project code", "Project reference")
_h("dates", "it", "Data di attuazione", "Periodo di attuazione", "Durata", "Date")
_h("dates", "en", "Implementation date", "Implementation period", "Duration", "Timespan", "Dates")
_h("funding", "it", "Istituzione Finanziatrice", "Finanziamento", "Finanziamenti", "Programma", "Fonte di finanziamento")
_h("funding", "en", "Fundings", "Funding", "Funded by", "Founded by", "Programme", "Funding programme")
_h("categories", "it", "Categorie", "Categoria")
_h("categories", "en", "Categories", "Category")
_h("units", "it", "Unità")
_h("units", "en", "Units", "Unit")
_h("contacts", "it", "Info & contatti", "Contatti", "Info e contatti")
_h("contacts", "en", "Info & contacts", "Contacts", "Contact")
_h("email", "it", "E-mail", "Email", "Posta elettronica")
_h("social", "en", "Social Media", "Social")
_h("background", "en", "Background", "Context")
_h("background", "it", "Contesto")
_h("summary", "en", "Description", "Summary", "Abstract", "About the project")
_h("summary", "it", "Descrizione", "Sintesi")
_h("furniture", "en", "Project leaflet")
_h("sdgs", "en", "SDGs", "SDG", "Sustainable Development Goals")
_h("sdgs", "it", "Obiettivi di sviluppo sostenibile", "Obiettivi di Sviluppo Sostenibile (SDGs)")
_h("countries", "en", "Countries involved", "Countries", "Participating countries", "Partner countries")
_h("countries", "it", "Paesi coinvolti", "Paesi", "Paesi partner")

# kinds whose heading labels one value (the project box), not a body section
BOX_KINDS = {"grant", "dates", "funding", "categories", "units", "email", "sdgs", "countries"}

# Site furniture: the whole line is noise (folded text -> why).
NOISE_LINES: dict[str, str] = {
    fold("Search for European Projects"): "site navigation (Up2Europe search box)",
    fold("Up2Europe Ads"): "advertising block",
    fold("Project on ERASMUS Platform"): "link text",
    fold("Follow the project in action"): "social-media call to action",
    fold("Segui il progetto in azione"): "social-media call to action",
    fold("Project leaflet"): "document label",
    fold("Participants"): "tab label",
}

BULLET_RE = re.compile(r"^(?P<indent>\s*)(?P<marker>[•\-–—*·▪◦])\s+(?P<body>\S.*?)\s*$")
NUMBERED_RE = re.compile(r"^(?P<indent>\s*)(?P<marker>(?P<n>\d{1,2})[.)])\s+(?P<body>\S.*?)\s*$")
BREADCRUMB_RE = re.compile(r"^\s*(?:Home|Homepage|Inizio)\s*[»>›]\s*\S")


@dataclass
class Line:
    index: int
    start: int  # offset of the first character of the line
    end: int  # offset after the last character (before the newline)
    raw: str
    kind: str = "text"  # blank, noise, heading, bullet, numbered, numbered-heading, table, text
    why: str | None = None  # for noise: why
    heading_kind: str | None = None
    heading_lang: str | None = None
    body_start: int = 0  # content span (bullet marker and surrounding spaces removed)
    body_end: int = 0
    number: int | None = None  # numbered items

    @property
    def text(self) -> str:
        return self.raw.strip()

    @property
    def body(self) -> str:
        return self.raw[self.body_start - self.start : self.body_end - self.start]

    @property
    def content(self) -> bool:
        return self.kind not in {"blank", "noise"}


@dataclass
class Block:
    """Consecutive content lines of one nature: a bullet list, a paragraph, a table, a numbered item."""

    kind: str  # list, paragraph, table, numbered-heading
    lines: list[Line]

    @property
    def start(self) -> int:
        return self.lines[0].body_start

    @property
    def end(self) -> int:
        return self.lines[-1].body_end


@dataclass
class Section:
    heading: Line | None
    kind: str | None  # from the heading vocabulary; None for unlabelled stretches
    blocks: list[Block] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.blocks

    @property
    def label(self) -> str:
        return self.heading.text if self.heading else "(no heading)"


@dataclass
class Page:
    text: str
    lines: list[Line]
    sections: list[Section]
    ignored: list[Ignored]
    title_line: Line | None

    def noise_at(self, start: int, end: int) -> bool:
        """True when ``[start, end)`` overlaps a noise line."""
        for line in self.lines:
            if line.kind == "noise" and line.start < end and start < line.end:
                return True
        return False

    def section_at(self, offset: int) -> Section | None:
        for s in self.sections:
            lo = s.heading.start if s.heading else (s.blocks[0].start if s.blocks else None)
            hi = s.blocks[-1].end if s.blocks else (s.heading.end if s.heading else None)
            if lo is not None and hi is not None and lo <= offset <= hi:
                return s
        return None

    def content_spans(self) -> list[tuple[int, int]]:
        """Spans of every line that is not noise (regex extractors search these)."""
        return [(ln.start, ln.end) for ln in self.lines if ln.content]


def _split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    pos = 0
    for i, raw in enumerate(text.split("\n")):
        raw_clean = raw[:-1] if raw.endswith("\r") else raw
        line = Line(i, pos, pos + len(raw_clean), raw_clean)
        lead = len(raw_clean) - len(raw_clean.lstrip())
        line.body_start = pos + lead
        line.body_end = pos + len(raw_clean.rstrip())
        lines.append(line)
        pos += len(raw) + 1
    return lines


def _heading_of(text: str) -> tuple[str, str] | None:
    key = fold(text.rstrip(":"))
    return HEADINGS.get(key)


def _is_allcaps_heading(line: Line, prev: Line | None, nxt: Line | None) -> bool:
    t = line.text
    letters = [c for c in t if c.isalpha()]
    return (
        bool(letters)
        and all(c.isupper() for c in letters)
        and len(t.split()) <= 4
        and len(letters) >= 4
        and not re.search(r"\d", t)
        and (prev is None or prev.kind == "blank")
        and nxt is not None
        and not nxt.text
    )


def _classify(lines: list[Line], ignored: list[Ignored], text: str) -> None:
    seen: dict[str, int] = {}
    for i, line in enumerate(lines):
        t = line.text
        if not t:
            line.kind = "blank"
            continue
        key = fold(t)
        if key in NOISE_LINES:
            line.kind, line.why = "noise", NOISE_LINES[key]
        elif BREADCRUMB_RE.match(line.raw):
            line.kind, line.why = "noise", "breadcrumb"
        elif key in seen and len(key.split()) >= 2:
            line.kind, line.why = "noise", f"repeats line {seen[key] + 1}"
        seen.setdefault(key, i)
        if line.kind == "noise":
            continue
        found = _heading_of(t)
        if found and len(t) <= 60:
            line.kind, (line.heading_kind, line.heading_lang) = "heading", found
            continue
        m = BULLET_RE.match(line.raw)
        if m:
            line.kind = "bullet"
            line.body_start = line.start + m.start("body")
            line.body_end = line.start + m.end("body")
            continue
        m = NUMBERED_RE.match(line.raw)
        if m:
            line.kind = "numbered"
            line.number = int(m.group("n"))
            line.body_start = line.start + m.start("body")
            line.body_end = line.start + m.end("body")
            continue
        if "|" in t and t.count("|") >= 1 and (t.endswith("|") or " | " in t):
            line.kind = "table"
    # headings in capitals that the vocabulary does not know ("BACKGROUND" is known; others too)
    for i, line in enumerate(lines):
        if line.kind == "text":
            prev = lines[i - 1] if i else None
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if _is_allcaps_heading(line, prev, nxt):
                line.kind, line.heading_kind, line.heading_lang = "heading", "other", None
    # a numbered line that is short and followed (after blanks) by a paragraph is an item heading
    for i, line in enumerate(lines):
        if line.kind != "numbered":
            continue
        body = line.body
        nxt = next((ln for ln in lines[i + 1 :] if ln.kind != "blank"), None)
        followed_by_blank = i + 1 < len(lines) and lines[i + 1].kind == "blank"
        if len(body.split()) <= 12 and not body.endswith(".") and followed_by_blank and nxt is not None and nxt.kind == "text":
            line.kind = "numbered-heading"
    _near_repeats(lines)
    for line in lines:
        if line.kind == "noise":
            ignored.append(Ignored(line.why or "noise", line.start, line.end, line.raw))


def _near_repeats(lines: list[Line]) -> None:
    """A line between two lines that repeat earlier neighbouring lines, and nearly equal to the line
    between those, is part of the repeated block (seed 001 repeats its block with "Founded by" for
    "Funded by")."""
    index: dict[str, int] = {}
    for ln in lines:
        if ln.text:
            index.setdefault(fold(ln.text), ln.index)
    for i in range(1, len(lines) - 1):
        line, prev, nxt = lines[i], lines[i - 1], lines[i + 1]
        if line.kind == "noise" or not line.text:
            continue
        if prev.kind == "noise" and (prev.why or "").startswith("repeats") and nxt.kind == "noise" and (nxt.why or "").startswith("repeats"):
            j_prev, j_next = index.get(fold(prev.text)), index.get(fold(nxt.text))
            if j_prev is not None and j_next is not None and j_next - j_prev == 2:
                original = lines[j_prev + 1]
                ratio = difflib.SequenceMatcher(None, original.text, line.text).ratio()
                if ratio >= 0.8:
                    line.kind, line.why = "noise", f"repeats line {original.index + 1} (nearly: {ratio:.2f})"


def segment(text: str) -> Page:
    ignored: list[Ignored] = []
    lines = _split_lines(text)
    _classify(lines, ignored, text)

    # the title: the first content line, before any heading, that reads like a title
    title_line: Line | None = None
    for line in lines:
        if line.kind in {"blank", "noise"}:
            continue
        if line.kind == "text" and len(line.text.split()) <= 20 and not line.text.endswith((".", ":", "?", "!")):
            title_line = line
        break

    sections: list[Section] = []
    current = Section(None, None)
    sections.append(current)
    blank_run = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.kind == "blank" or line.kind == "noise":
            if line.kind == "blank":
                blank_run += 1
                # a layout break (3+ blank lines) ends a headed section
                if blank_run == 3 and current.kind is not None and current.blocks:
                    current = Section(None, None)
                    sections.append(current)
            i += 1
            continue
        blank_run = 0
        if line is title_line:
            i += 1
            continue
        if line.kind == "heading":
            current = Section(line, line.heading_kind)
            sections.append(current)
            i += 1
            continue
        if line.kind in {"bullet", "numbered"}:
            group = [line]
            j = i + 1
            while j < len(lines) and lines[j].kind in {"bullet", "numbered"}:
                group.append(lines[j])
                j += 1
            current.blocks.append(Block("list", group))
            i = j
            continue
        if line.kind == "table":
            group = [line]
            j = i + 1
            while j < len(lines) and lines[j].kind == "table":
                group.append(lines[j])
                j += 1
            current.blocks.append(Block("table", group))
            i = j
            continue
        if line.kind == "numbered-heading":
            current.blocks.append(Block("numbered-heading", [line]))
            i += 1
            continue
        current.blocks.append(Block("paragraph", [line]))
        i += 1
    sections = [s for s in sections if s.heading is not None or s.blocks]
    for s in sections:
        if s.heading is not None and s.empty:
            ignored.append(Ignored("empty heading", s.heading.start, s.heading.end, s.heading.raw))
        elif s.heading is not None and s.kind in {"contacts", "social", "furniture", "units", "partners", "box"}:
            ignored.append(Ignored(f"heading ({s.kind})", s.heading.start, s.heading.end, s.heading.raw))
    ignored.sort(key=lambda x: x.start)
    return Page(text, lines, sections, ignored, title_line)


def page_languages(page: Page) -> tuple[list[str], list[dict[str, Any]]]:
    """The page's languages, most text first, and the per-section evidence.

    Each section's content is classified by stop-word counts; headings count for the language of
    the heading vocabulary. A language is listed when content or headings use it."""
    share: dict[str, int] = {}
    evidence: list[dict[str, Any]] = []
    heading_langs: list[str] = []
    units: list[tuple[str, int, int, str]] = []
    if page.title_line is not None:
        units.append(("title", page.title_line.start, page.title_line.end, page.title_line.text))
    for s in page.sections:
        if s.heading is not None and s.heading.heading_lang:
            heading_langs.append(s.heading.heading_lang)
        text = "\n".join(page.text[b.start : b.end] for b in s.blocks)
        if s.blocks:
            units.append((s.label, s.blocks[0].start, s.blocks[-1].end, text))
    for label, start, end, text in units:
        text = re.sub(r"\S+@\S+|https?://\S+", " ", text)
        if label != "title" and len(text.split()) < 3:
            continue
        lang, method = detect_language(text, min_count=2 if len(text) > 80 else 1)
        evidence.append({"section": label, "start": start, "end": end, "language": lang, "method": method})
        if lang:
            share[lang] = share.get(lang, 0) + len(text)
    langs = [lang for lang, _ in sorted(share.items(), key=lambda kv: -kv[1])]
    for lang in heading_langs:
        if lang not in langs:
            langs.append(lang)
    if heading_langs:
        counts = {lang: heading_langs.count(lang) for lang in set(heading_langs)}
        evidence.append({"section": "headings", "language": max(counts, key=counts.__getitem__), "method": f"heading vocabulary {counts}"})
    return langs, evidence
