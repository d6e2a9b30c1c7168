"""Project web pages → curated-record YAML, with provenance for every fact.

``extract_page(path)`` reads the text of a project page (English, Italian or mixed; navigation
noise included), and returns an :class:`Extraction`: a record in the curated-record format (a
valid :class:`~kg.model.records.ProjectRecord`, the format ``kg build`` reads from ``data/projects/``),
the :class:`~kg.extract.text.Fact` behind every value (field path, character span, exact page
text, method), what the page leaves AMBIGUOUS (reported, never guessed) and the noise it skipped.

The layout is read by :mod:`kg.extract.sections`; dates, numbers, programmes, places and list
classification by the other :mod:`kg.extract` modules. :func:`run_extract` is what ``kg extract``
does; ``kg extract --diff`` compares with the curated record (:mod:`kg.extract.compare`) and
``kg extract --evaluate`` scores the extractor on the seed pages against the curated records
(:mod:`kg.extract.evaluate`, docs/extraction.md).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kg.curated import load_model, load_programme_scheme
from kg.extract import lists as L
from kg.extract.compare import Comparer, diff_lines
from kg.extract.dates import find_dates
from kg.extract.fields import GeneralRules, ProgrammeVocab, programme_vocab
from kg.extract.gazetteer import Gazetteer, default_gazetteer
from kg.extract.html import HTML_SUFFIXES, HtmlPage, looks_like_html, read_html
from kg.extract.numbers import (
    COUNTRY_COUNT_RE,
    PARTNER_COUNT_RES,
    duration,
    parse_quantity,
)
from kg.extract.places import accept_countries, city_candidates, country_mentions
from kg.extract.programmes import ProgrammeMatcher, SchemeMatch
from kg.extract.sdg_suggest import aurora_for_record
from kg.extract.sections import (
    BOX_KINDS,
    HEADINGS,
    Block,
    Line,
    Section,
    page_languages,
    segment,
)
from kg.extract.text import (
    Ambiguity,
    Fact,
    collapse,
    detect_language,
    fold,
    slug,
    strip_span,
)
from kg.linking.countries import CountryTable, default_table
from kg.linking.sdg_queries import default_matcher
from kg.linking.sdgs import SdgKos, UnknownSdg, default_kos
from kg.model.errors import RecordError, RecordsInvalid
from kg.model.records import ProjectRecord
from kg.settings import Settings

EXTRACTOR = "kg.sources.pages/1"

TITLE_ACR_RE = re.compile(r"^(?P<acr>[A-Z0-9][A-Za-z0-9+&]{1,14})\s+[–—-]\s+(?P<full>\S.*\S)$")
FULL_ACR_RE = re.compile(r"^(?P<full>\S.*?\S)\s*\((?P<acr>[A-Z][A-Za-z0-9+&-]{1,14})\)$")
ACR_SUBJECT_RE = re.compile(
    r"(?<![\w-])(?P<acr>[A-Z][A-Z0-9]{2,14})(?=\s+(?:started|starts|began|begins|runs|will run|project|is an?|è un|ha preso il via)\b)"
)
GRANT_RES = [
    ("grant-agreement", re.compile(r"(?i)\bgrant agreement\s*(?:n\s*[°º.o]|no\.?|number|nr\.?)?\s*:?\s*(?P<g>[A-Z0-9][A-Za-z0-9/.-]{4,}[A-Za-z0-9])")),
    (
        "project-number",
        re.compile(
            r"(?i)\b(?:project (?:number|n°|no\.?|code|reference)|numero (?:di|del) progetto|codice (?:del )?progetto)\s*:\s*(?P<g>[A-Z0-9][A-Za-z0-9/.-]{4,}[A-Za-z0-9])"
        ),
    ),
    ("erasmus-project-number", re.compile(r"(?P<g>\b(?:19|20)\d{2}-\d-[A-Z]{2}\d{2}-KA\d{3}-\d{6}\b)")),
]
FUNDING_SENTENCE_RE = re.compile(
    r"[^.\n]*\b(?:received funding|receives funding|has been funded|is funded|was funded|is co-?funded|co-?funded by|funded by|financed by|"
    r"cofinanziato|co-finanziato|finanziato)\b[^.\n]*\.?",
    re.IGNORECASE,
)
SDG_INLINE_RE = re.compile(r"\bSDGs?\s*(?:n\.?|#)?\s*:?\s*(?P<list>\d{1,2}(?:\.[0-9a-z]{1,2})?(?:\s*(?:,|and|e|&)\s*\d{1,2}(?:\.[0-9a-z]{1,2})?)*)")
SDG_CODE_RE = re.compile(r"\d{1,2}(?:\.[0-9a-z]{1,2})?")
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ROLE_MAILBOXES = {
    "info", "contact", "contacts", "office", "project", "projects", "admin", "secretariat", "segreteria", "press",
    "communication", "comunicazione", "mail", "hello", "support", "europe", "eu", "team", "staff", "direzione", "amministrazione",
}
AIM_RE = re.compile(r"\b(?:was|is|were|are) designed (?P<obj>to [^.]+)|\b(?:aims|aimed|seeks|sought|wants) (?P<obj2>to [^.]+)")
INLINE_LIST_RE = re.compile(r"(?P<intro>\b(?:intends|aims|seeks|wants|objectives are|aims are|si propone|intende|mira)(?: to| di| a)?\s*:)\s*-\s*")
INLINE_ITEM_SPLIT = re.compile(r"\s*-\s+(?=(?:to|di|a)\s)")
SENTENCE_END_NEW_TOPIC = re.compile(r"\.\s+(?=(?:This|The|These|It|Its|In addition|Moreover|Furthermore|Questo|Il progetto)\b)")
TOOLS_RE = re.compile(
    r"(?i)\b(?:methodologies and tools|methods and tools|tools and methods|methodologies|tools|metodologie e strumenti|strumenti)\s*:\s*(?P<items>[^.:]+)\."
)
PROPOSES_RE = re.compile(r"\b(?:This|The) project (?:proposes|will carry out|will organi[sz]e|will implement|organi[sz]es|implements) [^.]+\.")
TARGET_RES = [
    ("targeting", re.compile(r"\btarget(?:ing|s)\s+(?P<g>[a-z][^.;:()]+?)(?=\s+and will\b|\s+which\b|\s+who\b|,|[.;:(]|$)")),
    ("addressed to", re.compile(r"\b(?:addressed to|aimed at (?=people|persons|young|adults|children|students|groups))\s*(?P<g>[a-z][^.;:()]+?)(?=,|[.;:(]|\s+and\s+(?:will|to)\b|$)")),  # noqa: E501 - one regular expression
    ("target public", re.compile(r"\btarget (?:public|group|groups|audience)(?: of the project)? (?:was|is|are|were)\s+(?:the\s+)?(?P<g>[^.;:()]+?)(?=,|[.;:(]|$)")),
    ("rivolto a", re.compile(r"\b(?:rivolt[oaie]|destinat[oaie])\s+(?:a|ai|agli|alle|alla)\s+(?P<g>[^.;:()]+?)(?=,|[.;:(]|$)")),
]
OUTPUT_NARRATIVE_RES = [
    ("produces", re.compile(r"\bproduces? (?:a|an|its own|their own|one|the)\s+(?P<t>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)")),
    ("named document", re.compile(r"\b(?:document|report|guide|handbook|toolkit|manual|publication),?\s+(?:the|called|named|entitled)\s+(?P<t>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)+)")),  # noqa: E501 - one regular expression
]
LEVEL_RE = re.compile(
    r"(?i)\b(?:at|on) (?:a |the )?(?P<en>local|regional|national|european|international|transnational) level\b"
    r"|\ba livello (?P<it>locale|regionale|nazionale|europeo|internazionale|transnazionale)\b"
    r"|\b(?P<eu>EU) (?=training|conference|seminar|meeting|event)"
)
LEVELS = {
    "local": "local", "regional": "regional", "national": "national", "european": "European", "international": "international",
    "transnational": "transnational", "locale": "local", "regionale": "regional", "nazionale": "national", "europeo": "European",
    "internazionale": "international", "transnazionale": "transnational", "eu": "European",
}
BREADCRUMB_LISTINGS = {"projects", "progetti", "project", "progetto", "news", "home", "homepage", "our projects", "i nostri progetti"}
EVENTS_RE = re.compile(
    r"(?i:organi[sz]ation of|organi[sz]e|organi[sz]ing|holding|hold|organizzazione di|realizzazione di)\s+(?P<n>\d{1,3})\s+"
    r"(?P<what>(?i:round tables?|workshops?|seminars?|meetings?|focus groups?|conferences?|webinars?|training sessions?|info[- ]?days?|"
    r"study visits?|tavoli(?: di lavoro)?|seminari|incontri|laboratori|conferenze))(?:\s*\((?P<name>[^()]{3,60})\))?"
)
COUNTED_PRODUCT_RE = re.compile(
    r"(?i:definition|development|drafting|production|creation|elaboration|preparation|design|definizione|elaborazione|redazione|creazione)"
    r"\s+(?i:of|di)\s+(?P<n>\d{1,3})\s+(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)+)"
    r"(?P<purpose>\s+(?:for|on|per|sul|sulla|sull['’])\s[^.,;:()]*?)?(?=\s+in\s+the\b|[.,;:()]|$)"
)
SUBITEM_RE = re.compile(r"(?<![\w.])(?P<n>\d)\)\s+(?P<t>.+?)(?=\s+(?:e|and|,)\s+\d\)|\s*[,;]\s*\d\)|$)")


@dataclass
class Extraction:
    """What one page yields."""

    page_path: Path
    source_path: str
    text: str
    record: dict[str, Any]
    facts: list[Fact]
    ambiguities: list[Ambiguity]
    ignored: list[Any]
    languages: list[dict[str, Any]]
    model: ProjectRecord | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.record["id"])

    def to_yaml(self) -> str:
        head = (
            f"# Extracted by `kg extract` from {self.source_path} ({EXTRACTOR}); every value's span,\n"
            f"# method and page text are in {self.id}.provenance.json. Review before curating.\n"
        )
        if self.ambiguities:
            head += "# AMBIGUOUS (not written; see the provenance file):\n"
            for a in self.ambiguities:
                head += f"#   {a.field}: {a.reason}\n"
        body = yaml.safe_dump(self.record, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
        return head + body

    def provenance(self, record_name: str | None = None) -> dict[str, Any]:
        return {
            "record": record_name or f"{self.id}.yaml",
            "source": self.source_path,
            "sha256": hashlib.sha256(self.text.encode("utf-8")).hexdigest(),
            "extractor": EXTRACTOR,
            "offsets": "character offsets [start, end) into the page text (Python str indices, UTF-8 decoded)",
            "languages": self.languages,
            "facts": [f.to_json() for f in self.facts],
            "ambiguous": [a.to_json() for a in self.ambiguities],
            "ignored": [i.to_json() for i in self.ignored],
            "suggestions": self.suggestions,
        }


class _Extractor:
    def __init__(self, text: str, source_path: str, table: CountryTable, kos: SdgKos, matcher: ProgrammeMatcher,
                 names: ProgrammeVocab | None = None, gazetteer: Gazetteer | None = None):
        self.names, self.gazetteer = names, gazetteer
        self.text = text
        self.source_path = source_path
        self.table, self.kos, self.matcher = table, kos, matcher
        self.page = segment(text)
        self.spans = self.page.content_spans()
        self.facts: list[Fact] = []
        self.amb: list[Ambiguity] = []
        self.data: dict[str, Any] = {}
        self.lang = "en"

    # ------------------------------------------------------------------ helpers
    def fact(self, path: str, value: Any, start: int, end: int, method: str, note: str | None = None) -> Any:
        self.facts.append(Fact(path, value, start, end, self.text[start:end], method, note))
        return value

    def ambiguous(self, path: str, reason: str, start: int, end: int, method: str, candidates: list[Any] | None = None) -> None:
        self.amb.append(Ambiguity(path, reason, start, end, self.text[start:end], method, list(candidates or [])))

    def lt(self, start: int, end: int) -> tuple[Any, str]:
        """The page text at a span as a record text value: plain in the record's language, else ``{lang: text}``."""
        value = collapse(self.text[start:end])
        lang, how = detect_language(value)
        if lang is None:
            return value, f"language {self.lang} (the record's: {how})"
        if lang == self.lang:
            return value, f"language {lang} ({how})"
        return {lang: value}, f"language {lang} ({how})"

    def text_fact(self, path: str, start: int, end: int, method: str, *, keep_period: bool = False) -> Any:
        start, end = strip_span(self.text, start, end)
        if keep_period and end < len(self.text) and self.text[end] in ".!?":
            end += 1
        value, note = self.lt(start, end)
        if isinstance(value, dict):  # tagged with another language than the record's: the YAML path ends in it
            path = f"{path}.{next(iter(value))}"
        self.fact(path, collapse(self.text[start:end]), start, end, method, note)
        return value

    def blocks(self, kinds: set[str | None]) -> list[tuple[Section, Block]]:
        return [(s, b) for s in self.page.sections if s.kind in kinds for b in s.blocks]

    def prose(self) -> list[tuple[Section, Block]]:
        """Paragraphs outside the project box and the background captions."""
        return [(s, b) for s in self.page.sections for b in s.blocks if b.kind == "paragraph" and s.kind not in BOX_KINDS | {"background", "social", "contacts", "box"}]

    def box_value(self, kind: str) -> tuple[Section, Block] | None:
        for s in self.page.sections:
            if s.kind == kind and s.heading is not None and s.blocks:
                return s, s.blocks[0]
        return None

    def table_cells(self) -> list[tuple[str, str, int, int]]:
        """``(kind, header, start, end)`` of every value cell of the page's pipe tables."""
        out: list[tuple[str, str, int, int]] = []
        for s in self.page.sections:
            for b in s.blocks:
                if b.kind != "table":
                    continue
                rows = [self._cells(line) for line in b.lines]
                i = 0
                while i + 1 < len(rows):
                    head, vals = rows[i], rows[i + 1]
                    if len(head) == len(vals) and not any(re.search(r"\d", h[0]) for h in head):
                        for (h, _, _), (v, vs, ve) in zip(head, vals):
                            kind = HEADINGS.get(fold(h), ("other", None))[0]
                            if v:
                                out.append((kind, h, vs, ve))
                        i += 2
                    else:
                        i += 1
        return out

    @staticmethod
    def _cells(line: Line) -> list[tuple[str, int, int]]:
        cells = []
        pos = line.start
        for part in line.raw.split("|"):
            s, e = strip_span(line.raw, pos - line.start, pos - line.start + len(part), " \t")
            cells.append((line.raw[s:e], line.start + s, line.start + e))
            pos += len(part) + 1
        if cells and not cells[-1][0]:
            cells.pop()
        return cells

    # ------------------------------------------------------------------ run
    def run(self) -> dict[str, Any]:
        langs, self.lang_evidence = page_languages(self.page)
        self.langs = langs or ["en"]
        self.lang = self.langs[0]
        d = self.data
        d["id"] = None  # placeholder, keeps key order
        d["language"] = self.lang
        d["source"] = {"path": self.source_path}
        self.titles()
        self.dates()
        self.grant()
        self.funding()
        self.places()
        self.sdgs()
        self.counts()
        self.body()
        self.categories()
        self.contacts()
        if self.names is not None and self.gazetteer is not None:
            GeneralRules(
                self.text, self.spans, d, self.table, self.names, self.gazetteer, {c.id for c in self.matcher.scheme.concepts},
                self.matcher.broader, self.facts, self.amb,
            ).run()
            if d.get("cities"):  # the gazetteer settled them: the seed rule's "no gazetteer" report no longer holds
                self.amb[:] = [a for a in self.amb if not (a.field == "cities" and "no gazetteer" in a.reason)]
        acronym = d.get("acronym")
        title = d["title"]
        title_text = title if isinstance(title, str) else next(iter(title.values()))
        d["id"] = slug(acronym) if acronym else slug(title_text, 6)
        basis = next(f for f in self.facts if f.field.split(".")[0] == ("acronym" if acronym else "title"))
        self.fact("id", d["id"], basis.start, basis.end, f"slug of the {'acronym' if acronym else 'title'}")
        if self.page.title_line is not None:
            tl = self.page.title_line
            s, e = strip_span(self.text, tl.body_start, tl.body_end, " \t")
            d["source"]["title"] = self.fact("source.title", self.text[s:e], s, e, "title line (first content line)")
        d["source"]["language"] = self.langs
        for i, lang in enumerate(self.langs):
            ev = next((x for x in self.lang_evidence if x.get("language") == lang and "start" in x), None)
            if ev is None:
                heading = next((sec.heading for sec in self.page.sections if sec.heading is not None and sec.heading.heading_lang == lang), None)
                if heading is None:
                    continue
                s, e, how = heading.body_start, heading.body_end, "heading vocabulary"
            else:
                s = int(ev["start"])
                e = self.text.find("\n", s)
                e = len(self.text) if e == -1 else e
                s, e = strip_span(self.text, s, e, " \t")
                how = f"stop words of section {ev['section']!r}"
            self.fact(f"source.language[{i}]", lang, s, e, f"{how} (per-section evidence under 'languages'; first line of it)")
            if i == 0:
                self.fact("language", lang, s, e, "the page's main language (most text); per-section evidence under 'languages'")
        # drop empty values
        for key in list(d):
            if d[key] in (None, [], {}, ""):
                del d[key]
        return d

    # ------------------------------------------------------------------ title, acronym, full name
    def titles(self) -> None:
        d = self.data
        line = self.page.title_line
        if line is not None:
            s, e = strip_span(self.text, line.body_start, line.body_end)
            d["title"] = self.text_fact("title", s, e, "title line (first content line)")
            raw = self.text[s:e]
            m = TITLE_ACR_RE.match(raw) or FULL_ACR_RE.match(raw)
            if m and sum(c.isupper() for c in m.group("acr")) >= 2:
                d["acronym"] = self.fact("acronym", m.group("acr"), s + m.start("acr"), s + m.end("acr"), "regex:title 'ACRONYM – Full Name'")
                d["full_name"] = self.text_fact("full_name", s + m.start("full"), s + m.end("full"), "regex:title 'ACRONYM – Full Name'")
            return
        # no title line: an acronym the page uses as the project's name, else a descriptive title
        headings = {fold(k) for k in HEADINGS}
        for lo, hi in self.spans:
            for m in ACR_SUBJECT_RE.finditer(self.text[lo:hi]):
                acr = m.group("acr")
                if fold(acr) in headings or self.matcher.concepts_in(acr):
                    continue
                s, e = lo + m.start("acr"), lo + m.end("acr")
                d["acronym"] = self.fact("acronym", acr, s, e, "regex:acronym as subject ('X started on …')")
                d["title"] = self.fact("title", acr, s, e, "acronym (the page has no title line)")
                return
        for _, b in self.prose():
            m = AIM_RE.search(self.text[b.start : b.end])
            if m:
                g = "obj" if m.group("obj") else "obj2"
                s, e = b.start + m.start(g) + 3, b.start + m.end(g)  # without "to "
                s, e = strip_span(self.text, s, e)
                value = self.text[s:e]
                value = value[0].upper() + value[1:]
                self.fact("title", collapse(value), s, e, "descriptive: the page's aim sentence ('designed to …'), first letter capitalised",
                          "the page states no title")
                d["title"] = collapse(value)
                d["title_is_descriptive"] = self.fact("title_is_descriptive", True, s, e, "the page has no title line")
                return
        first = self.spans[0] if self.spans else (0, 0)
        s, e = strip_span(self.text, *first)
        words = self.text[s:e].split()[:12]
        e = s + len(" ".join(words)) if words else e
        d["title"] = self.text_fact("title", s, e, "descriptive: the first words of the page (no title, acronym or aim)")
        d["title_is_descriptive"] = True

    # ------------------------------------------------------------------ dates
    def dates(self) -> None:
        found = find_dates(self.text, self.spans)
        for role in ("start", "end"):
            mine = [f for f in found if f.role == role]
            values = {str(f.value) for f in mine}
            if len(values) > 1:
                first = mine[0]
                self.ambiguous(role, f"the page states several {role} dates", first.start, mine[-1].end, "dates", sorted(values))
                continue
            if mine:
                f = mine[0]
                section = self.page.section_at(f.start)
                where = f" under {section.label!r}" if section and section.heading else ""
                note = f.note
                self.data[role] = self.fact(role, str(f.value), f.start, f.end, f"{f.method}{where} ({f.value.precision} precision)", note)

    # ------------------------------------------------------------------ grant
    def grant(self) -> None:
        found: list[tuple[str, int, int, str]] = []
        box = self.box_value("grant")
        if box is not None:
            _, b = box
            s, e = strip_span(self.text, b.start, b.end)
            value = self.text[s:e]
            if re.search(r"\d", value) and len(value.split()) == 1:
                found.append((value, s, e, f"box heading {box[0].label!r}"))
        for name, rx in GRANT_RES:
            for lo, hi in self.spans:
                for m in rx.finditer(self.text[lo:hi]):
                    found.append((m.group("g"), lo + m.start("g"), lo + m.end("g"), f"regex:{name}"))
        values = sorted({v for v, *_ in found})
        if len(values) > 1:
            self.ambiguous("grant.number", "the page states several grant/project numbers", found[0][1], found[-1][2], "grant", values)
        elif values:
            v, s, e, method = found[0]
            self.data["grant"] = {"number": self.fact("grant.number", v, s, e, method)}

    # ------------------------------------------------------------------ funding, programme, funders
    def funding(self) -> None:
        statement: tuple[int, int, str] | None = None
        box = self.box_value("funding")
        if box is not None:
            statement = (box[1].start, box[1].end, f"box heading {box[0].label!r}")
        if statement is None:
            for kind, header, s, e in self.table_cells():
                if kind == "funding":
                    statement = (s, e, f"table column {header!r}")
                    break
        if statement is None:
            for _, b in self.prose():
                m = FUNDING_SENTENCE_RE.search(self.text[b.start : b.end])
                if m:
                    statement = (b.start + m.start(), b.start + m.end(), "regex:funding sentence ('received funding from …')")
                    break
        evidence: list[tuple[int, int]] = []
        if statement:
            s, e = strip_span(self.text, statement[0], statement[1], " \t\r\n")
            value, note = self.lt(s, e)
            self.data["funding_statement"] = value
            self.fact("funding_statement", collapse(self.text[s:e]), s, e, statement[2], note)
            evidence.append((s, e))
        for path_start, path_end in self._category_paths():
            evidence.append((path_start, path_end))
        matches: list[SchemeMatch] = []
        for s, e in evidence:
            matches += self.matcher.concepts_in(self.text[s:e], s)
        grant = self.data.get("grant", {}).get("number")
        if grant:
            gf = next(f for f in self.facts if f.field == "grant.number")
            g = self.matcher.grant_action(self.text[gf.start : gf.end], gf.start)
            if g:
                matches.append(g)
        if matches:
            best, conflict = self.matcher.most_specific(matches)
            if best is not None:
                others = sorted({m.id for m in matches} - {best.id})
                method = f"programme scheme {best.how}" + (f"; consistent with {', '.join(others)}" if others else "")
                self.data["programme"] = self.fact("programme", best.id, best.start, best.end, method)
            else:
                self.ambiguous("programme", "the page names programme concepts on different branches", matches[0].start, matches[-1].end,
                               "programme scheme", conflict)
        funders: list[str] = []
        if statement:
            s, e = strip_span(self.text, statement[0], statement[1], " \t\r\n")
            for fm in self.matcher.funders_in(self.text[s:e], s):
                if fm.id not in funders:
                    funders.append(fm.id)
                    self.fact(f"funders[{len(funders) - 1}]", fm.id, fm.start, fm.end, f"programme scheme {fm.how} in the funding line")
        if funders:
            self.data["funders"] = funders

    def _category_paths(self) -> list[tuple[int, int]]:
        out = []
        for _s, b in self.blocks({None, "categories"}):
            if b.kind == "list":
                for line in b.lines:
                    if line.body.count("\\") >= 2:
                        out.append((line.body_start, line.body_end))
        return out

    # ------------------------------------------------------------------ countries, cities
    def places(self) -> None:
        mentions = country_mentions(self.text, self.spans, self.table)
        cities = city_candidates(self.text, self.spans, self.table)
        # country_start and country_end are set together (places.city_candidates)
        city_country_spans = {(c.country_start, c.country_end) for c in cities if c.country_start is not None and c.country_end is not None}
        mentions = [m for m in mentions if not any(m.start >= s and m.end <= e for s, e in city_country_spans if s is not None)]
        # the page title names the project, not its countries
        if self.page.title_line is not None:
            tl = self.page.title_line
            mentions = [m for m in mentions if not (tl.start <= m.start < tl.end)]
        accept_countries(self.text, mentions)
        countries: list[str] = []
        for m in mentions:
            if m.context is None:
                self.ambiguous("countries", f"{m.text!r} names a country ({m.uri.rsplit('/', 1)[-1]}) outside a list, countries cue or 'in …'",
                               m.start, m.end, "country table label", [m.uri])
                continue
            label = self.table.label(m.uri)
            if label in countries:
                continue
            countries.append(label)
            self.fact(f"countries[{len(countries) - 1}]", label, m.start, m.end, f"country table label ({m.context})", m.uri)
        if countries:
            self.data["countries"] = countries
        placed: list[dict[str, Any]] = []
        unplaced = [c for c in cities if c.country_uri is None]
        for c in cities:
            if c.country_uri is None:
                continue
            i = len(placed)
            placed.append({"name": c.name, "country": self.table.alpha2(c.country_uri) or c.country_text})
            self.fact(f"cities[{i}].name", c.name, c.start, c.end, f"enumeration of places near {c.cue!r}")
            assert c.country_start is not None and c.country_end is not None  # set with country_uri (places.city_candidates)
            self.fact(f"cities[{i}].country", placed[-1]["country"], c.country_start, c.country_end, "country stated by the city", c.country_uri)
        if placed:
            self.data["cities"] = placed
        if unplaced:
            self.ambiguous(
                "cities",
                "places named as cities without their country (no gazetteer offline: not written)",
                unplaced[0].start, unplaced[-1].end, f"enumeration of capitalised names near {unplaced[0].cue!r}",
                [c.name for c in unplaced],
            )

    # ------------------------------------------------------------------ SDGs
    def sdgs(self) -> None:
        spans: list[tuple[int, int, str]] = []
        for kind, header, s, e in self.table_cells():
            if kind == "sdgs":
                spans.append((s, e, f"table column {header!r}"))
        for _, b in self.blocks({"sdgs"}):
            spans.append((b.start, b.end, "section heading"))
        for lo, hi in self.spans:
            for m in SDG_INLINE_RE.finditer(self.text[lo:hi]):
                spans.append((lo + m.start("list"), lo + m.end("list"), "regex:'SDG n, m'"))
        out: list[str] = []
        for s, e, method in spans:
            for m in SDG_CODE_RE.finditer(self.text[s:e]):
                code = m.group(0)
                try:
                    uri = self.kos.resolve(code)
                except UnknownSdg as exc:
                    self.ambiguous("sdgs", str(exc), s + m.start(), s + m.end(), method)
                    continue
                if code not in out:
                    out.append(code)
                    self.fact(f"sdgs[{len(out) - 1}]", code, s + m.start(), s + m.end(), method, uri)
        if out:
            self.data["sdgs"] = out

    # ------------------------------------------------------------------ counts
    def counts(self) -> None:
        partner: list[tuple[int, int, int, str]] = []
        for name, rx in PARTNER_COUNT_RES:
            for lo, hi in self.spans:
                for m in rx.finditer(self.text[lo:hi]):
                    partner.append((int(m.group("n")), lo + m.start(), lo + m.end(), f"regex:partner count ({name})"))
        country: list[tuple[int, int, int, str]] = []
        for lo, hi in self.spans:
            for m in COUNTRY_COUNT_RE.finditer(self.text[lo:hi]):
                country.append((int(m.group("n")), lo + m.start(), lo + m.end(), "regex:country count"))
        for field_name, found in (("partner_count", partner), ("country_count", country)):
            values = sorted({v for v, *_ in found})
            if len(values) > 1:
                self.ambiguous(field_name, "the page states different counts", found[0][1], found[-1][2], "regex", values)
            elif values:
                v, s, e, method = sorted(found, key=lambda x: x[1])[0]
                self.data[field_name] = self.fact(field_name, v, s, e, method)

    # ------------------------------------------------------------------ body: summary, objectives, activities, results, outputs, targets
    def body(self) -> None:
        d = self.data
        d["summary"] = None
        for key in ("objectives", "activities", "target_groups", "expected_results", "outputs"):
            d[key] = []
        self.summary()
        for s in self.page.sections:
            kind = s.kind
            if kind in {"objectives", "activities", "expected_results", "results", "outputs", "target_groups"}:
                target = "expected_results" if kind == "results" else kind
                self.section_items(s, target)
            elif kind is None or kind == "summary":
                for b in s.blocks:
                    if b.kind == "list":
                        self.unlabelled_list(b)
        for _, b in self.prose():
            self.paragraph_patterns(b)
        self.target_groups()
        self.output_narratives()
        for key in ("summary", "objectives", "activities", "target_groups", "expected_results", "outputs"):
            if not d[key]:
                del d[key]

    def summary(self) -> None:
        for s, b in self.prose():
            if s.kind not in (None, "summary") or b.end - b.start < 200:
                continue
            start, end = b.start, b.end
            chunk = self.text[start:end]
            m = INLINE_LIST_RE.search(chunk)
            if m:
                # stop before the sentence that opens the inline list
                cut = chunk.rfind(". ", 0, m.start())
                if cut == -1:
                    continue
                end = start + cut + 1
            self.data["summary"] = self.text_fact("summary", start, end, "first prose paragraph" + (" (up to its inline list)" if m else ""),
                                                   keep_period=True)
            return

    def section_items(self, s: Section, target: str) -> None:
        method = f"section heading {s.label!r}"
        blocks = s.blocks
        i = 0
        while i < len(blocks):
            b = blocks[i]
            if b.kind == "list":
                for line in b.lines:
                    self.add_item(target, line.body_start, line.body_end, method, order=line.number)
            elif b.kind == "numbered-heading" and target == "activities":
                head = b.lines[0]
                j = i + 1
                paras: list[Block] = []
                while j < len(blocks) and blocks[j].kind == "paragraph":
                    paras.append(blocks[j])
                    j += 1
                if paras:
                    self.add_activity(paras[0].start, paras[-1].end, f"{method}, numbered item {head.number}", order=head.number,
                                      title_span=(head.body_start, head.body_end))
                i = j
                continue
            i += 1

    def unlabelled_list(self, b: Block) -> None:
        bodies = [line.body for line in b.lines]
        if all(body.count("\\") >= 2 for body in bodies):
            return  # category paths: see categories()
        kind, method = L.classify_list(bodies)
        if kind is None:
            self.ambiguous("(list)", f"an unlabelled list could not be classified: {method}", b.start, b.end, "heuristic:content")
            return
        for line in b.lines:
            self.add_item(kind, line.body_start, line.body_end, method, order=line.number)

    def add_item(self, target: str, start: int, end: int, method: str, order: int | None = None) -> None:
        start, end = strip_span(self.text, start, end)
        if target == "objectives":
            i = len(self.data["objectives"])
            self.data["objectives"].append(self.text_fact(f"objectives[{i}]", start, end, method))
        elif target == "activities":
            self.add_activity(start, end, method, order=order)
        elif target == "expected_results":
            self.add_result(start, end, method)
        elif target == "outputs":
            self.add_output(start, end, method)
        elif target == "target_groups":
            i = len(self.data["target_groups"])
            self.data["target_groups"].append({"label": self.text_fact(f"target_groups[{i}].label", start, end, method)})

    def add_activity(self, start: int, end: int, method: str, *, order: int | None = None, title_span: tuple[int, int] | None = None,
                     level: tuple[str, int, int] | None = None) -> None:
        acts = self.data["activities"]
        i = len(acts)
        p = f"activities[{i}]"
        act: dict[str, Any] = {}
        start, end = strip_span(self.text, start, end)
        item = self.text[start:end]
        desc_start = start
        if title_span is not None:
            ts, te = strip_span(self.text, *title_span)
            act["title"] = self.text_fact(f"{p}.title", ts, te, method)
        else:
            m = re.match(r"^(?P<t>[^:.;()\d]{3,90}?):\s+(?P<d>\S.*)$", item, re.DOTALL)
            if m and len(m.group("t").split()) <= 10:
                act["title"] = self.text_fact(f"{p}.title", start + m.start("t"), start + m.end("t"), f"{method}; 'Title: description'")
                desc_start = start + m.start("d")
        act["description"] = self.text_fact(f"{p}.description", desc_start, end, method)
        whole = self.text[start:end]
        # the kind from the title when there is one, else from the start of the description
        if title_span is not None or "title" in act:
            ks, ke = (strip_span(self.text, *title_span) if title_span else (start, desc_start))
        else:
            ks, ke = desc_start, end
        kind = L.kind_of(self.text[ks:ke], L.ACTIVITY_KINDS)
        if kind:
            act["kind"] = self.fact(f"{p}.kind", kind[0], ks + kind[1], ks + kind[2], "keyword table (activity kinds)")
        if order is not None:
            # the number itself precedes the item text
            act["order"] = order
            self.facts.append(self._number_fact(f"{p}.order", order, title_span[0] if title_span else start, method))
        desc = self.text[desc_start:end]
        dur = duration(desc, desc_start)
        q = re.match(r"^(?P<n>\d{1,4})\s+(?P<w>[A-Za-zÀ-ÿ]+)", desc)
        if q and q.group("w").casefold() not in {"days", "day", "giorni", "giorno", "months", "month", "mesi", "mese", "weeks", "week", "years", "anni"}:
            act["quantity"] = self.fact(f"{p}.quantity", int(q.group("n")), desc_start + q.start("n"), desc_start + q.end("n"), "regex:leading number of the item")
        elif "title" in act:
            title_text = act["title"] if isinstance(act["title"], str) else next(iter(act["title"].values()))
            first = re.escape(title_text.split()[0])
            q2 = re.search(rf"(?<![\d.,])(?P<n>\d{{1,4}})\s+{first}\b", desc)
            if q2:
                act["quantity"] = self.fact(f"{p}.quantity", int(q2.group("n")), desc_start + q2.start("n"), desc_start + q2.end("n"),
                                            "regex:number before the activity's title words")
        elif kind and title_span is None and re.search(r"\d", self.text[ks + kind[1] : ks + kind[2]]):
            # the number inside the phrase that names the activity: "the transfer of 3 best practices"
            qn = re.search(r"\d+", self.text[ks + kind[1] : ks + kind[2]])
            assert qn is not None
            n_at = ks + kind[1] + qn.start()
            act["quantity"] = self.fact(f"{p}.quantity", int(qn.group(0)), n_at, n_at + len(qn.group(0)),
                                        "regex:number inside the phrase naming the activity")
        if dur:
            act["duration"] = self.fact(f"{p}.duration", dur.value, dur.start, dur.end, "regex:duration")
        lv = LEVEL_RE.search(whole)
        if lv:
            word = (lv.group("en") or lv.group("it") or lv.group("eu")).casefold()
            act["level"] = self.fact(f"{p}.level", LEVELS[word], start + lv.start(), start + lv.end(), "regex:level")
        elif level is not None:
            act["level"] = self.fact(f"{p}.level", level[0], level[1], level[2], "regex:level of the enclosing activity")
        acts.append(act)
        # "the organization of 3 round tables (Thematic Core City Groups)": an activity of its own
        quantity_at = next((f.start for f in self.facts if f.field == f"{p}.quantity"), None)
        for m in EVENTS_RE.finditer(desc):
            if desc_start + m.start("n") == quantity_at:
                continue
            self._counted_event(desc_start, m, method)
        # "the definition of 3 Local Strategies for …": an expected result, and the output it names
        for m in COUNTED_PRODUCT_RE.finditer(desc):
            self._counted_product(desc_start, m, method)
        # numbered parts inside an item ("basato su 1) Ricerca … e 2) Analisi …") are activities of their own
        if title_span is None and order is None:
            parent_level = None
            if "level" in act:
                lf = next(f for f in reversed(self.facts) if f.field == f"{p}.level")
                parent_level = (act["level"], lf.start, lf.end)
            for m in SUBITEM_RE.finditer(desc):
                s2, e2 = desc_start + m.start("t"), desc_start + m.end("t")
                self._sub_activity(s2, e2, int(m.group("n")), desc_start + m.start("n"), method, parent_level)

    def _counted_event(self, base: int, m: re.Match[str], method: str) -> None:
        acts = self.data["activities"]
        p = f"activities[{len(acts)}]"
        how = f"{method}; regex:counted event inside an activity ('organisation of N round tables')"
        act: dict[str, Any] = {}
        if m.group("name"):
            act["title"] = self.text_fact(f"{p}.title", base + m.start("name"), base + m.end("name"), how)
        act["description"] = self.text_fact(f"{p}.description", base + m.start("n"), base + m.end(), how)
        kind = L.kind_of(m.group("what"), L.ACTIVITY_KINDS)
        if kind:
            act["kind"] = self.fact(f"{p}.kind", kind[0], base + m.start("what") + kind[1], base + m.start("what") + kind[2],
                                    "keyword table (activity kinds)")
        act["quantity"] = self.fact(f"{p}.quantity", int(m.group("n")), base + m.start("n"), base + m.end("n"), how)
        acts.append(act)

    def _counted_product(self, base: int, m: re.Match[str], method: str) -> None:
        how = f"{method}; regex:counted named product ('definition of N Capitalised Things …')"
        res = self.data["expected_results"]
        p = f"expected_results[{len(res)}]"
        s, e = strip_span(self.text, base + m.start("n"), base + m.end())
        r: dict[str, Any] = {"description": self.text_fact(f"{p}.description", s, e, how)}
        r["quantity"] = self.fact(f"{p}.quantity", int(m.group("n")), base + m.start("n"), base + m.end("n"), how)
        r["unit"] = self.text_fact(f"{p}.unit", base + m.start("name"), base + m.end("name"), how)
        res.append(r)
        title_end = base + (m.end("purpose") if m.group("purpose") else m.end("name"))
        seen = {fold(o["title"] if isinstance(o["title"], str) else next(iter(o["title"].values()))) for o in self.data["outputs"]}
        if fold(self.text[base + m.start("name") : title_end]) not in seen:
            self.add_output(base + m.start("name"), title_end, how)

    def _sub_activity(self, start: int, end: int, order: int, number_at: int, method: str, level: tuple[str, int, int] | None) -> None:
        acts = self.data["activities"]
        i = len(acts)
        p = f"activities[{i}]"
        start, end = strip_span(self.text, start, end)
        act: dict[str, Any] = {"description": self.text_fact(f"{p}.description", start, end, f"{method}; numbered part of the item")}
        kind = L.kind_of(self.text[start:end], L.ACTIVITY_KINDS)
        if kind:
            act["kind"] = self.fact(f"{p}.kind", kind[0], start + kind[1], start + kind[2], "keyword table (activity kinds)")
        act["order"] = order
        self.facts.append(Fact(f"{p}.order", order, number_at, number_at + len(str(order)), self.text[number_at : number_at + len(str(order))],
                               f"{method}; numbered part 'n)' of the item"))
        lv = LEVEL_RE.search(self.text[start:end])
        if lv:
            word = (lv.group("en") or lv.group("it") or lv.group("eu")).casefold()
            act["level"] = self.fact(f"{p}.level", LEVELS[word], start + lv.start(), start + lv.end(), "regex:level")
        elif level is not None:
            act["level"] = self.fact(f"{p}.level", level[0], level[1], level[2], "regex:level of the enclosing activity")
        acts.append(act)

    def _number_fact(self, path: str, n: int, near: int, method: str) -> Fact:
        """The span of an item's number: the digits just before ``near`` (the item's text)."""
        line_start = self.text.rfind("\n", 0, near) + 1
        m = None
        for m in re.finditer(rf"(?<!\d){n}(?=[.)])", self.text[line_start:near]):  # noqa: B007 - the last match is wanted
            pass
        if m is None:
            return Fact(path, n, near, near, "", f"{method}; number of the numbered item")
        s = line_start + m.start()
        return Fact(path, n, s, s + len(str(n)), self.text[s : s + len(str(n))], f"{method}; number of the numbered item")

    def add_result(self, start: int, end: int, method: str) -> None:
        res = self.data["expected_results"]
        i = len(res)
        p = f"expected_results[{i}]"
        r: dict[str, Any] = {"description": self.text_fact(f"{p}.description", start, end, method)}
        q = parse_quantity(self.text[start:end], start)
        if q is not None:
            for key in ("quantity", "min", "max"):
                part = getattr(q, key)
                if part is not None:
                    r[key] = self.fact(f"{p}.{key}", part.value, part.start, part.end, "regex:quantity at the start of the item")
            if q.approximate is not None:
                r["approximate"] = self.fact(f"{p}.approximate", True, q.approximate.start, q.approximate.end, "regex:approximation word")
            if q.unit is not None:
                r["unit"] = self.text_fact(f"{p}.unit", q.unit.start, q.unit.end, "regex:words after the number up to a verb or preposition")
            if q.scope is not None:
                r["scope"] = self.text_fact(f"{p}.scope", q.scope.start, q.scope.end, "regex:scope phrase (per / across / in …)")
        res.append(r)

    def add_output(self, start: int, end: int, method: str) -> None:
        outs = self.data["outputs"]
        i = len(outs)
        p = f"outputs[{i}]"
        o: dict[str, Any] = {"title": self.text_fact(f"{p}.title", start, end, method)}
        kind = L.kind_of(self.text[start:end], L.OUTPUT_KINDS)
        if kind:
            o["kind"] = self.fact(f"{p}.kind", kind[0], start + kind[1], start + kind[2], "keyword table (output kinds)")
        outs.append(o)

    def paragraph_patterns(self, b: Block) -> None:
        chunk = self.text[b.start : b.end]
        # "was designed to …", "aims to …": an objective
        for m in AIM_RE.finditer(chunk):
            g = "obj" if m.group("obj") else "obj2"
            i = len(self.data["objectives"])
            self.data["objectives"].append(
                self.text_fact(f"objectives[{i}]", b.start + m.start(g), b.start + m.end(g), "regex:aim sentence ('designed to …', 'aims to …')")
            )
        # "It intends:- to … - to …": objectives
        lm = INLINE_LIST_RE.search(chunk)
        if lm:
            rest_start = lm.end()
            stop = SENTENCE_END_NEW_TOPIC.search(chunk, rest_start)
            rest_end = stop.start() + 1 if stop else len(chunk)
            pos = rest_start
            for part in INLINE_ITEM_SPLIT.split(chunk[rest_start:rest_end]):
                idx = chunk.find(part, pos)
                if part.strip():
                    i = len(self.data["objectives"])
                    self.data["objectives"].append(
                        self.text_fact(f"objectives[{i}]", b.start + idx, b.start + idx + len(part), f"inline list after {lm.group('intro')!r}")
                    )
                pos = idx + len(part)
        # "methodologies and tools: workshops (…), training seminars, …": activities
        for m in TOOLS_RE.finditer(chunk):
            items_start = m.start("items")
            for it in re.finditer(r"[^,(]+(?:\([^)]*\))?[^,]*", m.group("items")):
                s, e = b.start + items_start + it.start(), b.start + items_start + it.end()
                s, e = strip_span(self.text, s, e)
                if e > s:
                    self.add_activity(s, e, f"enumeration after {chunk[m.start():m.start('items')].strip()!r}")
        # "This project proposes …": an activity
        for m in PROPOSES_RE.finditer(chunk):
            self.add_activity(b.start + m.start(), b.start + m.end(), "regex:'This project proposes …' sentence")

    def target_groups(self) -> None:
        seen = {fold(t["label"] if isinstance(t["label"], str) else next(iter(t["label"].values()))) for t in self.data["target_groups"]}
        for _, b in self.prose() + self.blocks({"activities"}):
            chunk = self.text[b.start : b.end]
            for name, rx in TARGET_RES:
                for m in rx.finditer(chunk):
                    s, e = strip_span(self.text, b.start + m.start("g"), b.start + m.end("g"))
                    key = fold(self.text[s:e])
                    if not key or key in seen or len(key.split()) > 14:
                        continue
                    seen.add(key)
                    i = len(self.data["target_groups"])
                    self.data["target_groups"].append({"label": self.text_fact(f"target_groups[{i}].label", s, e, f"regex:target group ({name} …)")})

    def output_narratives(self) -> None:
        seen = {fold(o["title"] if isinstance(o["title"], str) else next(iter(o["title"].values()))) for o in self.data["outputs"]}
        for _, b in self.prose() + [(s, b) for s, b in self.blocks({"activities"}) if b.kind == "paragraph"]:
            chunk = self.text[b.start : b.end]
            for name, rx in OUTPUT_NARRATIVE_RES:
                for m in rx.finditer(chunk):
                    s, e = b.start + m.start("t"), b.start + m.end("t")
                    key = fold(self.text[s:e])
                    if key in seen:
                        continue
                    seen.add(key)
                    self.add_output(s, e, f"regex:output named in the text ({name} …)")

    # ------------------------------------------------------------------ categories, contacts
    def categories(self) -> None:
        cats: list[Any] = []
        for line in self.page.lines:
            if line.kind == "noise" and line.why == "breadcrumb":
                parts = []
                pos = line.body_start
                for seg in re.split(r"\s*[»>›]\s*", self.text[line.body_start : line.body_end]):
                    idx = self.text.find(seg, pos)
                    parts.append((seg, idx, idx + len(seg)))
                    pos = idx + len(seg)
                inner = parts[1:-1]  # not Home, not the page itself
                for seg, s, e in inner:
                    if fold(seg) in BREADCRUMB_LISTINGS:
                        continue
                    cats.append(self.text_fact(f"categories[{len(cats)}]", s, e, "breadcrumb (site section between the listing and the page)"))
                break
        for s, e in self._category_paths():
            cats.append(self.text_fact(f"categories[{len(cats)}]", s, e, "category path (a\\b\\c)"))
        box = self.box_value("categories")
        if box is not None:
            for line in box[1].lines:
                cats.append(self.text_fact(f"categories[{len(cats)}]", line.body_start, line.body_end, f"box heading {box[0].label!r}"))
        if cats:
            self.data["categories"] = cats

    def contacts(self) -> None:
        out: list[dict[str, Any]] = []
        for lo, hi in self.spans:
            for m in EMAIL_RE.finditer(self.text[lo:hi]):
                email = m.group(0).rstrip(".")
                if any(c["email"] == email for c in out):
                    continue
                local = email.split("@")[0]
                parts = re.split(r"[._-]", local)
                personal = len(parts) >= 2 and all(p.isalpha() and len(p) >= 2 for p in parts) and not any(p.casefold() in ROLE_MAILBOXES for p in parts)
                i = len(out)
                s, e = lo + m.start(), lo + m.start() + len(email)
                self.fact(f"contacts[{i}].email", email, s, e, "regex:e-mail address")
                self.fact(f"contacts[{i}].personal", personal, s, s + len(local),
                          "heuristic:mailbox is first.last (a person's name)" if personal else "heuristic:mailbox is a role or single word")
                out.append({"email": email, "personal": personal})
        if out:
            self.data["contacts"] = out


# ---------------------------------------------------------------------------- API
@dataclass
class _Vocab:
    table: CountryTable
    kos: SdgKos
    matcher: ProgrammeMatcher
    names: ProgrammeVocab
    gazetteer: Gazetteer


_VOCAB: dict[str, _Vocab] = {}


def _vocab(settings: Settings) -> _Vocab:
    key = str(settings.data_dir)
    if key not in _VOCAB:
        assert settings.data_dir is not None  # Settings.__post_init__ always sets it
        scheme = load_programme_scheme(settings.data_dir / "vocab" / "programmes.yaml")
        names = programme_vocab(str(settings.data_dir / "vocab" / "programme-names.yaml"))
        _VOCAB[key] = _Vocab(default_table(settings), default_kos(settings), ProgrammeMatcher(scheme), names, default_gazetteer())
    return _VOCAB[key]


def extract_text(
    text: str, source_path: str, *, settings: Settings | None = None, suggest_sdgs: bool = False, html: HtmlPage | None = None
) -> Extraction:
    """Extract a record from a page's text; ``suggest_sdgs`` adds ``sdg_suggestions`` when the page states no SDG;
    ``html`` is the saved page's metadata when the text came from HTML."""
    settings = settings or Settings.from_env()
    v = _vocab(settings)
    ex = _Extractor(text, source_path, v.table, v.kos, v.matcher, v.names, v.gazetteer)
    record = ex.run()
    if html is not None:
        _html_metadata(ex, record, html)
    suggestions: list[dict[str, Any]] = []
    if suggest_sdgs and not record.get("sdgs"):
        suggestions = aurora_for_record(record, default_matcher(str(settings.sdg_queries_dir)))
        if suggestions:
            record["sdg_suggestions"] = [{k: x[k] for k in ("target", "confidence", "method")} for x in suggestions]
    extraction = Extraction(Path(source_path), source_path, text, record, ex.facts, ex.amb, ex.page.ignored, ex.lang_evidence)
    extraction.suggestions = suggestions
    try:
        extraction.model = ProjectRecord.model_validate(record)
    except ValidationError as exc:  # reported like a curated file would be; other errors are bugs
        raise RecordsInvalid(
            [RecordError(Path(source_path), ".".join(str(x) for x in e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        ) from None
    return extraction


def _html_metadata(ex: _Extractor, record: dict[str, Any], html: HtmlPage) -> None:
    """The saved page's own metadata: its address, and its declared language when it is one the
    record can carry (the stop-word detector knows English and Italian only)."""
    src = record["source"]
    if html.url:
        src["url"] = html.url
        ex.facts.append(Fact("source.url", html.url, 0, 0, "", "html metadata (og:url / schema.org url / canonical link)"))
    if html.language and re.fullmatch(r"[a-z]{2}", html.language):
        if html.language != record.get("language"):
            record["language"] = html.language
            ex.facts.append(Fact("language", html.language, 0, 0, "", "html metadata (<html lang> / og:locale / schema.org inLanguage)"))
        src["language"] = [html.language] + [x for x in src.get("language", []) if x != html.language]
    if html.title and not src.get("title"):
        src["title"] = html.title
        ex.facts.append(Fact("source.title", html.title, 0, 0, "", "html metadata (og:title / schema.org name / <title>)"))


def extract_page(path: Path, *, settings: Settings | None = None, suggest_sdgs: bool = False) -> Extraction:
    """Extract the record of one page file (text, or saved HTML: ``.html``/``.htm`` or content that
    starts like HTML); ``source.path`` is ``sources/<file name>``. For HTML the main text comes from
    trafilatura and the page's ``lang``, ``og:`` and schema.org metadata fill ``source`` (url, title,
    language) as facts of their own; the offsets of every fact are into the main text."""
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    html: HtmlPage | None = None
    if path.suffix.lower() in HTML_SUFFIXES or looks_like_html(raw):
        html = read_html(raw)
        text = html.text
    else:
        text = raw
    ex = extract_text(text, f"sources/{path.name}", settings=settings, suggest_sdgs=suggest_sdgs, html=html)
    ex.page_path = path
    return ex


def expand_pages(paths: list[Path]) -> list[Path]:
    """Files as given; a directory stands for its ``*.txt``, ``*.html`` and ``*.htm`` files, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in (".txt", *HTML_SUFFIXES))
        else:
            out.append(p)
    return out


def review_lines(rows: list[tuple[Path, Extraction | None, str | None]]) -> list[str]:
    """The batch review list: one line per page with the record written, what it holds, and what
    needs a curator (ambiguities, errors)."""
    out = ["| page | record | title | dates | programme | countries | organisations | cities | to review |", "|---|---|---|---|---|---|---:|---:|---|"]
    for page, ex, error in rows:
        if ex is None:
            out.append(f"| `{page.name}` | – | | | | | | | error: {error} |")
            continue
        r = ex.record
        title = r.get("title")
        title = next(iter(title.values())) if isinstance(title, dict) else title
        if r.get("title_is_descriptive"):
            title = f"({title})"
        dates = f"{r.get('start', '?')} – {r.get('end', '?')}" if r.get("start") or r.get("end") else ""
        review = "; ".join(f"{a.field}: {a.reason}" for a in ex.ambiguities) or "—"
        out.append(
            f"| `{page.name}` | `{ex.id}.yaml` | {str(title)[:60]} | {dates} | {r.get('programme', '')} | {', '.join(r.get('countries') or [])} "
            f"| {len(r.get('organisations') or [])} | {len(r.get('cities') or [])} | {review} |"
        )
    return out


def write_extraction(ex: Extraction, record_path: Path) -> Path:
    """Write the record YAML and its ``<record>.provenance.json`` sidecar; returns the sidecar path."""
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(ex.to_yaml(), encoding="utf-8")
    sidecar = provenance_path(record_path)
    sidecar.write_text(json.dumps(ex.provenance(record_path.name), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return sidecar


def provenance_path(record_path: Path) -> Path:
    return record_path.with_name(record_path.stem + ".provenance.json")


def curated_for(source_path: str, projects_dir: Path) -> Path | None:
    """The curated record in ``projects_dir`` whose ``source.path`` is ``source_path``."""
    for p in sorted(projects_dir.glob("*.y*ml")):
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and isinstance(data.get("source"), dict) and data["source"].get("path") == source_path:
            return p
    return None


def run_extract(
    pages: list[Path],
    *,
    settings: Settings,
    out_dir: Path | None = None,
    output: Path | None = None,
    diff: bool = False,
    suggest_sdgs: bool = False,
    out: Any = None,
    err: Any = None,
) -> int:
    """What ``kg extract`` does: extract each page; write record + sidecar (``--out DIR`` / ``-o FILE``)
    or print the YAML; with ``diff``, print the field-by-field differences from the curated record
    of the same source. Ambiguities go to ``err``. Returns the exit code (1 when a page fails)."""
    out = out or sys.stdout
    err = err or sys.stderr
    if out_dir is not None and output is not None:
        print("error: give either --out DIR or -o FILE, not both", file=err)
        return 2
    if output is not None and len(pages) != 1:
        print("error: -o FILE takes exactly one page; use --out DIR for several", file=err)
        return 2
    status = 0
    pages = expand_pages(pages)
    if output is not None and len(pages) != 1:
        print("error: -o FILE takes exactly one page; use --out DIR for several", file=err)
        return 2
    reviewed: list[tuple[Path, Extraction | None, str | None]] = []
    for n, page in enumerate(pages):
        try:
            ex = extract_page(page, settings=settings, suggest_sdgs=suggest_sdgs)
        except RecordsInvalid as exc:
            for e in exc.errors:
                print(f"error: {page}: {e.field}: {e.message}", file=err)
            reviewed.append((page, None, "; ".join(f"{e.field}: {e.message}" for e in exc.errors)))
            status = 1
            continue
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: {page}: {exc}", file=err)
            reviewed.append((page, None, str(exc)))
            status = 1
            continue
        reviewed.append((page, ex, None))
        for a in ex.ambiguities:
            print(f"ambiguous: {ex.source_path}: {a}", file=err)
        for sg in ex.suggestions:
            print(f"suggested: {ex.source_path}: SDG target {sg['target']} (confidence {sg['confidence']}; shared terms "
                  f"{', '.join(sg['shared_terms'])}) — a suggestion, not a fact of the page", file=err)
        target = output if output is not None else (out_dir / f"{ex.id}.yaml" if out_dir is not None else None)
        if target is not None:
            sidecar = write_extraction(ex, target)
            print(f"wrote {target} and {sidecar.name} ({len(ex.facts)} facts, {len(ex.ambiguities)} ambiguous)", file=err)
        elif not diff:
            if n:
                print("---", file=out)
            print(ex.to_yaml(), end="", file=out)
        if diff:
            assert settings.data_dir is not None  # Settings.__post_init__ always sets it
            curated_path = curated_for(ex.source_path, settings.data_dir / "projects")
            if curated_path is None:
                print(f"no curated record in {settings.data_dir / 'projects'} has source.path {ex.source_path}", file=out)
                continue
            curated = load_model(curated_path, ProjectRecord)
            v = _vocab(settings)
            assert ex.model is not None
            try:
                shown = curated_path.resolve().relative_to(Path.cwd().resolve())
            except ValueError:
                shown = curated_path
            print(f"--- {shown} (curated)", file=out)
            print(f"+++ extracted from {ex.source_path}", file=out)
            for line in diff_lines(Comparer(v.table, v.kos).compare(ex.model, curated)):
                print(line, file=out)
    if out_dir is not None and len(pages) > 1:
        out_dir.mkdir(parents=True, exist_ok=True)
        review = out_dir / "review.md"
        review.write_text("# Pages extracted, for review\n\n" + "\n".join(review_lines(reviewed)) + "\n", encoding="utf-8")
        print(f"wrote {review} (one line per page: what was found, what to review)", file=err)
    return status
